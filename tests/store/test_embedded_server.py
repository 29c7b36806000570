"""The embedded FalkorDB server zeren starts itself: private, password
protected, unix socket only, persistent, reused, stopped by its owner, and
bounded by its guards. Each test has a data folder (and server) of its own."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from redis.exceptions import ResponseError

from zeren.config import Settings
from zeren.graph.store import GraphStore, QueryTimeout, StoreError, open_store
from zeren.graph.store import embedded
from zeren.graph.store.embedded import EmbeddedServer, Guards, ServerInfo
from zeren.graph.store.falkor import FalkorStore

PROC = Path("/proc")
needs_proc = pytest.mark.skipif(not (PROC / "self" / "fd").is_dir(), reason="needs Linux /proc")


def state(data_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((data_dir / "falkordb" / "server.json").read_text())
    return data


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def tcp_listener_inodes() -> set[str]:
    """Inodes of every listening TCP socket (IPv4 and IPv6) in this network namespace."""
    inodes: set[str] = set()
    for table in (PROC / "net" / "tcp", PROC / "net" / "tcp6"):
        if table.exists():
            for line in table.read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A":  # LISTEN
                    inodes.add(fields[9])
    return inodes


def tcp_listeners_of(pid: int) -> set[str]:
    owned = set()
    for fd in (PROC / str(pid) / "fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            owned.add(target[len("socket:["):-1])
    return owned & tcp_listener_inodes()


def processes_working_in(folder: Path) -> list[int]:
    """Pids of the processes whose working folder is ``folder`` (the server
    works in its data folder; it rewrites its command line, so that cannot tell)."""
    pids = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                cwd = os.readlink(entry / "cwd")
            except OSError:
                continue
            if cwd == str(folder):
                pids.append(int(entry.name))
    return pids


def settings_for(data_dir: Path, **guards: int) -> Settings:
    return Settings(graph="embedded", data_dir=data_dir, graph_name="g", **guards)


@pytest.fixture
def own_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def owner(own_dir: Path) -> Iterator[GraphStore]:
    """A store whose open started a server of its own."""
    s = open_store(settings_for(own_dir))
    yield s
    s.close()


# -- private and protected -------------------------------------------------------

@needs_proc
def test_a_tcp_listener_would_be_seen() -> None:
    with socket.create_server(("127.0.0.1", 0)):
        assert tcp_listeners_of(os.getpid())


@needs_proc
def test_the_server_listens_on_a_unix_socket_only(owner: GraphStore, own_dir: Path) -> None:
    info = state(own_dir)
    assert "port 0" in (own_dir / "falkordb" / "redis.conf").read_text().splitlines()
    assert stat.S_ISSOCK(Path(info["socket"]).stat().st_mode)
    assert tcp_listeners_of(info["pid"]) == set()
    assert owner.ping()


def test_the_state_file_and_config_are_private_to_the_owner(owner: GraphStore, own_dir: Path) -> None:
    root = own_dir / "falkordb"
    assert mode(root) == 0o700
    assert mode(root / "server.json") == 0o600
    assert mode(root / "redis.conf") == 0o600
    assert mode(Path(state(own_dir)["socket"])) & 0o077 == 0


@needs_proc
def test_the_password_is_not_on_the_command_line(owner: GraphStore, own_dir: Path) -> None:
    info = state(own_dir)
    assert info["password"].encode() not in (PROC / str(info["pid"]) / "cmdline").read_bytes()


@pytest.mark.parametrize("auth", [b"", b"*2\r\n$4\r\nAUTH\r\n$5\r\nwrong\r\n"])
def test_a_client_without_the_password_is_refused(owner: GraphStore, own_dir: Path, auth: bytes) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(state(own_dir)["socket"])
        s.sendall(auth + b"*3\r\n$11\r\nGRAPH.QUERY\r\n$1\r\ng\r\n$8\r\nRETURN 1\r\n")
        replies = b""
        while replies.count(b"\r\n") < (2 if auth else 1):
            chunk = s.recv(4096)
            if not chunk:
                break
            replies += chunk
    assert replies.splitlines()[-1].startswith(b"-NOAUTH")


# -- life ------------------------------------------------------------------------

def test_data_survive_a_stop_and_a_restart(own_dir: Path) -> None:
    first = open_store(settings_for(own_dir))
    first.write("CREATE (:Territory {id: '500000', name: '重庆市'})")
    pid = state(own_dir)["pid"]
    first.close()
    assert not alive(pid)

    second = open_store(settings_for(own_dir))
    try:
        assert state(own_dir)["pid"] != pid
        assert second.read("MATCH (t:Territory) RETURN t.id AS id, t.name AS name") == [
            {"id": "500000", "name": "重庆市"}]
        assert any((own_dir / "falkordb" / "appendonlydir").iterdir())
    finally:
        second.close()


@needs_proc
def test_writes_replayed_from_the_append_only_file_are_not_bound_by_the_timeout_of_peoples_queries(
        own_dir: Path) -> None:
    # A load writes with the server's ceiling for each query; killed before the
    # append-only file is rewritten, its writes are replayed as queries when a
    # service starts the server again with people's default (here 100 ms): every
    # one of them must be replayed whole (a replayed write cut short by a timeout
    # lost data and then crashed the server).
    load = open_store(settings_for(own_dir, query_timeout_ms=60_000, max_timeout_ms=60_000))
    load.write("UNWIND range(1, 1000000) AS i CREATE (:Step {i: i, kind: 'HANDLE'})")  # about 0.5 s
    pid = state(own_dir)["pid"]
    os.kill(pid, signal.SIGKILL)
    load.close()  # (reaps the killed server)
    assert not alive(pid)

    service = open_store(settings_for(own_dir, query_timeout_ms=100, max_timeout_ms=60_000))
    try:
        assert state(own_dir)["pid"] != pid
        assert service.read("MATCH (s:Step) RETURN count(s) AS n", timeout_ms=60_000) == [{"n": 1_000_000}]
    finally:
        service.close()


def test_a_server_loading_its_data_is_waited_for_past_the_start_timeout(own_dir: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A large graph takes minutes to load at start: a server that answers that it is loading is waited for."""
    real = embedded._ping
    until = time.monotonic() + 1.5

    def loading_for_a_while(info: ServerInfo) -> str:
        return "loading" if time.monotonic() < until else real(info)

    monkeypatch.setattr(embedded, "_ping", loading_for_a_while)
    server = EmbeddedServer(own_dir, Guards.of(settings_for(own_dir)))
    try:
        info = server.start(wait_s=0.5)
        assert time.monotonic() >= until and real(info) == "ok"
    finally:
        server.stop()


