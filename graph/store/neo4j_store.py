"""Neo4j adapter through the official driver (``bolt://``, ``neo4j://`` cluster
routing, ``neo4j+s://``). Reads go through READ access mode, which Neo4j
enforces; every query carries a timeout. Opening the store runs one query on
its database, so a server that is down, refuses the password or lacks the
database is reported at once, in one line.

Bookmarks (causal consistency: a read sees the writes before it, also on a
cluster's other members) are kept by the store for its own writes: every write
carries them, and so does every read once this store has written. A store
that only reads (a service's) sends none, where the driver's default bookmark
manager, shared by every ``execute_query`` of the process, had each read
carry the bookmark of the read before it (on a cluster, a wait for a member
to catch up with reads, which a reader of a finished load does not need)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import neo4j
from neo4j import GraphDatabase, ManagedTransaction, Query, RoutingControl, unit_of_work
from neo4j import exceptions as nx
from neo4j.graph import Node, Path, Relationship
from neo4j.time import Date, DateTime

from .base import (ConstraintViolation, Counters, GraphStore, QueryMemoryExceeded, QuerySyntaxError, QueryTimeout,
                   ReadOnlyViolation, ReadResult, Row, StoreError, ident)

# The driver logs a failed routing request at ERROR level before raising it:
# without a handler of the application's, Python's last-resort handler would
# print it beside zeren's own one-line message.
logging.getLogger("neo4j").addHandler(logging.NullHandler())

# Seconds to open a connection (the driver's default is 30), and to retry a
# query the driver deems worth retrying (also 30 by default): a server that
# does not answer is reported within seconds.
CONNECT_TIMEOUT_S = 5.0
RETRY_TIME_S = 5.0


# Values the driver gives as they are returned (most of every row): passed on at once.
_AS_IS = frozenset({str, int, float, bool, type(None)})


def to_plain(v: Any) -> Any:
    if type(v) in _AS_IS:
        return v
    if isinstance(v, Node):
        return {"_labels": sorted(v.labels), **{k: to_plain(x) for k, x in v.items()}}
    if isinstance(v, Relationship):
        return {"_type": v.type, **{k: to_plain(x) for k, x in v.items()}}
    if isinstance(v, Path):
        out: list[Any] = []
        nodes, rels = list(v.nodes), list(v.relationships)
        for i, n in enumerate(nodes):
            out.append(to_plain(n))
            if i < len(rels):
                out.append(to_plain(rels[i]))
        return out
    if isinstance(v, Date):
        return v.to_native()
    if isinstance(v, DateTime):
        return v.to_native()
    if isinstance(v, list):
        return [to_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: to_plain(x) for k, x in v.items()}
    return v


def _params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Dates are sent as ISO strings, as for FalkorDB, so one query text (which
    wraps them in ``date()``) serves both engines."""
    if not params:
        return {}

    def conv(v: Any) -> Any:
        if isinstance(v, date):
            return v.isoformat()
        if isinstance(v, Mapping):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        return v

    return {k: conv(v) for k, v in params.items()}


# Codes meaning the query text itself is wrong (not a failure while it ran,
# such as Neo.ClientError.Statement.ArithmeticError for a division by zero).
_QUERY_TEXT_CODES = ("Statement.SyntaxError", "Statement.SemanticError", "Statement.ParameterMissing",
                     "Procedure.ProcedureNotFound")


def _translate(e: Exception) -> StoreError:
    """Map a driver error to the port's errors by its Neo4j status code."""
    code = getattr(e, "code", "") or ""
    msg = getattr(e, "message", None) or str(e)
    if "MemoryPoolOutOfMemoryError" in code:  # a refusal, not a timeout, though the server stops it too
        return QueryMemoryExceeded(f"refused: the query needs more memory than the server allows a transaction ({msg})")
    if "TransactionTimedOut" in code or "Terminated" in code or "timed out" in msg.lower():
        return QueryTimeout(f"query timed out: {msg}")
    if "ForbiddenOnReadOnlyDatabase" in code or "AccessMode" in code or "read" in code.lower() and "Forbidden" in code:
        return ReadOnlyViolation(f"refused: only read queries are allowed ({msg})")
    if "ConstraintValidationFailed" in code:
        return ConstraintViolation(msg)
    if code.endswith(_QUERY_TEXT_CODES):
        return QuerySyntaxError(msg)
    return StoreError(msg)


