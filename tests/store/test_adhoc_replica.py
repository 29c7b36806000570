"""Ad hoc Cypher on the embedded store runs on a sacrificial read replica: a
query whose memory grows inside one expression (which FalkorDB cannot stop)
gets the replica killed by zeren's watchdog and a 422, while the main store
and its other clients go on; the replica comes back with the data. Real
servers throughout; every heavy test runs under a safety watchdog of its own
that kills the replica far above the cap, so the machine is never at risk."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from api_server import served
from redis.exceptions import ResponseError

from zeren.api.app import create_app, open_services
from zeren.api.context import Services
from zeren.config import Settings
from zeren.graph.store.replica import ReplicaStore, memory_shortfall, replica_client, rss_mb, stop_replica
from zeren.graph.store.embedded import EmbeddedServer, Guards

CAP_MB = 64
SAFETY_MB = 1024
# 4,000 copies of a list of 4,000 numbers: 256 MB, four times the cap above the
# main store (1 GB at 8,000, which the earlier measurements used).
QUADRATIC = "UNWIND range(1, 4000) AS i WITH collect(i) AS l RETURN size([a IN l | l]) AS n"
NODES = 300


@dataclass
class Running:
    url: str
    services: Services
    token: str
    settings: Settings

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def state_file(self) -> Path:
        return EmbeddedServer(self.settings.data_dir, Guards.of(self.settings)).root / "replica" / "state.json"

    def replica_pid(self) -> int | None:
        pid = json.loads(self.state_file.read_text())["pid"]
        return int(pid) if pid is not None else None

    def main_pid(self) -> int:
        root = EmbeddedServer(self.settings.data_dir, Guards.of(self.settings)).root
        return int(json.loads((root / "server.json").read_text())["pid"])


@contextmanager
def service(data_dir: Path, **overrides: object) -> Iterator[Running]:
    settings = Settings(graph="embedded", data_dir=data_dir, graph_name="replica_world",  # type: ignore[arg-type]
                        **{"cypher_store_max_mb": CAP_MB, "cypher_timeout_ms": 20_000, **overrides})
    services = open_services(settings)
    services.store.clear()
    services.store.write("UNWIND range(1, $n) AS i CREATE (:Probe {id: i})", {"n": NODES})
    token = services.tokens.issue("replica test", "analyst")[1]
    try:
        with served(create_app(settings, services)) as url:
            yield Running(url, services, token, settings)
    finally:
        if services.adhoc is not None:
            services.adhoc.close()
        server = EmbeddedServer(settings.data_dir, Guards.of(settings))
        server.start()
        stop_replica(server)
        services.store.close()


@contextmanager
def safety_watchdog(pid_of: object, ceiling_mb: int = SAFETY_MB) -> Iterator[list[float]]:
    """Kill the replica if it ever passes ``ceiling_mb`` (zeren's watchdog
    failed): the test then fails on the list it yields, never the machine."""
    fired: list[float] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            pid = pid_of()  # type: ignore[operator]
            rss = rss_mb(pid) if pid else None
            if rss is not None and rss > ceiling_mb:
                os.kill(pid, 9)
                fired.append(rss)
            stop.wait(0.02)

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    try:
        yield fired
    finally:
        stop.set()
        t.join()


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with service(tmp_path_factory.mktemp("replica")) as r:
        yield r


def count_probes(r: Running, client: httpx.Client) -> httpx.Response:
    return client.post("/cypher", json={"query": "MATCH (p:Probe) RETURN count(p) AS n"}, headers=r.auth)


def test_ad_hoc_queries_run_on_a_replica_apart_from_the_main_store(running: Running) -> None:
    assert isinstance(running.services.adhoc, ReplicaStore)
    assert running.replica_pid() not in (None, running.main_pid())
    with httpx.Client(base_url=running.url, timeout=30) as c:
        r = count_probes(running, c)
    assert r.status_code == 200 and r.json()["rows"] == [[NODES]]


def test_a_quadratic_query_gets_422_and_only_the_replica_is_killed_while_the_store_answers(running: Running) -> None:
    main_pid, replica_pid = running.main_pid(), running.replica_pid()
    kills = json.loads(running.state_file.read_text())["kills"]
    reads: list[int] = []
    errors: list[str] = []
    done = threading.Event()

    def other_client() -> None:  # reads the main store all along
        while not done.is_set():
            try:
                reads.append(running.services.store.read("MATCH (p:Probe) RETURN count(p) AS n")[0]["n"])
            except Exception as e:  # noqa: BLE001 - any failure is the test's finding
                errors.append(repr(e))
            time.sleep(0.01)

    other = threading.Thread(target=other_client)
    other.start()
    try:
        with safety_watchdog(running.replica_pid) as fired, httpx.Client(base_url=running.url, timeout=60) as c:
            r = c.post("/cypher", json={"query": QUADRATIC}, headers=running.auth)
    finally:
        done.set()
        other.join()
    assert not fired, f"zeren's watchdog let the replica reach {fired[0]:.0f} MB"
    assert r.status_code == 422, r.text
    assert "more memory than an ad hoc query may use" in r.json()["detail"]
    state = json.loads(running.state_file.read_text())
    assert state["kills"] == kills + 1 and state["last_kill"]["pid"] == replica_pid
    kill = state["last_kill"]
    assert kill["rss_mb"] > kill["limit_mb"] and kill["limit_mb"] == pytest.approx(kill["main_rss_mb"] + CAP_MB, abs=0.2)
    assert running.main_pid() == main_pid and running.services.store.ping()
    assert not errors and reads and set(reads) == {NODES}


def test_the_replica_comes_back_with_the_data_loaded_before(running: Running) -> None:
    with safety_watchdog(running.replica_pid) as fired, httpx.Client(base_url=running.url, timeout=60) as c:
        before = running.replica_pid()
        assert c.post("/cypher", json={"query": QUADRATIC}, headers=running.auth).status_code == 422
        deadline = time.monotonic() + 30
        while (r := count_probes(running, c)).status_code != 200 and time.monotonic() < deadline:
            assert r.status_code == 503 and r.headers["Retry-After"], r.text
            time.sleep(0.1)
    assert not fired
    assert r.status_code == 200 and r.json()["rows"] == [[NODES]]
    deadline = time.monotonic() + 5  # the watchdog records the new pid at its next poll
    while running.replica_pid() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert running.replica_pid() not in (None, before)


def test_ad_hoc_reads_see_a_load_as_soon_as_it_has_finished(running: Running) -> None:
    with httpx.Client(base_url=running.url, timeout=30) as c:
        for i in range(1, 21):
            running.services.store.write("UNWIND range(1, 50) AS j CREATE (:Fresh {round: $i, j: j})", {"i": i})
            r = c.post("/cypher", json={"query": "MATCH (f:Fresh) RETURN count(f) AS n"}, headers=running.auth)
            assert r.status_code == 200 and r.json()["rows"] == [[50 * i]], (i, r.text)


def test_a_write_is_refused_on_the_replica(running: Running) -> None:
    with httpx.Client(base_url=running.url, timeout=30) as c:
        r = c.post("/cypher", json={"query": "CREATE (:Intruder) RETURN 1"}, headers=running.auth)
    assert r.status_code == 403
    state = json.loads(running.state_file.read_text())
    password = json.loads((running.state_file.parent.parent / "server.json").read_text())["password"]
    db = replica_client(state["socket"], password)
    with pytest.raises(ResponseError, match="read only replica"):
        db.connection.execute_command("GRAPH.QUERY", "replica_world", "CREATE (:Intruder)")
    db.connection.close()
    assert running.services.store.read("MATCH (n:Intruder) RETURN count(n) AS n") == [{"n": 0}]


def test_without_the_replica_ad_hoc_queries_run_on_the_store_itself(tmp_path: Path) -> None:
    with service(tmp_path, cypher_replica=False) as r, httpx.Client(base_url=r.url, timeout=30) as c:
        assert r.services.adhoc is None
        assert count_probes(r, c).json()["rows"] == [[NODES]]
        assert not r.state_file.exists()


def test_an_ad_hoc_query_gets_503_with_retry_after_while_the_replica_is_gone(tmp_path: Path) -> None:
    with service(tmp_path) as r, httpx.Client(base_url=r.url, timeout=30) as c:
        assert count_probes(r, c).status_code == 200
        server = EmbeddedServer(r.settings.data_dir, Guards.of(r.settings))
        server.start()
        stop_replica(server)
        gone = count_probes(r, c)
        assert gone.status_code == 503 and gone.headers["Retry-After"] == "1"
        assert "try again" in gone.json()["detail"]


def test_a_replica_without_the_memory_for_it_is_not_started_and_ad_hoc_queries_say_why(tmp_path: Path) -> None:
    # Headroom far past any machine's memory: the replica must not start, the
    # service must, and /cypher says why (503) while the store answers.
    with service(tmp_path, cypher_store_max_mb=10**9) as r, httpx.Client(base_url=r.url, timeout=30) as c:
        assert r.replica_pid() is None
        refused = count_probes(r, c)
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "60"
        detail = refused.json()["detail"]
        assert "the ad hoc replica was not started" in detail and "MiB are available" in detail
        assert "ZEREN_CYPHER_REPLICA=false" in detail
        assert r.services.store.read("MATCH (p:Probe) RETURN count(p) AS n") == [{"n": NODES}]


def test_the_memory_a_replica_needs_is_two_copies_of_the_graph_and_its_headroom() -> None:
    assert memory_shortfall(1000, 1024, 4000) is None
    assert memory_shortfall(1000, 1024, None) is None, "where the machine does not say, the replica starts"
    short = memory_shortfall(6000, 1024, 12000)
    assert short is not None and "about 13,024 MiB" in short and "12,000 MiB are available" in short


def test_a_graph_never_written_answers_on_the_replica_and_stays_empty(tmp_path: Path) -> None:
    settings = Settings(graph="embedded", data_dir=tmp_path, graph_name="never_written")  # type: ignore[arg-type]
    services = open_services(settings)
    try:
        assert services.adhoc is not None
        query = "MATCH (n) RETURN count(n) AS n, 1 AS one"
        answer = services.adhoc.read_only(query, {}, timeout_ms=5000, max_rows=10)
        assert answer.columns == ["n", "one"]
        assert answer == services.store.read_only(query, {}, timeout_ms=5000, max_rows=10)
        assert services.store.read("CALL db.labels() YIELD label RETURN label") == []
        assert services.store.read("CALL db.propertyKeys() YIELD propertyKey RETURN propertyKey") == []
    finally:
        services.adhoc.close()
        server = EmbeddedServer(settings.data_dir, Guards.of(settings))
        server.start()
        stop_replica(server)
        services.store.close()
