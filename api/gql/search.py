"""Search: one text over matters (id, title), persons (name), institutions
(name) and territories (name, division code), through the store's full-text
index (see ``zeren.graph.search``), with offset cursors."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass
from enum import Enum
from typing import Any

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from zeren import queries
from zeren.api.context import Context
from zeren.graph import search as fulltext
from zeren.graph.store.base import GraphStore
from zeren.rules.engine import EngineError

MAX_OFFSET = 1000  # results a search pages through at most

SearchKind = strawberry.enum(Enum("SearchKind", {k: k for k in fulltext.KINDS}),  # type: ignore[misc]
                             description="What a search looks for: matters (id, title), persons (name), "
                                         "institutions (name), territories (name, division code)")


@dataclass(frozen=True)
class Hit:
    kind: str
    id: str
    name: str
    score: float
    received_on: dt.date | None
    territory: str | None
    level: str | None


def find(store: GraphStore, text: str, kinds: list[str] | None = None, first: int = 20,
         offset: int = 0) -> tuple[list[Hit], bool]:
    """One page of hits for ``text`` (every kind when ``kinds`` is empty), best
    first, and whether there are more. An id or a name equal to the text comes
    first; then the index's score."""
    try:
        q = fulltext.query_text(text)
    except fulltext.SearchError as e:
        raise EngineError(str(e)) from None
    if store.dialect == "falkordb":
        q = fulltext.falkordb_query_text(text)
    wanted = [k for k in fulltext.KINDS if not kinds or k in kinds]
    limit = offset + first + 1
    results = queries.run_many(store, [("search", {"label": fulltext.KINDS[k][0], "text": q, "limit": limit})
                                       for k in wanted])
    exact = text.strip().lower()
    hits = [Hit(kind=k, id=r["id"], name=r.get("name") or r["id"], score=float(r.get("score") or 0.0),
                received_on=r.get("received_on"), territory=r.get("territory"), level=r.get("level"))
            for k, rows in zip(wanted, results) for r in rows]
    order = list(fulltext.KINDS)
    hits.sort(key=lambda h: (not (h.id.lower() == exact or h.name.lower() == exact), -h.score,
                             order.index(h.kind), h.id))
    page = hits[offset:offset + first]
    return page, len(hits) > offset + first


def encode_offset(n: int) -> str:
    return base64.urlsafe_b64encode(f"search|{n}".encode()).decode()


def decode_offset(cursor: str) -> int:
    try:
        tag, n = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        if tag != "search" or not n.isdigit():
            raise ValueError
        return int(n)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise EngineError(f"cursor {cursor[:40]!r} is not one this service issued") from None


@strawberry.type(description="A node a search found.")
class SearchHit:
    kind: SearchKind  # type: ignore[valid-type]
    id: strawberry.ID
    name: str = strawberry.field(description="the matter's title, or the name")
    score: float = strawberry.field(description="the full-text index's score (higher is better)")
    received_on: dt.date | None = strawberry.field(description="a matter's date received")
    territory: strawberry.ID | None = strawberry.field(description="a matter's territory")
    level: str | None = strawberry.field(description="an institution's or territory's level")

    @staticmethod
    def of(h: Hit) -> SearchHit:
        return SearchHit(kind=SearchKind[h.kind], id=strawberry.ID(h.id), name=h.name, score=h.score,  # type: ignore[misc]
                         received_on=h.received_on, territory=strawberry.ID(h.territory) if h.territory else None,
                         level=h.level)


@strawberry.type
class SearchEdge:
    cursor: str
    node: SearchHit


@strawberry.type
class SearchPageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="A page of search hits, best first.")
class SearchConnection:
    edges: list[SearchEdge]
    page_info: SearchPageInfo


async def search(info: Info[Context, None], text: str, kinds: list[SearchKind] | None = None,  # type: ignore[valid-type]
                 first: int = 20, after: str | None = None) -> SearchConnection:
    cap = info.context.services.settings.graphql_page_max
    if not 1 <= first <= cap:
        raise EngineError(f"first must be between 1 and {cap}")
    offset = decode_offset(after) if after else 0
    if offset + first > MAX_OFFSET:
        raise EngineError(f"a search pages through its first {MAX_OFFSET} hits; narrow the text or the kinds")
    names: list[Any] = [k.value for k in kinds] if kinds else []
    hits, more = await run_in_threadpool(find, info.context.store, text, names, first, offset)
    edges = [SearchEdge(cursor=encode_offset(offset + i + 1), node=SearchHit.of(h)) for i, h in enumerate(hits)]
    return SearchConnection(edges=edges, page_info=SearchPageInfo(has_next_page=more,
                                                                  end_cursor=edges[-1].cursor if edges else None))
