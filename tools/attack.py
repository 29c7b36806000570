"""Hostile-query harness: fires ad hoc Cypher and GraphQL meant to exhaust the
service's store at a running zeren while another client runs traces, and
reports per query its status, time to answer, the embedded store's memory
before and after (process RSS, its peak while the query ran, and INFO's
used_memory), whether the trace client saw an error meanwhile, and the ad hoc
replica's peak RSS and whether zeren's watchdog killed it (its pid changed).

By default it starts a demo service of its own (``zeren demo``: the embedded
store, the sample data) in a fresh data folder on a loopback port; the store
limits come from the usual ``ZEREN_*`` settings, which it passes on. A watchdog
kills the store or its ad hoc replica if its RSS passes ``--rss-ceiling-mb``
(and says so), so a guard that fails cannot take the machine's memory.

    python tools/attack.py --memory-mb 512 --cypher-timeout-ms 5000
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis

TRACE = """{ matter(id: "M-CQ-0012") { responsibility(asOf: "2019-08-01") { findings { kind person { name } } }
  failures { id accountability { findings { kind } } } } }"""

CYPHER = [
    ("range 2e9, counted", "UNWIND range(1, 2000000000) AS x RETURN count(x)"),
    ("range 3e6, returned", "UNWIND range(1, 3000000) AS x RETURN x"),
    ("range 1e6, returned (row cap)", "UNWIND range(1, 1000000) AS x RETURN x"),
    ("range with a computed bound", "MATCH (n) WITH count(n) AS c UNWIND range(1, c * 1000000) AS x RETURN count(x)"),
    ("ranges nested in a comprehension", "RETURN size([x IN range(1, 1000) | range(1, 1000)])"),
    ("cartesian product of 4", "MATCH (a), (b), (c), (d) RETURN count(*)"),
    ("cartesian product, rows returned", "MATCH (a), (b), (c) RETURN a, b, c"),
    ("collect() of every pair", "MATCH (a), (b) RETURN size(collect([a, b]))"),
    ("collect() of a cartesian of ranges", "UNWIND range(1, 1000) AS a UNWIND range(1, 1000) AS b "
                                           "RETURN size(collect([a, b, a * b]))"),
    ("string doubling", "RETURN size(reduce(s = 'x', i IN range(1, 40) | s + s))"),
    ("a collected list copied per element (quadratic)", "UNWIND range(1, 8000) AS x WITH collect(x) AS l "
                                                         "RETURN size([a IN l | l])"),
    ("the same over 30,000 elements (14 GB unguarded)", "UNWIND range(1, 30000) AS x WITH collect(x) AS l "
                                                        "RETURN size([a IN l | l])"),
    ("nested comprehension over a collected list", "UNWIND range(1, 20000) AS x WITH collect(x) AS l "
                                                   "RETURN size([x IN l | [y IN l | x + y]])"),
    ("a string replaced into itself", "UNWIND range(1, 40000) AS x WITH collect('a') AS l "
                                      "WITH string.join(l, '') AS s RETURN size(replace(s, 'a', s))"),
    ("deep variable-length paths", "MATCH p = (a)-[*1..40]-(b) RETURN count(p)"),
    ("variable-length paths collected", "MATCH p = (a)-[*1..12]-(b) RETURN size(collect(p))"),
    ("unbounded variable-length paths", "MATCH p = (a)-[*]-(b) RETURN count(p)"),
]

GRAPHQL = [
    ("GraphQL: nesting 60 deep", "{ __schema { " + "types { fields { type { " * 20 + "name" + " } } }" * 20 + " } }"),
    ("GraphQL: 2,000 aliases",
     "{ " + " ".join(f"a{i}: matter(id: \"M-CQ-0012\") {{ id }}" for i in range(2000)) + " }"),
    ("GraphQL: 50 traces aliased", "{ " + " ".join(
        f"t{i}: matter(id: \"M-CQ-0012\") {{ responsibility {{ findings {{ kind }} }} }}" for i in range(50)) + " }"),
    ("GraphQL: 100 MB body", None),
]


@dataclass
class Store:
    pid: int
    info: redis.Redis

    @classmethod
    def of(cls, data_dir: Path) -> Store:
        state = json.loads((data_dir / "falkordb" / "server.json").read_text())
        return cls(int(state["pid"]), redis.Redis(unix_socket_path=state["socket"], password=state["password"]))

    def rss_mb(self, pid: int | None = None) -> float:
        try:
            for line in Path(f"/proc/{pid or self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return float("nan")

    @staticmethod
    def replica_pid(data_dir: Path) -> int | None:
        """The ad hoc replica's pid (None while it restarts, or without one)."""
        try:
            pid = json.loads((data_dir / "falkordb" / "replica" / "state.json").read_text())["pid"]
        except (OSError, ValueError, KeyError):
            return None
        return int(pid) if pid is not None else None

    def used_mb(self) -> float:
        try:
            return int(self.info.info("memory")["used_memory"]) / 2**20
        except redis.RedisError:
            return float("nan")


