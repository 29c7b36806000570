"""One scale end to end: P1, P2, P6 (on Neo4j), P4 and P5 on one store."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zeren.graph.confidential import Protector

from . import p1_bulk
from .common import ANCHOR_GRAPH, LOAD_GRAPH, RAW_GRAPH, beside, log
from .data import count_rows, ensure_data, sample_matters
from .p1_load import _since, median_run, raw_load, zeren_load
from .p2_trace import latency, raw_trace, slowest, time_interleaved
from .p4_throughput import throughput
from .p6_peer import run_peer
from .processes import cpu_seconds, peak_rss, rss
from .service import HttpClient, Server, check_trace, issue_token, start_server, trace_body
from .stores import Backend, FalkorBackend, Neo4jBackend, graph_counts

neo4j_bulk = beside("neo4j_bulk")


def _measured(backend: Backend, pid: int | None, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """One P1 load with what it cost the store: its forks and CPU seconds, and
    the machine's load average (1 minute) when it started."""
    forks, cpu = backend.forks(), cpu_seconds(pid) if pid else None
    load_average = os.getloadavg()[0]
    out = run()
    after = cpu_seconds(pid) if pid else None
    return out | {"store_forks": _since(forks, backend.forks()), "load_average": load_average,
                  "store_cpu_s": after - cpu if after is not None and cpu is not None else None}


