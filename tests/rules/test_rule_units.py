"""One rule-unit shape (key, citation, when it applies, what it is an exception
to, what it yields): how a book of rules, exceptions and exemptions evaluates,
on a toy context under the national measures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from zeren.law import CHONGQING, NATIONAL, Applicable, Provision
from zeren.rules.findings import Chain, Finding, Gap, Ref, cited
from zeren.rules.units import RuleBook

ON = date(2018, 1, 1)
NATION_ONLY = Applicable((NATIONAL,), ON)
WITH_CHONGQING = Applicable((NATIONAL, CHONGQING), ON)


@dataclass
class Toy:
    litigation: bool = False
    dissenter: str = ""


def person(pid: str) -> Ref:
    return Ref("Person", pid, pid)


def toy_book() -> RuleBook[Toy]:
    book: RuleBook[Toy] = RuleBook()

    @book.rule("COMPETENT")
    def competent(ctx: Toy) -> Iterator[Finding | Gap]:
        yield cited(NATION_ONLY, "COMPETENT", "COMPETENT", Chain(), ON)

    @book.exception("LITIGATION_ROUTE", to="COMPETENT", when=lambda ctx: ctx.litigation, label="art. 7")
    def route(ctx: Toy) -> Iterator[Finding | Gap]:
        yield cited(NATION_ONLY, "LITIGATION_ROUTE", "LITIGATION_ROUTE", Chain(), ON)

    @book.rule("COLLECTIVE_ALLOCATION")
    def collective(ctx: Toy) -> Iterator[Finding | Gap]:
        for pid, kind in (("A", "MAIN_LEADERSHIP"), ("B", "IMPORTANT_LEADERSHIP"), ("C", "IMPORTANT_LEADERSHIP")):
            yield cited(NATION_ONLY, kind, "COLLECTIVE_ALLOCATION", Chain(), ON, person=person(pid))

    @book.rule("INDIVIDUAL_ALLOCATION")
    def individual(ctx: Toy) -> Iterator[Finding | Gap]:
        yield cited(NATION_ONLY, "IMPORTANT_LEADERSHIP", "INDIVIDUAL_ALLOCATION", Chain(), ON, person=person("B"))

    @book.rule("CASE_HOLDING")
    def held(ctx: Toy) -> Iterator[Finding | Gap]:
        yield cited(WITH_CHONGQING, "CASE_HOLDING", "CASE_HOLDING", Chain(), ON)

    @book.exemption("DISSENT_EXEMPTION", to="COLLECTIVE_ALLOCATION", reaches=("IMPORTANT_LEADERSHIP",),
                    label="art. 11 ¶2: dissent")
    def dissent(ctx: Toy, f: Finding) -> str | None:
        return "opposed" if f.person and f.person.id == ctx.dissenter else None

    return book


def test_a_rule_yields_only_where_an_applicable_rule_set_states_its_key() -> None:
    book = toy_book()
    assert "CASE_HOLDING" not in [f.kind for f in book.evaluate(Toy(), NATION_ONLY)]
    assert "CASE_HOLDING" in [f.kind for f in book.evaluate(Toy(), WITH_CHONGQING)]


def test_an_exception_that_applies_takes_the_place_of_its_rule_which_is_shown_set_aside() -> None:
    book = toy_book()
    plain = book.evaluate(Toy(), NATION_ONLY)
    assert [f.kind for f in plain if isinstance(f, Finding)][0] == "COMPETENT"
    assert not [g for g in plain if isinstance(g, Gap)]
    routed = book.evaluate(Toy(litigation=True), NATION_ONLY)
    first = routed[0]
    assert isinstance(first, Gap) and first.what == "rule COMPETENT (competent)"
    assert first.reason == "set aside by the exception art. 7" and first.basis == Provision("CN-2016", 7)
    lit = routed[1]
    assert isinstance(lit, Finding) and lit.kind == "LITIGATION_ROUTE"
    assert lit.exception == "art. 7 (in place of rule COMPETENT)"


def test_an_exemption_replaces_only_the_reached_findings_of_its_rules_whose_person_meets_it() -> None:
    book = toy_book()
    out = [f for f in book.evaluate(Toy(dissenter="B"), NATION_ONLY) if isinstance(f, Finding) and f.person]
    kinds = [(f.rule, f.person.id, f.kind) for f in out if f.person]
    assert kinds == [("COLLECTIVE_ALLOCATION", "A", "MAIN_LEADERSHIP"), ("DISSENT_EXEMPTION", "B", "EXEMPT"),
                     ("COLLECTIVE_ALLOCATION", "C", "IMPORTANT_LEADERSHIP"),
                     ("INDIVIDUAL_ALLOCATION", "B", "IMPORTANT_LEADERSHIP")]
    exempt = out[1]
    assert exempt.basis == Provision("CN-2016", 11, 2)
    assert exempt.exception == "art. 11 ¶2: dissent (exception to COLLECTIVE_ALLOCATION)"
    assert exempt.note == "would bear IMPORTANT_LEADERSHIP under national measures art. 11 ¶2; opposed"


def test_an_exemption_does_not_reach_a_kind_it_does_not_name() -> None:
    out = toy_book().evaluate(Toy(dissenter="A"), NATION_ONLY)
    assert "EXEMPT" not in [f.kind for f in out if isinstance(f, Finding)]
