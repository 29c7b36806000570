"""FalkorDB adapter (the embedded default, or an external server by URL)."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse

from falkordb import FalkorDB
from falkordb.edge import Edge
from falkordb.graph import Graph
from falkordb.node import Node
from falkordb.path import Path
from falkordb.query_result import parse_scalar
from redis.exceptions import AuthenticationError as RedisAuthenticationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from zeren.graph.adhoc import ROW_CAP_PARAM, AdHocRefused, bare_procedure_call, in_query_order, with_row_cap

from .base import (ConstraintViolation, Counters, GraphStore, QuerySyntaxError, QueryMemoryExceeded, QueryTimeout,
                   ReadOnlyViolation, ReadResult, Row, StoreError, ident)


T = TypeVar("T")
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


# ----------------------------------------------------------------------------- replies
#
# A read's reply in FalkorDB's compact format is converted straight to plain
# values: every cell is [type, value]. The client's own parser builds its
# objects first (an OrderedDict per map, a call per string) and ``to_plain``
# then walked them again; this one pass costs half as much (measured on the
# replies of 100 traces: 0.61-0.68 ms a trace against 0.30). The types zeren's
# queries return are converted here; any other (nodes, relationships, paths,
# points, times, durations, vectors: they need the graph's schema or are
# rare) goes through the client's parser, then ``to_plain``.

_EPOCH = date(1970, 1, 1)


def _text(v: Any) -> Any:
    return v.decode() if type(v) is bytes else v


def _cell(c: list[Any], graph: Graph) -> Any:
    convert = _CELL.get(c[0])
    if convert is None:
        return to_plain(parse_scalar(c, graph))
    return convert(c[1], graph)


_CELL: dict[int, Callable[[Any, Graph], Any]] = {
    1: lambda v, g: None,
    2: lambda v, g: _text(v),
    3: lambda v, g: int(v),
    4: lambda v, g: _text(v) == "true",
    5: lambda v, g: float(v),
    6: lambda v, g: [_cell(x, g) for x in v],
    10: lambda v, g: {_text(v[i]): _cell(v[i + 1], g) for i in range(0, len(v), 2)},
    13: lambda v, g: datetime.fromtimestamp(v, tz=timezone.utc),
    14: lambda v, g: _EPOCH + timedelta(seconds=v),
}


def _params_header(params: Mapping[str, Any] | None) -> str:
    """The ``CYPHER name=value ...`` prefix of a query's parameters (see
    ``param_text``)."""
    if not params:
        return ""
    return "CYPHER " + "".join([f"{name}={param_text(v)} " for name, v in params.items()])


class _Keys(dict[Any, str]):
    """Map keys as the parameter header writes them: backquoted, then a colon;
    the text of each string key made once."""

    def __missing__(self, k: Any) -> str:
        name = k.decode() if isinstance(k, bytes) else str(k)
        if not name or "`" in name:
            # FalkorDB's parameter parser has no escape for a backquote in a name.
            raise UnsendableValue(f"a map key in a parameter is empty or holds a backquote: {name!r}")
        text = f"`{name}`:"
        if type(k) is str and len(self) < 10_000:
            self[k] = text
        return text


_KEY = _Keys()


def param_text(v: Any) -> str:
    """A parameter value as FalkorDB's parameter header carries it: the text
    the falkordb client's ``stringify_param_value`` writes (strings
    double-quoted with backslashes and double quotes escaped, every other code
    point as itself; maps with backquoted keys; ``null``), except that dates
    go as quoted ISO strings (queries wrap them in ``date()``), booleans as
    ``true``/``false``, and what the client would write as text the server
    cannot read is refused: non-finite floats, map keys that are empty or hold
    a backquote, values of other types.

    Strings and nulls, nearly every value of a loader's batch, are written
    inline in one comprehension per map or list: the client's conversion (a
    chain of ``isinstance`` and a call per value) took twice as long, a
    quarter of a load's CPU."""
    t = type(v)
    if t is str:
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if v is None:
        return "null"
    if t is int:
        return int.__repr__(v)
    if t is dict:
        return "{" + ",".join([_KEY[k] + ('"' + x.replace("\\", "\\\\").replace('"', '\\"') + '"' if type(x) is str
                                          else "null" if x is None else param_text(x))
                               for k, x in v.items()]) + "}"
    if t is list or t is tuple:
        return "[" + ",".join(['"' + x.replace("\\", "\\\\").replace('"', '\\"') + '"' if type(x) is str
                               else "null" if x is None else param_text(x) for x in v]) + "]"
    if t is bool:
        return "true" if v else "false"
    return _other_text(v)


