"""Graph stores behind one port: ``open_store(settings)`` gives the configured one.

The port (:class:`GraphStore`, its results and errors) imports neither the
settings nor any engine's driver: code that only talks to a store (the rules)
imports it alone. ``open_store`` reads the settings it is given, or those of
the environment (``zeren.config``) when given none."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import (ConstraintViolation, Counters, GraphStore, QuerySyntaxError, QueryTimeout, ReadOnlyViolation,
                   ReadResult, StoreError)

__all__ = ["open_store", "open_adhoc_store", "GraphStore", "Counters", "ReadResult", "StoreError", "QuerySyntaxError", "QueryTimeout",
           "ReadOnlyViolation", "ConstraintViolation"]

if TYPE_CHECKING:
    from zeren.config import Settings


def open_store(settings: Settings | None = None) -> GraphStore:
    """Open the store the settings pick: the embedded FalkorDB (started or
    reused), an external FalkorDB by URL, or Neo4j through the official driver."""
    s = settings
    if s is None:
        from zeren.config import get_settings

        s = get_settings()
    if s.backend == "embedded":
        from .embedded import EmbeddedServer, Guards
        from .falkor import FalkorStore

        server = EmbeddedServer(s.data_dir, Guards.of(s))
        info = server.start()
        return FalkorStore(info.client(), s.graph_name, timeout_ms=s.query_timeout_ms, on_close=server.stop,
                           description=f"embedded FalkorDB in {server.root}", embedded=True)
    if s.backend == "falkordb":
        from .falkor import FalkorStore

        return FalkorStore.from_url(s.graph, s.graph_name, timeout_ms=s.query_timeout_ms)
    from .neo4j_store import Neo4jStore

    return Neo4jStore(s.graph, s.neo4j_user, s.neo4j_password, database=s.neo4j_database,
                      timeout_ms=s.query_timeout_ms)


def open_adhoc_store(settings: Settings, store: GraphStore) -> GraphStore | None:
    """The store an analyst's ad hoc Cypher runs on, when it is not ``store``
    itself: on the embedded store (``cypher_replica``, the default), a read
    replica that a watchdog kills when its memory passes its limit and starts
    again (``zeren.graph.store.replica``); while the machine lacks the memory
    for the replica, a stand-in whose queries say so. A FalkorDB by URL or
    Neo4j is the operator's to isolate. Only ``read_only`` and ``close`` are
    asked of it."""
    if settings.backend != "embedded" or not settings.cypher_replica:
        return None
    from .falkor import FalkorStore
    from .replica import open_adhoc_store as replica_store

    assert isinstance(store, FalkorStore)
    return replica_store(settings, store)  # type: ignore[return-value]
