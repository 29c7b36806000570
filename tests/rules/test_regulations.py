"""The two regulations as data: the shipped texts, their parsed tree, citation
look-ups and their load into the graph."""

from __future__ import annotations

import hashlib
from datetime import date
from importlib import resources

import pytest

from zeren.graph.store import GraphStore
from zeren.law.text import (DocumentMeta, ProvisionNotFound, get_regulations, parse_chinese_numeral, parse_document,
                            provision_text)
from zeren.loaders.regulations import load_regulations

NATIONAL, CHONGQING = "CN-2016", "CQ-2017"


def shipped(name: str) -> str:
    return (resources.files("zeren.law") / "texts" / name).read_text(encoding="utf-8")


def expected_body(doc_id: str) -> str:
    """The source text minus what is not part of the regulation, cut by hand."""
    if doc_id == NATIONAL:
        lead, body = shipped("cn-2016.txt").split("《信访工作责任制实施办法》全文如下。\n", 1)
        assert lead.startswith("新华社北京10月24日电")
        return body.rstrip("\n")
    source = shipped("cq-2017.txt").replace("[bookmark: _GoBack]", "")
    return source[source.index("第一章"):].rstrip("\n")


# --------------------------------------------------------------------------- shipped files


@pytest.mark.parametrize(("name", "sha256"), [
    ("cn-2016.txt", "22c05888b43333dc095e928ce3c33a1dcb4e70c64a39bbb7fd327df609e45a64"),
    ("cq-2017.txt", "6a44f549f94845eb5a577e4714b990fc615beece6a785132901ebd1164bd7554"),
])
def test_shipped_texts_are_the_published_texts_unchanged(name: str, sha256: str) -> None:
    data = (resources.files("zeren.law") / "texts" / name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == sha256


def test_metadata_names_both_documents_with_jurisdiction_and_date() -> None:
    docs = get_regulations()
    assert set(docs) == {NATIONAL, CHONGQING}
    cn, cq = docs[NATIONAL], docs[CHONGQING]
    assert (cn.title, cn.short, cn.issued_by) == ("信访工作责任制实施办法", "national measures",
                                                  "中共中央办公厅、国务院办公厅")
    assert (cn.jurisdiction, cn.in_force) == ("000000", date(2016, 10, 8))
    assert (cq.title, cq.short, cq.issued_by) == ("重庆市信访工作责任制实施细则", "Chongqing rules",
                                                  "中共重庆市委办公厅、重庆市人民政府办公厅")
    assert (cq.jurisdiction, cq.in_force) == ("500000", date(2017, 5, 23))


@pytest.mark.parametrize("doc_id", [NATIONAL, CHONGQING])
def test_in_force_date_is_the_one_the_last_article_states(doc_id: str) -> None:
    doc = get_regulations()[doc_id]
    d = doc.in_force
    assert f"自{d.year}年{d.month}月{d.day}日起施行" in doc.articles[-1].text


@pytest.mark.parametrize("doc_id", [NATIONAL, CHONGQING])
def test_title_in_metadata_appears_in_the_shipped_front_matter(doc_id: str) -> None:
    doc = get_regulations()[doc_id]
    front = shipped(doc.file).split("第一章", 1)[0]
    assert doc.title in front


# --------------------------------------------------------------------------- structure


@pytest.mark.parametrize(("doc_id", "articles"), [(NATIONAL, 19), (CHONGQING, 20)])
def test_document_has_its_articles_in_five_chapters(doc_id: str, articles: int) -> None:
    doc = get_regulations()[doc_id]
    assert [c.number for c in doc.chapters] == [1, 2, 3, 4, 5]
    assert [a.number for a in doc.articles] == list(range(1, articles + 1))
    assert [c.title for c in doc.chapters] == ["总则", "责任内容", "督查考核", "责任追究", "附则"]


@pytest.mark.parametrize(("doc_id", "chapter", "first", "last"), [
    (NATIONAL, 4, 11, 16), (NATIONAL, 5, 17, 19), (CHONGQING, 4, 11, 18), (CHONGQING, 5, 19, 20),
])
def test_articles_belong_to_their_chapter(doc_id: str, chapter: int, first: int, last: int) -> None:
    numbers = [a.number for a in get_regulations()[doc_id].chapter(chapter).articles]
    assert numbers == list(range(first, last + 1))


@pytest.mark.parametrize(("doc_id", "article", "paragraph", "items"), [
    (NATIONAL, 11, 1, 6), (CHONGQING, 11, 1, 9), (CHONGQING, 7, 1, 5), (CHONGQING, 8, 1, 5),
    (NATIONAL, 11, 2, 0), (NATIONAL, 4, 1, 0),
])
def test_paragraph_has_its_items(doc_id: str, article: int, paragraph: int, items: int) -> None:
    par = get_regulations()[doc_id].article(article).paragraph(paragraph)
    assert [i.number for i in par.items] == list(range(1, items + 1))


@pytest.mark.parametrize(("doc_id", "article", "paragraphs"), [
    (NATIONAL, 11, 2), (NATIONAL, 2, 3), (NATIONAL, 4, 3), (NATIONAL, 10, 3), (NATIONAL, 1, 1),
    (CHONGQING, 11, 2), (CHONGQING, 7, 1), (CHONGQING, 4, 2),
])
def test_article_has_its_paragraphs(doc_id: str, article: int, paragraphs: int) -> None:
    art = get_regulations()[doc_id].article(article)
    assert [p.number for p in art.paragraphs] == list(range(1, paragraphs + 1))


@pytest.mark.parametrize(("doc_id", "paragraphs", "items"), [(NATIONAL, 29, 6), (CHONGQING, 28, 19)])
def test_document_totals_of_paragraphs_and_items(doc_id: str, paragraphs: int, items: int) -> None:
    doc = get_regulations()[doc_id]
    pars = [p for a in doc.articles for p in a.paragraphs]
    assert len(pars) == paragraphs
    assert sum(len(p.items) for p in pars) == items


def test_paragraph_after_the_items_is_the_next_paragraph() -> None:
    art = get_regulations()[NATIONAL].article(11)
    assert art.paragraph(1).text.startswith("各级党政机关及其领导干部、工作人员不履行")
    assert art.paragraph(1).text.endswith("（六）其他应当追究责任的失职失责情形。")
    assert art.paragraph(2).text.startswith("对前款规定中涉及的集体责任")


def test_ids_follow_the_document_chapter_article_paragraph_item_scheme() -> None:
    doc = get_regulations()[NATIONAL]
    assert doc.chapter(4).id == "CN-2016/c4"
    assert doc.article(11).id == "CN-2016/a11"
    assert doc.article(11).paragraph(1).id == "CN-2016/a11/p1"
    assert doc.article(11).paragraph(1).item(6).id == "CN-2016/a11/p1/i6"


# --------------------------------------------------------------------------- exact text


@pytest.mark.parametrize("doc_id", [NATIONAL, CHONGQING])
def test_body_rebuilt_from_the_tree_equals_the_source_minus_lead_and_artefact(doc_id: str) -> None:
    doc = get_regulations()[doc_id]
    assert doc.render() == expected_body(doc_id)
    assert doc.text == expected_body(doc_id)


@pytest.mark.parametrize("doc_id", [NATIONAL, CHONGQING])
def test_every_article_text_is_a_substring_of_the_source(doc_id: str) -> None:
    doc = get_regulations()[doc_id]
    body = expected_body(doc_id)
    for art in doc.articles:
        assert art.heading + art.text in body
        assert not art.text.startswith(("第", " ", "\u3000", "\xa0"))


def test_article_heading_keeps_the_separator_of_each_source() -> None:
    docs = get_regulations()
    assert docs[NATIONAL].article(11).heading == "第十一条\u3000"
    assert docs[CHONGQING].article(11).heading == "第十一条\xa0"


def test_item_text_excludes_its_label_and_the_paragraph_text_includes_it() -> None:
    par = get_regulations()[CHONGQING].article(11).paragraph(1)
    item = par.item(8)
    assert item.label == "（八）"
    assert item.text == ("违反规定将信访群众揭发控告材料或者有关情况透露、转给被揭发控告人或单位，"
                         "造成信访群众被打击、报复、陷害的；")
    assert "\n（八）" + item.text + "\n" in par.text


def test_editor_artefact_is_not_in_any_parsed_text() -> None:
    doc = get_regulations()[CHONGQING]
    assert "bookmark" not in doc.text
    assert doc.chapter(4).heading == "第四章 责任追究"


# --------------------------------------------------------------------------- citations


def test_provision_text_gives_article_paragraph_and_item() -> None:
    art = get_regulations()[NATIONAL].article(12)
    assert provision_text(NATIONAL, 12) == art.text
    assert provision_text(NATIONAL, 12, 2) == "涉嫌违法犯罪的，按照国家有关法律规定处理。"
    assert provision_text(CHONGQING, 7, 1, 2) == "协调处理疑难复杂信访问题，对重要信访事项、信访突出问题实行包案处理；"


@pytest.mark.parametrize(("args", "message"), [
    ((NATIONAL, 20), "CN-2016 has no article 20 (it has articles 1-19)"),
    ((NATIONAL, 11, 3), "CN-2016/a11 has no paragraph 3 (it has paragraphs 1-2)"),
    ((NATIONAL, 11, 1, 7), "CN-2016/a11/p1 has no item 7 (it has items 1-6)"),
    ((CHONGQING, 3, 1, 1), "CQ-2017/a3/p1 has no item 1 (it has no items)"),
    (("XX-1999", 1), "no regulation 'XX-1999' (known: CN-2016, CQ-2017)"),
])
def test_provision_that_does_not_exist_raises_key_error_saying_what_exists(
        args: tuple[str, int], message: str) -> None:
    with pytest.raises(KeyError) as caught:
        provision_text(*args)
    assert isinstance(caught.value, ProvisionNotFound)
    assert str(caught.value) == message


def test_item_without_paragraph_is_refused() -> None:
    with pytest.raises(ValueError, match="paragraph"):
        provision_text(CHONGQING, 11, item=8)


# --------------------------------------------------------------------------- numerals


@pytest.mark.parametrize(("text", "value"), [
    ("一", 1), ("二", 2), ("两", 2), ("九", 9), ("十", 10), ("一十", 10), ("十一", 11), ("十九", 19),
    ("二十", 20), ("二十一", 21), ("九十九", 99), ("一百", 100), ("一百零五", 105), ("一百一十", 110),
    ("一百二十三", 123), ("一千", 1000), ("一千零五", 1005), ("一千零五十", 1050), ("九千九百九十九", 9999),
])
def test_chinese_numeral_converts_to_integer(text: str, value: int) -> None:
    assert parse_chinese_numeral(text) == value


@pytest.mark.parametrize("text", ["", "零", "十十", "一二", "百", "一百五", "一百十", "十零", "一百零", "二十a", "1"])
def test_malformed_chinese_numeral_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_chinese_numeral(text)


# --------------------------------------------------------------------------- parser on small texts

META = DocumentMeta("T-1", "测试办法", "test", "测试", "000000", date(2020, 1, 1), "t.txt")


def test_parser_drops_front_matter_and_bookmarks_anywhere() -> None:
    source = ("某某社电 全文如下。\n\n第一章 总则\n第一条 甲[bookmark: x]乙。\n"
              "[bookmark: _GoBack]第二章 附则\n第二条　丙：\n（一）丁；\n（二）戊。\n己。\n\n")
    doc = parse_document(META, source)
    assert doc.text == "第一章 总则\n第一条 甲乙。\n第二章 附则\n第二条　丙：\n（一）丁；\n（二）戊。\n己。"
    assert doc.render() == doc.text
    assert doc.article(1).text == "甲乙。"
    assert [i.text for i in doc.article(2).paragraph(1).items] == ["丁；", "戊。"]
    assert doc.article(2).paragraph(2).text == "己。"


@pytest.mark.parametrize(("source", "message"), [
    ("第一条 甲。\n", "no chapter heading"),
    ("第一章 总则\n第一条 甲。\n第三条 乙。\n", "not in sequence"),
    ("第一章 总则\n第二章 附则\n第一条 甲。\n", "without articles"),
    ("第一章 总则\n引言。\n第一条 甲。\n", "before the first heading"),
    ("第一章 总则\n第一条 甲：\n（二）乙。\n", "not in sequence"),
    ("第一章 总则\n第一条 甲。\n\n乙。\n", "blank line"),
])
def test_parser_refuses_what_it_does_not_expect(source: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_document(META, source)


# --------------------------------------------------------------------------- graph

EXPECTED_NODES = {"Document": 2, "Chapter": 10, "Article": 39, "Paragraph": 57, "Item": 25}
EXPECTED_RELS = {"CHAPTER_OF": 10, "ARTICLE_OF": 39, "PARAGRAPH_OF": 57, "ITEM_OF": 25}


def graph_counts(store: GraphStore) -> tuple[dict[str, int], dict[str, int]]:
    nodes = {r["label"]: r["n"] for r in store.read("MATCH (n) RETURN labels(n)[0] AS label, count(n) AS n")}
    rels = {r["type"]: r["n"] for r in store.read("MATCH ()-[r]->() RETURN type(r) AS type, count(r) AS n")}
    return nodes, rels


def test_loading_writes_every_node_and_relationship(store: GraphStore) -> None:
    assert load_regulations(store) == EXPECTED_NODES
    assert graph_counts(store) == (EXPECTED_NODES, EXPECTED_RELS)


def test_loading_twice_gives_the_same_graph(store: GraphStore) -> None:
    load_regulations(store)
    first = graph_counts(store)
    assert load_regulations(store) == EXPECTED_NODES
    assert graph_counts(store) == first == (EXPECTED_NODES, EXPECTED_RELS)


def test_cypher_finds_an_item_text_by_id_and_its_document(store: GraphStore) -> None:
    load_regulations(store)
    rows = store.read(
        "MATCH (i:Item {id: $id})-[:ITEM_OF]->(p:Paragraph)-[:PARAGRAPH_OF]->(a:Article)"
        "-[:ARTICLE_OF]->(c:Chapter)-[:CHAPTER_OF]->(d:Document) "
        "RETURN i.text AS text, i.number AS n, i.document AS doc, a.number AS article, c.number AS chapter, "
        "d.in_force AS in_force, d.jurisdiction AS jurisdiction",
        {"id": "CQ-2017/a11/p1/i8"})
    assert rows == [{"text": provision_text(CHONGQING, 11, 1, 8), "n": 8, "doc": CHONGQING, "article": 11,
                     "chapter": 4, "in_force": date(2017, 5, 23), "jurisdiction": "500000"}]


def test_graph_keeps_exact_multi_line_texts_and_ref_properties(store: GraphStore) -> None:
    load_regulations(store)
    rows = store.read("MATCH (a:Article {id: $id}) RETURN a.text AS text, a.chapter AS chapter, a.document AS doc",
                      {"id": "CN-2016/a11"})
    assert rows == [{"text": get_regulations()[NATIONAL].article(11).text, "chapter": "CN-2016/c4",
                     "doc": NATIONAL}]
    doc = store.read("MATCH (d:Document {id: $id}) RETURN d.text AS text", {"id": CHONGQING})
    assert doc == [{"text": expected_body(CHONGQING)}]
