"""Validation alone (the first step of ``zeren load`` and of the bulk route):
wall time, CPU time and peak memory of the whole process tree (the worker
processes included), of this checkout against an anchor, alternated in the
same run.

The anchor is the validation of a git revision (``--anchor``, by default
``main``): its ``loaders/validate.py`` and ``loaders/readers.py`` are taken
from git into a temporary package, so both run on the same model and the same
interpreter. Each run is a fresh process; the tree's resident memory is summed
and sampled every ``--sample`` seconds (its peak), the CPU time of every
process of the tree is its last sample (user + system).

    python benchmarks/validation.py DATA [DATA ...] [--anchor REV] [--repeat N]
        [--only new|anchor] [--processes N]

DATA is a folder of generated input (``zeren generate``). Prints one Markdown
row per run and the load average before and after.
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

import psutil

ROOT = Path(__file__).resolve().parents[1]


def anchor_package(rev: str, into: Path) -> Path:
    """The anchor's validation as package ``anchor_loaders`` in ``into``."""
    pkg = into / "anchor_loaders"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name in ("validate.py", "readers.py"):
        text = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:loaders/{name}"], check=True,
                              capture_output=True, text=True).stdout
        (pkg / name).write_text(text)
    return into


def child(which: str, data: str, processes: int | None) -> None:
    """Validate ``data`` with this checkout ("new") or the anchor package on sys.path."""
    if which == "new":
        from zeren.loaders.validate import validate_source
        dataset = validate_source(data, processes=processes)
    else:
        sys.path.insert(0, which)
        from anchor_loaders.validate import validate_source  # type: ignore[import-not-found]
        dataset = validate_source(data)
    print(json.dumps({"rows": sum(dataset.counts.values())}))


def measure(cmd: list[str], sample: float) -> dict[str, float]:
    """Run a command; its wall time, the CPU time and the peak resident memory of its process tree."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    root = psutil.Process(proc.pid)
    cpu: dict[int, float] = {}
    peak = main_peak = 0
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        rss = 0
        for p in tree:
            try:
                t = p.cpu_times()
                cpu[p.pid] = t.user + t.system
                mine = p.memory_info().rss
                rss += mine
                if p is root:
                    main_peak = max(main_peak, mine)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        peak = max(peak, rss)
        time.sleep(sample)
    out, _ = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with {proc.returncode}")
    return {"wall": wall, "cpu": sum(cpu.values()), "peak_mib": peak / 2**20, "main_mib": main_peak / 2**20,
            "rows": json.loads(out.strip().splitlines()[-1])["rows"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", nargs="*")
    ap.add_argument("--anchor", default="main")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--only", choices=["new", "anchor"])
    ap.add_argument("--processes", type=int)
    ap.add_argument("--sample", type=float, default=0.2)
    ap.add_argument("--child", nargs=2, metavar=("WHICH", "DATA"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.processes)
        return
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| data | code | wall s | CPU s (all processes) | peak RSS MiB (all processes) | peak RSS MiB (main process) "
          "| rows |")
    print("|---|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        anchor = str(anchor_package(args.anchor, Path(tmp)))
        for data in args.data:
            for _ in range(args.repeat):
                for which in ("anchor", "new"):
                    if args.only and which != args.only:
                        continue
                    cmd = [sys.executable, __file__, "--child", which if which == "new" else anchor, data]
                    if args.processes:
                        cmd += ["--processes", str(args.processes)]
                    r = measure(cmd, args.sample)
                    label = which if which == "new" else f"anchor ({args.anchor})"
                    print(f"| {Path(data).name} | {label} | {r['wall']:.1f} | {r['cpu']:.1f} | {r['peak_mib']:.0f} | "
                          f"{r['main_mib']:.0f} | {r['rows']:,} |", flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
