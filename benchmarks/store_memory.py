"""The embedded (or configured FalkorDB) store's memory by part, and per input
row: ``GRAPH.MEMORY USAGE`` of the configured graph beside the server's
``used_memory`` and the graph's node and relationship counts.

Usage, on a store loaded by ``zeren load`` (``ZEREN_DATA_DIR`` / ``ZEREN_GRAPH``
as for any command)::

    python benchmarks/store_memory.py [ROWS]

``ROWS``: the input rows that were loaded (the load's summary prints them), to
print bytes per row.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness.stores import graph_memory  # noqa: E402

from zeren.config import Settings  # noqa: E402
from zeren.graph.store import open_store  # noqa: E402


def main(rows: int | None) -> int:
    settings = Settings()
    with open_store(settings) as store:
        conn = store._db.connection  # type: ignore[attr-defined]
        usage = graph_memory(conn.execute_command("GRAPH.MEMORY", "USAGE", settings.graph_name))
        used_mb = int(conn.info("memory")["used_memory"]) / 2**20
        nodes = store.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
    out = {"graph_mb": usage["total_graph_sz_mb"], "server_used_mb": round(used_mb, 1), "nodes": nodes,
           "by_part": usage}
    if rows:
        out["graph_bytes_per_row"] = round(usage["total_graph_sz_mb"] * 2**20 / rows)
        out["server_bytes_per_row"] = round(used_mb * 2**20 / rows)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]) if len(sys.argv) > 1 else None))
