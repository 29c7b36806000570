"""How zeren reaches a Neo4j: ``bolt://`` (one server) and ``neo4j://`` (the
routing driver, here against a single instance), with a user, a password and a
database; what a user sees when it cannot: one line naming the URI and the
cause, at once, from the store and from every ``zeren`` command that opens it
(real processes); and an analyst's query past the server's memory limit for a
transaction, refused in words (a 4xx, not the 504 of a timeout)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from api_server import served
from backends import TX_MEMORY_MB, BoltServer, free_port, neo4j_settings

from zeren.api.app import create_app, open_services
from zeren.config import Settings
from zeren.graph.store import QueryTimeout, ReadOnlyViolation, StoreError, open_store
from zeren.graph.store.base import QueryMemoryExceeded
from zeren.graph.store.neo4j_store import Neo4jStore

ZEREN = Path(sys.executable).parent / "zeren"
# A guard against the old behaviour (the driver retrying for about a minute),
# not a speed target: a one-line error comes back in a few seconds.
HANG_S = 45


def _uri(server: BoltServer, scheme: str) -> str:
    return f"{scheme}://127.0.0.1:{server.port}"


@pytest.mark.parametrize("scheme", ["bolt", "neo4j"])
def test_both_uri_schemes_write_read_and_refuse_writes_in_ad_hoc_reads(neo4j_store: Neo4jStore,
                                                                       neo4j_server: BoltServer, scheme: str) -> None:
    settings = Settings(graph=_uri(neo4j_server, scheme), neo4j_user=neo4j_server.user,
                        neo4j_password=neo4j_server.password, neo4j_database=neo4j_server.database)
    with open_store(settings) as store:
        assert isinstance(store, Neo4jStore) and store.ping()
        store.write("CREATE (:Probe {id: $id})", {"id": scheme})
        assert store.read("MATCH (n:Probe) RETURN n.id AS id") == [{"id": scheme}]
        res = store.read_only("MATCH (n:Probe) RETURN n.id AS id", timeout_ms=5000, max_rows=10)
        assert (res.columns, res.rows) == (["id"], [[scheme]])
        with pytest.raises(ReadOnlyViolation):
            store.read_only("MATCH (n:Probe) SET n.id = 'x'", timeout_ms=5000, max_rows=10)
    assert neo4j_store.read("MATCH (n:Probe) RETURN n.id AS id") == [{"id": scheme}]


def test_a_wrong_password_is_one_line_naming_the_uri_and_the_user(neo4j_server: BoltServer) -> None:
    with pytest.raises(StoreError) as raised:
        Neo4jStore(neo4j_server.uri, neo4j_server.user, "not-the-password", database=neo4j_server.database)
    assert str(raised.value) == (f"Neo4j at {neo4j_server.uri} refused user '{neo4j_server.user}': "
                                 "The client is unauthorized due to authentication failure.")


def test_a_missing_database_is_named(neo4j_server: BoltServer) -> None:
    with pytest.raises(StoreError) as raised:
        Neo4jStore(neo4j_server.uri, neo4j_server.user, neo4j_server.password, database="nosuchdb")
    assert str(raised.value) == f"Neo4j at {neo4j_server.uri} has no database 'nosuchdb'"


@pytest.mark.parametrize("scheme", ["bolt", "neo4j"])
def test_a_server_that_is_down_is_one_line_naming_the_uri_and_the_cause(scheme: str) -> None:
    uri = f"{scheme}://127.0.0.1:{free_port()}"
    with pytest.raises(StoreError) as raised:
        Neo4jStore(uri, "neo4j", "secret")
    assert str(raised.value) == f"Neo4j at {uri} is not reachable: [Errno 111] Connection refused"


# -- the server's bounds on a transaction -----------------------------------------

# Ten million strings collected into one list: well past the memory a transaction may use.
HUNGRY = "UNWIND range(1, 1000000) AS x RETURN collect(toString(x) + $pad) AS c"
PAD = {"pad": "x" * 400}  # a million strings of about 400 bytes: within zeren's range bound, past the server's memory


def test_a_query_past_the_servers_memory_limit_is_refused_not_timed_out(neo4j_store: Neo4jStore) -> None:
    with pytest.raises(QueryMemoryExceeded) as raised:
        neo4j_store.read_only(HUNGRY, PAD, timeout_ms=60_000, max_rows=10)
    assert not isinstance(raised.value, QueryTimeout)
    assert "needs more memory than the server allows a transaction" in str(raised.value)
    assert f"{TX_MEMORY_MB:.1f} MiB" in str(raised.value)
    assert neo4j_store.read("RETURN 1 AS one") == [{"one": 1}]


def test_an_analysts_query_past_the_memory_limit_is_a_422_in_words(neo4j_server: BoltServer, tmp_path: Path) -> None:
    settings = neo4j_settings(neo4j_server, tmp_path, cypher_timeout_ms=60_000)
    services = open_services(settings)
    _, token = services.tokens.issue("analyst", "analyst")
    try:
        with served(create_app(settings, services)) as url:
            r = httpx.post(f"{url}/cypher", json={"query": HUNGRY, "parameters": PAD}, headers={"Authorization": f"Bearer {token}"},
                           timeout=120)
    finally:
        services.store.close()
    assert r.status_code == 422, r.text
    assert "needed more memory than one query may use" in r.json()["detail"]


def test_an_ad_hoc_read_cannot_load_the_servers_files(neo4j_store: Neo4jStore) -> None:
    with pytest.raises(StoreError) as raised:
        neo4j_store.read_only("LOAD CSV FROM 'file:///etc/hostname' AS line RETURN line", timeout_ms=5000,
                              max_rows=10)
    assert "allow_csv_import_from_file_urls" in str(raised.value)


# -- the zeren command, as a user runs it ----------------------------------------

def zeren(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ZEREN_")}
    environ.update({"ZEREN_DATA_DIR": str(tmp_path / "data"), **env})
    return subprocess.run([str(ZEREN), *args], capture_output=True, text=True, env=environ, timeout=HANG_S,
                          cwd=tmp_path)


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.parametrize("command", [
    ["trace", "M-1"],
    ["load", "."],
    ["sample"],
    ["serve", "--port", "0"],
    ["serve", "--port", "0", "--workers", "2"],
])
def test_every_command_reports_a_neo4j_that_is_down_in_one_line(tmp_path: Path, command: list[str]) -> None:
    uri = f"neo4j://127.0.0.1:{free_port()}"
    line = one_line_error(zeren([*command, "--graph", uri], tmp_path))
    assert uri in line and "Connection refused" in line


def test_a_wrong_password_given_to_the_command_is_one_line(tmp_path: Path, neo4j_server: BoltServer) -> None:
    line = one_line_error(zeren(["trace", "M-1", "--graph", neo4j_server.uri], tmp_path,
                                ZEREN_NEO4J_USER=neo4j_server.user, ZEREN_NEO4J_PASSWORD="not-the-password"))
    assert f"Neo4j at {neo4j_server.uri} refused user '{neo4j_server.user}'" in line


@pytest.mark.parametrize(("graph", "env", "named"), [
    ("mongodb://x", {}, "unknown graph backend 'mongodb://x'"),
    (None, {"ZEREN_GRAPH": "mongodb://x"}, "unknown graph backend 'mongodb://x'"),
    ("bolt://127.0.0.1:notaport", {}, "bolt://127.0.0.1:notaport"),
])
def test_a_graph_uri_zeren_cannot_use_is_one_line(tmp_path: Path, graph: str | None, env: dict[str, str],
                                                 named: str) -> None:
    line = one_line_error(zeren(["trace", "M-1", *(["--graph", graph] if graph else [])], tmp_path, **env))
    assert named in line


class _Spy:
    """The store's driver, with every ``execute_query`` and ``session`` call noted."""

    def __init__(self, driver: object) -> None:
        self.driver = driver
        self.queries: list[dict[str, object]] = []
        self.sessions = 0

    def execute_query(self, *args: object, **kwargs: object) -> object:
        self.queries.append(kwargs)
        return self.driver.execute_query(*args, **kwargs)  # type: ignore[attr-defined]

    def session(self, *args: object, **kwargs: object) -> object:
        self.sessions += 1
        return self.driver.session(*args, **kwargs)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self.driver, name)


