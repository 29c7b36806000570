"""The FalkorDB adapter writes parameters into the query's ``CYPHER name=value``
header itself (``param_text``), not through the client's per-value conversion.
It must write what the client writes for every value the client writes
correctly, be read back by the server as the value sent, and refuse what the
server could not read as that value."""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, datetime
from decimal import Decimal

import pytest
from falkordb.helpers import stringify_param_value

from zeren.graph.store import GraphStore
from zeren.graph.store.falkor import UnsendableValue, _params_header, param_text

# One string per class of code point: ASCII, the two escaped characters and
# their combinations, control characters, CJK, astral-plane emoji, combining
# marks, right-to-left text, the BOM and a noncharacter, Cypher punctuation.
STRINGS = [
    "", "plain", '"', "\\", '\\"', '"\\', "\\\\", '""', 'a"b\\c', "ends with \\", "'single'", "`tick`",
    "line\nbreak", "tab\tcr\r", "\x01\x1f\x7f", "中华人民共和国信访工作", "重庆市渝中区", "😀🀄𝄞", "𠀀𪛖",
    "e\u0301", "עברית العربية", "\ufeff\uffff", "\u2028\u2029", "$x }{ ] [ , : ;", "CYPHER x=1 RETURN 1",
]

VALUES = [
    None, 0, -1, 2**63 - 1, -(2**63), 1.5, -0.25, 1e-300, 1.5e300, 12345678.125,
    [], [1, "a", None], [[1, [2]], []], {}, {"a": 1, "b": "x"}, {"a": {"b": [1, {"c": None}]}},
    OrderedDict([("k", "v")]), {"id": "M000000-000001", "note": None, "headcount": 3, "tags": ["a", "b"]},
    [{"id": s, "v": s} for s in STRINGS],
]


@pytest.mark.parametrize("value", STRINGS + VALUES, ids=repr)
def test_a_value_is_written_as_the_falkordb_client_writes_it(value: object) -> None:
    assert param_text(value) == stringify_param_value(value)


def test_a_batch_of_rows_gets_the_header_the_client_writes() -> None:
    rows = [{"id": f"S{i}", "text": STRINGS[i % len(STRINGS)], "n": i, "none": None} for i in range(200)]
    params = {"rows": rows, "ids": [r["id"] for r in rows], "cap": 7}
    expected = "CYPHER " + "".join(f"{k}={stringify_param_value(v)} " for k, v in params.items())
    assert _params_header(params) == expected


def test_booleans_are_written_as_cypher_literals_at_any_depth() -> None:
    assert param_text(True) == "true" and param_text(False) == "false"
    assert param_text([True, {"b": False}]) == "[true,{`b`:false}]"


def test_dates_and_datetimes_are_written_as_quoted_iso_text() -> None:
    assert param_text(date(2019, 8, 1)) == '"2019-08-01"'
    assert param_text({"on": [datetime(2020, 1, 2, 3, 4, 5)]}) == '{`on`:["2020-01-02T03:04:05"]}'


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), {"": 1}, {"a`b": 1},
                                   Decimal("1.5"), {1, 2}, object()], ids=repr)
def test_a_value_the_server_could_not_read_back_is_refused(value: object) -> None:
    with pytest.raises(UnsendableValue):
        param_text(value)


def test_every_class_of_value_reads_back_from_the_store_as_sent(store: GraphStore) -> None:
    values = {"s": STRINGS, "v": VALUES[:-1], "t": True, "f": [False], "d": date(2021, 3, 4)}
    row = store.read("RETURN $s AS s, $v AS v, $t AS t, $f AS f, $d AS d", values)[0]
    assert row == {"s": STRINGS, "v": VALUES[:-1], "t": True, "f": [False], "d": "2021-03-04"}


def test_rows_written_through_the_header_are_stored_as_sent(store: GraphStore) -> None:
    rows = [{"id": f"P{i}", "t": s} for i, s in enumerate(STRINGS)]
    store.write("UNWIND $rows AS row CREATE (:Probe {id: row.id, t: row.t})", {"rows": rows})
    stored = store.read("MATCH (p:Probe) RETURN p.id AS id, p.t AS t ORDER BY p.id")
    assert {r["id"]: r["t"] for r in stored} == {r["id"]: r["t"] for r in rows}


@pytest.mark.parametrize("value", ["a\ud800b", "\udfff"], ids=["a lone high surrogate", "a lone low surrogate"])
def test_a_lone_surrogate_is_refused_and_nothing_is_written(store: GraphStore, value: str) -> None:
    with pytest.raises(UnsendableValue):
        store.write("UNWIND $rows AS row CREATE (:Probe {t: row.t})", {"rows": [{"t": "first"}, {"t": value}]})
    assert store.read("MATCH (p:Probe) RETURN count(p) AS n") == [{"n": 0}]
