"""The small port the rest of zeren uses to talk to a graph store.

Whichever engine answers, results come back as plain Python values: dates as
``datetime.date``, nodes as mappings with ``_labels`` and their properties,
relationships as mappings with ``_type`` and their properties, paths as lists
alternating node and relationship mappings.
"""

from __future__ import annotations

import re
import threading
from abc import ABC, abstractmethod
from contextlib import contextmanager
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

Row = dict[str, Any]


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def ident(name: str | None) -> str:
    """A label, relationship type or property name, checked to be a plain
    identifier: Cypher takes values as parameters but not these, so every
    query text that names one (the stores' schema statements, the loader's
    queries) names it through this check."""
    if name is None or not _IDENT.fullmatch(name):
        raise ValueError(f"not a plain identifier: {name!r}")
    return name


class StoreError(Exception):
    """A store could not be reached or refused a query."""


class QuerySyntaxError(StoreError):
    """The query text is not valid Cypher for this engine."""


class QueryTimeout(StoreError):
    """The query ran past its timeout and was stopped."""


class QueryMemoryExceeded(StoreError):
    """The query needed more memory than the store allows one query, and was stopped."""


class ReadOnlyViolation(StoreError):
    """A write or an administrative statement was sent through a read-only call."""


class ConstraintViolation(StoreError):
    """A write would break a unique key."""


@dataclass
class Counters:
    nodes_created: int = 0
    nodes_deleted: int = 0
    relationships_created: int = 0
    relationships_deleted: int = 0
    properties_set: int = 0

    def __iadd__(self, other: Counters) -> Counters:
        self.nodes_created += other.nodes_created
        self.nodes_deleted += other.nodes_deleted
        self.relationships_created += other.relationships_created
        self.relationships_deleted += other.relationships_deleted
        self.properties_set += other.properties_set
        return self


@dataclass
class ReadResult:
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool = False


@dataclass
class RoundTrips:
    """Counts queries sent, per thread-safe counter (used to prove no N+1)."""

    count: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def tick(self) -> None:
        with self._lock:
            self.count += 1


def batched(rows: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[Mapping[str, Any]]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


class GraphStore(ABC):
    """Port to a graph engine. ``dialect`` is ``"falkordb"`` or ``"neo4j"``."""

    dialect: str
    description: str

    def __init__(self) -> None:
        self.round_trips = RoundTrips()

    # -- reading -----------------------------------------------------------------
    @abstractmethod
    def read(self, query: str, params: Mapping[str, Any] | None = None, *,
             timeout_ms: int | None = None) -> list[Row]:
        """Run a read query of zeren's own; rows as dicts of plain values."""

    def read_many(self, requests: Sequence[tuple[str, Mapping[str, Any] | None]]) -> list[list[Row]]:
        """Run several independent read queries of zeren's own; the rows of each,
        in order. An engine that can send them together (FalkorDB: one
        pipelined write, one round trip) overrides this; here they go one by one."""
        return [self.read(q, p) for q, p in requests]

    @abstractmethod
    def read_only(self, query: str, params: Mapping[str, Any] | None = None, *,
                  timeout_ms: int, max_rows: int) -> ReadResult:
        """Run an untrusted query with read-only mode enforced by the server,
        a timeout, and at most ``max_rows`` rows kept."""

    # -- writing -----------------------------------------------------------------
    @abstractmethod
    def write(self, query: str, params: Mapping[str, Any] | None = None) -> Counters:
        """Run one write query atomically."""

    def write_batches(self, query: str, rows: Iterable[Mapping[str, Any]], *, batch_size: int = 10_000,
                      on_batch: Callable[[int], None] | None = None) -> Counters:
        """Run ``query`` (which reads ``$rows``) once per batch of rows."""
        total = Counters()
        for chunk in batched(rows, batch_size):
            total += self.write(query, {"rows": chunk})
            if on_batch:
                on_batch(len(chunk))
        return total

    @contextmanager
    def bulk_writes(self) -> Iterator[None]:
        """Many writes follow (a load): a store may put off its own upkeep
        that they would set off again and again until they end. Nothing
        changes here; the embedded FalkorDB overrides it."""
        yield

    # -- schema ------------------------------------------------------------------
    @abstractmethod
    def ensure_unique(self, label: str, prop: str) -> None:
        """Index and unique key on a node label's property; idempotent."""

    @abstractmethod
    def drop_unique(self, label: str, prop: str) -> None:
        """Drop the unique key and index on a node label's property, if there
        are any; idempotent (``zeren.graph.schema`` drops those of the kinds a
        store keeps no key index for)."""

    @abstractmethod
    def ensure_rel_index(self, rel_type: str, prop: str) -> None:
        """Index on a relationship type's property; idempotent."""

    @abstractmethod
    def ensure_index(self, label: str, prop: str) -> None:
        """Plain index on a node label's property; idempotent."""

    # -- life --------------------------------------------------------------------
    @abstractmethod
    def ping(self) -> bool: ...

    @abstractmethod
    def close(self) -> None: ...

    def clear(self) -> None:
        """Delete every node and relationship (tests and benchmarks only)."""
        self.write("MATCH (n) DETACH DELETE n")

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
