"""The store contract: the same assertions on both stores, the embedded
FalkorDB and Neo4j.

Whatever the engine, values come back as plain Python: dates as
``datetime.date``, nodes as mappings with ``_labels``, relationships with
``_type``, paths as lists alternating nodes and relationships.
"""

from __future__ import annotations

import time
from datetime import date

import pytest

from zeren.graph.model import NODES
from zeren.graph.schema import setup_schema
from zeren.graph.store import (ConstraintViolation, GraphStore, QuerySyntaxError, QueryTimeout, ReadOnlyViolation,
                               StoreError)

# Counts to 100 million without building a big list (a single huge range() is
# not interruptible on FalkorDB: it is built whole before any timeout check).
SLOW_QUERY = ("UNWIND range(1, 10000) AS x UNWIND range(1, 10000) AS y "
              "WITH x * y AS z WHERE z % 7 = 0 RETURN count(z) AS n")

HOSTILE = 'it\'s "quoted" \\ back\\slash \\" \\\' }) DETACH DELETE n // ${x} `x` \n\t 中文'


def count(store: GraphStore, label: str) -> int:
    return int(store.read(f"MATCH (n:{label}) RETURN count(n) AS c")[0]["c"])


def create_chain(store: GraphStore) -> None:
    """(a)-[:R {w: 1}]->(b)-[:R {w: 2}]->(c)"""
    store.write("CREATE (:Step {name: 'a'})-[:R {w: 1}]->(:Step {name: 'b'})-[:R {w: 2}]->(:Step {name: 'c'})")


# -- values --------------------------------------------------------------------

def test_a_new_graph_reads_as_empty(any_store: GraphStore) -> None:
    assert any_store.read("MATCH (n) RETURN count(n) AS c") == [{"c": 0}]
    assert any_store.read("RETURN 1 AS one") == [{"one": 1}]


@pytest.mark.parametrize(("value", "kind"), [
    ("信访工作责任制", str),
    ("", str),
    (0, int),
    (-42, int),
    (2**53 + 1, int),
    (True, bool),
    (False, bool),
    (1.5, float),
    (["县", "市", "省"], list),
    ([1, 2, 3], list),
])
def test_a_property_round_trips_with_its_type(any_store: GraphStore, value: object, kind: type) -> None:
    any_store.write("CREATE (n:Probe {id: 'p'}) SET n.v = $v", {"v": value})
    got = any_store.read("MATCH (n:Probe {id: 'p'}) RETURN n.v AS v")[0]["v"]
    assert got == value
    assert type(got) is kind


def test_a_date_round_trips_as_a_python_date(any_store: GraphStore) -> None:
    any_store.write("CREATE (n:Probe {id: 'p', on: date($d)})", {"d": date(2024, 2, 29)})
    row = any_store.read("MATCH (n:Probe) RETURN n.on AS on, n.on + duration({days: 1}) AS next")[0]
    assert row == {"on": date(2024, 2, 29), "next": date(2024, 3, 1)}
    assert type(row["on"]) is date


def test_parameters_nested_in_rows_and_lists_arrive_with_their_types(any_store: GraphStore) -> None:
    any_store.write("UNWIND $rows AS row CREATE (n:Probe {id: row.id, n: row.n, x: row.x, flag: row.flag, "
                    "none: row.none, first: date(row.days[0]), last: date(row.days[1]), at: date(row.m.at)})",
                    {"rows": [{"id": "p", "n": 3, "x": 1.5, "flag": True, "none": None,
                               "days": [date(2020, 1, 1), date(2021, 2, 3)], "m": {"at": date(2022, 3, 4)}}]})
    row = any_store.read("MATCH (n:Probe) RETURN n.n AS n, n.x AS x, n.flag AS flag, n.none AS none, "
                         "n.first AS first, n.last AS last, n.at AS at")[0]
    assert row == {"n": 3, "x": 1.5, "flag": True, "none": None, "first": date(2020, 1, 1),
                   "last": date(2021, 2, 3), "at": date(2022, 3, 4)}