def run_scale(scale: float, args: argparse.Namespace, repeats: int = 1) -> dict[str, Any]:
    data_root = Path(args.data_root)
    folder = ensure_data(scale, data_root)
    rows = count_rows(folder)
    work = Path(tempfile.mkdtemp(prefix=f"zeren-bench-{scale:g}-", dir=args.work_dir))
    # --neo4j-bulk: the first load is Neo4j's bulk importer, which starts the server (neo4j_bulk.py).
    bulk = neo4j_bulk.first_load(folder, work, *args.neo4j_bulk, compress=args.compress) if args.neo4j_bulk else None
    backend: Backend = Neo4jBackend(work) if os.environ.get("NEO4J_URI") else FalkorBackend(work)
    res: dict[str, Any] = {"scale": scale, "rows": rows, "data_bytes": sum(p.stat().st_size for p in folder.glob("*.csv")),
                           "store": backend.name, "store_version": backend.version()}
    servers: list[Server] = []
    try:
        if bulk is not None:
            res["bulk_load"] = bulk.result
            res["graph_counts"] = graph_counts(backend, LOAD_GRAPH)
            pid = backend.store_pid()
        else:
            # P1: the raw half first, into a fresh graph, then dropped, then the
            # loader into another fresh graph: both write into an otherwise empty
            # store. With --load-repeats N the pair runs N times (the loader's graph
            # of the last pair stays for P2) and each side's median counts.
            protector = Protector.from_settings(backend.settings(RAW_GRAPH))
            pid = backend.store_pid()
            raws: list[dict[str, Any]] = []
            loads: list[dict[str, Any]] = []
            # Beside them, each pair: the same loader from another installation
            # (--baseline-python: the code before a change) and FalkorDB's own
            # bulk loader (--bulk-anchor); the order rotates from pair to pair.
            anchors: dict[str, list[dict[str, Any]]] = {}
            counts_other: dict[str, dict[str, int]] = {}

            def raw_step(tag: str) -> None:
                nonlocal counts_raw
                log(f"SF {scale:g}: raw baseline load ({rows:,} rows){tag}")
                raw = _measured(backend, pid, lambda: raw_load(backend, folder, RAW_GRAPH, protector))
                raws.append(raw)
                log(f"  raw {raw['rows_per_s']:,.0f} rows/s in {raw['seconds']:.1f} s")
                counts_raw = graph_counts(backend, RAW_GRAPH)
                backend.drop(RAW_GRAPH)
                if "store_peak_rss_raw" not in res:  # the first pair's only: later ones follow a loader's graph
                    res["store_peak_rss_raw"] = peak_rss(pid) if pid else None

            def load_step(tag: str) -> None:
                log(f"SF {scale:g}: zeren load ({rows:,} rows){tag}")
                backend.drop(LOAD_GRAPH)  # a previous pair's
                loaded = _measured(backend, pid, lambda: zeren_load(backend, folder, LOAD_GRAPH))
                loads.append({"seconds": loaded["seconds"], "rows_per_s": rows / loaded["seconds"],
                              "loader_peak_rss": loaded["peak_rss"], "summary": loaded["output_tail"],
                              "store_forks": loaded["store_forks"], "store_cpu_s": loaded["store_cpu_s"],
                              "load_average": loaded["load_average"]})
                log(f"  {rows / loaded['seconds']:,.0f} rows/s in {loaded['seconds']:.1f} s")

            def baseline_step(tag: str) -> None:
                log(f"SF {scale:g}: zeren load of the baseline installation ({rows:,} rows){tag}")
                done = _measured(backend, pid, lambda: zeren_load(backend, folder, ANCHOR_GRAPH, baseline_python))
                anchors.setdefault("baseline_load", []).append(
                    {"seconds": done["seconds"], "rows_per_s": rows / done["seconds"], "store_forks": done["store_forks"],
                     "store_cpu_s": done["store_cpu_s"], "load_average": done["load_average"]})
                log(f"  baseline {rows / done['seconds']:,.0f} rows/s in {done['seconds']:.1f} s")
                counts_other["baseline_load"] = graph_counts(backend, ANCHOR_GRAPH)
                backend.drop(ANCHOR_GRAPH)

            def bulk_step(tag: str) -> None:
                log(f"SF {scale:g}: falkordb-bulk-loader with its CSV conversion ({rows:,} rows){tag}")
                assert isinstance(backend, FalkorBackend)
                done = _measured(backend, pid, lambda: p1_bulk.bulk_load(backend, folder, ANCHOR_GRAPH, protector, work))
                anchors.setdefault("bulk_load", []).append(done)
                log(f"  bulk loader {done['rows_per_s']:,.0f} rows/s in {done['seconds']:.1f} s "
                    f"({done['conversion_s']:.1f} s conversion), schema after it {done['schema_s']:.1f} s")
                counts_other["bulk_load"] = graph_counts(backend, ANCHOR_GRAPH)
                backend.drop(ANCHOR_GRAPH)

            steps = [load_step] if getattr(args, "skip_raw", False) else [raw_step, load_step]
            baseline_python = getattr(args, "baseline_python", None)
            if baseline_python:
                steps.append(baseline_step)
            if getattr(args, "bulk_anchor", False):
                if not isinstance(backend, FalkorBackend):
                    raise SystemExit("--bulk-anchor: the falkordb-bulk-loader anchor runs on the embedded FalkorDB only")
                steps.append(bulk_step)
            counts_raw: dict[str, int] = {}
            for i in range(repeats):
                tag = f" (pair {i + 1} of {repeats})" if repeats > 1 else ""
                for step in steps[i % len(steps):] + steps[:i % len(steps)]:
                    step(tag)
            for name, runs in anchors.items():
                res[name] = median_run(runs)
                res[f"{name}_runs"] = runs
            res["load"] = median_run(loads)
            res["load"]["loader_peak_rss"] = max(x["loader_peak_rss"] or 0 for x in loads) or None
            res["load_repeats"] = repeats
            res["load_runs_all"] = [{k: v for k, v in x.items() if k != "summary"} for x in loads]
            for name in anchors:
                res[f"load_vs_{name}"] = res["load"]["rows_per_s"] / res[name]["rows_per_s"]
                log(f"  loader ÷ {name}: {res[f'load_vs_{name}']:.2f}")
            counts_load = graph_counts(backend, LOAD_GRAPH)
            res["anchor_graph_counts_same"] = {name: c == counts_load for name, c in counts_other.items()}
            res["graph_counts"] = counts_load
            if raws:  # --skip-raw: the loads beside the loader only
                res["raw_load"] = median_run(raws)
                if repeats > 1:
                    res["load_runs"] = [{"raw_rows_per_s": r["rows_per_s"], "load_rows_per_s": x["rows_per_s"],
                                         "raw_store_forks": r["store_forks"], "load_store_forks": x["store_forks"]}
                                        for r, x in zip(raws, loads)]
                res["load_ratio"] = res["load"]["rows_per_s"] / res["raw_load"]["rows_per_s"]
                log(f"  ratio {res['load_ratio']:.2f}")
                res["same_graph_counts"] = counts_raw == counts_load
                if counts_raw != counts_load:
                    res["graph_counts_raw"] = counts_raw
            res["store_rss_after_load"] = rss(pid) if pid else None
            res["store_memory"] = backend.memory(LOAD_GRAPH)
            if getattr(args, "load_only", False):
                backend.drop(LOAD_GRAPH)
                return res

        # P2: the same sample of matters, each traced by raw Cypher and by
        # GraphQL over HTTP one right after the other (alternating which goes
        # first), after a warm-up pass of each.
        ids = sample_matters(folder, args.samples, args.seed)
        read = backend.reader(LOAD_GRAPH)
        token = issue_token(work)
        server = start_server(backend, LOAD_GRAPH, 1)
        servers.append(server)
        client = HttpClient("127.0.0.1", server.port, token)
        for mid in ids:
            raw_trace(read, backend.dialect, mid)
        findings = [check_trace(*client.post(trace_body(m))) for m in ids]  # every answer checked
        raw_ms, gql_ms = time_interleaved(ids, lambda m: raw_trace(read, backend.dialect, m),
                                          lambda m: client.post(trace_body(m)))
        client.close()
        res["trace_raw"] = latency(raw_ms) | {"slowest": slowest(ids, raw_ms)}
        res["trace_raw"]["round_trips"] = raw_trace(read, backend.dialect, ids[0])
        res["trace_graphql"] = latency(gql_ms) | {"slowest": slowest(ids, gql_ms)}
        res["trace_graphql"]["findings_mean"] = statistics.fmean(findings)
        res["trace_p50_ratio"] = res["trace_graphql"]["p50_ms"] / res["trace_raw"]["p50_ms"]
        # The same comparison matter by matter: the median of GraphQL ÷ raw.
        res["trace_paired_ratio_median"] = statistics.median(g / r for g, r in zip(gql_ms, raw_ms))
        log(f"  trace p50 raw {res['trace_raw']['p50_ms']:.2f} ms, GraphQL {res['trace_graphql']['p50_ms']:.2f} ms, "
            f"p99 GraphQL {res['trace_graphql']['p99_ms']:.2f} ms")

        # P6: the peer over the same Neo4j database, side by side with this
        # 1-worker service (both single processes), before P4 starts more.
        if backend.dialect == "neo4j":
            res["peer"] = run_peer(backend, folder, ids, server, token, args)

        # P4: throughput with N keep-alive clients, 1 then more workers.
        res["throughput"] = {}
        for workers in args.workers:
            if workers != server.workers:
                server = start_server(backend, LOAD_GRAPH, workers)
                servers.append(server)
                warm = HttpClient("127.0.0.1", server.port, token)
                for m in ids[:20]:
                    warm.post(trace_body(m))
                warm.close()
            tp = throughput(server.port, token, ids, args.clients, args.duration,
                            {"store": [pid] if pid else [], "service": server.pids(), "clients": [os.getpid()]})
            tp["service_peak_rss"] = server.peak_rss()
            res["throughput"][str(workers)] = tp
            log(f"  {workers} worker(s): {tp['traces_per_s']:,.0f} traces/s")
        res["service_peak_rss"] = max(sum(v or 0 for v in tp["service_peak_rss"].values())
                                      for tp in res["throughput"].values())
        res["store_peak_rss"] = peak_rss(pid) if pid else None
        for s in servers:
            s.stop()
        servers.clear()
        if bulk is not None:  # then the same data again through zeren load (the store goes with the server)
            log(f"SF {scale:g}: zeren load of the unchanged data, as a user runs it")
            res["reload_unchanged"] = neo4j_bulk.reload(bulk, folder, rows, args.reload_cap, force=False)
            log(f"  {'skipped as unchanged' if res['reload_unchanged']['skipped'] else 'not skipped'} after "
                f"{res['reload_unchanged']['seconds']:.1f} s")
            log(f"SF {scale:g}: reload of the unchanged data through zeren load --force (at most {args.reload_cap:g} s)")
            res["reload"] = neo4j_bulk.reload(bulk, folder, rows, args.reload_cap)
            log(f"  reload {'finished' if res['reload']['finished'] else 'stopped'} after "
                f"{res['reload']['seconds']:.1f} s")
        else:
            backend.drop(LOAD_GRAPH)

    finally:
        for s in servers:
            s.stop()
        backend.close()
        if bulk is not None:
            bulk.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return res