def test_a_server_that_never_answers_is_stopped_after_the_start_timeout(own_dir: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "_ping", lambda info: "no")
    server = EmbeddedServer(own_dir, Guards.of(settings_for(own_dir)))
    started = time.monotonic()
    with pytest.raises(StoreError, match="did not answer within 1 s"):
        server.start(wait_s=1)
    assert time.monotonic() - started < 30
    assert server._proc is not None and server._proc.poll() is not None  # stopped, not left running


@needs_proc
def test_a_second_open_on_the_same_folder_reuses_the_running_server(owner: GraphStore, own_dir: Path) -> None:
    pid = state(own_dir)["pid"]
    other = open_store(Settings(graph="embedded", data_dir=own_dir, graph_name="other"))
    other.write("CREATE (:Probe)")
    assert state(own_dir)["pid"] == pid
    assert processes_working_in((own_dir / "falkordb").resolve()) == [pid]
    other.close()
    assert alive(pid)
    assert owner.ping()


def test_a_server_started_elsewhere_is_not_stopped_by_a_reuser(owner: GraphStore, own_dir: Path) -> None:
    pid = state(own_dir)["pid"]
    reuser = EmbeddedServer(own_dir, Guards.of(settings_for(own_dir)))
    assert reuser.start().pid == pid
    assert reuser.owned is False
    reuser.stop()
    assert alive(pid)


