"""The importer's files of the bulk route (``zeren load --bulk``), the step
that ran longest in the first load of SF 0.1 into Neo4j: CPU and wall time of
writing them from a folder of CSV files read again directly (what the bulk
route does) against writing them from the validated rows read again through
the validator's reading (what it did before; the anchor), alternated in the
same run, each in a fresh process; then the sets of files are compared
cell by cell (ciphertexts, randomised, left out). ``--sides direct gzipped``
sets the gzipped files (``zeren load --bulk --compress``) beside the plain
ones, ``--sides direct shared`` the files shared out by file among one
process per core (what the route does since) beside one process writing
them all; ``--import-lib LIB`` also runs Neo4j's importer (the jars of ``LIB``) on
each side's files into a new store, timed, and measures the store.

    python benchmarks/bulk_files.py DATA [--rounds N] [--sides SIDE ...] [--import-lib LIB] [--out RESULT.json]

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

SIDES = ("direct", "validated rows", "gzipped", "shared")


def _bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def child(side: str, data: str, out: str, keys: str, lib: str) -> None:
    """Write the files of ``data`` into ``out`` one way; print its CPU and wall
    seconds and bytes (and with ``lib``, the importer's figures on them)."""
    from zeren.config import Settings
    from zeren.loaders.bulk import FileWriters, write_import_files
    from zeren.loaders.load import file_checksums
    from zeren.loaders.validate import Dataset

    import resource

    source = Path(data)
    record = {"id": "benchmark", "source": source.name, "started_at": None, "files": file_checksums(source)}
    settings = Settings(data_dir=Path(keys))

    def children_cpu() -> float:
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        return used.ru_utime + used.ru_stime

    cpu, wall, before = time.process_time(), time.perf_counter(), children_cpu()
    if side == "shared":  # the direct files, shared out by file among one process per core
        writing = FileWriters(source, Path(out), settings, record)
        try:
            files, _ = writing.result()
        finally:
            writing.stop()
    else:
        files = write_import_files(Dataset(source, {}) if side == "validated rows" else source, Path(out),
                                   settings, record, compress=side == "gzipped")
    run = {"cpu_s": time.process_time() - cpu + children_cpu() - before, "wall_s": time.perf_counter() - wall,
           "rows": sum(files.rows.values()), "bytes": _bytes(Path(out))}
    if lib:
        run |= import_into_new_store(files, Path(lib))
    print(json.dumps(run))


def import_into_new_store(files: Any, lib: Path) -> dict[str, Any]:
    """Neo4j's importer on ``files`` into a new home beside them: its wall
    time, the CPU of its process and the store's bytes."""
    import resource

    from zeren.loaders.bulk import import_command, run_import

    out = files.folder
    home = out.parent / f"{out.name}-home"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = run_import(import_command(files, home, "neo4j", lib=lib), home, out.parent / f"{out.name}-import.log")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    store = _bytes(home / "data")
    subprocess.run(["rm", "-rf", str(home)], check=True)
    return {"import_s": seconds, "import_cpu_s": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
            "store_bytes": store}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data")
    p.add_argument("--rounds", type=int, default=2, help="rounds of the sides, alternated")
    p.add_argument("--sides", nargs="+", choices=SIDES, default=list(SIDES[:2]),
                   help="ways of writing the files (the first is compared with each other)")
    p.add_argument("--import-lib", type=Path, help="also import each side's files with the jars of this folder")
    p.add_argument("--out", help="write the result JSON here")
    args = p.parse_args()
    sides = list(args.sides)
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="zeren-bulk-files-") as tmp:
        keys = Path(tmp) / "keys"
        last: dict[str, Path] = {}
        for r in range(args.rounds):
            for side in (sides if r % 2 == 0 else sides[::-1]):
                out = Path(tmp) / f"{side.replace(' ', '-')}-{r}"
                load = os.getloadavg()[0]
                done = subprocess.run([sys.executable, __file__, "--child", side, args.data, str(out), str(keys),
                                       str(args.import_lib or "")],
                                      capture_output=True, text=True, check=True)
                run = {"side": side, "round": r, "load_average": load} | json.loads(done.stdout.splitlines()[-1])
                log(f"{side}: {run['cpu_s']:.1f} s CPU, {run['wall_s']:.1f} s wall, {run['bytes'] / 2**20:,.0f} MiB"
                    + (f"; importer {run['import_s']:.1f} s ({run['import_cpu_s']:.1f} s CPU), store "
                       f"{run['store_bytes'] / 2**30:.2f} GiB" if args.import_lib else "")
                    + f" (load average {load:.1f})")
                runs.append(run)
                if side in last:
                    subprocess.run(["rm", "-rf", str(last[side])], check=True)
                last[side] = out
        first = import_cells(last[sides[0]])
        same = all(import_cells(last[side]) == first for side in sides[1:])

    def median(side: str, key: str) -> float:
        xs = sorted(x[key] for x in runs if x["side"] == side)
        return xs[len(xs) // 2]

    keys = [k for k in ("cpu_s", "wall_s", "bytes", "import_s", "import_cpu_s", "store_bytes") if k in runs[0]]
    summary: dict[str, Any] = {side: {k: median(side, k) for k in keys} for side in sides}
    summary["rows"] = runs[0]["rows"]
    summary["cpu_ratio"] = {side: summary[side]["cpu_s"] / summary[sides[0]]["cpu_s"] for side in sides[1:]}
    summary["same_cells"] = same
    finish(args, runs, summary, "data", "out", "import_lib")
    return 0 if same else 1


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "--child":
        child(*sys.argv[2:])
        raise SystemExit(0)
    raise SystemExit(main())
