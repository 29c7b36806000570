"""The responsibility engine's public face: trace a matter, hold a failure to
account, a cadre's record, the honours roll, and counterfactuals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from zeren.graph.records import Institution, MeasureKind, Stance, Territory
from zeren.graph.store.base import GraphStore
from zeren.law import REGISTRY, Applicable, NoRuleSet, Provision, RuleSet, applicable

from . import accountability, compliance, compliance_status, measures, standing
from .answers import AssessmentInPost, CadreDuties, CadreRecord, HonoursEntry, InspectionHeard
from .facts import (
    FailureFacts,
    MatterFacts,
    NotFound,
    failure_matter,
    fetch_cadre,
    fetch_failure,
    fetch_matter,
    fetch_measures_in_year,
    fetch_person,
    territory_chain,
)
from .findings import Evaluation, Finding, Gap, JudgedOn, Recommendation, RecordedMeasure
from .organisation import Organisation

__all__ = ["Engine", "EngineError", "NotFound", "Change", "parse_as_of"]


class EngineError(ValueError):
    """A request the engine cannot answer as asked (bad date, unknown id, …)."""


def parse_as_of(value: str | date | None, today: date | None = None) -> date | None:
    """An as-of date from text; malformed or future dates are refused with a clear reason."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        d = value
    else:
        try:
            d = date.fromisoformat(str(value))
        except ValueError:
            raise EngineError(f"as-of date {value!r} is not a date in the form YYYY-MM-DD") from None
    if d > (today or date.today()):
        raise EngineError(f"as-of date {d.isoformat()} is in the future; responsibility is traced for acts "
                          "that have happened")
    return d


@dataclass(frozen=True)
class Change:
    """A stated change for a counterfactual evaluation (never written to the graph).

    kinds: ``stance`` (person, decision participation -> value: AGREED |
    OPPOSED_OVERRULED | ABSENT), ``rectified`` (measure -> value: ISO date or
    None), ``act_date`` (value: ISO date), ``due_diligence`` (person -> value:
    bool), ``as_of`` (value: ISO date, for a matter trace)."""

    kind: str
    value: Any = None
    person: str | None = None
    measure: str | None = None

    def describe(self) -> str:
        who = self.person or self.measure or ""
        return f"{self.kind}{'(' + who + ')' if who else ''} = {self.value}"


@dataclass
class Counterfactual:
    changes: list[Change]
    before: Evaluation
    after: Evaluation
    added: list[Finding] = field(default_factory=list)
    removed: list[Finding] = field(default_factory=list)
    recommendations_added: list[Recommendation] = field(default_factory=list)
    recommendations_removed: list[Recommendation] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"changes": [c.describe() for c in self.changes], "before": self.before.as_dict(),
                "after": self.after.as_dict(), "added": [f.as_dict() for f in self.added],
                "removed": [f.as_dict() for f in self.removed],
                "recommendations_added": [r.as_dict() for r in self.recommendations_added],
                "recommendations_removed": [r.as_dict() for r in self.recommendations_removed]}


