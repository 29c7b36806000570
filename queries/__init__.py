"""Named, parameterised Cypher queries: one file per question, written once in
the subset of Cypher that both FalkorDB and Neo4j run.

A dialect difference, where one is unavoidable, is a sibling file
``<name>.<dialect>.cypher`` that overrides ``<name>.cypher`` for that engine;
there are no other copies of queries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
