"""Named, parameterised Cypher queries: one file per question, written once in
the subset of Cypher that both FalkorDB and Neo4j run.

A dialect difference, where one is unavoidable, is a sibling file
``<name>.<dialect>.cypher`` that overrides ``<name>.cypher`` for that engine;
there are no other copies of queries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from importlib import resources
from typing import Any

from zeren.graph.store.base import GraphStore, Row


@lru_cache(maxsize=None)
def text(name: str, dialect: str = "neo4j") -> str:
    """The query text of ``name`` for ``dialect``; comment lines are kept (both engines accept ``//``)."""
    root = resources.files(__name__)
    special = root / f"{name}.{dialect}.cypher"
    path = special if special.is_file() else root / f"{name}.cypher"
    if not path.is_file():
        raise KeyError(f"no named query {name!r}")
    return path.read_text(encoding="utf-8")


def names() -> list[str]:
    return sorted({p.name.split(".")[0] for p in resources.files(__name__).iterdir() if p.name.endswith(".cypher")})


def run(store: GraphStore, name: str, params: Mapping[str, Any] | None = None) -> list[Row]:
    """Run the named read query with parameters (never string-built)."""
    return store.read(text(name, store.dialect), params or {})


def run_many(store: GraphStore, requests: Sequence[tuple[str, Mapping[str, Any] | None]]) -> list[list[Row]]:
    """Run independent named read queries together (one round trip where the
    engine allows it); the rows of each, in order."""
    return store.read_many([(text(name, store.dialect), params or {}) for name, params in requests])


def run_concurrently(store: GraphStore, requests: Sequence[tuple[str, Mapping[str, Any] | None]], *,
                     workers: int = 2) -> list[list[Row]]:
    """Run independent named read queries each as its own request, ``workers``
    of them at a time, so that the store runs them in parallel (FalkorDB runs
    the queries of different connections on its thread pool, one thread per
    core; ``run_many`` sends them down one connection, where they run one after
    the other); the rows of each, in order. They start in the order given:
    give the costliest first. The first failed query's error is raised."""
    if workers < 2 or len(requests) < 2:
        return run_many(store, requests)
    with ThreadPoolExecutor(min(workers, len(requests)), thread_name_prefix="zeren-read") as pool:
        return list(pool.map(lambda r: run(store, r[0], r[1]), requests))
