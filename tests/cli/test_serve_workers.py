"""``zeren serve --workers N``: granian's workers, each with a listening socket
of its own, connections spread over them by the kernel, a dead worker
replaced, a worker that cannot start stopping the service, and a clean stop."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from zeren.api.workers import connections_by_process, listening_pids, reserve_address



def test_the_reserved_address_keeps_other_programs_off_and_takes_no_connection() -> None:
    holder = reserve_address("127.0.0.1", 0)
    port = holder.getsockname()[1]
    try:
        assert port != 0 and holder.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)
        with socket.socket() as other, pytest.raises(OSError):  # a process without SO_REUSEPORT is kept out
            other.bind(("127.0.0.1", port))
        with pytest.raises(ConnectionRefusedError):  # it does not listen: no connection waits on it
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        # A worker's listening socket (SO_REUSEPORT) takes the same port and every connection.
        with socket.create_server(("127.0.0.1", port), reuse_port=True) as worker:
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                accepted, _ = worker.accept()
                accepted.close()
    finally:
        holder.close()


@dataclass
class Serving:
    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    port: int = 0

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            for line in self.lines[seen:]:
                m = re.search(pattern, line)
                if m:
                    return m
            seen = len(self.lines)
            if self.proc.poll() is not None and seen == len(self.lines):
                break
            time.sleep(0.05)
        raise AssertionError(f"no line matching {pattern!r}; the output:\n" + "".join(self.lines))

    def workers(self) -> list[int]:
        """The service's processes listening on its port (the store and the
        replica listen elsewhere)."""
        kids = [p.pid for p in psutil.Process(self.proc.pid).children()]
        return sorted(listening_pids(kids, self.port))


@contextmanager
def serving(tmp_path: Path, *extra: str, env: dict[str, str] | None = None) -> Iterator[Serving]:
    cmd = [sys.executable, "-m", "zeren.cli", "serve", "--port", "0", "--no-access-log", "--log-level", "warning",
           *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "ZEREN_DATA_DIR": str(tmp_path / "data"), **(env or {})})
    s = Serving(proc)

    def drain() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            s.lines.append(line)

    threading.Thread(target=drain, daemon=True).start()
    try:
        yield s
    finally:
        if proc.poll() is None:  # a test that failed: stopped as an operator would, so that it stops its store
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def health(port: int) -> http.client.HTTPConnection:
    """A keep-alive connection that has had one answer to GET /health (200, checked)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", "/health")
    r = c.getresponse()
    body = json.loads(r.read())
    assert r.status == 200 and body["store_up"] is True, body
    return c


@pytest.mark.slow
def test_connections_spread_over_workers_a_dead_one_is_replaced_and_sigterm_stops_all(tmp_path: Path) -> None:
    with serving(tmp_path, "--workers", "2") as s:
        port = s.port = int(s.wait_for(r"serving http://127\.0\.0\.1:(\d+) with 2 workers").group(1))
        s.wait_for(r"all 2 workers ready")
        first = s.workers()
        assert len(first) == 2
        # The embedded store was started once, by the master (zeren serve itself), for both workers.
        state = tmp_path / "data" / "falkordb" / "server.json"
        store_pid = json.loads(state.read_text())["pid"]
        assert Path(f"/proc/{store_pid}/status").read_text().split("PPid:")[1].split()[0] == str(s.proc.pid)
        # So was the read replica serving the workers' ad hoc Cypher, and its watchdog.
        replica = tmp_path / "data" / "falkordb" / "replica" / "state.json"
        replica_pid = json.loads(replica.read_text())["pid"]
        assert Path(f"/proc/{replica_pid}/status").read_text().split("PPid:")[1].split()[0] == str(s.proc.pid)

        # 32 keep-alive connections opened one after another: with one socket per
        # worker both workers hold some (all 32 on one: a chance of 2 in 2**32).
        conns = [health(port) for _ in range(32)]
        split = connections_by_process(first, port)
        assert len(split) == 2 and sum(split) == 32, split
        for c in conns:
            c.close()

        # A worker killed outright is replaced, and the service keeps answering.
        os.kill(first[0], signal.SIGKILL)
        s.wait_for(r"worker \d \(pid \d+\) ready")
        now = s.workers()
        assert len(now) == 2 and first[0] not in now and first[1] in now
        conns = [health(port) for _ in range(32)]
        assert len(connections_by_process(now, port)) == 2
        for c in conns:
            c.close()

        children = psutil.Process(s.proc.pid).children(recursive=True)
        s.proc.send_signal(signal.SIGTERM)
        assert s.proc.wait(timeout=60) == 0
        # Every process it started is gone (within seconds: a helper of the
        # master may see its end after it).
        gone, alive = psutil.wait_procs(children, timeout=10)
        assert not alive, [p.cmdline() for p in alive]
        assert {p.pid for p in gone} >= set(now)
        assert not state.exists()  # the embedded store was stopped with the service
        assert not replica.exists() and not Path(f"/proc/{replica_pid}").exists()
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()


@pytest.mark.slow
def test_a_worker_that_cannot_start_stops_the_service_with_its_reason(tmp_path: Path) -> None:
    # A secret key each worker refuses as it starts (a store that cannot be
    # reached is refused before any worker starts, in one line).
    with serving(tmp_path, "--workers", "2", env={"ZEREN_SECRET_KEY": "not-a-fernet-key"}) as s:
        code = s.proc.wait(timeout=60)
        s.wait_for(r"before it was ready; stopping")
    assert code == 1  # the worker's exit code (its start-up failure), passed on
    out = "".join(s.lines)
    assert "the secret key is not a Fernet key" in out


def test_serve_reports_an_address_it_cannot_take(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "zeren.cli", "serve", "--workers", "2", "--port", str(port)],
                           capture_output=True, text=True, timeout=60,
                           env={**os.environ, "ZEREN_DATA_DIR": str(tmp_path / "data")})
    assert r.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in r.stderr
    assert not (tmp_path / "data" / "falkordb").exists()  # nothing was started for it
