"""``zeren serve --workers N``: the app served by N granian worker processes.

granian's master process starts the workers, replaces one that dies
(``respawn_failed_workers``) and stops them all on SIGINT or SIGTERM. On Linux
each granian worker binds a listening socket of its own to the address, all
with ``SO_REUSEPORT``, so the kernel spreads the connections over the workers
by a hash of each connection's addresses and ports (with one shared socket, a
few long-lived keep-alive connections opened at once can all land on one
worker: measured, 8 connections split 8/0 on 2 workers; docs/supervisor.md).

What this module adds around granian (:func:`serve`):

- the address is taken before anything starts: a socket bound to it with
  ``SO_REUSEPORT`` but not listening (so the kernel gives it no connection),
  held for the service's life, keeps any other program off the port while
  workers are replaced, and resolves port 0 once for all workers; an address
  that cannot be taken is reported in one line and nothing starts;
- the embedded store, with the read replica serving the workers' ad hoc
  Cypher and its watchdog, is started once, in this (the master) process,
  before the workers, and stopped after them; the workers find it through
  the data folder, as any client of the store does;
- the workers are started with ``spawn`` (a fresh interpreter each, as the
  command line would start them, not a fork of a master holding the store's
  threads and handles); each gets the settings pickled over its start-up pipe
  (a secret key never shows on a command line or in the environment), stops
  when the master dies (Linux), and has a process group of its own (a
  terminal's Ctrl-C reaches the master only, which stops the workers in
  order);
- a watcher thread reports each worker ready once it listens on the port, and
  stops the whole service, with the worker's exit code, when a worker exits
  with a code above 0 before it was ready (a bad setting, a store that cannot
  be reached: its log says why), instead of having it replaced over and over;
  a worker that dies after it was ready, or is killed by a signal, is left to
  granian to replace;
- granian's access log shows the request target with the query string
  redacted (:class:`zeren.api.accesslog.RedactGranianTarget`), and is on
  at log level info or lower unless ``access_log`` is off.
"""

from __future__ import annotations

import copy
import json
import multiprocessing
import os
import signal
import socket
import sys
import threading
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import psutil

from zeren.config import Settings

STOP_GRACE_S = 30
BACKLOG = 2048
WATCH_INTERVAL_S = 0.25
# zeren serve's --log-level (uvicorn's names) as granian's.
GRANIAN_LEVELS = {"critical": "critical", "error": "error", "warning": "warning", "info": "info",
                  "debug": "debug", "trace": "debug"}
ACCESS_FORMAT = '%(addr)s - "%(method)s %(path)s %(protocol)s" %(status)d %(dt_ms).1f ms'


