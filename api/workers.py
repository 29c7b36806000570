"""``zeren serve --workers N``: N uvicorn processes, each accepting on a
listening socket of its own, all bound to the same address (``SO_REUSEPORT``),
so that the kernel spreads the connections over the workers.

Why not uvicorn's own ``--workers``: there the workers share one listening
socket, and the event loop that wakes first accepts every connection waiting
(it accepts up to the backlog in one pass). A few long-lived keep-alive
connections opened at once (a proxy's pool, the benchmark's 8 clients) can
all land on one worker while the others stay idle: measured, 8 connections
split 8/0 on 2 workers, with the throughput of one worker. With a socket per
worker the kernel picks the socket by a hash of each connection's addresses
and ports, whatever the timing of the connections.

The supervisor (this module's :func:`serve`):

- binds the listening sockets itself and keeps them, so that the address is
  taken before any worker starts, connections made early wait in the backlog,
  and a worker that is replaced leaves its queued connections to its
  successor instead of having them refused;
- starts the embedded store once, before the workers (they reuse it), with
  the read replica serving their ad hoc Cypher and its watchdog, and stops
  them after the workers;
- replaces a worker that dies after it has reported ready; a worker that exits
  before it is ready (a store that cannot be reached, a bad setting) stops the
  whole service with a message, instead of being restarted forever; so do
  more than ``MAX_RESTARTS`` replacements within ``RESTART_WINDOW_S``;
- on SIGINT or SIGTERM asks every worker to finish (SIGTERM: uvicorn stops
  accepting and finishes the requests in flight) and waits for them.

A worker is ``python -m zeren.api.workers``: it takes its listening socket and
a pipe to report readiness as inherited descriptors, and the settings as JSON
on its standard input (so that a secret key never shows on a command line).
"""

from __future__ import annotations

import argparse
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import psutil

from zeren.config import Settings

MAX_RESTARTS = 5
RESTART_WINDOW_S = 60.0
STOP_GRACE_S = 30.0
BACKLOG = 2048


def listening_sockets(host: str, port: int, n: int) -> list[socket.socket]:
    """``n`` listening TCP sockets on the same address, each with ``SO_REUSEPORT``
    (port 0: the port the first one gets, for all of them)."""
    if not hasattr(socket, "SO_REUSEPORT"):
        raise OSError("several workers need SO_REUSEPORT, which this system does not have")
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
    out: list[socket.socket] = []
    try:
        for _ in range(n):
            s = socket.create_server((host, port), family=family, backlog=BACKLOG, reuse_port=True)
            out.append(s)
            port = s.getsockname()[1]
    except OSError:
        for s in out:
            s.close()
        raise
    return out


def connections_by_process(pids: list[int], port: int) -> list[int]:
    """How many established TCP connections to ``port`` each process holds
    (the server side: the local port is ``port``), the processes holding none
    or gone left out, most first."""
    counts = []
    for pid in pids:
        try:
            conns = psutil.Process(pid).net_connections(kind="tcp")
        except psutil.Error:
            continue
        n = sum(1 for c in conns if c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == port)
        if n:
            counts.append(n)
    return sorted(counts, reverse=True)


@dataclass
class Worker:
    index: int
    sock: socket.socket
    proc: subprocess.Popen[bytes] | None = None
    ready_fd: int | None = None
    ready: bool = False