@dataclass
class Watch:
    store: Store
    data_dir: Path
    ceiling_mb: float
    peak: float = 0.0
    replica_peak: float = 0.0
    killed: bool = False
    replica_killed: bool = False
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            rss = self.store.rss_mb()
            self.peak = max(self.peak, rss if rss == rss else 0)
            if rss > self.ceiling_mb and not self.killed:
                self.killed = True
                os.kill(self.store.pid, signal.SIGKILL)
            replica = self.store.replica_pid(self.data_dir)
            if replica is not None:
                rss = self.store.rss_mb(replica)
                self.replica_peak = max(self.replica_peak, rss if rss == rss else 0)
                if rss > self.ceiling_mb:
                    self.replica_killed = True
                    os.kill(replica, signal.SIGKILL)
            time.sleep(0.02)


@dataclass
class Tracer:
    client: httpx.Client
    token: str
    ok: int = 0
    errors: list[str] = field(default_factory=list)
    slowest: float = 0.0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            t = time.monotonic()
            try:
                r = self.client.post("/graphql", json={"query": TRACE},
                                     headers={"Authorization": f"Bearer {self.token}"})
                body = r.json()
                if r.status_code != 200 or body.get("errors") or not body["data"]["matter"]:
                    self.errors.append(f"{r.status_code} {str(body)[:120]}")
                else:
                    self.ok += 1
            except Exception as e:
                self.errors.append(f"{type(e).__name__}: {e}")
            self.slowest = max(self.slowest, time.monotonic() - t)


def wait_for_replica(data_dir: Path, wait_s: float = 30) -> int | None:
    """The replica's pid once it serves (after a kill it restarts), None without one."""
    if not (data_dir / "falkordb" / "replica").exists():
        return None
    deadline = time.monotonic() + wait_s
    while (pid := Store.replica_pid(data_dir)) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return pid


