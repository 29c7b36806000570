"""The FalkorDB adapter converts a read's compact reply in one pass; for every
type the server returns it must give what the client's own parser followed by
``to_plain`` gives (the path it replaced, still used for the rare types)."""

from __future__ import annotations

from datetime import date

import pytest

from zeren.graph.store import GraphStore
from zeren.graph.store.falkor import FalkorStore, to_plain

# Whole queries, written out: the one value that varies is a parameter.
QUERIES = [
    "RETURN null AS v", "RETURN $text AS v", "RETURN -12345678901234 AS v", "RETURN true AS v", "RETURN false AS v",
    "RETURN 1.25 AS v", "RETURN [1, 'a', [2, null], []] AS v",
    "RETURN {a: 1, b: {c: date('2020-01-02'), d: [true, 2.5]}, e: {}} AS v", "RETURN date('1960-05-06') AS v",
    "RETURN date('2038-01-20') AS v", "RETURN localdatetime('2021-03-04T05:06:07') AS v",
    "RETURN point({latitude: 1.5, longitude: 2.5}) AS v", "RETURN localtime('12:34:56') AS v",
    "RETURN duration({days: 3}) AS v", "RETURN vecf32([1.0, 2.0]) AS v",
]


@pytest.mark.parametrize("query", QUERIES)
def test_a_value_reads_as_the_clients_parser_reads_it(store: GraphStore, query: str) -> None:
    assert isinstance(store, FalkorStore)
    params = {"text": 'it\'s "quoted" 中文 \\ \n'}
    ours = store.read(query, params)
    theirs = store._g.ro_query(query, params)
    assert ours == [{"v": to_plain(theirs.result_set[0][0])}]


def test_nodes_relationships_and_paths_read_as_the_clients_parser_reads_them(store: GraphStore) -> None:
    assert isinstance(store, FalkorStore)
    store.write("CREATE (:A {name: 'a', d: date('1960-05-06')})-[:R {w: 1.5}]->(:B:C {name: 'b'})")
    query = "MATCH p = (a:A)-[r:R]->(b) RETURN a, r, p, b {.*} AS m"
    ours = store.read(query)
    theirs = store._g.ro_query(query)
    assert ours == [dict(zip(["a", "r", "p", "m"], [to_plain(v) for v in theirs.result_set[0]], strict=True))]
    assert ours[0]["a"] == {"_labels": ["A"], "name": "a", "d": date(1960, 5, 6)}


def test_columns_and_rows_come_in_the_order_returned(store: GraphStore) -> None:
    store.write("UNWIND range(1, 3) AS i CREATE (:N {i: i})")
    rows = store.read("MATCH (n:N) RETURN n.i AS i, toString(n.i) AS s ORDER BY i DESC")
    assert rows == [{"i": 3, "s": "3"}, {"i": 2, "s": "2"}, {"i": 1, "s": "1"}]
    assert [list(r) for r in rows] == [["i", "s"]] * 3
