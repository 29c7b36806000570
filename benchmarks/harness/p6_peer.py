"""P6: zeren beside the Neo4j GraphQL Library (``benchmarks/peer``) on the same database."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from zeren.graph.model import kind

from .common import LOAD_GRAPH, beside, log
from .data import csv_rows
from .p2_trace import latency, time_interleaved
from .p4_throughput import throughput
from .service import HttpClient, Server, free_port, trace_body
from .stores import Backend

peer = beside("peer")


def run_peer(backend: Backend, folder: Path, ids: list[str], server: Server, token: str,
             args: argparse.Namespace) -> dict[str, Any]:
    """zeren's full trace and the Neo4j GraphQL Library's partial one (benchmarks/peer),
    matter by matter, then each under the same clients for the same time."""
    why = peer.available()
    if why:
        log(f"  P6 peer skipped: {why}")
        return {"skipped": why}
    wanted = set(ids)
    matters = [r for r in csv_rows(folder, kind("PetitionMatter")) if r["id"] in wanted]
    proc = peer.start(backend.env(LOAD_GRAPH) | {"NEO4J_URI": os.environ["NEO4J_URI"],
                                                 "NEO4J_USER": os.environ.get("NEO4J_USER", "neo4j"),
                                                 "NEO4J_PASSWORD": os.environ.get("NEO4J_PASSWORD", ""),
                                                 "NEO4J_DATABASE": os.environ.get("NEO4J_DATABASE", "neo4j")},
                      free_port())
    try:
        z, p = HttpClient("127.0.0.1", server.port, token), HttpClient("127.0.0.1", proc.port, token)
        z_ms, p_ms, institutions = peer.side_by_side(matters, z.post, trace_body, p.post, time_interleaved)
        z.close()
        p.close()
        out: dict[str, Any] = {"zeren": latency(z_ms), "peer": latency(p_ms), "peer_institutions_mean": institutions}
        bodies = [peer.body(m) for m in matters]
        out["peer_throughput"] = throughput(proc.port, token, ids, args.clients, args.duration,
                                            {"peer": [proc.proc.pid]}, bodies=bodies)
        out["zeren_throughput"] = throughput(server.port, token, ids, args.clients, args.duration,
                                             {"service": server.pids()})
        log(f"  P6 p50 zeren {out['zeren']['p50_ms']:.2f} ms, peer {out['peer']['p50_ms']:.2f} ms; "
            f"traces/s zeren {out['zeren_throughput']['traces_per_s']:,.0f}, "
            f"peer {out['peer_throughput']['traces_per_s']:,.0f}")
        return out
    finally:
        proc.stop()