def start_demo(data_dir: Path, port: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    env = {**os.environ, "ZEREN_DATA_DIR": str(data_dir)}
    zeren = Path(sys.executable).with_name("zeren")
    proc = subprocess.Popen([str(zeren), "demo", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    tokens: dict[str, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        m = re.match(r"\s+(\w+)\s+(zrn_\S+)$", line)
        if m:
            tokens[m.group(1)] = m.group(2)
        if line.startswith("Cypher:"):
            break
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # type: ignore[union-attr]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                return proc, tokens
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"the demo service did not answer on port {port}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=8799)
    ap.add_argument("--memory-mb", type=int, default=512, help="ZEREN_QUERY_MEMORY_MB for the store started")
    ap.add_argument("--cypher-timeout-ms", type=int, default=5000, help="ZEREN_CYPHER_TIMEOUT_MS")
    ap.add_argument("--replica-max-mb", type=int, default=1024,
                    help="ZEREN_CYPHER_STORE_MAX_MB: the ad hoc replica is killed this far above the store's RSS")
    ap.add_argument("--rss-ceiling-mb", type=float, default=4096,
                    help="the harness's watchdog kills the store or the replica above this")
    ap.add_argument("--settle-s", type=float, default=1.0, help="pause after each query before reading memory")
    args = ap.parse_args()
    os.environ["ZEREN_QUERY_MEMORY_MB"] = str(args.memory_mb)
    os.environ["ZEREN_CYPHER_TIMEOUT_MS"] = str(args.cypher_timeout_ms)
    os.environ["ZEREN_CYPHER_STORE_MAX_MB"] = str(args.replica_max_mb)
    data_dir = Path(tempfile.mkdtemp(prefix="zeren-attack-"))
    service, tokens = start_demo(data_dir, args.port)
    store = Store.of(data_dir)
    watch = Watch(store, data_dir, args.rss_ceiling_mb)
    threading.Thread(target=watch.run, daemon=True).start()
    url = f"http://127.0.0.1:{args.port}"
    print(f"store limits: query memory {args.memory_mb} MB, ad hoc timeout {args.cypher_timeout_ms} ms; "
          f"ad hoc replica killed {args.replica_max_mb} MB above the store's RSS; "
          f"store pid {store.pid}, RSS {store.rss_mb():.0f} MB at start")
    print("| attack | status | answer s | store RSS before → peak → after MB | used_memory after MB "
          "| replica peak RSS MB, killed by zeren | traces ok / errors meanwhile | slowest trace s | answer |")
    print("|---|---|---|---|---|---|---|---|---|")
    failures = 0
    with httpx.Client(base_url=url, timeout=120) as attacker, httpx.Client(base_url=url, timeout=120) as tc:
        for name, query in [(n, ("cypher", q)) for n, q in CYPHER] + [(n, ("graphql", q)) for n, q in GRAPHQL]:
            tracer = Tracer(tc, tokens["investigator"])
            tthread = threading.Thread(target=tracer.run, daemon=True)
            tthread.start()
            time.sleep(0.3)
            replica_before = wait_for_replica(data_dir)
            before = store.rss_mb()
            watch.peak, watch.replica_peak = before, 0.0
            t = time.monotonic()
            kind, text = query
            analyst = {"Authorization": f"Bearer {tokens['analyst']}"}
            try:
                if kind == "cypher":
                    r = attacker.post("/cypher", json={"query": text}, headers=analyst)
                elif text is None:
                    r = attacker.post("/graphql", content=b'{"query": "' + b" " * (100 * 2**20) + b'"}',
                                      headers={**analyst, "Content-Type": "application/json"})
                else:
                    r = attacker.post("/graphql", json={"query": text}, headers=analyst)
                status, took = r.status_code, time.monotonic() - t
                body = r.json()
                said = body.get("detail") or (body.get("errors") or [{}])[0].get("message") \
                    or (f"{len(body['rows'])} rows, truncated={body['truncated']}" if "rows" in body else "data")
            except Exception as e:
                status, took, said = 0, time.monotonic() - t, f"{type(e).__name__}: {e}"
            back = ""
            if replica_before is not None and store.replica_pid(data_dir) != replica_before:
                answered = time.monotonic()
                wait_for_replica(data_dir)
                back = f" (serving again {time.monotonic() - answered:.2f} s after the answer)"
            time.sleep(args.settle_s)
            tracer.stop.set()
            tthread.join()
            after = store.rss_mb()
            replica_killed = bool(back)
            if watch.killed or watch.replica_killed or tracer.errors or status in (0, 500) \
                    or store.pid != Store.of(data_dir).pid:
                failures += 1
            print(f"| {name} | {status} | {took:.2f} | {before:.0f} → {watch.peak:.0f} → {after:.0f} | "
                  f"{store.used_mb():.0f} | {watch.replica_peak:.0f}, {'yes' + back if replica_killed else 'no'} | "
                  f"{tracer.ok} / {len(tracer.errors)} | {tracer.slowest:.2f} | "
                  f"{str(said)[:110].replace('|', '/')} |", flush=True)
            if tracer.errors:
                print(f"|   trace errors: {tracer.errors[:2]} |")
            if watch.killed or watch.replica_killed:
                print(f"WATCHDOG: the {'store' if watch.killed else 'replica'} passed {args.rss_ceiling_mb:.0f} MB "
                      "RSS and was killed by the harness")
                break
    watch.stop.set()
    os.killpg(service.pid, signal.SIGTERM)
    service.wait(timeout=60)
    print(f"{failures} attack(s) with a store kill (or a replica killed by the harness, not zeren), "
          "a 500/no answer or a trace error")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