class Engine:
    def __init__(self, store: GraphStore, registry: Mapping[str, RuleSet] | None = None,
                 today: date | None = None, organisation: Organisation | None = None) -> None:
        """``organisation``: the organisation held in memory for the traces
        (zeren.rules.organisation); None reads it from the store every time."""
        self.store = store
        self.registry = registry if registry is not None else REGISTRY
        self.today = today
        self.organisation = organisation

    # ------------------------------------------------------------------ matters
    def trace(self, matter_id: str, as_of: str | date | None = None, failure_id: str | None = None,
              matter_rows: list[dict[str, Any]] | None = None) -> Evaluation:
        """Standing responsibility for a matter on ``as_of`` (default: the date
        it was received); with ``failure_id``, also accountability for that
        failure (default date: the act's date). ``matter_rows``: the matter's
        rows of the ``matter`` query, when the caller has read them already."""
        on = parse_as_of(as_of, self.today)
        if failure_id:
            concerns = failure_matter(self.store, failure_id)
            if concerns and concerns.id != matter_id:
                raise EngineError(f"failure {failure_id} concerns matter {concerns.id}, not {matter_id}")
        facts, on = fetch_matter(self.store, matter_id, on, matter_rows,
                                 self.organisation.reads() if self.organisation else None)
        ev = self._standing(facts, on)
        if failure_id:
            acc = self.account(failure_id, as_of)
            ev.findings.extend(acc.findings)
            ev.gaps.extend(acc.gaps)
            ev.recommendations = acc.recommendations
            ev.recorded_measures = acc.recorded_measures
            ev.rule_sets = list(dict.fromkeys([*ev.rule_sets, *acc.rule_sets]))
            ev.judged_on.extend(acc.judged_on)
            ev.subject += f", failure {failure_id}"
        return ev

    def matter_and_trace(self, matter_id: str, as_of: str | date | None = None
                         ) -> tuple[dict[str, Any], Evaluation]:
        """The matter's stored properties and its standing responsibility on
        ``as_of`` (``trace`` without a failure): one read of the matter for
        both, as the API answers a matter with its responsibility."""
        facts, on = fetch_matter(self.store, matter_id, parse_as_of(as_of, self.today), None,
                                 self.organisation.reads() if self.organisation else None)
        return facts.row, self._standing(facts, on)

    def _standing(self, facts: MatterFacts, on: date) -> Evaluation:
        # Every rule set in force for some institution the matter reaches, and
        # for each territory of those institutions the sets that bind it.
        app = applicable(facts.territories(), on, self.registry)
        received = facts.matter.received_on
        ev = Evaluation(subject=f"matter {facts.matter.id}", as_of=on, rule_sets=[], judged_on=[JudgedOn(
            "STANDING", on, "posts, divisions of duties, vertical lines, case-holding and handling steps on this date"
                            + (" (the date the matter was received)" if on == received else ""))])
        if on < received:
            ev.gaps.append(Gap("the matter on the as-of date",
                               f"{on.isoformat()} is before the matter was received ({received.isoformat()}): "
                               "no handling step counts yet; the findings are who bore standing responsibility "
                               "in its territory and subject on that date"))
        if isinstance(app, NoRuleSet):
            ev.gaps.append(Gap("applicable rules", app.reason))
            return ev
        ev.rule_sets = app.ids
        rules = {t: a for t, chain in facts.territory_chains.items()
                 if isinstance(a := applicable(chain, on, self.registry), Applicable)}
        ctx = standing.StandingContext(facts, app, on, rules)
        _split(standing.book.evaluate(ctx, app), ev)
        ev.gaps.extend(standing.unattributed_case_holding(ctx))
        return ev

    # ------------------------------------------------------------------ failures
    def _failure_facts(self, failure_id: str, act_date: date | None = None) -> FailureFacts:
        return fetch_failure(self.store, failure_id, act_date,
                             self.organisation.reads() if self.organisation else None)

    def account(self, failure_id: str, as_of: str | date | None = None,
                facts: FailureFacts | None = None) -> Evaluation:
        """Accountability for failure F: its item of art. 11 ¶1, the allocation
        of art. 11 ¶2 among the people who held the posts on the act date and
        its exemptions (one book of rule units, ``accountability.book``), and
        the measures that follow as of ``as_of`` (default: today's record)."""
        on = parse_as_of(as_of, self.today) or self.today or date.today()
        facts = facts or self._failure_facts(failure_id)
        act = facts.failure.act_date
        ev = Evaluation(subject=f"failure {failure_id}", as_of=act, rule_sets=[],
                        recorded_measures=[RecordedMeasure(m, measures.rectification(m, on).status)
                                           for m in facts.measures], judged_on=[
                            JudgedOn("ACCOUNTABILITY", act, "rule sets, posts and their holders on the date of "
                                                            "the act"),
                            JudgedOn("MEASURES", on, "measures decided and rectified by this date"
                                                     + (" (today)" if as_of is None else ""))])
        app = applicable([t.id for t in facts.chain], act, self.registry)
        if isinstance(app, NoRuleSet):
            ev.gaps.append(Gap("applicable rules", app.reason))
            return ev
        ev.rule_sets = app.ids
        ctx = accountability.AccountContext(facts, app, act)
        _split(accountability.book.evaluate(ctx, app), ev)
        if on < act:
            ev.gaps.append(Gap("measures", f"{on.isoformat()} is before the act ({act.isoformat()}): on that date "
                                           "there was no failure to hold to account, so no measure follows yet"))
            return ev
        ev.recommendations = measures.recommend(ctx, [f for f in ev.findings if f.kind != "FAILURE"], on)
        if measures.unnamed_suspicion(ctx):
            ev.gaps.append(Gap("who is suspected of a crime", measures.UNNAMED_SUSPICION, app.cite("CRIME")))
        return ev

    # ------------------------------------------------------------------ records
    def cadre_record(self, person_id: str) -> CadreRecord:
        """Every finding and measure for a person across posts and time, with
        rectification status (national art. 10 ¶2; Chongqing art. 10 ¶2, art. 18)."""
        person, tenures, failure_ids = fetch_person(self.store, person_id)
        findings: list[Finding] = []
        recs: list[Recommendation] = []
        measures_against: list[RecordedMeasure] = []
        today = self.today or date.today()
        basis: set[Provision] = set()
        for fid in failure_ids:
            ev = self.account(fid)
            if ev.rule_sets:
                app = Applicable(tuple(self.registry[i] for i in ev.rule_sets), ev.as_of)
                basis.update(app.cite(k) for k in ("PERSONNEL_RECORD", "PERSONNEL_USE") if app.has(k))
            findings.extend(f for f in ev.findings if f.person and f.person.id == person_id)
            recs.extend(r for r in ev.recommendations if r.person and r.person.id == person_id)
            measures_against.extend(m for m in ev.recorded_measures if m.measure.person == person_id)
        duties = self.cadre_duties(person_id)
        return CadreRecord(duties.assessments, duties.inspections, duties.activities, duties.case_holdings,
                           person=person, tenures=tenures, findings=findings, recommendations=recs,
                           measures=measures_against, as_of=today, basis=sorted(basis, key=lambda p: p.label()))

    def cadre_duties(self, person_id: str) -> CadreDuties:
        """Chapters 2-3 in a cadre record: the assessments of the units the cadre
        led while in the post (art. 10 ¶1), the inspections of the cadre and
        whether the petition department was heard before each concluded (art.
        10 ¶2), the cadre's own petition work (national art. 4 ¶3, Chongqing
        art. 7) and matters held, each with its post."""
        facts = fetch_cadre(self.store, person_id)
        seen: set[tuple[str, str]] = set()
        assessments: list[AssessmentInPost] = []
        for held in facts.assessed:
            h = held.tenure
            for a in held.assessments:
                overlaps = a.period_from <= (h.valid_to or a.period_from) and a.period_to >= h.valid_from
                if overlaps and (held.post, a.id) not in seen:
                    seen.add((held.post, a.id))
                    assessments.append(AssessmentInPost(held.post, held.institution, a))
        return CadreDuties(
            assessments=sorted(assessments, key=lambda x: (x.assessment.period_from, x.post)),
            inspections=[InspectionHeard(i, heard, compliance.heard_before(i, heard))
                         for i, heard in facts.inspections],
            activities=facts.activities, case_holdings=facts.holdings)

    def honours_roll(self, year: int, territory: str | None = None) -> list[HonoursEntry]:
        """Regions, departments and units that lose eligibility for comprehensive
        honours in ``year`` (art. 14 "本年度": the year of the admonishment), from
        the admonishments and explicit disqualifications decided that year;
        within ``territory`` and below if given. Each entry names its year and
        the territory of the failure's unit (for a region, the region itself)."""
        chains: dict[str, list[str]] = {}
        out: dict[tuple[str, str], HonoursEntry] = {}
        for r in fetch_measures_in_year(self.store, year, [MeasureKind.ADMONISHMENT,
                                                           MeasureKind.HONOURS_DISQUALIFICATION]):
            t, unit = r.territory, r.unit
            if t.id not in chains:
                chains[t.id] = territory_chain(self.store, t.id)
            if territory and territory not in chains[t.id]:
                continue
            app = applicable(chains[t.id], r.measure.decided_on, self.registry)
            basis = app.cite("HONOURS") if isinstance(app, Applicable) else None
            why = f"{r.measure.kind} {r.measure.id} for failure {r.failure.id}"
            dept = measures.department_of(unit, r.parent)
            entries: list[tuple[str, Territory | Institution]] = [
                ("region", t), ("department" if dept is unit else "unit", unit)]
            if dept is not None and dept is not unit:
                entries.append(("department", dept))
            for role, node in entries:
                e = out.setdefault((role, node.id), HonoursEntry(role, node.id, node.name, year, t, basis))
                e.reasons.append(why)
        return sorted(out.values(), key=lambda e: (e.role, e.id))

    # ------------------------------------------------------------------ chapters 2-3
    def compliance(self, territory: str, year: int | str, *, below: bool = True) -> compliance.Report:
        """For every region, department and system of ``territory`` (and below,
        unless ``below`` is false), each duty of chapters 2-3 that applies to it
        in ``year``: met, unmet or unknown, with the facts and the provision
        (zeren.rules.compliance)."""
        y = self._compliance_year(year)
        report = compliance.evaluate(compliance.fetch(self.store, territory, y, below=below), dict(self.registry))
        return self._year_gap(report, y)

    def compliance_statuses(self, territory: str, year: int | str, *, below: bool = True) -> compliance.Report:
        """As ``compliance`` without the facts, notes and what is not formalised:
        each duty's status, provision, period and rule sets, counted in the store
        (zeren.rules.compliance_status), for a province's many units at once."""
        y = self._compliance_year(year)
        report = compliance_status.statuses(self.store, territory, y, dict(self.registry), below=below)
        return self._year_gap(report, y)

    def _compliance_year(self, year: int | str) -> int:
        try:
            y = int(year)
        except (TypeError, ValueError):
            raise EngineError(f"year {year!r} is not a year") from None
        today = self.today or date.today()
        if not 1949 <= y <= today.year:
            raise EngineError(f"year {y} is not between 1949 and this year ({today.year})")
        return y

    def _year_gap(self, report: compliance.Report, y: int) -> compliance.Report:
        if y == (self.today or date.today()).year:
            report.gaps.insert(0, Gap("the year", f"{y} is not over: a duty shown unmet may still be done this year"))
        return report

    # ------------------------------------------------------------------ counterfactuals
    def counterfactual(self, *, failure_id: str | None = None, matter_id: str | None = None,
                       changes: Sequence[Change], as_of: str | date | None = None) -> Counterfactual:
        """The same evaluation with stated changes applied to the facts in
        memory; nothing is written to the graph."""
        if failure_id:
            before = self.account(failure_id, as_of)
            facts = self._failure_facts(failure_id)
            after_as_of = as_of
            for c in changes:
                if c.kind == "act_date":
                    new = parse_as_of(c.value, self.today)
                    facts = self._failure_facts(failure_id, new)
                    facts.failure = replace(facts.failure, act_date=new)
            for c in changes:
                _apply(facts, c)
                if c.kind == "as_of":
                    after_as_of = c.value
            after = self.account(failure_id, after_as_of, facts=facts)
        elif matter_id:
            before = self.trace(matter_id, as_of)
            new_as_of = next((c.value for c in changes if c.kind == "as_of"), as_of)
            unknown = [c for c in changes if c.kind != "as_of"]
            if unknown:
                raise EngineError(f"a matter trace takes only the change 'as_of', not {unknown[0].kind!r}")
            after = self.trace(matter_id, new_as_of)
        else:
            raise EngineError("a counterfactual needs a failure or a matter")
        return _diff(list(changes), before, after)