def _other_text(v: Any) -> str:
    """Floats, dates, subclasses of the plain types, other mappings and sequences."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return int.__repr__(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise UnsendableValue(f"a parameter holds {v!r}, which FalkorDB's query text cannot carry")
        return float.__repr__(v)
    if isinstance(v, str):
        return param_text(str.__str__(v))
    if isinstance(v, date):  # and datetime: the client cannot quote them
        return param_text(v.isoformat())
    if isinstance(v, bytes):
        return param_text(v.decode())
    if isinstance(v, Mapping):
        return param_text(dict(v))
    if isinstance(v, (list, tuple)):
        return param_text(list(v))
    raise UnsendableValue(f"a parameter holds a value of type {type(v).__name__}, which has no Cypher literal")


class UnsendableValue(StoreError):
    """A parameter holds a character that FalkorDB's query text cannot carry."""


def _query_text(query: str, params: Mapping[str, Any] | None) -> str:
    """The query with its parameters written in front, as the client writes
    them: strings double-quoted, backslashes and double quotes escaped (every
    other code point round-trips as itself). A NUL cannot be sent: the server
    ends the query text at it, so it is refused here rather than run as a
    truncated query. (A lone surrogate cannot be encoded: see ``_run``.)"""
    text = _params_header(params) + query
    if "\x00" in text:
        raise UnsendableValue("a parameter holds a NUL character (U+0000), which FalkorDB cannot store")
    return text


def read_reply(reply: list[Any], graph: Graph) -> tuple[list[str], list[list[Any]]]:
    """Columns and rows of plain values from a compact read reply (raises the
    error a failed query returns inside its reply)."""
    if isinstance(reply[0], ResponseError):
        raise reply[0]
    if isinstance(reply[-1], ResponseError):
        raise reply[-1]
    if len(reply) == 1 or not reply[0]:  # statistics only: nothing returned
        return [], []
    columns = [_text(h[1]) if isinstance(h, (list, tuple)) else _text(h) for h in reply[0]]
    return columns, [[_cell(c, graph) for c in row] for row in reply[1]]


def _dicts(columns: list[str], rows: list[list[Any]]) -> list[Row]:
    return [dict(zip(columns, r, strict=True)) for r in rows]


_TIMEOUT = re.compile(r"timed? ?out", re.I)
_WRITE_REFUSED = re.compile(r"read-only|read only", re.I)
_CONSTRAINT = re.compile(r"constraint|unique", re.I)
_MEMORY = re.compile(r"mem consumption exceeded capacity", re.I)
# What FalkorDB says when RETURN * (of the row cap's wrap) follows a
# procedure call that yields nothing by name.
_NOTHING_IN_SCOPE = "RETURN * is not allowed when there are no variables in scope"


def _busy(e: ResponseError) -> bool:
    """The server refused the command unrun: its main thread is held (a fork
    being prepared, a long script)."""
    return str(e).startswith("BUSY")


def _missing_graph(e: ResponseError) -> bool:
    """FalkorDB's answer to a read-only query on a graph key that does not exist."""
    return "empty key" in str(e).lower()