def test_a_date_parameter_compares_with_a_stored_date(any_store: GraphStore) -> None:
    any_store.write("UNWIND $rows AS row CREATE (n:Probe {id: row.id, on: date(row.on)})",
                    {"rows": [{"id": "old", "on": date(2019, 12, 31)}, {"id": "new", "on": date(2020, 1, 1)}]})
    rows = any_store.read("MATCH (n:Probe) WHERE n.on >= date($d) RETURN n.id AS id", {"d": date(2020, 1, 1)})
    assert rows == [{"id": "new"}]


def test_a_node_comes_back_as_a_mapping_with_its_labels_and_properties(any_store: GraphStore) -> None:
    any_store.write("CREATE (n:Person {id: 'p1', name: '张三', born: date('1970-01-02')})")
    node = any_store.read("MATCH (n:Person) RETURN n")[0]["n"]
    assert node == {"_labels": ["Person"], "id": "p1", "name": "张三", "born": date(1970, 1, 2)}


def test_a_relationship_comes_back_as_a_mapping_with_its_type_and_properties(any_store: GraphStore) -> None:
    create_chain(any_store)
    rels = any_store.read("MATCH (:Step {name: 'a'})-[r]->() RETURN r")
    assert rels == [{"r": {"_type": "R", "w": 1}}]


def test_a_path_comes_back_as_alternating_nodes_and_relationships(any_store: GraphStore) -> None:
    create_chain(any_store)
    paths = [row["p"] for row in any_store.read("MATCH p=(a)-[:R*1..2]->(b) RETURN p")]
    assert sorted((len(p), p[0]["name"]) for p in paths) == [(3, "a"), (3, "b"), (5, "a")]
    longest = max(paths, key=len)
    assert longest == [
        {"_labels": ["Step"], "name": "a"}, {"_type": "R", "w": 1},
        {"_labels": ["Step"], "name": "b"}, {"_type": "R", "w": 2},
        {"_labels": ["Step"], "name": "c"},
    ]


# -- parameters ----------------------------------------------------------------

def test_a_parameter_is_never_read_as_query_text(any_store: GraphStore) -> None:
    any_store.write("CREATE (:Keep {id: 'k'})")
    any_store.write("CREATE (n:Note {id: $id, text: $text, tags: $tags})", {"id": HOSTILE, "text": HOSTILE,
                                                                           "tags": [HOSTILE, "x"]})
    rows = any_store.read("MATCH (n:Note {text: $text}) RETURN n.id AS id, n.text AS text, n.tags AS tags",
                          {"text": HOSTILE})
    assert rows == [{"id": HOSTILE, "text": HOSTILE, "tags": [HOSTILE, "x"]}]
    assert any_store.read("MATCH (n) RETURN count(n) AS c") == [{"c": 2}]


# -- batched writes --------------------------------------------------------------

PEOPLE = [{"id": f"p{i}", "name": f"人{i}", "boss": f"p{i - 1}"} for i in range(10)]
MERGE_PEOPLE = "UNWIND $rows AS row MERGE (n:Person {id: row.id}) SET n.name = row.name"
MERGE_BOSSES = ("UNWIND $rows AS row MATCH (a:Person {id: row.id}) MATCH (b:Person {id: row.boss}) "
                "MERGE (a)-[:REPORTS_TO]->(b)")


def test_batched_merge_counts_what_it_creates_and_creates_it_once(any_store: GraphStore) -> None:
    batches: list[int] = []
    first = any_store.write_batches(MERGE_PEOPLE, PEOPLE, batch_size=4, on_batch=batches.append)
    first_rels = any_store.write_batches(MERGE_BOSSES, PEOPLE, batch_size=4)
    again = any_store.write_batches(MERGE_PEOPLE, PEOPLE, batch_size=4)
    again_rels = any_store.write_batches(MERGE_BOSSES, PEOPLE, batch_size=4)

    assert batches == [4, 4, 2]
    assert (first.nodes_created, first_rels.relationships_created) == (10, 9)
    assert (again.nodes_created, again_rels.relationships_created) == (0, 0)
    assert any_store.read("MATCH (n:Person) RETURN count(n) AS c") == [{"c": 10}]
    assert any_store.read("MATCH ()-[r:REPORTS_TO]->() RETURN count(r) AS c") == [{"c": 9}]