def test_closing_the_owner_ends_the_server(own_dir: Path) -> None:
    s = open_store(settings_for(own_dir))
    info = state(own_dir)
    s.close()
    assert not alive(info["pid"])
    assert not (own_dir / "falkordb" / "server.json").exists()
    assert not Path(info["socket"]).exists()


# -- guards ----------------------------------------------------------------------

def test_the_guards_are_set_on_the_server(own_dir: Path) -> None:
    s = open_store(settings_for(own_dir, query_timeout_ms=1234, max_timeout_ms=56_789, query_memory_mb=64,
                                resultset_size=4321, max_queued_queries=17, store_query_threads=3))
    try:
        info = state(own_dir)
        client = ServerInfo(info["pid"], info["socket"], info["password"]).client()
        got = {name: client.connection.execute_command("GRAPH.CONFIG", "GET", name)
               for name in ("TIMEOUT_DEFAULT", "TIMEOUT_MAX", "QUERY_MEM_CAPACITY", "RESULTSET_SIZE",
                            "MAX_QUEUED_QUERIES", "OMP_THREAD_COUNT")}
        client.connection.close()
    finally:
        s.close()
    # (the default is the ceiling: zeren sends every query's own timeout, and the
    # server's default bounds only the writes it replays from its append-only file)
    assert {k: int(v[1]) for k, v in got.items()} == {
        "TIMEOUT_DEFAULT": 56_789, "TIMEOUT_MAX": 56_789, "QUERY_MEM_CAPACITY": 64 * 1024 * 1024,
        "RESULTSET_SIZE": 4321, "MAX_QUEUED_QUERIES": 17, "OMP_THREAD_COUNT": 3}


def setting_of_a_new_server(data_dir: Path, command: str, name: str, **guards: int) -> Any:
    """One setting (``CONFIG GET`` or ``GRAPH.CONFIG GET``) of a server started by opening the store."""
    s = open_store(settings_for(data_dir, **guards))
    try:
        info = state(data_dir)
        client = ServerInfo(info["pid"], info["socket"], info["password"]).client()
        got = client.connection.execute_command(command, "GET", name)
        client.connection.close()
    finally:
        s.close()
    return got[1]


def test_one_query_uses_one_matrix_thread_by_default(own_dir: Path) -> None:
    # The store crashed under concurrent traces inside a parallel matrix
    # product (FalkorDB's default is a thread per core).
    assert int(setting_of_a_new_server(own_dir, "GRAPH.CONFIG", "OMP_THREAD_COUNT")) == 1


def test_a_default_timeout_above_the_maximum_is_refused_before_starting(own_dir: Path) -> None:
    with pytest.raises(ValueError, match="above the maximum"):
        open_store(settings_for(own_dir, query_timeout_ms=5000, max_timeout_ms=2000))
    assert not (own_dir / "falkordb" / "server.json").exists()


def test_a_timeout_above_the_maximum_is_an_error_not_a_timeout(store: GraphStore, settings: Settings) -> None:
    with pytest.raises(StoreError, match="TIMEOUT_MAX") as raised:
        store.read_only("RETURN 1", timeout_ms=settings.max_timeout_ms + 1, max_rows=1)
    assert not isinstance(raised.value, QueryTimeout)


# -- a busy server ---------------------------------------------------------------
#
# The server refuses commands with BUSY while its main thread is held longer
# than its busy-reply-threshold: FalkorDB does so while it prepares a fork for
# the append-only file's rewrite of a large graph (a benchmark load at SF 0.3
# stopped on "BUSY preparing to fork"). A script that spins on the main thread
# holds it the same way, on demand (the time it reads advances only while the
# server serves others, so the threshold is lowered first).

_SPIN = ("local t0 = redis.call('TIME') local s0 = t0[1] * 1000000 + t0[2] "
         "while true do local t = redis.call('TIME') "
         "if t[1] * 1000000 + t[2] - s0 > tonumber(ARGV[1]) then break end end return 1")


