"""The embedded (or configured FalkorDB) store's memory by part, and per input
row: ``GRAPH.MEMORY USAGE`` of the configured graph beside the server's
``used_memory`` and the graph's node and relationship counts.

Usage, on a store loaded by ``zeren load`` (``ZEREN_DATA_DIR`` / ``ZEREN_GRAPH``
as for any command)::

    python benchmarks/store_memory.py [ROWS] [--indexes]

``ROWS``: the input rows that were loaded (the load's summary prints them), to
print bytes per row. ``--indexes``: also what each index of a kind of at
least 5,000 nodes or relationships costs, measured by dropping it (and its
unique key), reading the server's memory, and creating both again (the graph
is left as it was; minutes at SF 0.01, while no other client writes).

``used_memory`` is read after ``MEMORY PURGE`` and once it holds still (the
store frees a dropped index in the background). FalkorDB's own accounting
(``by_part``) leaves out the strings held by properties; ``used_memory`` is
the figure to compare.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness.stores import graph_memory  # noqa: E402

from zeren.config import Settings  # noqa: E402
from zeren.graph.store import open_store  # noqa: E402
from zeren.graph.store.base import GraphStore  # noqa: E402
from zeren.loaders.writer import ident  # noqa: E402

MIN_ENTITIES = 5_000


def used_mb(conn: Any) -> float:
    """The server's ``used_memory`` in MiB, once two readings 1.5 s apart agree within 0.3 MiB."""
    def read() -> float:
        conn.execute_command("MEMORY", "PURGE")
        return int(conn.info("memory")["used_memory"]) / 2**20

    last = read()
    while True:
        time.sleep(1.5)
        now = read()
        if abs(now - last) < 0.3:
            return now
        last = now


def _operational(store: GraphStore) -> None:
    while any(r["status"] != "OPERATIONAL" for r in store.read("CALL db.indexes() YIELD status RETURN status")):
        time.sleep(0.5)


def index_costs(store: GraphStore, conn: Any, graph: str) -> list[dict[str, Any]]:
    """Each index of a kind with at least ``MIN_ENTITIES`` entities: MiB and bytes per entity it holds."""
    indexes = store.read("CALL db.indexes() YIELD label, properties, types, entitytype "
                         "RETURN label, properties, types, entitytype")
    unique = {(c["label"], p) for c in store.read("CALL db.constraints() YIELD type, label, properties "
                                                 "RETURN type, label, properties") if c["type"] == "UNIQUE"
              for p in c["properties"]}
    out = []
    for ix in indexes:
        # Labels and properties cannot be parameters: they are the store's own, checked as identifiers.
        label, node = ix["label"], ix["entitytype"] == "NODE"
        pattern = f"(n:{ident(label)})" if node else f"()-[n:{ident(label)}]-()"
        counted = pattern if node else f"()-[n:{ident(label)}]->()"  # each relationship once, not from both ends
        n = store.read(f"MATCH {counted} RETURN count(n) AS n")[0]["n"]
        if n < MIN_ENTITIES:
            continue
        for prop in map(ident, ix["properties"]):
            for kind in ix["types"][prop]:
                before = used_mb(conn)
                if kind == "FULLTEXT":
                    store.write("CALL db.idx.fulltext.drop($label)", {"label": label})
                    after = used_mb(conn)
                    store.write("CALL db.idx.fulltext.createNodeIndex($label, $prop)", {"label": label, "prop": prop})
                elif kind == "RANGE":
                    key = (label, prop) in unique
                    constraint = ["UNIQUE", "NODE" if node else "RELATIONSHIP", label, "PROPERTIES", "1", prop]
                    if key:
                        conn.execute_command("GRAPH.CONSTRAINT", "DROP", graph, *constraint)
                    store.write(f"DROP INDEX FOR {pattern} ON (n.{prop})")
                    after = used_mb(conn)
                    store.write(f"CREATE INDEX FOR {pattern} ON (n.{prop})")
                    if key:
                        conn.execute_command("GRAPH.CONSTRAINT", "CREATE", graph, *constraint)
                else:
                    continue
                _operational(store)
                saved = before - after
                out.append({"index": f"{label}.{prop} {kind.lower()}", "unique": (label, prop) in unique,
                            "entities": n, "mib": round(saved, 1), "bytes_per_entity": round(saved * 2**20 / n)})
                print(json.dumps(out[-1]), file=sys.stderr, flush=True)
    return out


def main(rows: int | None, indexes: bool) -> int:
    settings = Settings()
    with open_store(settings) as store:
        conn = store._db.connection  # type: ignore[attr-defined]
        usage = graph_memory(conn.execute_command("GRAPH.MEMORY", "USAGE", settings.graph_name))
        used = used_mb(conn)
        nodes = store.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
        rels = store.read("MATCH ()-[r]->() RETURN count(r) AS n")[0]["n"]
        out: dict[str, Any] = {"graph_mb": usage["total_graph_sz_mb"], "server_used_mb": round(used, 1),
                               "nodes": nodes, "relationships": rels, "by_part": usage}
        if rows:
            out["graph_bytes_per_row"] = round(usage["total_graph_sz_mb"] * 2**20 / rows)
            out["server_bytes_per_row"] = round(used * 2**20 / rows)
        if indexes:
            out["indexes"] = index_costs(store, conn, settings.graph_name)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    raise SystemExit(main(int(args[0]) if args else None, "--indexes" in sys.argv[1:]))
