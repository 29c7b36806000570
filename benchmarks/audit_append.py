"""The cost of one audit-log append, with and without moving the signed anchor,
in the same run on the same disk (run by hand; figures in docs/reliability.md).

    .venv/bin/python benchmarks/audit_append.py [--appends 100] [--dir /some/disk]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from zeren.api.security import AuditLog, Principal

READER = Principal("aaaaaaaaaaaa", "benchmark", "petition_bureau")


def per_append_ms(log: AuditLog, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        log.record(READER, f"M-{i}", "petitioner")
    return (time.perf_counter() - start) / n * 1000


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--appends", type=int, default=100)
    p.add_argument("--dir", type=Path, default=None, help="folder on the disk to measure (default: a temporary one)")
    args = p.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="zeren-audit-", dir=args.dir))
    with_anchor = AuditLog(folder / "anchored.db", bytes(32))
    without = AuditLog(folder / "plain.db", bytes(32))
    with_anchor.record(READER, "M-0", "petitioner")  # the files created and sealed before timing
    without.record(READER, "M-0", "petitioner")
    # From now on the second log does not move its anchor (the check before it still runs).
    without._write_anchor = lambda anchor: None  # type: ignore[method-assign]
    without._anchor_holds = lambda *_: True  # type: ignore[method-assign]
    a = per_append_ms(with_anchor, args.appends)
    b = per_append_ms(without, args.appends)
    print(f"{args.appends} appends each: {a:.1f} ms per append with the signed anchor, {b:.1f} ms without "
          f"(the SQLite commit and the anchor's check), same run, {folder}")


if __name__ == "__main__":
    main()
