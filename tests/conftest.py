"""Shared fixtures. The embedded FalkorDB is started once per test session in
a private temporary folder; each test gets a graph of its own on it.

Neo4j (Community 5.26 from Maven Central, a server of the user's own, or a
container: see ``backends.py``) is started once per session, only by the tests
that ask for it. ``any_store`` runs a test on both stores. Without a Neo4j the
tests needing it skip with the reason, or fail when ``ZEREN_REQUIRE_NEO4J`` is
set (as CI does).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from api_server import Live, live_api
from backends import BackendUnavailable, BoltServer, neo4j_side_server

from zeren.config import Settings
from zeren.graph.store import GraphStore, open_store
from zeren.graph.store.neo4j_store import Neo4jStore


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
def embedded_store(settings: Settings) -> Iterator[GraphStore]:
    """A fresh, empty graph on the embedded store."""
    s = open_store(settings)
    yield s
    s.clear()
    s.close()


@pytest.fixture
def store(embedded_store: GraphStore) -> GraphStore:
    """A fresh, empty graph on the embedded store (a module whose every test
    runs on both stores overrides it with ``any_store``)."""
    return embedded_store


@pytest.fixture(scope="session")
def neo4j_server() -> Iterator[BoltServer]:
    """The Neo4j server for the whole session; skips the tests asking for it
    when none can be had, with the reason (fails them under ZEREN_REQUIRE_NEO4J)."""
    with ExitStack() as stack:
        try:
            server = stack.enter_context(neo4j_side_server())
        except BackendUnavailable as e:
            if os.environ.get("ZEREN_REQUIRE_NEO4J"):
                pytest.fail(f"no Neo4j server, and ZEREN_REQUIRE_NEO4J is set: {e}", pytrace=False)
            pytest.skip(f"no Neo4j server: {e}")
        yield server


@pytest.fixture
def neo4j_store(neo4j_server: BoltServer) -> Iterator[GraphStore]:
    """An empty graph on Neo4j, wiped before and after the test."""
    s = Neo4jStore(neo4j_server.uri, neo4j_server.user, neo4j_server.password, database=neo4j_server.database)
    try:
        s.clear()
        yield s
        s.clear()
    finally:
        s.close()


@pytest.fixture(params=["embedded", "neo4j"])
def any_store(request: pytest.FixtureRequest) -> GraphStore:
    """A fresh, empty graph on each store in turn: the embedded FalkorDB and Neo4j."""
    store: GraphStore = request.getfixturevalue(f"{request.param}_store")
    return store


@pytest.fixture(scope="module", params=["embedded", "neo4j"])
def live(request: pytest.FixtureRequest, data_dir: Path, _embedded_server: GraphStore) -> Iterator[Live]:
    """The API served over a real HTTP port, over the rule-case world, on each
    store in turn (a module may narrow it with a ``live`` of its own)."""
    neo4j = request.getfixturevalue("neo4j_server") if request.param == "neo4j" else None
    with live_api(data_dir, f"{request.module.__name__.rpartition('.')[2]}_world", neo4j) as running:
        yield running


@pytest.fixture(scope="module")
def client(live: Live) -> Iterator[httpx.Client]:
    """An HTTP client of the ``live`` service."""
    with httpx.Client(base_url=live.url, timeout=30) as c:
        yield c
