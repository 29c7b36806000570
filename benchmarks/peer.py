"""P6: the peer, side by side. The Neo4j GraphQL Library (``@neo4j/graphql``,
served by ``benchmarks/peer/server.mjs``) over the same Neo4j database that
zeren serves, answering ``benchmarks/peer/trace.graphql``, the closest query
it can express to a standing trace. Run by ``benchmarks/run.py`` when the
store is Neo4j and ``npm ci --prefix benchmarks/peer`` has been run.

Each matter is asked of both, one right after the other (``time_interleaved``),
with the matter's own received date and subject, then each is driven by the
same number of keep-alive clients for the same time. Every peer answer is
checked (no errors, the matter found) before any timing counts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PEER = Path(__file__).resolve().parent / "peer"
QUERY = (PEER / "trace.graphql").read_text(encoding="utf-8")


def available() -> str | None:
    """None when the peer can run here, else why not."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (PEER / "node_modules" / "@neo4j" / "graphql").is_dir():
        return "benchmarks/peer/node_modules is missing: run `npm ci --prefix benchmarks/peer`"
    return None


def body(matter: dict[str, str]) -> bytes:
    return json.dumps({"query": QUERY, "variables": {"id": matter["id"], "on": matter["received_on"],
                                                     "subject": matter["subject"]}}).encode()


def check(status: int, raw: bytes) -> int:
    """The number of institutions in the peer's answer; raises on an error answer."""
    doc = json.loads(raw)
    if status != 200 or doc.get("errors") or not doc.get("data", {}).get("petitionMatters"):
        raise RuntimeError(f"peer query failed: {status} {raw[:500]!r}")
    n = 0
    level = doc["data"]["petitionMatters"][0]["territory"]
    while level:
        n += sum(len(t["institutions"]) for t in level)
        level = [p for t in level for p in t.get("parent", [])]
    return n


@dataclass
class Peer:
    proc: subprocess.Popen[str]
    port: int

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start(env: dict[str, str], port: int) -> Peer:
    """The peer's server on ``port``, once it says it is ready (schema built, database answering)."""
    proc = subprocess.Popen(["node", str(PEER / "server.mjs")], env={**os.environ, **env, "PORT": str(port)},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    ready = threading.Event()

    def drain() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("PEER READY"):
                ready.set()

    threading.Thread(target=drain, daemon=True).start()
    deadline = time.monotonic() + 60
    while not ready.wait(0.1):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"the peer did not start: {''.join(lines)[-2000:]}")
    return Peer(proc, port)


def side_by_side(matters: list[dict[str, str]], zeren_post: Callable[[bytes], tuple[int, bytes]],
                 zeren_body: Callable[[str], bytes], peer_post: Callable[[bytes], tuple[int, bytes]],
                 time_interleaved: Callable[..., tuple[list[float], list[float]]]) -> tuple[list[float], list[float], int]:
    """Milliseconds per matter for zeren's full trace and the peer's partial one,
    timed one right after the other; and the mean number of institutions in the
    peer's answers (checked before timing)."""
    by_id = {m["id"]: m for m in matters}
    ids = list(by_id)
    sizes = [check(*peer_post(body(by_id[i]))) for i in ids]  # warm-up, and every answer checked
    for i in ids:
        zeren_post(zeren_body(i))
    z_ms, p_ms = time_interleaved(ids, lambda i: zeren_post(zeren_body(i)), lambda i: peer_post(body(by_id[i])))
    return z_ms, p_ms, round(sum(sizes) / len(sizes))
