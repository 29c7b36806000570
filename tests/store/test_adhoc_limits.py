"""Limits on an analyst's ad hoc Cypher on the embedded store: the text checks
made before it runs, the row cap applied while rows are produced, and the
store's memory capacity as an error of its own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from zeren.graph.adhoc import (ROW_CAP_PARAM, AdHocRefused, TooLarge, Unclosed, check_before_running, code_only,
                               projected_names, range_calls, with_row_cap)
from zeren.config import Settings
from zeren.graph.store import GraphStore, QuerySyntaxError, ReadOnlyViolation, open_store
from zeren.graph.store.base import QueryMemoryExceeded
from zeren.graph.store.falkor import FalkorStore

# ----------------------------------------------------------------------------- the text


@pytest.mark.parametrize(("query", "needle"), [
    ("RETURN 'abc", "unclosed string starting at character 8"),
    ("RETURN `n", "unclosed name"),
    ("RETURN 1 /* note", "unclosed comment starting at character 10"),
    ("RETURN 1 } RETURN 2", "closes '}' at character 10 that was not opened"),
    ("MATCH (n RETURN n", "opens '(' at character 7 and never closes it"),
    ("RETURN [1, 2)", "closes ')' at character 13"),
])
def test_unclosed_strings_comments_and_brackets_are_refused_with_their_position(query: str, needle: str) -> None:
    with pytest.raises(Unclosed, match=re.escape(needle)):
        code_only(query)


def test_brackets_inside_strings_comments_and_names_do_not_count() -> None:
    query = "MATCH (n) WHERE n.t = '}' // }\nRETURN n.`a}` AS `}` /* { */"
    code = code_only(query)
    assert len(code) == len(query) and "}" not in code and "{" not in code


def test_the_row_cap_wrap_cannot_be_closed_from_inside_the_query() -> None:
    with pytest.raises(Unclosed):
        with_row_cap("RETURN 1 AS a } RETURN a UNION CALL { UNWIND range(1, 10) AS a RETURN a")
    wrapped = with_row_cap("RETURN 1 AS a // trailing comment")
    assert wrapped.endswith(f"\n}} RETURN * LIMIT ${ROW_CAP_PARAM}")


@pytest.mark.parametrize(("query", "params", "lengths"), [
    ("UNWIND range(1, 10) AS x RETURN x", {}, [10]),
    ("UNWIND range(0, 100, 10) AS x RETURN x", {}, [11]),
    ("UNWIND range(10, 1, -3) AS x RETURN x", {}, [4]),
    ("UNWIND range(5, 1) AS x RETURN x", {}, [0]),
    ("UNWIND range(1, 3e6) AS x RETURN x", {}, [3_000_000]),
    ("UNWIND range(1, 0x10) AS x RETURN x", {}, [16]),
    ("UNWIND RANGE($a, $b) AS x RETURN x", {"a": 1, "b": 50}, [50]),
    ("RETURN 'range(1, 9999999999)' AS s, n.range // range(1, 10)", {}, []),
])
def test_range_calls_are_read_with_their_lengths(query: str, params: dict[str, Any], lengths: list[int]) -> None:
    assert [c.length for c in range_calls(query, params)] == lengths


@pytest.mark.parametrize(("query", "params", "needle"), [
    ("UNWIND range(1, toInteger('2000000000')) AS x RETURN x", {}, "its end must be a number"),
    ("UNWIND range(1, $n) AS x RETURN x", {}, r"\$n for its end must be a number, not missing"),
    ("UNWIND range(1, $n) AS x RETURN x", {"n": "9"}, r"\$n for its end must be a number, not str"),
    ("UNWIND range(1, 10, 0) AS x RETURN x", {}, "step must not be 0"),
    ("UNWIND range(1) AS x RETURN x", {}, "takes 2 or 3 arguments, not 1"),
    ("UNWIND range(1, 1e999) AS x RETURN x", {}, "not a finite number"),
])
def test_a_range_whose_length_is_not_known_before_it_runs_is_refused(query: str, params: dict[str, Any],
                                                                     needle: str) -> None:
    with pytest.raises(AdHocRefused, match=needle):
        check_before_running(query, params, 1_000_000)


@pytest.mark.parametrize("query", [
    "UNWIND range(1, 2000000000) AS x RETURN count(x)",
    "RETURN size([x IN range(1, 1001) | range(1, 1000)])",
    "UNWIND range(1, 1000) AS a UNWIND range(1, 1001) AS b RETURN count(*)",
])
def test_ranges_whose_lengths_multiply_past_the_cap_are_refused(query: str) -> None:
    with pytest.raises(TooLarge, match="at most 1,000,000 are allowed"):
        check_before_running(query, {}, 1_000_000)


def test_reduce_is_refused_because_its_accumulator_grows_inside_one_expression() -> None:
    with pytest.raises(TooLarge, match=r"reduce\(\) \(at character 13\) is not allowed"):
        check_before_running("RETURN size(reduce(s = 'x', i IN range(1, 40) | s + s))", {}, 1_000_000)
    check_before_running("RETURN 'reduce(' AS text, n.reduce", {}, 1_000_000)


def test_ranges_within_the_cap_pass() -> None:
    check_before_running("RETURN size([x IN range(1, 1000) | range(1, 1000)])", {}, 1_000_000)


@pytest.mark.parametrize(("query", "names"), [
    ("MATCH p=(a)-[r]->(b) RETURN p, r, a ORDER BY a.x LIMIT 3", ["p", "r", "a"]),
    ("CALL { MATCH (a) RETURN a } RETURN DISTINCT a.i AS `x y`, count(*) SKIP 1", ["x y", "count(*)"]),
    ("RETURN 1 AS z UNION RETURN 2 AS z", ["z"]),
    ("MATCH (n) RETURN *", None),
    ("MATCH (n) WITH n", None),
])
def test_the_columns_of_the_last_return_are_read_in_their_order(query: str, names: list[str] | None) -> None:
    assert projected_names(query) == names


# ----------------------------------------------------------------------------- the store


@pytest.fixture
def items(store: GraphStore) -> GraphStore:
    store.write("UNWIND range(1, 5) AS i CREATE (:Item {rank: i})-[:NEXT {w: i}]->(:Other {rank: i})")
    return store


def test_the_store_sends_at_most_one_row_past_the_cap(store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(store, FalkorStore)
    received: list[int] = []
    fetch = store._fetch

    def counting(query: str, params: Any, timeout_ms: int | None) -> tuple[list[str], list[list[Any]]]:
        columns, rows = fetch(query, params, timeout_ms)
        received.append(len(rows))
        return columns, rows

    monkeypatch.setattr(store, "_fetch", counting)
    res = store.read_only("UNWIND range(1, 1000000) AS x RETURN x", timeout_ms=5000, max_rows=100)
    assert len(res.rows) == 100 and res.truncated and res.rows[-1] == [100]
    assert received == [101]


def test_columns_come_back_in_the_order_the_query_returns_them(items: GraphStore) -> None:
    res = items.read_only("MATCH p=(a:Item)-[r]->(b) RETURN r.w AS w, a.rank, p ORDER BY w DESC",
                          timeout_ms=5000, max_rows=2)
    assert res.columns == ["w", "a.rank", "p"]
    assert [row[:2] for row in res.rows] == [[5, 5], [4, 4]] and res.truncated


def test_a_procedure_call_without_return_is_refused_with_what_to_write(items: GraphStore) -> None:
    with pytest.raises(QuerySyntaxError, match=r"needs YIELD \.\.\. RETURN"):
        items.read_only("CALL db.labels()", timeout_ms=5000, max_rows=10)
    res = items.read_only("CALL db.labels() YIELD label RETURN label ORDER BY label", timeout_ms=5000, max_rows=10)
    assert res.rows == [["Item"], ["Other"]]


def test_a_write_without_return_is_still_refused_by_the_store(items: GraphStore) -> None:
    with pytest.raises(ReadOnlyViolation):
        items.read_only("MATCH (n:Item) DETACH DELETE n", timeout_ms=5000, max_rows=10)
    assert items.read("MATCH (n:Item) RETURN count(n) AS c")[0]["c"] == 5


def test_the_row_cap_parameter_name_is_reserved(store: GraphStore) -> None:
    with pytest.raises(QuerySyntaxError, match="reserved"):
        store.read_only("RETURN 1 AS x", {ROW_CAP_PARAM: 5}, timeout_ms=5000, max_rows=10)


@pytest.fixture(scope="module")
def small_memory_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphStore]:
    """An embedded store of its own whose queries may use 16 MB each."""
    data_dir: Path = tmp_path_factory.mktemp("zeren-small-memory")
    s = open_store(Settings(graph="embedded", data_dir=data_dir, graph_name="small", query_memory_mb=16))
    yield s
    s.close()


def test_a_query_past_the_stores_memory_capacity_is_stopped_with_a_memory_error(
        small_memory_store: GraphStore) -> None:
    with pytest.raises(QueryMemoryExceeded, match="memory"):
        small_memory_store.read_only("UNWIND range(1, 1000000) AS x RETURN size(collect(x))", timeout_ms=5000,
                                     max_rows=10)
    assert small_memory_store.read_only("RETURN 1 AS one", timeout_ms=5000, max_rows=10).rows == [[1]]