def test_a_store_that_only_reads_sends_no_bookmarks_and_one_that_wrote_reads_with_its_writes(
        neo4j_server: BoltServer, neo4j_store: Neo4jStore) -> None:
    reader = Neo4jStore(neo4j_server.uri, neo4j_server.user, neo4j_server.password, database=neo4j_server.database)
    try:
        spy = reader._driver = _Spy(reader._driver)  # type: ignore[assignment]
        assert reader.read("MATCH (n:Mark) RETURN count(n) AS c") == [{"c": 0}]
        assert [q["bookmark_manager_"] for q in spy.queries] == [None]
        reader.write("CREATE (:Mark {id: 'm'})")
        assert reader.read("MATCH (n:Mark) RETURN n.id AS id") == [{"id": "m"}]
        write, read = spy.queries[1:]
        assert write["bookmark_manager_"] is not None and read["bookmark_manager_"] is write["bookmark_manager_"]
    finally:
        reader.close()


def test_read_many_on_neo4j_sends_its_queries_in_one_transaction(neo4j_store: Neo4jStore) -> None:
    neo4j_store.write("UNWIND range(1, 3) AS i CREATE (:Item {id: 'i' + toString(i), rank: i})")
    spy = neo4j_store._driver = _Spy(neo4j_store._driver)  # type: ignore[assignment]
    rows = neo4j_store.read_many([("MATCH (n:Item) WHERE n.rank <= $top RETURN n.id AS id ORDER BY n.rank", {"top": 2}),
                                  ("MATCH (n:Item) RETURN count(n) AS c", None)])
    assert rows == [[{"id": "i1"}, {"id": "i2"}], [{"c": 3}]]
    assert spy.sessions == 1 and spy.queries == []