# -- schema ----------------------------------------------------------------------

def test_schema_setup_can_run_twice(any_store: GraphStore) -> None:
    setup_schema(any_store)
    setup_schema(any_store)


def test_a_unique_key_refuses_a_duplicate(any_store: GraphStore) -> None:
    setup_schema(any_store)
    label = NODES["Territory"].name
    any_store.write(f"CREATE (:{label} {{id: $id}})", {"id": "500000"})
    with pytest.raises(ConstraintViolation):
        any_store.write(f"CREATE (:{label} {{id: $id}})", {"id": "500000"})
    assert count(any_store, label) == 1


@pytest.mark.parametrize("name", ["Territory) DETACH DELETE (n", "id`", "a b", "", "9lives"])
def test_a_schema_statement_refuses_a_name_that_is_not_a_plain_identifier(any_store: GraphStore,
                                                                           name: str) -> None:
    # Labels, types and properties cannot be parameters: they are checked before they are written into a statement.
    any_store.write("CREATE (:Territory {id: $id})", {"id": "500000"})
    for statement in (lambda: any_store.ensure_index(name, "id"), lambda: any_store.ensure_index("Territory", name),
                      lambda: any_store.ensure_unique(name, "id"), lambda: any_store.drop_unique("Territory", name),
                      lambda: any_store.ensure_rel_index(name, "id")):
        with pytest.raises(ValueError, match="not a plain identifier"):
            statement()
    assert count(any_store, "Territory") == 1


# -- untrusted reads -------------------------------------------------------------

def create_items(store: GraphStore, n: int) -> None:
    store.write("UNWIND range(1, $n) AS i CREATE (:Item {id: 'i' + toString(i), rank: i})", {"n": n})


def test_read_only_returns_named_columns_and_rows(any_store: GraphStore) -> None:
    create_items(any_store, 3)
    res = any_store.read_only("MATCH (n:Item) RETURN n.id AS id, n.rank AS rank ORDER BY rank",
                              timeout_ms=5000, max_rows=10)
    assert res.columns == ["id", "rank"]
    assert res.rows == [["i1", 1], ["i2", 2], ["i3", 3]]
    assert res.truncated is False


@pytest.mark.parametrize(("max_rows", "kept", "truncated"), [(3, 3, True), (5, 5, False), (10, 5, False)])
def test_read_only_keeps_at_most_max_rows_and_says_so(any_store: GraphStore, max_rows: int, kept: int,
                                                      truncated: bool) -> None:
    create_items(any_store, 5)
    res = any_store.read_only("MATCH (n:Item) RETURN n.rank AS rank ORDER BY rank", timeout_ms=5000,
                              max_rows=max_rows)
    assert res.rows == [[i] for i in range(1, kept + 1)]
    assert res.truncated is truncated


def test_read_only_names_the_columns_of_an_empty_result(any_store: GraphStore) -> None:
    res = any_store.read_only("MATCH (n:Nothing) RETURN n.id AS id", timeout_ms=5000, max_rows=10)
    assert (res.columns, res.rows, res.truncated) == (["id"], [], False)


@pytest.mark.parametrize("query", [
    "CREATE (x:Intruder) RETURN x",
    "MERGE (x:Intruder {id: 1}) RETURN x",
    "MATCH (n:Keep) SET n.flag = true RETURN n",
    "MATCH (n:Keep) DETACH DELETE n",
    "MATCH (n:Keep) REMOVE n.id RETURN n",
])
def test_read_only_refuses_a_write_and_leaves_the_graph_unchanged(any_store: GraphStore, query: str) -> None:
    any_store.write("CREATE (:Keep {id: 'k'})")
    with pytest.raises(ReadOnlyViolation):
        any_store.read_only(query, timeout_ms=5000, max_rows=10)
    assert any_store.read("MATCH (n) RETURN labels(n) AS l, properties(n) AS p") == [
        {"l": ["Keep"], "p": {"id": "k"}}]


