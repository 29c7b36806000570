"""Benchmark of the compliance answer (chapters 2-3) for a province and a year.

Side by side, in one run, on one loaded store, for each (territory, year),
the full answer with its facts (the path every answer took before the
statuses were counted in the store) and the statuses alone:

* **raw**: the named queries of the full answer (``zeren.rules.compliance.fetch``)
  sent straight through the FalkorDB client one after the other, rows read and
  dropped (no zeren code on the path): the full answer's anchor;
* **raw counts**: the same for the counting queries of the statuses
  (``zeren.rules.compliance_status.tally``): the statuses' anchor;
* **engine**: ``Engine.compliance`` in process (the full answer);
* **statuses**: ``Engine.compliance_statuses`` in process (counted in the store);
* **GraphQL full**: ``compliance(territory, year)`` over HTTP with a keep-alive
  client to a live ``zeren serve``, asking every duty's status and note (the
  note makes it the full answer);
* **GraphQL**: the same asking the counts and each unit's counts (answered
  from the statuses).

Each side runs ``--repeats`` times per (territory, year), interleaved, after
one warm-up round; p50 and p99 of the wall time in milliseconds, and the
median CPU time of the store (its process's ticks) and of the client (this
process for the in-process sides, the service's process for GraphQL) per
answer, steadier than the wall time on a shared machine.
Usage, on a store loaded by ``zeren load``::

    zeren generate --scale 0.1 --out DATA
    ZEREN_DATA_DIR=STORE zeren load DATA
    python benchmarks/compliance.py --data-dir STORE --territories 500000 110000 120000 --years 2019 2023
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from zeren import queries
from zeren.config import Settings
from zeren.graph.store import open_store
from zeren.rules import compliance_status
from zeren.rules.compliance import ACTIVITY_QUERY, RECORD_QUERIES
from zeren.rules.engine import Engine

HERE = Path(__file__).resolve().parent
GRAPHQL_FULL = ("query($t: ID!, $y: Int!) { compliance(territory: $t, year: $y) { met unmet unknown "
                "units { id scope duties { duty status note } } } }")
GRAPHQL = ("query($t: ID!, $y: Int!) { compliance(territory: $t, year: $y) { met unmet unknown "
           "units { id scope met unmet unknown } } }")


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
                "ZEREN_QUERY_TIMEOUT_MS": "600000", "ZEREN_CYPHER_REPLICA": "false"}


def store_pid(data_dir: Path) -> int:
    return int(json.loads((data_dir / "falkordb" / "server.json").read_text())["pid"])


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


def raw_counts(read: Callable[[str, dict[str, Any]], Any], territory: str, year: int) -> int:
    """The queries of ``compliance_status.statuses``, the counting ones at once as it runs them, each territory
    counted over the whole year (what the periods are in a year no rule set
    came into force); returns the rows read."""
    read("territory_chain", {"territory": territory})
    units = read("compliance_units", {"territory": territory})
    tids = sorted(r[0]["id"] for r in units)
    first, last = f"{year:04d}-01-01", f"{year:04d}-12-31"
    spans = [{"territory": t, "from": first, "to": last} for t in tids]
    n = len(units) + len(read("compliance_systems", {"territories": tids, "from": first, "to": last}))
    nation = read("institution_count", {})[0][0]
    wide = sum(len(r[2]) for r in units) >= compliance_status.WIDE_SHARE * nation
    counting = compliance_status.counting_requests(spans, tids, year, wide)
    with ThreadPoolExecutor(compliance_status.COUNTING_WORKERS) as pool:  # at once, as ``tally`` runs them
        n += sum(len(rows) for rows in pool.map(lambda r: read(*r), counting))
    return n


def cpu_of(pid: int) -> float:
    """The CPU seconds a process has used (user and system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


SIDES = (("raw", "raw (full)"), ("raw_counts", "raw counts"), ("engine", "engine (full)"),
         ("statuses", "statuses"), ("graphql_full", "GraphQL full"), ("graphql", "GraphQL"))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, required=True, help="the data folder of the loaded embedded store")
    ap.add_argument("--graph", default="zeren", help="graph name (default zeren)")
    ap.add_argument("--territories", nargs="+", default=["500000", "110000", "120000"])
    ap.add_argument("--years", nargs="+", type=int, default=[2019, 2023])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--sides", nargs="+", choices=[k for k, _ in SIDES], default=[k for k, _ in SIDES],
                    help="the sides to run (default: all)")
    ap.add_argument("--out", type=Path, help="write the figures as JSON here too")
    args = ap.parse_args(argv)

    settings = Settings(graph="embedded", data_dir=args.data_dir, graph_name=args.graph, query_timeout_ms=600_000)
    store = open_store(settings)  # starts the server if it is not running
    engine = Engine(store)
    read = raw_reader(args.data_dir, args.graph)
    pid = store_pid(args.data_dir)
    server = run.start_server(Embedded(args.data_dir, args.graph), args.graph, 1)
    token = run.issue_token(args.data_dir)
    http = [run.HttpClient("127.0.0.1", server.port, token)]
    results: dict[str, Any] = {"cases": []}
    try:
        for territory in args.territories:
            for year in args.years:
                body = json.dumps({"query": GRAPHQL, "variables": {"t": territory, "y": year}}).encode()
                facts: dict[str, Any] = {}

                def post(body: bytes, facts: dict[str, Any] = facts) -> None:
                    try:
                        status, answer = http[0].post(body)
                    except ConnectionError:  # the server closes a connection idle for 5 s (a province's
                        http[0].close()  # raw and engine sides take longer): open another, and time that too
                        http[0] = run.HttpClient("127.0.0.1", server.port, token)
                        status, answer = http[0].post(body)
                    doc = json.loads(answer)
                    if status != 200 or doc.get("errors"):
                        raise RuntimeError(f"compliance failed: {status} {answer[:500]!r}")
                    got = doc["data"]["compliance"]
                    counts = (got["met"], got["unmet"], got["unknown"])
                    if facts.setdefault("graphql_counts", counts) != counts:
                        raise RuntimeError(f"GraphQL answers differ: {counts} and {facts['graphql_counts']}")

                def in_process(answer: Callable[[str, int], Any], territory: str = territory, year: int = year,
                               facts: dict[str, Any] = facts) -> None:
                    report = answer(territory, year)
                    counts = {str(k): v for k, v in report.counts().items()}
                    if facts.setdefault("counts", counts) != counts:
                        raise RuntimeError(f"answers differ: {counts} and {facts['counts']}")
                    facts["units"] = len(report.units)

                def raw(territory: str = territory, year: int = year, facts: dict[str, Any] = facts) -> None:
                    facts["rows"] = raw_compliance(read, territory, year)

                def counted(territory: str = territory, year: int = year, facts: dict[str, Any] = facts) -> None:
                    facts["rows_counted"] = raw_counts(read, territory, year)

                full_body = json.dumps({"query": GRAPHQL_FULL, "variables": {"t": territory, "y": year}}).encode()
                sides: dict[str, Callable[[], None]] = {
                    "raw": raw, "raw_counts": counted,
                    "engine": lambda: in_process(engine.compliance),
                    "statuses": lambda: in_process(engine.compliance_statuses),
                    "graphql_full": lambda b=full_body: post(b), "graphql": lambda b=body: post(b)}
                sides = {k: v for k, v in sides.items() if k in args.sides}
                times: dict[str, list[float]] = {k: [] for k in sides}
                store_cpu: dict[str, list[float]] = {k: [] for k in sides}
                client_cpu: dict[str, list[float]] = {k: [] for k in sides}
                for i in range(args.repeats + 1):
                    for name, fn in sides.items():
                        # the client's CPU: this process's, or the service's for the GraphQL sides
                        here = name not in ("graphql", "graphql_full")
                        client = time.process_time if here else lambda: cpu_of(server.proc.pid)
                        s0, c0, t0 = cpu_of(pid), client(), time.perf_counter()
                        fn()
                        if i:  # the first round warms up
                            times[name].append((time.perf_counter() - t0) * 1000)
                            store_cpu[name].append((cpu_of(pid) - s0) * 1000)
                            client_cpu[name].append((client() - c0) * 1000)
                case = {"territory": territory, "year": year, **facts, "load_average": os.getloadavg(),
                        **{f"{k}_p50_ms": round(run.percentile(v, 50), 1) for k, v in times.items()},
                        **{f"{k}_p99_ms": round(run.percentile(v, 99), 1) for k, v in times.items()},
                        **{f"{k}_store_cpu_ms": round(run.percentile(v, 50), 1) for k, v in store_cpu.items()},
                        **{f"{k}_client_cpu_ms": round(run.percentile(v, 50), 1) for k, v in client_cpu.items()}}
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
    """One line per (territory, year, side); the client's CPU is this process's for
    the in-process sides, the service's for GraphQL (none for the raw queries)."""
    lines = ["| territory | year | units | side | p50 / p99 ms | store CPU ms | client or service CPU ms |",
             "|---|---|---|---|---|---|---|"]
    for c in cases:
        for key, name in SIDES:
            if f"{key}_p50_ms" not in c:
                continue
            client = f"{c[f'{key}_client_cpu_ms']:,}" if not key.startswith("raw") else ""
            lines.append(f"| {c['territory']} | {c['year']} | {c['units']:,} | {name} | "
                         f"{c[f'{key}_p50_ms']:,} / {c[f'{key}_p99_ms']:,} | {c[f'{key}_store_cpu_ms']:,} | {client} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
