"""The importer's files of the bulk route (``zeren load --bulk``), the step
that ran longest in the first load of SF 0.1 into Neo4j: CPU and wall time of
writing them from a folder of CSV files read again directly (what the bulk
route does) against writing them from the validated rows read again through
the validator's reading (what it did before; the anchor), alternated in the
same run, each in a fresh process; then the two sets of files are compared
cell by cell (ciphertexts, randomised, left out).

    python benchmarks/bulk_files.py DATA [--rounds N] [--out RESULT.json]

DATA is a folder of generated input (``zeren generate``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness.common import finish, log  # noqa: E402
from zeren.loaders.bulk import import_cells  # noqa: E402

SIDES = ("direct", "validated rows")


def child(side: str, data: str, out: str, keys: str) -> None:
    """Write the files of ``data`` into ``out`` one way; print its CPU and wall seconds."""
    from zeren.config import Settings
    from zeren.loaders.bulk import write_import_files
    from zeren.loaders.load import file_checksums
    from zeren.loaders.validate import Dataset

    source = Path(data)
    record = {"id": "benchmark", "source": source.name, "started_at": None, "files": file_checksums(source)}
    cpu, wall = time.process_time(), time.perf_counter()
    files = write_import_files(source if side == "direct" else Dataset(source, {}), Path(out),
                               Settings(data_dir=Path(keys)), record)
    print(json.dumps({"cpu_s": time.process_time() - cpu, "wall_s": time.perf_counter() - wall,
                      "rows": sum(files.rows.values())}))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data")
    p.add_argument("--rounds", type=int, default=2, help="rounds of both sides, alternated")
    p.add_argument("--out", help="write the result JSON here")
    args = p.parse_args()
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="zeren-bulk-files-") as tmp:
        keys = Path(tmp) / "keys"
        last: dict[str, Path] = {}
        for r in range(args.rounds):
            for side in (SIDES if r % 2 == 0 else SIDES[::-1]):
                out = Path(tmp) / f"{side.replace(' ', '-')}-{r}"
                load = os.getloadavg()[0]
                done = subprocess.run([sys.executable, __file__, "--child", side, args.data, str(out), str(keys)],
                                      capture_output=True, text=True, check=True)
                run = {"side": side, "round": r, "load_average": load} | json.loads(done.stdout.splitlines()[-1])
                log(f"{side}: {run['cpu_s']:.1f} s CPU, {run['wall_s']:.1f} s wall (load average {load:.1f})")
                runs.append(run)
                if side in last:
                    subprocess.run(["rm", "-rf", str(last[side])], check=True)
                last[side] = out
        same = import_cells(last["direct"]) == import_cells(last["validated rows"])

    def median(side: str, key: str) -> float:
        xs = sorted(x[key] for x in runs if x["side"] == side)
        return xs[len(xs) // 2]

    summary = {side: {"cpu_s": median(side, "cpu_s"), "wall_s": median(side, "wall_s")} for side in SIDES}
    summary["rows"] = runs[0]["rows"]
    summary["cpu_ratio"] = summary["direct"]["cpu_s"] / summary["validated rows"]["cpu_s"]
    summary["same_cells"] = same
    finish(args, runs, summary, "data", "out")
    return 0 if same else 1


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        child(*sys.argv[2:])
        raise SystemExit(0)
    raise SystemExit(main())