def _one_line(e: BaseException) -> str:
    """The most telling message of an error, its causes and exception groups
    (the reason a connection failed, not only that routing did), on one line."""
    seen: list[str] = []

    def walk(x: BaseException | None) -> None:
        while x is not None and len(seen) < 20:
            text = getattr(x, "message", None) or str(x)  # a server error's message, without its status fields
            seen.append(" ".join(str(text).split()) or type(x).__name__)
            for sub in getattr(x, "exceptions", ()):
                walk(sub)
            x = x.__cause__ or x.__context__

    walk(e)
    telling = [m for m in seen if "reason" in m or "Errno" in m or "resolve" in m]
    return (telling[-1] if telling else seen[0])[:400]


class Neo4jStore(GraphStore):
    dialect = "neo4j"

    def __init__(self, uri: str, user: str, password: str, *, database: str = "neo4j", timeout_ms: int = 10_000) -> None:
        super().__init__()
        self._db = database
        self._timeout_s = timeout_ms / 1000
        self.description = f"Neo4j at {uri} (database {database})"
        self._bookmarks = GraphDatabase.bookmark_manager()
        self._written = False  # once true, reads carry the bookmarks of this store's writes
        try:
            self._driver = GraphDatabase.driver(uri, auth=(user, password) if password else None,
                                                connection_timeout=CONNECT_TIMEOUT_S,
                                                max_transaction_retry_time=RETRY_TIME_S)
        except (ValueError, nx.ConfigurationError) as e:
            raise StoreError(f"Neo4j URI {uri!r} is not usable: {_one_line(e)}") from None
        try:
            self._check(uri, user)
        except BaseException:
            self._driver.close()
            raise

    def _check(self, uri: str, user: str) -> None:
        """Run ``RETURN 1`` on the database once (no retries): the server
        answers, takes the credentials and has the database, or StoreError
        says which of these failed, in one line."""
        try:
            with self._driver.session(database=self._db) as s:
                s.run("RETURN 1").consume()
        except nx.AuthError as e:
            raise StoreError(f"Neo4j at {uri} refused user {user!r}: {_one_line(e)}") from None
        except nx.ServiceUnavailable as e:
            raise StoreError(f"Neo4j at {uri} is not reachable: {_one_line(e)}") from None
        except (nx.Neo4jError, nx.DriverError, ValueError, OSError) as e:
            if "DatabaseNotFound" in (getattr(e, "code", "") or ""):
                raise StoreError(f"Neo4j at {uri} has no database {self._db!r}") from None
            raise StoreError(f"Neo4j at {uri} cannot be used: {_one_line(e)}") from None

    def _timeout_s_for(self, timeout_ms: int | None) -> float:
        """The timeout in seconds the driver sends: the one given, else the default."""
        return timeout_ms / 1000 if timeout_ms else self._timeout_s

    def _q(self, text: str, timeout_ms: int | None) -> Query:
        return Query(text, timeout=self._timeout_s_for(timeout_ms))  # type: ignore[arg-type]

    def _read_bookmarks(self) -> neo4j.BookmarkManager | None:
        return self._bookmarks if self._written else None

    def read(self, query: str, params: Mapping[str, Any] | None = None, *,
             timeout_ms: int | None = None) -> list[Row]:
        self.round_trips.tick()
        try:
            records, _, keys = self._driver.execute_query(
                self._q(query, timeout_ms), _params(params), database_=self._db, routing_=RoutingControl.READ,
                bookmark_manager_=self._read_bookmarks())
        except (nx.Neo4jError, nx.DriverError) as e:
            raise _translate(e) from e
        return [{k: to_plain(r[k]) for k in keys} for r in records]

    def read_many(self, requests: Sequence[tuple[str, Mapping[str, Any] | None]]) -> list[list[Row]]:
        """The queries in one read transaction (retried as a whole, as
        ``execute_query`` retries one; the timeout bounds them together): one
        round trip each and one to commit, instead of two each."""
        if len(requests) < 2:
            return [self.read(q, p) for q, p in requests]
        for _ in requests:
            self.round_trips.tick()

        @unit_of_work(timeout=self._timeout_s)
        def work(tx: ManagedTransaction) -> list[list[Row]]:
            out = []
            for query, params in requests:
                result = tx.run(query, _params(params))
                keys = result.keys()
                out.append([{k: to_plain(r[k]) for k in keys} for r in result])
            return out

        try:
            with self._driver.session(database=self._db, default_access_mode=neo4j.READ_ACCESS,
                                      bookmark_manager=self._read_bookmarks()) as s:
                return s.execute_read(work)
        except (nx.Neo4jError, nx.DriverError) as e:
            raise _translate(e) from e

    def read_only(self, query: str, params: Mapping[str, Any] | None = None, *,
                  timeout_ms: int, max_rows: int) -> ReadResult:
        self.round_trips.tick()

        # One auto-commit transaction in READ access mode, which the server
        # enforces, with the timeout inside the query: no retries, so a query
        # the server refuses (its memory limit is a "transient" error) is
        # answered at once instead of sent again for the driver's retry time.
        try:
            with self._driver.session(database=self._db, default_access_mode=neo4j.READ_ACCESS) as s:
                result = s.run(self._q(query, timeout_ms), _params(params))
                keys = list(result.keys())
                rows: list[list[Any]] = []
                truncated = False
                for rec in result:
                    if len(rows) >= max_rows:
                        truncated = True
                        break
                    rows.append([to_plain(rec[k]) for k in keys])
                result.consume()
                return ReadResult(keys, rows, truncated)
        except (nx.Neo4jError, nx.DriverError) as e:
            raise _translate(e) from e

    def write(self, query: str, params: Mapping[str, Any] | None = None) -> Counters:
        self.round_trips.tick()
        self._written = True
        try:
            _, summary, _ = self._driver.execute_query(
                self._q(query, None), _params(params), database_=self._db, routing_=RoutingControl.WRITE,
                bookmark_manager_=self._bookmarks)
        except (nx.Neo4jError, nx.DriverError) as e:
            raise _translate(e) from e
        c = summary.counters
        return Counters(c.nodes_created, c.nodes_deleted, c.relationships_created, c.relationships_deleted,
                        c.properties_set)

    def _ddl(self, text: str) -> None:
        self._written = True
        try:
            self._driver.execute_query(text, database_=self._db, routing_=RoutingControl.WRITE,
                                       bookmark_manager_=self._bookmarks)
        except nx.Neo4jError as e:
            if "EquivalentSchemaRule" in (e.code or "") or "already exists" in str(e).lower():
                return
            raise _translate(e) from e
        except nx.DriverError as e:
            raise _translate(e) from e

    def ensure_unique(self, label: str, prop: str) -> None:
        self._ddl(constraint_ddl(label, prop))

    def drop_unique(self, label: str, prop: str) -> None:
        self._ddl(f"DROP CONSTRAINT {constraint_name(label, prop)} IF EXISTS")

    def ensure_index(self, label: str, prop: str) -> None:
        label, prop = ident(label), ident(prop)
        self._ddl(f"CREATE INDEX {label.lower()}_{prop} IF NOT EXISTS FOR (n:{label}) ON (n.{prop})")

    def ensure_rel_index(self, rel_type: str, prop: str) -> None:
        rel_type, prop = ident(rel_type), ident(prop)
        self._ddl(f"CREATE INDEX rel_{rel_type.lower()}_{prop} IF NOT EXISTS FOR ()-[r:{rel_type}]-() ON (r.{prop})")

    def ping(self) -> bool:
        try:
            self._driver.verify_connectivity()
            return True
        except Exception:
            return False

    def close(self) -> None:
        self._driver.close()


def constraint_name(label: str, prop: str) -> str:
    return f"{ident(label).lower()}_{ident(prop)}_unique"


def constraint_ddl(label: str, prop: str) -> str:
    """Neo4j's unique-key statement (idempotent through IF NOT EXISTS)."""
    name = constraint_name(label, prop)  # (checks both names)
    return f"CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:{label}) REQUIRE n.{prop} IS UNIQUE"