@dataclass
class Supervisor:
    settings: Settings
    host: str
    port: int
    workers: int
    log_level: str = "info"
    access_log: bool = True
    out: Any = field(default_factory=lambda: sys.stderr)
    _stop: bool = False
    _restarts: deque[float] = field(default_factory=deque)

    def say(self, msg: str) -> None:
        print(f"zeren: {msg}", file=self.out, flush=True)

    def run(self) -> int:
        """Serve until SIGINT or SIGTERM (exit code 0), or until the address
        cannot be taken or a worker fails to start (1, or the worker's code)."""
        try:
            socks = listening_sockets(self.host, self.port, self.workers)
        except OSError as e:
            self.say(f"cannot listen on {self.host}:{self.port}: {e.strerror or e}")
            return 1
        embedded = None
        workers: list[Worker] = []
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            if self.settings.backend == "embedded":
                from zeren.graph.store.embedded import EmbeddedServer, Guards

                embedded = EmbeddedServer(self.settings.data_dir, Guards.of(self.settings))
                embedded.start()
                if self.settings.cypher_replica:  # the workers' ad hoc queries go to it
                    from zeren.graph.store.replica import ensure_replica

                    ensure_replica(embedded, self.settings)
            workers = [Worker(i, s) for i, s in enumerate(socks)]
            for w in workers:
                self._start(w)
            self.say(f"serving http://{self.host}:{socks[0].getsockname()[1]} with {self.workers} workers, "
                     f"a listening socket each (pids {', '.join(str(w.proc.pid) for w in workers if w.proc)})")
            return self._watch(workers)
        finally:
            self._stop_all(workers)
            for s in socks:
                s.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if embedded is not None:
                from zeren.graph.store.replica import stop_replica

                stop_replica(embedded)
                embedded.stop()

    def _on_signal(self, signum: int, frame: object) -> None:
        self._stop = True

    def _start(self, w: Worker) -> None:
        r, wr = os.pipe()
        cmd = [sys.executable, "-m", "zeren.api.workers", "--fd", str(w.sock.fileno()), "--ready-fd", str(wr),
               "--parent", str(os.getpid()), "--log-level", self.log_level]
        if not self.access_log:
            cmd.append("--no-access-log")
        # A process group of its own: a terminal's Ctrl-C reaches the supervisor
        # only, which then stops the workers in order.
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, pass_fds=(w.sock.fileno(), wr), process_group=0)
        os.close(wr)
        assert proc.stdin is not None
        try:
            proc.stdin.write(self.settings.model_dump_json().encode())
            proc.stdin.close()
        except BrokenPipeError:  # it exited at once: the watch loop sees it, not ready, and stops
            pass
        w.proc, w.ready_fd, w.ready = proc, r, False

    def _watch(self, workers: list[Worker]) -> int:
        announced = False
        while not self._stop:
            if not announced and all(w.ready for w in workers):
                self.say(f"all {len(workers)} workers ready")
                announced = True
            waiting = {w.ready_fd: w for w in workers if w.ready_fd is not None}
            try:
                readable, _, _ = select.select(list(waiting), [], [], 0.25)
            except InterruptedError:
                continue
            for fd in readable:
                w = waiting[fd]
                w.ready = os.read(fd, 1) == b"1"  # b"" when the worker exited first
                os.close(fd)
                w.ready_fd = None
                if w.ready and announced:
                    self.say(f"worker {w.index + 1} (pid {w.proc.pid if w.proc else '?'}) ready")
            if self._stop:
                break
            for w in workers:
                assert w.proc is not None
                code = w.proc.poll()
                if code is None:
                    continue
                if w.ready_fd is not None:
                    os.close(w.ready_fd)
                    w.ready_fd = None
                if not w.ready:
                    self.say(f"worker {w.index + 1} (pid {w.proc.pid}) exited with code {code} before it was "
                             "ready; stopping (its log above says why)")
                    return code or 1
                now = time.monotonic()
                while self._restarts and now - self._restarts[0] > RESTART_WINDOW_S:
                    self._restarts.popleft()
                if len(self._restarts) >= MAX_RESTARTS:
                    self.say(f"worker {w.index + 1} exited with code {code}; {MAX_RESTARTS} workers were "
                             f"replaced within {RESTART_WINDOW_S:.0f} s already; stopping")
                    return code or 1
                self._restarts.append(now)
                self.say(f"worker {w.index + 1} (pid {w.proc.pid}) exited with code {code}; starting another")
                self._start(w)
        return 0

    def _stop_all(self, workers: list[Worker]) -> None:
        live = [w.proc for w in workers if w.proc is not None and w.proc.poll() is None]
        for p in live:
            p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for p in live:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for w in workers:
            if w.ready_fd is not None:
                os.close(w.ready_fd)
                w.ready_fd = None


def serve(settings: Settings, host: str, port: int, workers: int, log_level: str = "info",
          access_log: bool = True) -> int:
    """Serve the API with ``workers`` processes (see the module's text); the exit code."""
    return Supervisor(settings, host, port, workers, log_level, access_log).run()


# --------------------------------------------------------------------------- one worker

def _die_with_parent(parent: int) -> None:
    """Have the kernel send SIGTERM when the supervisor dies (Linux), and exit
    now if it is already gone."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        sys.exit(1)


def worker_main(argv: list[str] | None = None) -> None:
    import uvicorn

    from zeren.api.accesslog import uvicorn_log_config
    from zeren.api.app import create_app

    p = argparse.ArgumentParser(description="one worker of 'zeren serve --workers N' (started by it)")
    p.add_argument("--fd", type=int, required=True, help="the inherited listening socket")
    p.add_argument("--ready-fd", type=int, required=True, help="pipe to write one byte to once serving")
    p.add_argument("--parent", type=int, required=True, help="the supervisor's pid")
    p.add_argument("--log-level", default="info")
    p.add_argument("--no-access-log", action="store_true")
    args = p.parse_args(argv)
    _die_with_parent(args.parent)
    settings = Settings(**json.loads(sys.stdin.read()))
    sock = socket.socket(fileno=args.fd)
    ready_fd = args.ready_fd

    class _Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                os.write(ready_fd, b"1")
                os.close(ready_fd)

    config = uvicorn.Config(create_app(settings), log_level=args.log_level, access_log=not args.no_access_log,
                            log_config=uvicorn_log_config(), lifespan="on")
    _Server(config).run(sockets=[sock])


if __name__ == "__main__":
    worker_main()
