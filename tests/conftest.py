"""Shared fixtures. The embedded FalkorDB is started once per test session in
a private temporary folder; each test gets a graph of its own on it.

The Neo4j side (real Neo4j, or the ArcadeDB stand-in: see ``backends.py``) is
started once per session, only by the tests that ask for it. ``any_store``
runs a test on both sides; a test marked ``neo4j_only`` checks something only a
real Neo4j enforces, so on the Neo4j side it skips when the stand-in serves.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from backends import BackendUnavailable, BoltServer, neo4j_side_server

from zeren.graph.settings import Settings
from zeren.graph.store import GraphStore, open_store
from zeren.graph.store.neo4j_store import Neo4jStore

NEEDS_REAL_NEO4J = "needs real Neo4j: the ArcadeDB stand-in does not enforce read-only mode / timeouts"


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("zeren-data")


@pytest.fixture(scope="session")
def _embedded_server(data_dir: Path) -> Iterator[GraphStore]:
    """Keeps one embedded server alive for the whole session."""
    s = open_store(Settings(graph="embedded", data_dir=data_dir, graph_name="session_keepalive"))
    yield s
    s.close()


@pytest.fixture
def settings(data_dir: Path, _embedded_server: GraphStore) -> Settings:
    return Settings(graph="embedded", data_dir=data_dir, graph_name=f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def store(settings: Settings) -> Iterator[GraphStore]:
    """A fresh, empty graph on the embedded store."""
    s = open_store(settings)
    yield s
    s.clear()
    s.close()


@pytest.fixture(scope="session")
def neo4j_server() -> Iterator[BoltServer]:
    """The Neo4j-side server for the whole session; skips the tests asking for
    it when none can be had, with the reason."""
    with ExitStack() as stack:
        try:
            server = stack.enter_context(neo4j_side_server())
        except BackendUnavailable as e:
            pytest.skip(f"no Neo4j-side server: {e}")
        yield server


@pytest.fixture(scope="session")
def real_neo4j(neo4j_server: BoltServer) -> bool:
    """True when the Neo4j side is a real Neo4j, not the ArcadeDB stand-in."""
    return neo4j_server.is_real_neo4j


@pytest.fixture
def neo4j_store(request: pytest.FixtureRequest, neo4j_server: BoltServer) -> Iterator[GraphStore]:
    """An empty graph on the Neo4j side, wiped before and after the test."""
    if request.node.get_closest_marker("neo4j_only") and not neo4j_server.is_real_neo4j:
        pytest.skip(NEEDS_REAL_NEO4J)
    s = Neo4jStore(neo4j_server.uri, neo4j_server.user, neo4j_server.password, database=neo4j_server.database)
    try:
        s.clear()
        yield s
        s.clear()
    finally:
        s.close()


@pytest.fixture(params=["embedded", "neo4j"])
def any_store(request: pytest.FixtureRequest) -> GraphStore:
    """A fresh, empty graph on each backend in turn: the embedded FalkorDB and
    the Neo4j side."""
    store: GraphStore = request.getfixturevalue("store" if request.param == "embedded" else "neo4j_store")
    return store


@pytest.fixture
def engine(request: pytest.FixtureRequest, any_store: GraphStore) -> str:
    """The engine behind ``any_store``: "falkordb", "neo4j" or "arcadedb"."""
    if request.node.callspec.params["any_store"] == "embedded":
        return "falkordb"
    server: BoltServer = request.getfixturevalue("neo4j_server")
    return server.kind