# -- several reads together ------------------------------------------------------

MANY = [
    ("MATCH (n:Item) WHERE n.rank <= $top RETURN n.id AS id ORDER BY n.rank", {"top": 2}),
    ("MATCH (n:Item {id: $id}) RETURN n.rank AS rank, date($on) AS on", {"id": "i3", "on": date(2024, 2, 29)}),
    ("MATCH (n:Item) WHERE n.rank > $top RETURN count(n) AS c", {"top": 99}),
    ("MATCH (n:Nothing) RETURN n.id AS id", None),
]


def test_read_many_answers_each_query_as_read_does_in_order(any_store: GraphStore) -> None:
    create_items(any_store, 5)
    together = any_store.read_many(MANY)
    assert together == [any_store.read(q, p) for q, p in MANY]
    assert together == [[{"id": "i1"}, {"id": "i2"}], [{"rank": 3, "on": date(2024, 2, 29)}], [{"c": 0}], []]


def test_read_many_on_a_graph_never_written_answers_empty(any_store: GraphStore) -> None:
    assert any_store.read_many(MANY[2:]) == [[{"c": 0}], []]


def test_read_many_takes_one_round_trip_on_falkordb(store: GraphStore) -> None:
    create_items(store, 5)
    before = store.round_trips.count
    store.read_many(MANY)
    assert store.round_trips.count - before == 1


@pytest.mark.parametrize("bad", [0, 1, 3])
def test_read_many_raises_the_error_of_a_failed_query_wherever_it_stands(any_store: GraphStore, bad: int) -> None:
    create_items(any_store, 2)
    requests = list(MANY)
    requests[bad] = ("MATCH (n:Item RETURN n", None)
    with pytest.raises(QuerySyntaxError):
        any_store.read_many(requests)
    assert any_store.read("MATCH (n:Item) RETURN count(n) AS c") == [{"c": 2}]


def test_read_many_on_falkordb_refuses_a_write(store: GraphStore) -> None:
    store.write("CREATE (:Keep {id: 'k'})")
    with pytest.raises(ReadOnlyViolation):
        store.read_many([("MATCH (n:Keep) RETURN n.id AS id", None), ("MATCH (n:Keep) DETACH DELETE n", None)])
    assert store.read("MATCH (n:Keep) RETURN n.id AS id") == [{"id": "k"}]


# -- errors ----------------------------------------------------------------------

@pytest.mark.parametrize("query", ["MATC (n) RETURN n", "MATCH (n RETURN n", "MATCH (n) RETURN m"])
def test_a_malformed_query_is_a_syntax_error(any_store: GraphStore, query: str) -> None:
    with pytest.raises(QuerySyntaxError):
        any_store.read(query)
    with pytest.raises(QuerySyntaxError):
        any_store.read_only(query, timeout_ms=5000, max_rows=10)
    with pytest.raises(QuerySyntaxError):
        any_store.write(query)


def test_a_failure_while_running_is_a_store_error_not_a_syntax_error(any_store: GraphStore) -> None:
    with pytest.raises(StoreError) as raised:
        any_store.read("UNWIND [1, 0] AS d RETURN 1 / d AS q")
    assert not isinstance(raised.value, QuerySyntaxError)


def test_a_slow_query_is_stopped_at_its_timeout(any_store: GraphStore) -> None:
    any_store.write("CREATE (:Keep {id: 'k'})")
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        any_store.read_only(SLOW_QUERY, timeout_ms=50, max_rows=10)
    assert time.monotonic() - started < 5
    assert any_store.read("RETURN 1 AS one") == [{"one": 1}]
