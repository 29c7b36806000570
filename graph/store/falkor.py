"""FalkorDB adapter (the embedded default, or an external server by URL)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import unquote, urlparse

from falkordb import FalkorDB
from falkordb.edge import Edge
from falkordb.node import Node
from falkordb.path import Path
from redis.exceptions import AuthenticationError as RedisAuthenticationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from .base import (ConstraintViolation, Counters, GraphStore, QuerySyntaxError, QueryTimeout, ReadOnlyViolation,
                   ReadResult, Row, StoreError, plain_rows)


_SCALARS = frozenset({str, int, float, bool, type(None), date, datetime})


def to_plain(v: Any) -> Any:
    # Dispatch on the exact type, scalars first: this runs for every value of
    # every row (a trace reads about 700 maps), so it must not walk a chain of
    # isinstance checks for each string.
    t = type(v)
    if t in _SCALARS:
        return v
    if isinstance(v, dict):
        return {k: x if type(x) in _SCALARS else to_plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [x if type(x) in _SCALARS else to_plain(x) for x in v]
    if isinstance(v, Node):
        return {"_labels": list(v.labels or []), **{k: to_plain(x) for k, x in v.properties.items()}}
    if isinstance(v, Edge):
        return {"_type": v.relation, **{k: to_plain(x) for k, x in v.properties.items()}}
    if isinstance(v, Path):
        out: list[Any] = []
        nodes, edges = v.nodes(), v.edges()
        for i, n in enumerate(nodes):
            out.append(to_plain(n))
            if i < len(edges):
                out.append(to_plain(edges[i]))
        return out
    return v


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The FalkorDB client writes parameters into a CYPHER prefix; it cannot
    quote dates, so they go as ISO strings (queries wrap them in ``date()``).
    Scalars, nearly every value of a loader's batch, pass without a call."""
    if not params:
        return None

    def conv(v: Any) -> Any:
        if isinstance(v, date):
            return v.isoformat()
        if isinstance(v, Mapping):
            return {k: x if type(x) in _PLAIN else conv(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [x if type(x) in _PLAIN else conv(x) for x in v]
        return v

    return {k: v if type(v) in _PLAIN else conv(v) for k, v in params.items()}


_TIMEOUT = re.compile(r"timed? ?out", re.I)
_WRITE_REFUSED = re.compile(r"read-only|read only", re.I)
_CONSTRAINT = re.compile(r"constraint|unique", re.I)


def _missing_graph(e: ResponseError) -> bool:
    """FalkorDB's answer to a read-only query on a graph key that does not exist."""
    return "empty key" in str(e).lower()


def _translate(e: ResponseError) -> StoreError:
    msg = str(e)
    if "TIMEOUT_MAX" in msg:
        # Not a timeout: the timeout asked for is above the server's ceiling.
        return StoreError(f"the query's timeout is above the server's ceiling (TIMEOUT_MAX): {msg}")
    if _TIMEOUT.search(msg):
        return QueryTimeout(f"query timed out: {msg}")
    if _WRITE_REFUSED.search(msg):
        return ReadOnlyViolation(f"refused: only read queries are allowed ({msg})")
    if "already" not in msg and _CONSTRAINT.search(msg) and "violat" in msg.lower():
        return ConstraintViolation(msg)
    if re.search(r"error|invalid|unknown|expected|not defined|unexpected", msg, re.I):
        return QuerySyntaxError(msg)
    return StoreError(msg)


class FalkorStore(GraphStore):
    dialect = "falkordb"

    def __init__(self, client: FalkorDB, graph_name: str, *, description: str, timeout_ms: int,
                 on_close: Any = None) -> None:
        super().__init__()
        self._db = client
        self._graph_name = graph_name
        self._g = client.select_graph(graph_name)
        self._timeout_ms = timeout_ms
        self._on_close = on_close
        self.description = description

    @classmethod
    def from_url(cls, url: str, graph_name: str, *, timeout_ms: int) -> FalkorStore:
        u = urlparse(url)
        password = unquote(u.password) if u.password else None
        username = unquote(u.username) if u.username else None
        shown = f"{u.scheme}://{u.hostname or ''}{':' + str(u.port) if u.port else ''}{u.path if u.scheme == 'unix' else ''}"
        try:
            if u.scheme == "unix":
                client = FalkorDB(unix_socket_path=u.path, password=password, username=username)
            else:
                client = FalkorDB(host=u.hostname or "localhost", port=u.port or 6379, password=password,
                                  username=username, ssl=u.scheme in ("falkordbs", "rediss"))
        except RedisAuthenticationError as e:
            raise StoreError(f"FalkorDB at {shown} refused the credentials in the URL") from e
        except RedisConnectionError as e:
            raise StoreError(f"FalkorDB at {shown} is not reachable: {e}") from e
        return cls(client, graph_name, description=f"FalkorDB at {shown}", timeout_ms=timeout_ms)

    def _run(self, query: str, params: Mapping[str, Any] | None, *, timeout_ms: int | None, ro: bool) -> Any:
        """Send one query; a read of a graph that does not exist yet (never
        written, or cleared) creates it empty and runs again, so the query gets
        its real answer: its columns, its syntax error or its refusal."""
        self.round_trips.tick()
        try:
            return self._send(query, params, timeout_ms=timeout_ms, ro=ro)
        except ResponseError as e:
            if not _missing_graph(e):
                raise _translate(e) from e
        self._create_empty_graph()
        try:
            return self._send(query, params, timeout_ms=timeout_ms, ro=ro)
        except ResponseError as e:
            raise _translate(e) from e

    def _send(self, query: str, params: Mapping[str, Any] | None, *, timeout_ms: int | None, ro: bool) -> Any:
        fn = self._g.ro_query if ro else self._g.query
        try:
            return fn(query, _params(params), timeout=timeout_ms or self._timeout_ms)
        except RedisConnectionError as e:
            raise StoreError(f"{self.description} is not reachable: {e}") from e

    def _create_empty_graph(self) -> None:
        """FalkorDB creates a graph on its first (non read-only) query."""
        try:
            self._send("RETURN 0", None, timeout_ms=None, ro=False)
        except ResponseError as e:
            raise _translate(e) from e

    def read(self, query: str, params: Mapping[str, Any] | None = None, *,
             timeout_ms: int | None = None) -> list[Row]:
        res = self._run(query, params, timeout_ms=timeout_ms, ro=True)
        columns = [h[1] if isinstance(h, (list, tuple)) else h for h in (res.header or [])]
        columns = [c.decode() if isinstance(c, bytes) else c for c in columns]
        return plain_rows(columns, res.result_set, to_plain)

    def read_only(self, query: str, params: Mapping[str, Any] | None = None, *,
                  timeout_ms: int, max_rows: int) -> ReadResult:
        res = self._run(query, params, timeout_ms=timeout_ms, ro=True)
        columns = [h[1] if isinstance(h, (list, tuple)) else h for h in (res.header or [])]
        columns = [c.decode() if isinstance(c, bytes) else c for c in columns]
        rows = res.result_set or []
        truncated = len(rows) > max_rows
        return ReadResult(columns, [[to_plain(v) for v in r] for r in rows[:max_rows]], truncated)

    def write(self, query: str, params: Mapping[str, Any] | None = None) -> Counters:
        res = self._run(query, params, timeout_ms=None, ro=False)
        return Counters(
            nodes_created=int(res.nodes_created or 0),
            nodes_deleted=int(res.nodes_deleted or 0),
            relationships_created=int(res.relationships_created or 0),
            relationships_deleted=int(res.relationships_deleted or 0),
            properties_set=int(res.properties_set or 0),
        )

    def _index(self, query: str) -> None:
        try:
            self._g.query(query)
        except ResponseError as e:
            if "already indexed" not in str(e):
                raise _translate(e) from e

    def ensure_index(self, label: str, prop: str) -> None:
        self._index(f"CREATE INDEX FOR (n:{label}) ON (n.{prop})")

    def ensure_rel_index(self, rel_type: str, prop: str) -> None:
        self._index(f"CREATE INDEX FOR ()-[r:{rel_type}]-() ON (r.{prop})")

    def ensure_unique(self, label: str, prop: str) -> None:
        self.ensure_index(label, prop)
        try:
            self._db.connection.execute_command(
                "GRAPH.CONSTRAINT", "CREATE", self._graph_name, "UNIQUE", "NODE", label, "PROPERTIES", "1", prop)
        except ResponseError as e:
            if "already exists" not in str(e):
                raise _translate(e) from e

    def ping(self) -> bool:
        try:
            return bool(self._db.connection.ping())
        except Exception:
            return False

    def clear(self) -> None:
        try:
            self._g.delete()
        except ResponseError as e:
            if "empty key" not in str(e).lower() and "invalid graph" not in str(e).lower():
                raise _translate(e) from e
        self._g = self._db.select_graph(self._graph_name)

    def close(self) -> None:
        try:
            self._db.connection.close()
        finally:
            if self._on_close:
                self._on_close()