def _translate(e: ResponseError) -> StoreError:
    msg = str(e)
    if _busy(e):
        return StoreError(f"the store stayed busy for longer than the query timeout and refused the query: {msg}")
    if "TIMEOUT_MAX" in msg:
        # Not a timeout: the timeout asked for is above the server's ceiling.
        return StoreError(f"the query's timeout is above the server's ceiling (TIMEOUT_MAX): {msg}")
    if _TIMEOUT.search(msg):
        return QueryTimeout(f"query timed out: {msg}")
    if _MEMORY.search(msg):
        return QueryMemoryExceeded(f"the query needed more memory than the store's per-query capacity: {msg}")
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
                 on_close: Any = None, embedded: bool = False) -> None:
        super().__init__()
        self._db = client
        self._graph_name = graph_name
        self._g = client.select_graph(graph_name)
        self._timeout_ms = timeout_ms
        self._on_close = on_close
        self.description = description
        self._embedded = embedded  # the server is zeren's own (its configuration too)
        # Commands the server refused with BUSY and that were sent again.
        self.busy_waits = 0

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

    def _run(self, send: Callable[[], T]) -> T:
        """One round trip: ``send()``, its error translated. A read of a graph
        that does not exist yet (never written, or cleared) creates it empty
        and runs again, so the query gets its real answer: its columns, its
        syntax error or its refusal."""
        self.round_trips.tick()
        try:
            return self._unless_busy(send)
        except UnicodeEncodeError as e:
            raise UnsendableValue(f"a parameter holds {e.object[e.start:e.end]!r}, which is not valid Unicode "
                                  "text (a lone surrogate) and cannot be sent") from e
        except ResponseError as e:
            if not _missing_graph(e):
                raise _translate(e) from e
        self._create_empty_graph()
        try:
            return self._unless_busy(send)
        except ResponseError as e:
            raise _translate(e) from e

    def _unless_busy(self, send: Callable[[], T]) -> T:
        """``send()``, sent again while the server answers ``BUSY``.

        The server refuses a command with ``BUSY`` when its main thread has
        been held longer than its ``busy-reply-threshold``. FalkorDB 4.16 holds
        it while it prepares a fork (for the append-only file's rewrite), for
        seconds on a large graph under writes: seen at SF 0.3 in the
        benchmarks, where a load stopped on ``BUSY preparing to fork``. A
        refused command has not run, so sending it again is safe for writes
        too. It is sent again for as long as the store's query timeout, then
        the refusal is the error (docs/benchmarks.md, change 19)."""
        deadline = time.monotonic() + self._timeout_ms / 1000
        pause = 0.01
        while True:
            try:
                return send()
            except ResponseError as e:
                if not _busy(e) or time.monotonic() + pause > deadline:
                    raise
            self.busy_waits += 1
            time.sleep(pause)
            pause = min(pause * 2, 0.5)

    def _send(self, query: str, params: Mapping[str, Any] | None) -> Any:
        """A write, through the client (its result carries the counters)."""
        try:
            return self._g.query(_query_text(query, params), None, timeout=self._timeout_ms)
        except RedisConnectionError as e:
            raise StoreError(f"{self.description} is not reachable: {e}") from e

    def _ro_command(self, query: str, params: Mapping[str, Any] | None, timeout_ms: int | None) -> tuple[Any, ...]:
        """A read-only query (``GRAPH.RO_QUERY``: the server refuses writes), compact reply."""
        return ("GRAPH.RO_QUERY", self._graph_name, _query_text(query, params), "--compact", "timeout",
                timeout_ms or self._timeout_ms)

    def _fetch(self, query: str, params: Mapping[str, Any] | None,
               timeout_ms: int | None) -> tuple[list[str], list[list[Any]]]:
        """One read, its reply converted in one pass (see ``read_reply``)."""
        try:
            reply = self._g.execute_command(*self._ro_command(query, params, timeout_ms))
        except RedisConnectionError as e:
            raise StoreError(f"{self.description} is not reachable: {e}") from e
        return read_reply(reply, self._g)

    def _fetch_many(self, requests: Sequence[tuple[str, Mapping[str, Any] | None]]) -> list[tuple[list[str], list[list[Any]]]]:
        """Several reads in one pipelined write; the first failed one's error is raised."""
        pipe = self._db.connection.pipeline(transaction=False)
        for query, params in requests:
            pipe.execute_command(*self._ro_command(query, params, None))
        try:
            replies = pipe.execute(raise_on_error=False)
        except RedisConnectionError as e:
            raise StoreError(f"{self.description} is not reachable: {e}") from e
        for reply in replies:
            if isinstance(reply, ResponseError):
                raise reply
        return [read_reply(reply, self._g) for reply in replies]

    def _create_empty_graph(self) -> None:
        """FalkorDB creates a graph on its first (non read-only) query."""
        try:
            self._unless_busy(lambda: self._send("RETURN 0", None))
        except ResponseError as e:
            raise _translate(e) from e

    def read(self, query: str, params: Mapping[str, Any] | None = None, *,
             timeout_ms: int | None = None) -> list[Row]:
        return _dicts(*self._run(lambda: self._fetch(query, params, timeout_ms)))

    def read_many(self, requests: Sequence[tuple[str, Mapping[str, Any] | None]]) -> list[list[Row]]:
        """The queries go to the server in one pipelined write (one round trip),
        each as its own ``GRAPH.RO_QUERY``; the server runs them one after the
        other. The first failed query's error is raised."""
        if len(requests) < 2:
            return super().read_many(requests)
        return [_dicts(*answer) for answer in self._run(lambda: self._fetch_many(requests))]

    def read_only(self, query: str, params: Mapping[str, Any] | None = None, *,
                  timeout_ms: int, max_rows: int) -> ReadResult:
        """The query runs inside ``CALL { ... } RETURN * LIMIT $cap`` with a
        cap of ``max_rows + 1``: the store stops producing rows there, so no
        more than one row past the cap is ever sent or held (the columns come
        back in the query's order, see ``zeren.graph.adhoc``)."""
        if ROW_CAP_PARAM in (params or {}):
            raise QuerySyntaxError(f"the parameter name ${ROW_CAP_PARAM} is reserved for the row cap")
        try:
            wrapped = with_row_cap(query)
        except AdHocRefused as e:
            raise QuerySyntaxError(str(e)) from None
        capped = {**(params or {}), ROW_CAP_PARAM: max_rows + 1}
        try:
            columns, rows = self._run(lambda: self._fetch(wrapped, capped, timeout_ms))
        except StoreError as e:
            if _NOTHING_IN_SCOPE not in str(e):
                raise
            if bare_procedure_call(query):
                raise QuerySyntaxError("a procedure call needs YIELD ... RETURN ... here, so that its rows can be "
                                       "capped") from e
            # No RETURN and no procedure: a write, which the server refuses
            # read-only with its own message, or no valid query at all.
            columns, rows = self._run(lambda: self._fetch(query, params, timeout_ms))
        columns, rows = in_query_order(query, columns, rows)
        return ReadResult(columns, rows[:max_rows], len(rows) > max_rows)

    def write(self, query: str, params: Mapping[str, Any] | None = None) -> Counters:
        res = self._run(lambda: self._send(query, params))
        return Counters(
            nodes_created=int(res.nodes_created or 0),
            nodes_deleted=int(res.nodes_deleted or 0),
            relationships_created=int(res.relationships_created or 0),
            relationships_deleted=int(res.relationships_deleted or 0),
            properties_set=int(res.properties_set or 0),
        )

    @contextmanager
    def bulk_writes(self) -> Iterator[None]:
        """On the embedded server: no automatic rewrite of the append-only
        file while a load writes; the setting of the server's configuration
        again afterwards, when the server starts the rewrite that is due.

        Each rewrite forks the server, holds its main thread while FalkorDB
        prepares the fork (0.3-1.1 s at SF 0.01 under a load, longer as the
        graph grows) and writes the whole graph again in the child, another
        core's worth of work: a load from empty set off one each time the file
        doubled, 8 at SF 0.01, for about as much CPU as the load's own writes.
        Deferred, the writes are appended as before (every write is as durable
        as before) and the rewrite that is due follows a load that finished,
        waited for: left to the server, it did not happen when the load's own
        server stopped with the load, and the next start replayed every write
        of the load as a query (35 minutes for SF 0.01 on a busy machine). A
        load killed in between leaves rewrites off until the next load ends or
        the server restarts (the file only grows meanwhile). A server by URL
        is the operator's: left as it is."""
        if not self._embedded:
            yield
            return
        from .embedded import AOF_REWRITE_PERCENTAGE

        conn = self._db.connection
        self._unless_busy(lambda: conn.config_set("auto-aof-rewrite-percentage", 0))
        try:
            yield
        finally:
            self._unless_busy(lambda: conn.config_set("auto-aof-rewrite-percentage", AOF_REWRITE_PERCENTAGE))
        self.rewrite_log_if_due()

    def rewrite_log_if_due(self) -> bool:
        """Rewrite the append-only file when the server's own rule says it is
        due (grown past its minimum size and by ``auto-aof-rewrite-percentage``
        since the last rewrite) and wait until the rewrite is done. Whether
        one ran."""
        conn = self._db.connection
        info = self._unless_busy(lambda: conn.info("persistence"))
        conf = self._unless_busy(lambda: conn.config_get("auto-aof-rewrite-*"))
        percentage, least = int(conf["auto-aof-rewrite-percentage"]), int(conf["auto-aof-rewrite-min-size"])
        size, base = int(info.get("aof_current_size", 0)), int(info.get("aof_base_size", 0)) or 1
        if not info.get("aof_enabled") or percentage <= 0 or size <= least or size * 100 // base - 100 < percentage:
            return False
        try:
            self._unless_busy(lambda: conn.bgrewriteaof())
        except ResponseError as e:  # one the server started itself meanwhile is waited for the same
            if "in progress" not in str(e):
                raise _translate(e) from e
        while True:  # (started, or scheduled behind a save, when the command returns)
            info = self._unless_busy(lambda: conn.info("persistence"))
            if not info.get("aof_rewrite_in_progress") and not info.get("aof_rewrite_scheduled"):
                break
            time.sleep(0.1)
        if info.get("aof_last_bgrewrite_status") != "ok":
            raise StoreError("the store could not rewrite its append-only file after the load; see its server.log")
        return True

    def _index(self, query: str) -> None:
        try:
            self._unless_busy(lambda: self._g.query(query))
        except ResponseError as e:
            if "already indexed" not in str(e):
                raise _translate(e) from e

    def ensure_index(self, label: str, prop: str) -> None:
        self._index(f"CREATE INDEX FOR (n:{ident(label)}) ON (n.{ident(prop)})")

    def ensure_rel_index(self, rel_type: str, prop: str) -> None:
        self._index(f"CREATE INDEX FOR ()-[r:{ident(rel_type)}]-() ON (r.{ident(prop)})")

    def ensure_unique(self, label: str, prop: str) -> None:
        self.ensure_index(label, prop)
        try:
            self._unless_busy(lambda: self._db.connection.execute_command(
                "GRAPH.CONSTRAINT", "CREATE", self._graph_name, "UNIQUE", "NODE", label, "PROPERTIES", "1", prop))
        except ResponseError as e:
            if "already exists" not in str(e):
                raise _translate(e) from e

    def drop_unique(self, label: str, prop: str) -> None:
        label, prop = ident(label), ident(prop)
        try:
            self._unless_busy(lambda: self._db.connection.execute_command(
                "GRAPH.CONSTRAINT", "DROP", self._graph_name, "UNIQUE", "NODE", label, "PROPERTIES", "1", prop))
        except ResponseError as e:
            if "no such constraint" not in str(e) and "empty key" not in str(e):
                raise _translate(e) from e
        try:
            self._unless_busy(lambda: self._g.query(f"DROP INDEX FOR (n:{label}) ON (n.{prop})"))
        except ResponseError as e:
            if "no such index" not in str(e) and "empty key" not in str(e):
                raise _translate(e) from e

    def ping(self) -> bool:
        try:
            return bool(self._db.connection.ping())
        except Exception:
            return False

    def clear(self) -> None:
        try:
            self._unless_busy(self._g.delete)
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
