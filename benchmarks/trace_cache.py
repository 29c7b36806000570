"""Two builds of the service side by side on one loaded store: the benchmark's
P4 (traces/s with ``--clients`` keep-alive clients, and the CPU time the
store, the service and the clients spent per trace) and P2 (one GraphQL trace
at a time, p50/p99, each matter right after the same trace by the engine's
named queries sent raw: the anchor), for ``zeren serve --workers N`` of each
build, the builds taking turns round after round (the order rotates) so that
a change in the machine's load falls on both.

A build is a Python whose environment has zeren installed: ``--old-python``
(e.g. a checkout of the previous commit with its own virtual environment)
against this one (``sys.executable``). ``--store DIR`` reuses a data folder
already loaded by ``zeren load`` into the graph ``bench_load`` (loading SF
0.01 takes minutes); without it the dataset of ``--scale`` is generated if
needed and loaded into a temporary folder. With ``NEO4J_URI`` set (and
``NEO4J_USER``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``; ``NEO4J_PID`` for the
server's CPU time), the store is that Neo4j, already loaded with the dataset
of ``--scale`` (e.g. by ``zeren load --bulk``), and ``--store DIR`` the data
folder of the services (their tokens).

    python benchmarks/trace_cache.py --old-python OLD/.venv/bin/python --scale 0.01 \\
        --rounds 3 --duration 15 --warmup 3 --out trace-cache.json

Prints one JSON line per run and, at the end, the summary (median of each
build's figures per number of workers); ``--out FILE`` writes both as JSON."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run  # noqa: E402, F401  (loads benchmarks/harness/ as zeren_benchmarks)
from zeren_benchmarks.common import LOAD_GRAPH, finish, log  # noqa: E402
from zeren_benchmarks.data import ensure_data, sample_matters  # noqa: E402
from zeren_benchmarks.p1_load import zeren_load  # noqa: E402
from zeren_benchmarks.p2_trace import latency, raw_trace, time_interleaved  # noqa: E402
from zeren_benchmarks.p4_throughput import throughput  # noqa: E402
from zeren_benchmarks.service import (HttpClient, check_trace, free_port, issue_token, start_service,  # noqa: E402
                                      trace_body)
from zeren_benchmarks.stores import FalkorBackend, Neo4jBackend  # noqa: E402


def serve(python: str, env: dict[str, str], workers: int) -> Any:
    """``zeren serve`` of the build ``python`` on a free port, once every worker is ready."""
    port = free_port()
    cmd = [python, "-m", "zeren.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
           "--log-level", "warning", "--no-access-log"]
    ready = f"all {workers} workers ready"
    return start_service(cmd, env, port, workers, lambda pid, lines: workers == 1 or any(ready in x for x in lines))


def p2(port: int, token: str, ids: list[str], read: Any, dialect: str) -> dict[str, Any]:
    """Each matter traced by GraphQL and by the raw named queries, interleaved."""
    client = HttpClient("127.0.0.1", port, token)
    try:
        def graphql(m: str) -> None:
            check_trace(*client.post(trace_body(m)))
        for m in ids:  # warm-up pass of both
            graphql(m)
            raw_trace(read, dialect, m)
        raw_ms, gql_ms = time_interleaved(ids, lambda m: raw_trace(read, dialect, m), graphql)
    finally:
        client.close()
    return {"graphql": latency(gql_ms), "raw": latency(raw_ms),
            "median_ratio": statistics.median(g / r for g, r in zip(gql_ms, raw_ms))}


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in sorted({(r["build"], r["workers"]) for r in runs}):
        mine = [r for r in runs if (r["build"], r["workers"]) == key]

        def med(path: tuple[str, ...], mine: list[dict[str, Any]] = mine) -> float | None:
            vals = []
            for r in mine:
                v: Any = r
                for p in path:
                    v = v.get(p) if isinstance(v, dict) else None
                if v is not None:
                    vals.append(v)
            return round(statistics.median(vals), 3) if vals else None
        out[f"{key[0]} workers={key[1]}"] = {
            "runs": len(mine), "traces_per_s": med(("traces_per_s",)),
            "cpu_ms_per_trace": {g: med(("cpu_ms_per_trace", g)) for g in ("store", "service", "clients")},
            "cpu_ms_store_plus_service": med(("cpu_store_plus_service",)),
            "p2_graphql_p50_ms": med(("p2", "graphql", "p50_ms")), "p2_graphql_p99_ms": med(("p2", "graphql", "p99_ms")),
            "p2_raw_p50_ms": med(("p2", "raw", "p50_ms")), "p2_raw_p99_ms": med(("p2", "raw", "p99_ms"))}
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--old-python", required=True, help="the Python of the environment of the build to compare with")
    p.add_argument("--store", help="a data folder already loaded into the graph bench_load (default: load --scale)")
    p.add_argument("--scale", type=float, default=0.01)
    p.add_argument("--data-root", default=str(HERE / "data"), help="generated datasets (one folder per scale)")
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--duration", type=float, default=15.0, help="seconds of each measured P4 run")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds of the discarded run after each start")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--samples", type=int, default=200, help="matters driven by P4")
    p.add_argument("--p2-samples", type=int, default=200, help="matters timed one at a time by P2")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--out", help="write the runs and the summary to this JSON file")
    args = p.parse_args(argv)

    os.environ["ZEREN_CYPHER_REPLICA"] = "false"  # the trace does not use the ad hoc replica
    folder = ensure_data(args.scale, Path(args.data_root))
    neo4j = bool(os.environ.get("NEO4J_URI"))
    if neo4j and not args.store:
        raise SystemExit("with NEO4J_URI, --store names the services' data folder (the graph is Neo4j's, loaded)")
    work = Path(args.store) if args.store else Path(tempfile.mkdtemp(prefix="zeren-trace-cache-"))
    backend = Neo4jBackend(work) if neo4j else FalkorBackend(work)
    runs: list[dict[str, Any]] = []
    try:
        if not args.store:
            log(f"loading SF {args.scale:g}")
            zeren_load(backend, folder, LOAD_GRAPH)
        token = issue_token(work)
        ids = sample_matters(folder, args.samples, args.seed)
        p2_ids = sample_matters(folder, args.p2_samples, args.seed + 1)
        env = {**os.environ, **backend.env(LOAD_GRAPH)}
        pid = backend.store_pid()
        read = backend.reader(LOAD_GRAPH)
        builds = {"old": args.old_python, "new": sys.executable}
        names = list(builds)
        for r in range(args.rounds):
            for workers in args.workers:
                order = names[r % 2:] + names[:r % 2]
                for name in order:
                    server = serve(builds[name], env, workers)
                    try:
                        throughput(server.port, token, ids, args.clients, args.warmup)
                        tp = throughput(server.port, token, ids, args.clients, args.duration,
                                        {"store": [pid] if pid else [], "service": server.pids(),
                                         "clients": [os.getpid()]})
                        lat = p2(server.port, token, p2_ids, read, backend.dialect)
                    finally:
                        server.stop()
                    cpu = {k: v and round(v, 3) for k, v in tp["cpu_ms_per_trace"].items()}
                    load = os.getloadavg()
                    run_ = {"round": r + 1, "store": backend.dialect, "build": name, "workers": workers,
                            "traces_per_s": round(tp["traces_per_s"], 1), "cpu_ms_per_trace": cpu,
                            "cpu_store_plus_service": round((cpu.get("store") or 0) + (cpu.get("service") or 0), 3),
                            "connections_by_worker": tp["connections_by_worker"], "p2": lat,
                            "load_average": [round(x, 2) for x in load]}
                    runs.append(run_)
                    print(json.dumps(run_), flush=True)
        return finish(args, runs, summary(runs), "data_root", "store", "out", "old_python")
    finally:
        backend.close()
        if not args.store:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
