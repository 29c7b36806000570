"""The law in one place (zeren.law): every rule set agrees with the declaration
of its document, every provision it cites exists, every rule's docstring quotes
the provision its rule cites word for word, and the rules read the law from
zeren.law, never from a loader."""

from __future__ import annotations

import ast
import re
from datetime import date
from importlib import resources

import pytest

from zeren import law
from zeren.law import CHONGQING, NATIONAL, REGISTRY, Provision, RuleSet
from zeren.law.text import DocumentMeta, parse_chinese_numeral, read_index
from zeren.rules import accountability, compliance, measures, standing

DECLARED = {m.id: m for m in read_index()}


# --------------------------------------------------------------------------- one declaration


def test_in_force_gives_each_declared_document_its_jurisdiction_and_date() -> None:
    assert law.in_force() == {"CN-2016": ("000000", date(2016, 10, 8)), "CQ-2017": ("500000", date(2017, 5, 23))}
    assert law.in_force()["CQ-2017"].on == date(2017, 5, 23)
    assert law.in_force()["CQ-2017"].jurisdiction == "500000"


@pytest.mark.parametrize("rs", list(REGISTRY.values()), ids=lambda rs: rs.id)
def test_every_rule_set_agrees_with_its_documents_name_jurisdiction_and_date(rs: RuleSet) -> None:
    meta = DECLARED[rs.id]
    assert (rs.name_en, rs.name_zh, rs.jurisdiction, rs.in_force) == (
        meta.short, f"《{meta.title}》", meta.jurisdiction, meta.in_force)


def test_every_declared_document_has_a_rule_set_and_every_overlay_a_declared_base() -> None:
    assert set(DECLARED) == set(REGISTRY)
    assert all(rs.overlay_of in DECLARED for rs in REGISTRY.values() if rs.overlay_of)


def test_a_rule_set_of_an_undeclared_document_is_refused() -> None:
    with pytest.raises(KeyError, match="no document 'XX-1999' is declared"):
        RuleSet.declared("XX-1999", provisions={})


