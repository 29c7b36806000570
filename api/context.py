"""Resources of the service (created once in the app's lifespan) and the typed
per-request context, which creates its DataLoaders anew for every request."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from zeren import queries
from zeren.api.security import AuditLog, Principal, TokenStore
from zeren.graph.confidential import Protector
from zeren.config import Settings
from zeren.graph.records import Failure, HandlingStep, Institution, Person, Territory
from zeren.graph.store.base import GraphStore, Row
from zeren.graph.typed import Record
from zeren.rules.engine import Engine

R = TypeVar("R", bound=Record)


@dataclass
class Services:
    settings: Settings
    store: GraphStore
    engine: Engine
    tokens: TokenStore
    audit: AuditLog
    protector: Protector
    # Where ad hoc Cypher runs: the embedded store's replica, or None for the store itself.
    adhoc: GraphStore | None = None


async def run_query(store: GraphStore, name: str, params: dict[str, Any]) -> list[Row]:
    """Run a named query off the event loop."""
    return await run_in_threadpool(queries.run, store, name, params)


def _by_key(name: str, column: str, record: type[R], store: GraphStore) -> Callable[[list[str]], Any]:
    async def load(ids: list[str]) -> list[R | None]:
        rows = await run_query(store, name, {"ids": list(ids)})
        found = {x.id: x for x in (record.of(r[column]) for r in rows)}  # type: ignore[attr-defined]
        return [found.get(i) for i in ids]
    return load


def _grouped(name: str, group: str, column: str, record: type[R], store: GraphStore) -> Callable[[list[str]], Any]:
    async def load(ids: list[str]) -> list[list[R]]:
        rows = await run_query(store, name, {"ids": list(ids)})
        out: dict[str, list[R]] = defaultdict(list)
        for r in rows:
            out[r[group]].append(record.of(r[column]))
        return [out.get(i, []) for i in ids]
    return load


@dataclass
class Loaders:
    """Look-ups by key, batched per request; each gives the records of its kind."""

    territory: DataLoader[str, Territory | None]
    institution: DataLoader[str, Institution | None]
    person: DataLoader[str, Person | None]
    steps: DataLoader[str, list[HandlingStep]]
    failures: DataLoader[str, list[Failure]]

    @classmethod
    def create(cls, store: GraphStore) -> Loaders:
        return cls(
            territory=DataLoader(_by_key("territories_by_id", "territory", Territory, store)),
            institution=DataLoader(_by_key("institutions_by_id", "institution", Institution, store)),
            person=DataLoader(_by_key("persons_by_id", "person", Person, store)),
            steps=DataLoader(_grouped("steps_by_matter", "matter", "step", HandlingStep, store)),
            failures=DataLoader(_grouped("failures_by_matter", "matter", "failure", Failure, store)),
        )


@dataclass
class Context(BaseContext):
    services: Services
    principal: Principal
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        super().__init__()
        self.loaders = Loaders.create(self.services.store)

    @property
    def store(self) -> GraphStore:
        return self.services.store

    @property
    def engine(self) -> Engine:
        return self.services.engine
