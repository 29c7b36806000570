"""Benchmarks: load and trace at national scale, side by side with the raw engine.

One command runs everything for the given scale factors, writes a JSON result
file under ``benchmarks/results/`` and regenerates ``docs/benchmarks.md`` and
``docs/benchmarks-latency.png``::

    python benchmarks/run.py --scales 0.01 0.1

Per scale, on one store (the embedded FalkorDB, or Neo4j when ``NEO4J_URI``
is set):

* P1 load: ``zeren load DIR`` (a subprocess, validation included) into a fresh
  graph, against a raw batched ``UNWIND $rows MERGE`` of the same rows from the
  same CSVs (no validation) into another fresh graph; rows/s of each and the
  ratio loader ÷ raw;
* P2 trace: the same sample of matters traced by the engine's named queries
  sent straight through the client (no engine, no HTTP) and by GraphQL over
  HTTP (keep-alive) to a live ``zeren serve``, each matter by both one right
  after the other: p50, p99, ratio of p50;
* P3 scaling: trace p50 at the largest scale ÷ p50 at the smallest;
* P4 throughput: traces/s with N concurrent keep-alive clients, for 1 and 2
  workers (``zeren serve --workers N``: a listening socket per worker);
* P5 memory: peak resident memory of the store, the service and the loader.

See ``benchmarks/README.md`` for the options and ``docs/benchmarks.md`` for
the results and the definitions.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _load_harness() -> None:
    """benchmarks/harness/ as the package ``zeren_benchmarks`` (benchmarks/ is no package)."""
    name = "zeren_benchmarks"
    if name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(name, HERE / "harness" / "__init__.py",
                                                  submodule_search_locations=[str(HERE / "harness")])
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


_load_harness()

# The names below are the harness's; the ones main() does not use are here for
# the callers that reach them through this file (tests, compliance.py, soak.py).
from zeren_benchmarks.common import ROOT, TARGETS, log, percentile  # noqa: E402, F401
from zeren_benchmarks.p1_load import load_repeats  # noqa: E402
from zeren_benchmarks.p2_trace import time_interleaved  # noqa: E402, F401
from zeren_benchmarks.p6_peer import peer  # noqa: E402, F401
from zeren_benchmarks.processes import rss  # noqa: E402, F401
from zeren_benchmarks.report import machine, memory_parts, peer_rows, verdicts, write_report  # noqa: E402, F401
from zeren_benchmarks.scale import run_scale  # noqa: E402
from zeren_benchmarks.service import HttpClient, free_port, issue_token, start_server  # noqa: E402, F401
from zeren_benchmarks.stores import graph_memory  # noqa: E402, F401


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scales", type=float, nargs="+", default=[0.01, 0.1])
    p.add_argument("--data-root", default=str(HERE / "data"), help="generated datasets (one folder per scale)")
    p.add_argument("--work-dir", default=None, help="where the per-scale store folders go (default: temp)")
    p.add_argument("--samples", type=int, default=200)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--duration", type=float, default=20.0, help="seconds of each throughput run")
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="service workers to try for P4 (zeren serve --workers)")
    p.add_argument("--load-repeats", type=int, nargs="+", default=[1], metavar="N",
                   help="P1: run the raw and the loader pair N times and take each side's median; one N per "
                        "scale in ascending order of scale (the last one holds for the scales after it)")
    p.add_argument("--baseline-python", metavar="PYTHON",
                   help="P1: also run `zeren load` of the installation of this interpreter (the code before a "
                        "change) in every pair, in rotating order")
    p.add_argument("--bulk-anchor", action="store_true",
                   help="P1 on FalkorDB: also run falkordb-bulk-loader on the same CSVs converted to its format, "
                        "timed with the conversion, in every pair (benchmarks/harness/p1_bulk.py)")
    p.add_argument("--load-only", action="store_true", help="P1 only: stop each scale after the loads")
    p.add_argument("--skip-raw", action="store_true", help="P1: leave out the raw baseline (with --load-only)")
    p.add_argument("--results", default=str(HERE / "results"))
    p.add_argument("--doc", default=str(ROOT / "docs" / "benchmarks.md"))
    p.add_argument("--plot", default=str(ROOT / "docs" / "benchmarks-latency.png"))
    p.add_argument("--no-doc", action="store_true", help="write the JSON only")
    p.add_argument("--keep", action="store_true", help="keep the store folders")
    p.add_argument("--notes", default=str(HERE / "notes.md"),
                   help="the analysis appended to the doc (benchmarks/notes-neo4j.md for a run on Neo4j)")
    p.add_argument("--neo4j-bulk", type=int, nargs=2, metavar=("HEAP_MB", "PAGECACHE_MB"),
                   help="Neo4j: the first load through neo4j-admin database import into a server started "
                        "with this heap and page cache (benchmarks/neo4j_bulk.py), then a reload through zeren load")
    p.add_argument("--reload-cap", type=float, default=1800.0, help="with --neo4j-bulk: seconds the reload may take")
    p.add_argument("--compress", action="store_true",
                   help="with --neo4j-bulk: the importer's files gzipped (zeren load --bulk --compress)")
    p.add_argument("--report", metavar="RESULT_JSON", nargs="+",
                   help="only write the doc and the plot again from a result file, or from several runs' files of "
                        "other scales joined (the same store, sample and settings; each run's command is shown)")
    return p.parse_args(argv)


# The settings two runs must share for their scales to stand in one report.
SHARED = ("samples", "seed", "clients", "duration", "neo4j_bulk")


def join_results(results: list[dict[str, Any]]) -> dict[str, Any]:
    """One result of the scales of several runs, in order of scale: the
    first run's machine and settings, every run's file and command. Refused
    when a scale is in two runs, or the runs differ in store or settings."""
    if len(results) == 1:
        return results[0]
    first = results[0]
    scales = sorted((s for r in results for s in r["scales"]), key=lambda s: s["scale"])
    seen = [s["scale"] for s in scales]
    if len(set(seen)) != len(seen):
        raise SystemExit(f"--report: a scale is in two of the runs ({', '.join(f'{x:g}' for x in seen)})")
    for r in results[1:]:
        differ = [k for k in SHARED if r["args"].get(k) != first["args"].get(k)]
        stores = {s["store"].split(" at ")[0].split(":")[0] for s in (*first["scales"], *r["scales"])}
        if differ or len(stores) > 1:
            raise SystemExit(f"--report: {r['file']} differs from {first['file']} in "
                             + ", ".join(differ or ["its store"]))
    return {**first, "scales": scales, "file": " ".join(r["file"] for r in results),
            "command": "\n".join(r["command"] for r in results), "finished": results[-1].get("finished")}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.report:
        result = join_results([json.loads(Path(f).read_text(encoding="utf-8")) for f in args.report])
        write_report(result, Path(args.doc), Path(args.plot), Path(args.notes))
        return result
    started = datetime.now(UTC)
    given = list(argv if argv is not None else sys.argv[1:])
    paths = {"--data-root", "--work-dir", "--results", "--doc", "--plot", "--baseline-python"}  # machine-specific: not shown
    shown = " ".join(a for i, a in enumerate(given) if a not in paths and not (i and given[i - 1] in paths))
    result: dict[str, Any] = {"started": started.isoformat(timespec="seconds"), "machine": machine(),
                              "args": vars(args) | {"data_root": None, "work_dir": None, "results": None,
                                                    "doc": None, "plot": None, "notes": None,
                                                    "baseline_python": bool(args.baseline_python)},
                              "command": f"python benchmarks/run.py {shown}".strip(), "targets": TARGETS,
                              "scales": []}
    if any(n < 1 for n in args.load_repeats):
        raise SystemExit("--load-repeats: every N must be at least 1")
    out_dir = Path(args.results)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"{started.strftime('%Y%m%dT%H%M%S')}-{'neo4j' if os.environ.get('NEO4J_URI') or args.neo4j_bulk else 'falkordb'}.json"
    result["file"] = f"benchmarks/results/{name}"
    for i, scale in enumerate(sorted(args.scales)):
        result["scales"].append(run_scale(scale, args, load_repeats(args.load_repeats, i)))
        # Written after every scale, so a long run that is stopped keeps the scales it finished
        # (a file without "finished" is such a partial run).
        (out_dir / name).write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    (out_dir / name).write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    log(f"results in {out_dir / name}")
    if not args.no_doc:
        write_report(result, Path(args.doc), Path(args.plot), Path(args.notes))
        log(f"report in {args.doc}")
    return result


if __name__ == "__main__":
    main()
