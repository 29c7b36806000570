"""The live ``zeren serve`` under test and a minimal keep-alive HTTP client for it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .common import TRACE_QUERY
from .processes import descendants, peak_rss
from .stores import Backend


class HttpClient:
    """A minimal HTTP/1.1 keep-alive client (one connection): a few microseconds
    per request, so the figures are the server's, not the client's."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.head = (f"POST /graphql HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
                     "Content-Type: application/json\r\nAccept: application/json\r\nConnection: keep-alive\r\n")
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def post(self, body: bytes) -> tuple[int, bytes]:
        self.sock.sendall(self.head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        while b"\r\n\r\n" not in self.buf:
            self._recv()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if length is None:
            raise RuntimeError("response without Content-Length")
        while len(self.buf) < length:
            self._recv()
        body, self.buf = self.buf[:length], self.buf[length:]
        return status, body

    def _recv(self) -> None:
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def close(self) -> None:
        self.sock.close()


def trace_body(matter_id: str) -> bytes:
    return json.dumps({"query": TRACE_QUERY, "variables": {"id": matter_id}}).encode()


def check_trace(status: int, body: bytes) -> int:
    """The number of findings of a GraphQL trace answer; raises on an error answer."""
    doc = json.loads(body)
    if status != 200 or doc.get("errors"):
        raise RuntimeError(f"trace failed: {status} {body[:500]!r}")
    return len(doc["data"]["matter"]["responsibility"]["findings"])


@dataclass
class Server:
    proc: subprocess.Popen[str]
    port: int
    workers: int

    def pids(self) -> list[int]:
        """Every process of the service: the master and, with several workers, its children."""
        return [self.proc.pid, *descendants(self.proc.pid)]

    def peak_rss(self) -> dict[str, int | None]:
        """The peak resident set of each service process (the workers; the master too when there are several)."""
        out = {"master": peak_rss(self.proc.pid)}
        if self.workers > 1:
            for i, pid in enumerate(descendants(self.proc.pid)):
                out[f"worker{i + 1}"] = peak_rss(pid)
        return out

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(backend: Backend, graph: str, workers: int) -> Server:
    """``zeren serve`` on a free port, once it answers ``/health`` and, with
    several workers, once the supervisor says every worker is ready."""
    port = free_port()
    cmd = [sys.executable, "-m", "zeren.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    ready = f"all {workers} workers ready"
    return start_service(cmd, {**os.environ, **backend.env(graph)}, port, workers,
                         lambda pid, lines: workers == 1 or any(ready in line for line in lines))


def start_service(cmd: list[str], env: dict[str, str], port: int, workers: int,
                  ready: Callable[[int, list[str]], bool]) -> Server:
    """A service started by ``cmd`` on ``port``, once it answers ``/health`` and
    ``ready(its pid, its output so far)``. Its output is read all along (a
    pipe left unread would stop it once full)."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []

    def drain() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)

    threading.Thread(target=drain, daemon=True).start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            time.sleep(0.2)  # the rest of its output
            raise RuntimeError(f"the server exited: {''.join(lines)[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if b" 200 " in s.recv(1024) and ready(proc.pid, lines):
                    break
        except OSError:
            pass
        time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError(f"the server did not answer within 60 s: {''.join(lines)[-2000:]}")
    return Server(proc, port, workers)


def issue_token(data_dir: Path) -> str:
    from zeren.api.security import TokenStore

    return TokenStore(data_dir / "zeren.db").issue("benchmark", "investigator")[1]
