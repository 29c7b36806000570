"""Search: the search text of a node, the full-text index on both stores
(partial Chinese, ids, division codes, prefixes), and ``search`` over GraphQL
(the shared ``live`` service, on both stores)."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest

from zeren.api.gql.search import decode_offset, encode_offset, find
from zeren.graph import search
from zeren.graph.schema import setup_schema
from zeren.config import Settings
from zeren.graph.store import GraphStore
from zeren.loaders.load import load_path
from zeren.rules.engine import EngineError

SAMPLE = resources.files("zeren.data") / "sample"


def test_the_search_text_holds_lower_case_words_and_chinese_bigrams() -> None:
    assert search.search_text(["I-500103-PC", "中共重庆市渝中区委员会"]).split() == [
        "i", "500103", "pc", "中共", "共重", "重庆", "庆市", "市渝", "渝中", "中区", "区委", "委员", "员会"]


def test_a_query_requires_every_term_with_a_lone_character_and_the_last_word_as_prefixes() -> None:
    assert search.query_text("渝中区") == "渝中 AND 中区"
    assert search.query_text("渝") == "渝*"
    assert search.query_text("M-CQ-00") == "m AND cq AND 00*"
    assert search.falkordb_query_text("重庆 渝中") == "重庆 渝中"


@pytest.mark.parametrize("text", ["", "  -- ", "字" * 101])
def test_a_search_without_words_or_too_long_is_refused_with_the_reason(text: str) -> None:
    with pytest.raises(search.SearchError):
        search.query_text(text)


def test_a_cursor_is_refused_unless_this_service_issued_it() -> None:
    assert decode_offset(encode_offset(40)) == 40
    with pytest.raises(EngineError, match="not one this service issued"):
        decode_offset("bm90LWEtY3Vyc29y")


@pytest.fixture
def sample_store(any_store: GraphStore, tmp_path: Path, data_dir: Path) -> GraphStore:
    with resources.as_file(SAMPLE) as folder:
        load_path(folder, any_store, settings=Settings(data_dir=data_dir, graph="embedded"))
    return any_store


def _ids(store: GraphStore, text: str, kinds: list[str] | None = None, first: int = 50) -> list[str]:
    return [h.id for h in find(store, text, kinds, first)[0]]


def test_two_characters_inside_a_chinese_name_find_it_on_both_stores(sample_store: GraphStore) -> None:
    ids = _ids(sample_store, "渝中", ["INSTITUTION"])
    assert "I-500103-PC" in ids  # 中共重庆市渝中区委员会
    assert all("渝中" in h.name for h in find(sample_store, "渝中", ["INSTITUTION"], 50)[0])


def test_every_kind_is_found_by_its_own_fields_on_both_stores(sample_store: GraphStore) -> None:
    assert _ids(sample_store, "M-CQ-0012")[0] == "M-CQ-0012"  # a matter by its id, first
    assert "M-CQ-0002" in _ids(sample_store, "养老金", ["MATTER"])  # by part of its title
    assert _ids(sample_store, "500103", ["TERRITORY"])[0] == "500103"  # a territory by its division code
    assert "500103" in _ids(sample_store, "渝中区", ["TERRITORY"])  # and by its name
    assert "PER-0001" in _ids(sample_store, "韩振东", ["PERSON"])  # a person by name
    assert set(_ids(sample_store, "振东", ["PERSON"])) >= {"PER-0001"}  # and by part of it
    assert _ids(sample_store, "韩振东", ["MATTER"]) == []  # kinds narrow the search


def test_a_search_pages_through_its_hits_without_repeating_one(sample_store: GraphStore) -> None:
    every = _ids(sample_store, "重庆", first=60)
    first, more = find(sample_store, "重庆", None, 5, 0)
    second, _ = find(sample_store, "重庆", None, 5, 5)
    assert more and [h.id for h in first + second] == every[:10]


def test_the_search_text_is_written_again_only_for_a_node_the_loader_changed(
        sample_store: GraphStore, tmp_path: Path, data_dir: Path) -> None:
    assert search.refresh(sample_store).written == 0
    folder = tmp_path / "sample"
    shutil.copytree(str(SAMPLE), folder)
    persons = folder / "persons.csv"
    persons.write_text(persons.read_text(encoding="utf-8").replace("PER-0001,韩振东,", "PER-0001,韩新名,"),
                       encoding="utf-8")
    load_path(folder, sample_store, settings=Settings(data_dir=data_dir, graph="embedded"))
    assert _ids(sample_store, "新名", ["PERSON"]) == ["PER-0001"]
    assert "PER-0001" not in _ids(sample_store, "振东", ["PERSON"])
    assert search.refresh(sample_store).written == 0
    setup_schema(sample_store)  # the index set-up is idempotent


SEARCH = """query($text: String!, $kinds: [SearchKind!], $first: Int!, $after: String) {
  search(text: $text, kinds: $kinds, first: $first, after: $after) {
    edges { cursor node { kind id name receivedOn territory } } pageInfo { hasNextPage endCursor } } }"""


def _gql(live, role: str, **variables):  # type: ignore[no-untyped-def]
    import httpx

    r = httpx.post(f"{live.url}/graphql", json={"query": SEARCH, "variables": variables}, headers=live.auth(role))
    assert r.status_code == 200, r.text
    return r.json()


def test_search_over_graphql_pages_through_matters_by_part_of_their_title(live) -> None:  # type: ignore[no-untyped-def]
    page = _gql(live, "investigator", text="物业", kinds=["MATTER"], first=40)["data"]["search"]
    assert page["pageInfo"]["hasNextPage"] and len(page["edges"]) == 40
    rest = _gql(live, "investigator", text="物业", kinds=["MATTER"], first=40,
                after=page["pageInfo"]["endCursor"])["data"]["search"]
    ids = [e["node"]["id"] for e in page["edges"] + rest["edges"]]
    assert len(ids) == len(set(ids)) == 60 and not rest["pageInfo"]["hasNextPage"]
    assert page["edges"][0]["node"]["kind"] == "MATTER" and page["edges"][0]["node"]["receivedOn"]


def test_a_petitioners_name_is_never_searchable(live) -> None:  # type: ignore[no-untyped-def]
    # The test world's petitioners are 居民0..居民6; only the matters' ids and titles are indexed.
    for role in ("investigator", "petition_bureau"):
        assert _gql(live, role, text="居民", first=10)["data"]["search"]["edges"] == []


def test_a_search_without_words_answers_an_error_naming_the_reason(live) -> None:  # type: ignore[no-untyped-def]
    body = _gql(live, "analyst", text="--", first=5)
    assert "no letters, digits or Chinese characters" in body["errors"][0]["message"]
