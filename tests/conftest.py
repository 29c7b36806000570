"""Shared fixtures. The embedded FalkorDB is started once per test session in
a private temporary folder; each test gets a graph of its own on it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from zeren.graph.settings import Settings
from zeren.graph.store import GraphStore, open_store


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