@pytest.mark.parametrize(("entry", "message"), [
    ({"id": "T", "title": "t", "short": "t", "issued_by": "t", "jurisdiction": "000000", "file": "t.txt"},
     "entry 3: field 'in_force' is missing"),
    ({"id": "T", "title": "t", "short": "t", "issued_by": "t", "jurisdiction": "000000", "in_force": "2020-13-01",
      "file": "t.txt"}, "entry 3: field 'in_force' '2020-13-01' is not a date"),
    ({"id": "T", "title": "t", "short": "t", "issued_by": "t", "jurisdiction": "000000", "in_force": "2020-01-01",
      "file": "t.txt", "region": "x"}, "entry 3: unknown field 'region'"),
])
def test_a_malformed_declaration_is_refused_naming_the_entry_and_field(entry: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        DocumentMeta.from_json(entry, "documents.json entry 3")


@pytest.mark.parametrize("rs", [NATIONAL, CHONGQING], ids=lambda rs: rs.id)
def test_every_provision_a_rule_set_cites_exists_in_its_document(rs: RuleSet) -> None:
    missing = [f"{key}: {p.label()}" for key, p in rs.provisions.items() if not p.text()]
    missing += [f"failure {code}: item {i}" for code, i in rs.failure_items.items()
                if not rs.provisions["FAILURE"].with_item(i).text()]
    assert not missing


def test_the_texts_and_their_declaration_ship_in_the_law_package() -> None:
    folder = resources.files("zeren.law")
    assert (folder / "documents.json").is_file()
    assert all((folder / "texts" / m.file).is_file() for m in DECLARED.values())


# --------------------------------------------------------------------------- docstring quotes

UNITS = [*standing.book.units, *accountability.book.units, *measures.rungs.units, *compliance.DUTIES]
BY_NAME = {"National": NATIONAL, "Chongqing": CHONGQING}
# "National art. 4 ¶2", "Chongqing art. 7 (二)", "Art. 11 ¶2" (every text stating the rule).
ATTRIBUTION = re.compile(r"(?:(National|Chongqing)\s+)?[Aa]rt\.\s*(\d+)(?:\s*¶(\d+))?(?:\s*\(([一二三四五六七八九十]+)\))?")
QUOTE = re.compile(r'"([^"]+)"')
OPTIONAL = re.compile(r"（([^（）]*)）")  # words one of the texts quoted together has and the other lacks


def statement(doc: str) -> str:
    """The docstring's first paragraph: the provision(s) the rule states, quoted."""
    return re.split(r"\n\s*\n", doc.strip(), maxsplit=1)[0]


def quotes(doc: str, key: str) -> list[tuple[str, list[Provision]]]:
    """Each quote of the statement with the provisions its attribution names (the
    attributions between the previous quote and it). An attribution without a
    document names the one last named, else every rule set stating the rule."""
    text, out, pos, named = statement(doc), [], 0, None
    for q in QUOTE.finditer(text):
        provisions = []
        for a in ATTRIBUTION.finditer(text, pos, q.start()):
            named = a[1] or named
            sets = [BY_NAME[named]] if named else [rs for rs in (NATIONAL, CHONGQING) if key in rs.provisions]
            provisions += [Provision(rs.id, int(a[2]), int(a[3]) if a[3] else None,
                                     parse_chinese_numeral(a[4]) if a[4] else None) for rs in sets]
        out.append((q[1], provisions))
        pos = q.end()
    return out


def readings(quote: str) -> list[list[str]]:
    """The quote's fragments (split at an ellipsis, docstring line breaks
    removed), with and without the words marked optional."""
    flat = re.sub(r"\n\s*", "", quote)
    return [[f for f in OPTIONAL.sub(r, flat).split("…") if f] for r in (r"\1", "")]


def test_quote_readings_split_at_the_ellipsis_and_try_the_optional_words() -> None:
    assert readings("每年至少（组织）开展\n    一次…督查") == [["每年至少组织开展一次", "督查"], ["每年至少开展一次", "督查"]]


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: f"{u.key}-{u.fn.__name__}")
def test_every_docstring_quote_is_in_the_provision_its_rule_cites(unit) -> None:  # type: ignore[no-untyped-def]
    found = quotes(unit.doc, unit.key)
    assert found, f"{unit.fn.__name__}: the docstring quotes no provision"
    for quote, provisions in found:
        assert provisions, f"{unit.fn.__name__}: the quote {quote[:20]!r} names no article"
        for p in provisions:
            text = p.text()
            assert any(all(f in text for f in frags) for frags in readings(quote)), (
                f"{unit.fn.__name__}: {quote!r} is not in {p.label()}: {text!r}")
    for rs in (NATIONAL, CHONGQING):
        cited = rs.provisions.get(unit.key)
        if cited is not None:
            assert any(p.document == cited.document and p.article == cited.article
                       for _, provisions in found for p in provisions), (
                f"{unit.fn.__name__} quotes nothing of {cited.label()}, the provision {rs.id} gives for {unit.key}")


def test_each_quote_is_checked_against_the_article_its_attribution_names() -> None:
    doc = 'National art. 13: "由有管理权限的党政机关对相关责任人进行诫勉"; Chongqing art. 13: "情节较轻的"'
    (bad, [national]), (good, [chongqing]) = quotes(doc, "NOTICE")
    assert national == Provision("CN-2016", 13) and chongqing == Provision("CQ-2017", 13)
    assert bad not in national.text() and good in chongqing.text()


# --------------------------------------------------------------------------- where the rules read the law


def test_the_rules_read_the_law_from_zeren_law_never_from_a_loader() -> None:
    folder = resources.files("zeren.rules")
    for f in folder.iterdir():
        if not f.name.endswith(".py"):
            continue
        tree = ast.parse(f.read_text(encoding="utf-8"))
        imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in imported if m.startswith("zeren.loaders")], f.name
