"""A failure's accountability in process (the engine alone, no HTTP): the
process's CPU, the wall time and the store's queries per failure, with the
organisation held as the service holds it.

Failures of the dataset of ``--scale`` (under ``--data-root``) are drawn with
``--seed``; each is held to account twice and the second pass is measured (the
organisation then holds what they reach). The store is the embedded FalkorDB
of ``--store DIR`` (a data folder loaded by ``zeren load`` into the graph
``bench_load``), or the Neo4j of ``NEO4J_URI`` (``NEO4J_USER``,
``NEO4J_PASSWORD``, ``NEO4J_DATABASE``) when it is set. Run it with the Python
of each build to compare, one after the other::

    python benchmarks/accountability.py --store STORE --data-root DATA --scale 0.01

Prints one JSON line. The store's count of queries counts a batch FalkorDB
takes in one round trip as one, and each query Neo4j answers as one."""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run  # noqa: E402, F401  (loads benchmarks/harness/ as zeren_benchmarks)
from zeren_benchmarks.common import LOAD_GRAPH  # noqa: E402
from zeren_benchmarks.data import csv_rows, ensure_data  # noqa: E402
from zeren_benchmarks.stores import FalkorBackend, Neo4jBackend  # noqa: E402

from zeren.graph.model import kind  # noqa: E402
from zeren.graph.store import open_store  # noqa: E402
from zeren.rules.engine import Engine  # noqa: E402
from zeren.rules.organisation import Organisation  # noqa: E402


def main(argv: list[str] | None = None) -> dict[str, object]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--store", help="a data folder loaded into the graph bench_load (the embedded FalkorDB)")
    p.add_argument("--scale", type=float, default=0.01)
    p.add_argument("--data-root", default=str(HERE / "data"), help="generated datasets (one folder per scale)")
    p.add_argument("--samples", type=int, default=200)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)
    neo4j = bool(os.environ.get("NEO4J_URI"))
    if not neo4j and not args.store:
        raise SystemExit("--store names a data folder loaded into bench_load (or set NEO4J_URI)")
    os.environ["ZEREN_CYPHER_REPLICA"] = "false"
    folder = ensure_data(args.scale, Path(args.data_root))
    ids = [r["id"] for r in csv_rows(folder, kind("Failure"))]
    ids = random.Random(args.seed).sample(ids, min(args.samples, len(ids)))
    backend = Neo4jBackend(Path(args.store or ".")) if neo4j else FalkorBackend(Path(args.store))
    try:
        with open_store(backend.settings(LOAD_GRAPH)) as store:
            engine = Engine(store, organisation=Organisation(store))
            for f in ids:
                engine.account(f)
            queries, cpu, wall = store.round_trips.count, time.process_time(), time.perf_counter()
            for f in ids:
                engine.account(f)
            n = len(ids)
            out = {"store": store.dialect, "failures": n,
                   "queries": (store.round_trips.count - queries) / n,
                   "cpu_ms": round((time.process_time() - cpu) * 1000 / n, 3),
                   "wall_ms": round((time.perf_counter() - wall) * 1000 / n, 3),
                   "load_average": [round(x, 2) for x in os.getloadavg()]}
    finally:
        backend.close()
    print(json.dumps(out), flush=True)
    return out


if __name__ == "__main__":
    main()
