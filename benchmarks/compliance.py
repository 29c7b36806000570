"""Benchmark of the compliance answer (chapters 2-3) for a province and a year.

Side by side, in one run, on one loaded store, for each (territory, year):

* **raw**: the named queries ``Engine.compliance`` sends
  (``zeren.rules.compliance.fetch``), sent straight through the FalkorDB
  client one after the other, rows read and dropped (no zeren code on the path);
* **engine**: ``Engine.compliance`` in process (the same queries, then the duty
  rules over every unit);
* **graphql**: ``compliance(territory, year)`` over HTTP with a keep-alive
  client to a live ``zeren serve`` (the counts, and every duty's status of every
  unit).

Each side runs ``--repeats`` times per (territory, year), interleaved (raw,
engine, graphql, then the next round), after one warm-up round; p50 and p99
in milliseconds. Usage, on a store loaded by ``zeren load``::

    zeren generate --scale 0.1 --out DATA
    ZEREN_DATA_DIR=STORE zeren load DATA
    python benchmarks/compliance.py --data-dir STORE --territories 500000 110000 120000 --years 2019 2023
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zeren import queries
from zeren.config import Settings
from zeren.graph.store import open_store
from zeren.rules.compliance import ACTIVITY_QUERY, RECORD_QUERIES
from zeren.rules.engine import Engine

HERE = Path(__file__).resolve().parent
GRAPHQL = ("query($t: ID!, $y: Int!) { compliance(territory: $t, year: $y) { met unmet unknown "
           "units { id scope duties { duty status } } } }")


def _run_module() -> Any:
    """benchmarks/run.py (the folder is no package): its HTTP client, server start and percentile."""
    spec = importlib.util.spec_from_file_location("zeren_benchmarks_run", HERE / "run.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


run = _run_module()


class Embedded:
    """The loaded embedded store, for ``run.start_server`` (which asks only for the environment)."""

    def __init__(self, data_dir: Path, graph: str) -> None:
        self.data_dir, self.graph = data_dir, graph

    def env(self, graph: str) -> dict[str, str]:
        return {"ZEREN_GRAPH": "embedded", "ZEREN_DATA_DIR": str(self.data_dir), "ZEREN_GRAPH_NAME": graph,
                "ZEREN_QUERY_TIMEOUT_MS": "600000"}


def raw_reader(data_dir: Path, graph: str) -> Callable[[str, dict[str, Any]], int]:
    """A read straight through the FalkorDB client; returns the number of rows."""
    from falkordb import FalkorDB

    info = json.loads((data_dir / "falkordb" / "server.json").read_text())
    g = FalkorDB(unix_socket_path=info["socket"], password=info["password"]).select_graph(graph)

    def read(name: str, params: dict[str, Any]) -> Any:
        return g.ro_query(queries.text(name, "falkordb"), params, timeout=600_000).result_set
    return read


def raw_compliance(read: Callable[[str, dict[str, Any]], Any], territory: str, year: int) -> int:
    """The queries of ``compliance.fetch``, in its order; returns the rows read."""
    read("territory_chain", {"territory": territory})
    units = read("compliance_units", {"territory": territory})
    tids = sorted(r[0]["id"] for r in units)
    span = {"territories": tids, "from": f"{year:04d}-01-01", "to": f"{year:04d}-12-31"}
    n = len(units)
    n += len(read("compliance_systems", span))
    n += len(read("compliance_ledgers", {"territories": tids, "year": year}))
    for name in (ACTIVITY_QUERY, *RECORD_QUERIES):
        n += len(read(name, span))
    return n


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, required=True, help="the data folder of the loaded embedded store")
    ap.add_argument("--graph", default="zeren", help="graph name (default zeren)")
    ap.add_argument("--territories", nargs="+", default=["500000", "110000", "120000"])
    ap.add_argument("--years", nargs="+", type=int, default=[2019, 2023])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path, help="write the figures as JSON here too")
    args = ap.parse_args(argv)

    settings = Settings(graph="embedded", data_dir=args.data_dir, graph_name=args.graph, query_timeout_ms=600_000)
    store = open_store(settings)  # starts the server if it is not running
    engine = Engine(store)
    read = raw_reader(args.data_dir, args.graph)
    server = run.start_server(Embedded(args.data_dir, args.graph), args.graph, 1)
    token = run.issue_token(args.data_dir)
    http = [run.HttpClient("127.0.0.1", server.port, token)]
    results: dict[str, Any] = {"cases": []}
    try:
        for territory in args.territories:
            for year in args.years:
                body = json.dumps({"query": GRAPHQL, "variables": {"t": territory, "y": year}}).encode()
                facts: dict[str, Any] = {}

                def graphql(body: bytes = body, facts: dict[str, Any] = facts) -> None:
                    try:
                        status, answer = http[0].post(body)
                    except ConnectionError:  # the server closes a connection idle for 5 s (a province's
                        http[0].close()  # raw and engine sides take longer): open another, and time that too
                        http[0] = run.HttpClient("127.0.0.1", server.port, token)
                        status, answer = http[0].post(body)
                    doc = json.loads(answer)
                    if status != 200 or doc.get("errors"):
                        raise RuntimeError(f"compliance failed: {status} {answer[:500]!r}")
                    facts["bytes"] = len(answer)

                def in_process(territory: str = territory, year: int = year,
                               facts: dict[str, Any] = facts) -> None:
                    report = engine.compliance(territory, year)
                    facts["units"] = len(report.units)
                    facts["counts"] = report.counts()

                def raw(territory: str = territory, year: int = year, facts: dict[str, Any] = facts) -> None:
                    facts["rows"] = raw_compliance(read, territory, year)

                sides = {"raw": raw, "engine": in_process, "graphql": graphql}
                times: dict[str, list[float]] = {k: [] for k in sides}
                for i in range(args.repeats + 1):
                    for name, fn in sides.items():
                        t0 = time.perf_counter()
                        fn()
                        if i:  # the first round warms up
                            times[name].append((time.perf_counter() - t0) * 1000)
                case = {"territory": territory, "year": year, **facts,
                        **{f"{k}_p50_ms": round(run.percentile(v, 50), 1) for k, v in times.items()},
                        **{f"{k}_p99_ms": round(run.percentile(v, 99), 1) for k, v in times.items()}}
                results["cases"].append(case)
                run.log(json.dumps(case, ensure_ascii=False))
    finally:
        http[0].close()
        server.stop()
        store.close()
    print(table(results["cases"]))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return results


def table(cases: list[dict[str, Any]]) -> str:
    head = ("| territory | year | units | rows read | raw p50 / p99 ms | engine p50 / p99 ms | "
            "GraphQL p50 / p99 ms | engine ÷ raw (p50) |\n|---|---|---|---|---|---|---|---|")
    lines = [head]
    for c in cases:
        lines.append(f"| {c['territory']} | {c['year']} | {c['units']:,} | {c['rows']:,} | "
                     f"{c['raw_p50_ms']:,} / {c['raw_p99_ms']:,} | {c['engine_p50_ms']:,} / {c['engine_p99_ms']:,} | "
                     f"{c['graphql_p50_ms']:,} / {c['graphql_p99_ms']:,} | "
                     f"{c['engine_p50_ms'] / c['raw_p50_ms']:.2f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