@contextmanager
def held_main_thread(data_dir: Path, seconds: float) -> Iterator[None]:
    """The server's main thread held for ``seconds``, refusing others with BUSY
    (the threshold lowered to 100 ms for the test) once the body starts."""
    info = state(data_dir)
    spinner = ServerInfo(info["pid"], info["socket"], info["password"]).client()
    probe = ServerInfo(info["pid"], info["socket"], info["password"]).client()
    spinner.connection.execute_command("CONFIG", "SET", "busy-reply-threshold", "100")
    spin = threading.Thread(target=lambda: spinner.connection.eval(_SPIN, 0, int(seconds * 1e6)))
    spin.start()
    try:
        time.sleep(0.3)
        with pytest.raises(ResponseError, match="^BUSY"):  # the window is real
            probe.connection.ping()
        yield
    finally:
        spin.join(timeout=10)
        if spin.is_alive():  # never left spinning past the test
            probe.connection.execute_command("SCRIPT", "KILL")
            spin.join()
        spinner.connection.close()
        probe.connection.close()


def test_commands_wait_instead_of_being_refused_busy_for_as_long_as_a_query_may_run(own_dir: Path) -> None:
    assert int(setting_of_a_new_server(own_dir, "CONFIG", "busy-reply-threshold", max_timeout_ms=45_000)) == 45_000


def test_a_write_refused_as_busy_is_sent_again_and_applied_once(owner: GraphStore, own_dir: Path) -> None:
    assert isinstance(owner, FalkorStore)
    owner.write("RETURN 0")
    with held_main_thread(own_dir, 1.2):
        counters = owner.write("CREATE (:Probe {n: 1})")
    assert counters.nodes_created == 1
    assert owner.busy_waits > 0
    assert owner.read("MATCH (p:Probe) RETURN count(p) AS n") == [{"n": 1}]


def test_reads_refused_as_busy_are_sent_again_one_by_one_and_pipelined(owner: GraphStore, own_dir: Path) -> None:
    assert isinstance(owner, FalkorStore)
    owner.write("CREATE (:Probe {n: 7})")
    with held_main_thread(own_dir, 1.2):
        one = owner.read("MATCH (p:Probe) RETURN p.n AS n")
        waits = owner.busy_waits
        many = owner.read_many([("RETURN 1 AS a", None), ("MATCH (p:Probe) RETURN p.n AS n", None)])
    assert one == [{"n": 7}]
    assert waits > 0
    assert many == [[{"a": 1}], [{"n": 7}]]


def test_schema_set_up_and_clearing_refused_as_busy_are_sent_again(owner: GraphStore, own_dir: Path) -> None:
    assert isinstance(owner, FalkorStore)
    owner.write("CREATE (:Probe {n: 1})")
    with held_main_thread(own_dir, 1.2):
        owner.ensure_unique("Probe", "n")
    assert owner.busy_waits > 0
    with pytest.raises(StoreError):  # the constraint is in force
        owner.write("CREATE (:Probe {n: 1})")
    waits = owner.busy_waits
    with held_main_thread(own_dir, 1.2):
        owner.clear()
    assert owner.busy_waits > waits
    assert owner.read("MATCH (p:Probe) RETURN count(p) AS n") == [{"n": 0}]


def test_a_server_busy_past_the_query_timeout_is_a_clear_error(own_dir: Path) -> None:
    s = open_store(settings_for(own_dir, query_timeout_ms=300))
    try:
        assert isinstance(s, FalkorStore)
        s.write("RETURN 0")
        with held_main_thread(own_dir, 2.0):
            with pytest.raises(StoreError, match="stayed busy") as raised:
                s.read("RETURN 1 AS a")
            assert not isinstance(raised.value, QueryTimeout)
            assert s.busy_waits > 0, "sent again within the timeout before giving up"
    finally:
        s.close()