def reserve_address(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` with ``SO_REUSEPORT`` and not
    listening: it holds the address for the workers' own listening sockets
    (which set ``SO_REUSEPORT`` too) and gets no connection itself; port 0: a
    free port, the one every worker then binds."""
    if not hasattr(socket, "SO_REUSEPORT"):
        raise OSError("several workers need SO_REUSEPORT, which this system does not have")
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
    s = socket.socket(family, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        s.bind((host, port))
    except OSError:
        s.close()
        raise
    return s


def sockets_on_port(pids: list[int], port: int, status: str) -> dict[int, int]:
    """How many TCP sockets of local port ``port`` in ``status`` (a psutil
    ``CONN_*``) each of ``pids`` holds; processes holding none, or gone, are
    left out."""
    out: dict[int, int] = {}
    for pid in pids:
        try:
            conns = psutil.Process(pid).net_connections(kind="tcp")
        except psutil.Error:
            continue
        n = sum(1 for c in conns if c.status == status and c.laddr and c.laddr.port == port)
        if n:
            out[pid] = n
    return out


def listening_pids(pids: list[int], port: int) -> set[int]:
    """Those of ``pids`` that have a TCP socket listening on ``port``."""
    return set(sockets_on_port(pids, port, psutil.CONN_LISTEN))


def connections_by_process(pids: list[int], port: int) -> list[int]:
    """How many established connections to ``port`` each process holds (the
    server side), most first: how the kernel spread the clients over the
    workers."""
    return sorted(sockets_on_port(pids, port, psutil.CONN_ESTABLISHED).values(), reverse=True)


def granian_log_config(log_level: str) -> dict[str, Any]:
    """granian's logging configuration with the access log's target redacted
    and its level that of the service (at ``warning``, no access lines, as
    uvicorn has it): pass it as ``log_dictconfig``."""
    from granian.log import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact_target": {"()": "zeren.api.accesslog.RedactGranianTarget"}}
    access = config["loggers"]["granian.access"]
    access["filters"] = ["redact_target"]
    access["level"] = GRANIAN_LEVELS[log_level].upper()
    return config


def _die_with_parent(parent: int) -> None:
    """Have the kernel send SIGTERM when the master dies (Linux), and exit now
    if it is already gone."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        sys.exit(1)


def worker_app(settings_json: str, master: int) -> Any:
    """The app of one worker, built in the worker (granian's target loader)."""
    os.setpgid(0, 0)
    _die_with_parent(master)
    from zeren.api.app import create_app

    return create_app(Settings(**json.loads(settings_json)))


@dataclass
class Watcher:
    """Reports the workers ready (listening on the port) and stops the service
    when one exits before it was ready."""

    server: Any  # granian's server
    port: int
    out: Any
    failed: int | None = None
    _done: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def say(self, msg: str) -> None:
        print(f"zeren: {msg}", file=self.out, flush=True)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="zeren-workers-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        known: dict[int, Any] = {}  # pid: granian's worker, every one seen
        ready: set[int] = set()
        gone: set[int] = set()
        announced = False
        while not self._done.wait(WATCH_INTERVAL_S):
            if self.server.interrupt_signal:
                return
            for w in list(self.server.wrks):
                if w.inner.pid is not None:
                    known.setdefault(w.inner.pid, w)
            live = [pid for pid, w in known.items() if pid not in gone and w.is_alive()]
            for pid in sorted(listening_pids([p for p in live if p not in ready], self.port)):
                ready.add(pid)
                if announced:
                    self.say(f"worker {known[pid].idx + 1} (pid {pid}) ready")
            if not announced and len(ready & set(live)) >= self.server.workers:
                self.say(f"all {self.server.workers} workers ready")
                announced = True
            for pid, w in known.items():
                if pid in gone or w.is_alive() or self.server.interrupt_signal:
                    continue
                gone.add(pid)
                # granian marks a dead worker as stopped by itself once it
                # replaces it: the exit code tells a failure (above 0: an
                # exception, a start-up that failed) from granian's own stop
                # (0, or SIGTERM's) whatever the mark.
                code = w.inner.exitcode
                if pid not in ready and code is not None and code > 0:
                    self.say(f"worker {w.idx + 1} (pid {pid}) exited with code {code} before it was ready; "
                             "stopping (its log above says why)")
                    self.failed = code
                    self.server.signal_handler_interrupt()
                    return
                if not (w.interrupt_by_parent and code in (0, -signal.SIGTERM)):
                    self.say(f"worker {w.idx + 1} (pid {pid}) exited with code {code}; granian starts another")


def serve(settings: Settings, host: str, port: int, workers: int, log_level: str = "info",
          access_log: bool = True, out: Any = None) -> int:
    """Serve the API with ``workers`` granian worker processes until SIGINT or
    SIGTERM (exit code 0), or until the address cannot be taken (1) or a
    worker exits before it was ready (its exit code, or 1)."""
    from granian import Granian

    out = out or sys.stderr
    if log_level not in GRANIAN_LEVELS:
        print(f"zeren: --log-level {log_level!r} is not one of {', '.join(GRANIAN_LEVELS)}", file=out, flush=True)
        return 2
    try:
        holder = reserve_address(host, port)
    except OSError as e:
        print(f"zeren: cannot listen on {host}:{port}: {e.strerror or e}", file=out, flush=True)
        return 1
    port = holder.getsockname()[1]
    embedded = None
    watcher = None
    code = 0
    try:
        if settings.backend == "embedded":
            from zeren.graph.store.embedded import EmbeddedServer, Guards

            embedded = EmbeddedServer(settings.data_dir, Guards.of(settings))
            embedded.start()
            if settings.cypher_replica:  # the workers' ad hoc queries go to it
                from zeren.graph.store.replica import ensure_replica

                ensure_replica(embedded, settings)
        # A fresh interpreter per worker (see the module's text); granian reads it per worker.
        multiprocessing.set_start_method("spawn", force=True)
        server = Granian("zeren.api.app:create_app", address=host, port=port, interface="asgi", workers=workers,
                         backlog=BACKLOG, log_level=GRANIAN_LEVELS[log_level], log_access=access_log,
                         log_access_format=ACCESS_FORMAT, log_dictconfig=granian_log_config(log_level),
                         respawn_failed_workers=True, workers_kill_timeout=STOP_GRACE_S)
        watcher = Watcher(server, port, out)
        print(f"zeren: serving http://{host}:{port} with {workers} workers (granian)", file=out, flush=True)
        watcher.start()
        try:
            server.serve(target_loader=partial(worker_app, settings.model_dump_json(), os.getpid()),
                         wrap_loader=False)
        except SystemExit as e:  # granian's, after it stopped every worker
            code = e.code if isinstance(e.code, int) else 1
        watcher.stop()
        if watcher.failed is not None:
            code = watcher.failed
        elif server.interrupt_signal:  # stopped on SIGINT or SIGTERM
            code = 0
        return code
    finally:
        if watcher is not None:
            watcher.stop()
        if embedded is not None:
            from zeren.graph.store.replica import stop_replica

            stop_replica(embedded)
            embedded.stop()
        holder.close()