def _apply(facts: FailureFacts, c: Change) -> None:
    """Apply a change to the facts in memory: the records are frozen, so each
    changed one is replaced by a copy with the new value."""
    if c.kind == "stance":
        hit = [p for p in facts.participants if p.person.id == c.person]
        if not hit:
            raise EngineError(f"person {c.person} did not take part in the failure's decision")
        try:
            stance = Stance(c.value)
        except ValueError:
            raise EngineError(f"unknown stance {c.value!r}") from None
        for p in hit:
            p.link = replace(p.link, stance=stance)
    elif c.kind == "rectified":
        if not any(m.id == c.measure for m in facts.measures):
            raise EngineError(f"measure {c.measure} is not recorded for this failure")
        on = date.fromisoformat(c.value) if c.value else None
        facts.measures = [replace(m, rectified_on=on) if m.id == c.measure else m for m in facts.measures]
    elif c.kind == "due_diligence":
        hit = [i for i in facts.involved if i.person.id == c.person]
        if not hit:
            raise EngineError(f"person {c.person} is not named in the failure record")
        for i in hit:
            i.link = replace(i.link, due_diligence=bool(c.value))
    elif c.kind not in ("act_date", "as_of"):
        raise EngineError(f"unknown change {c.kind!r}: use stance, rectified, due_diligence, act_date or as_of")


def _diff(changes: list[Change], before: Evaluation, after: Evaluation) -> Counterfactual:
    bk = {f.key(): f for f in before.findings}
    ak = {f.key(): f for f in after.findings}
    br = {r.key(): r for r in before.recommendations}
    ar = {r.key(): r for r in after.recommendations}
    return Counterfactual(changes, before, after,
                          added=[f for k, f in ak.items() if k not in bk],
                          removed=[f for k, f in bk.items() if k not in ak],
                          recommendations_added=[r for k, r in ar.items() if k not in br],
                          recommendations_removed=[r for k, r in br.items() if k not in ar])


def _split(items: list[Finding | Gap], ev: Evaluation) -> None:
    for i in items:
        (ev.findings if isinstance(i, Finding) else ev.gaps).append(i)  # type: ignore[arg-type]

