"""The statuses of a compliance answer (chapters 2-3) without its facts: for
every region, department and system of a territory and a year, each duty that
applies to it, met / unmet / unknown, with its provision, period and rule sets
(zeren.rules.compliance gives the same with the facts, the notes and what is
not formalised).

The store counts, per institution and period, what each duty's rule looks at
(supervisions by kind, scope and circulation; assessments by scope and use;
leaders without letters read or receptions; major decisions assessed; ...),
in a few aggregating queries, so a province's answer reads one row per
institution rather than one per record. Each duty's status is then the same
test its rule in zeren.rules.compliance makes, on those counts: the tests
compare the two answers duty by duty. A duty with no status rule here (or the
national bureau's assessment of the provinces) is answered by its full rule,
on the records of its territory alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, TypeVar

from zeren import queries
from zeren.graph.records import ComplianceStatus, SupervisionKind, TerritoryLevel
from zeren.graph.records import Duty as D
from zeren.graph.records import InstitutionKind as K
from zeren.graph.records import UnitScope as U
from zeren.graph.store.base import GraphStore
from zeren.law import NoRuleSet, Provision, RuleSet

from . import compliance
from .compliance import MET, UNKNOWN, UNMET, ComplianceFacts, Duty, DutyContext, Report

Key = tuple[str, str]  # (first day of the period, ISO; institution id)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DutyStatus:
    """One duty of one unit in the year: its status, provision, period and rule sets (no facts)."""

    duty: D
    status: ComplianceStatus
    basis: Provision
    period: tuple[date, date]
    rule_sets: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"duty": self.duty, "status": self.status, "basis": self.basis.as_dict(),
                "period": [self.period[0].isoformat(), self.period[1].isoformat()],
                "rule_sets": list(self.rule_sets)}

    @staticmethod
    def of(answer: compliance.DutyAnswer) -> DutyStatus:
        return DutyStatus(answer.duty, answer.status, answer.basis, answer.period, answer.rule_sets)


@dataclass
class Tallies:
    """The store's counts: per (period start, institution) for the duties judged
    on a period, per institution for those judged on the whole year."""

    leaders: dict[Key, dict[str, int]]
    supervisions: dict[Key, list[tuple[str, str, int, int, int]]]  # kind, scope, count, circulated, not
    assessments: dict[Key, list[tuple[str | None, int, int, int]]]  # scope, count, used, not used
    items: dict[str, dict[Key, tuple[int, int]]]  # what -> (items, done): compliance_status_items
    year: dict[str, dict[str, int]]  # what -> institution -> items, for those counted over the year
    held: dict[str, frozenset[D]]  # institution -> the duties a ledger of the year holds complete


class StatusContext:
    """A unit's duty context (its rule sets and periods) with the counts, and the
    ids of the institutions its duties read: its organs, its team's (those whose
    leaders are the unit's) and its territory's, worked out once per unit."""

    __slots__ = ("ctx", "t", "starts", "unit", "organs", "team", "_territory", "_rows")

    def __init__(self, ctx: DutyContext, tallies: Tallies, starts: dict[str, str]) -> None:
        self.ctx, self.t, self.starts = ctx, tallies, starts
        self.unit = ctx.unit
        self.organs = [o.id for o in ctx.unit.organs]
        team = ctx.team_organs()  # the organs whose leaders are the unit's (read by five duties)
        self.team = self.organs if team is ctx.unit.organs else [o.id for o in team]
        self._territory: list[str] | None = None
        self._rows: dict[tuple[int, str], list[Any]] = {}

    @property
    def territory(self) -> list[str]:
        """The ids of every institution of the unit's territory."""
        if self._territory is None:
            self._territory = [o.id for o in self.ctx.territory_institutions()]
        return self._territory

    def total(self, what: str, duty: D, ids: list[str] | None = None) -> tuple[int, int]:
        """The items of one kind (``compliance_status_items``) of the institutions ``ids`` (default: the
        unit's organs) in the duty's period, and those done."""
        table = self.t.items.get(what)
        if not table:
            return 0, 0
        start, n, done = self.starts[duty], 0, 0
        for i in self.organs if ids is None else ids:
            got = table.get((start, i))
            if got is not None:
                n, done = n + got[0], done + got[1]
        return n, done

    def leaders(self, column: str, duty: D, ids: list[str]) -> int:
        start, table, n = self.starts[duty], self.t.leaders, 0
        for i in ids:
            got = table.get((start, i))
            if got is not None:
                n += got[column]
        return n

    def rows(self, table: dict[Key, list[T]], duty: D) -> list[T]:
        """The rows of ``table`` (``supervisions`` or ``assessments``) of the unit's organs in the duty's period
        (kept for the unit's other duties of the same period)."""
        start = self.starts[duty]
        got = self._rows.get((id(table), start))
        if got is None:
            got = self._rows[(id(table), start)] = [r for i in self.organs for r in table.get((start, i), ())]
        return got

    def in_year(self, what: str, ids: list[str]) -> bool:
        table = self.t.year.get(what)
        return bool(table) and any(table.get(i) for i in ids)

    def status(self, duty: D, shown: bool, ids: list[str] | None = None,
               can_be_unmet: bool = True) -> ComplianceStatus:
        """As ``DutyContext.answer``: met when shown, else unmet when a ledger of
        ``ids`` (default: the unit's organs) is held complete for the duty, else unknown."""
        if shown:
            return MET
        if can_be_unmet:
            held = self.t.held
            for i in self.organs if ids is None else ids:
                if duty in held.get(i, ()):
                    return UNMET
        return UNKNOWN

    def items(self, duty: D, owed: int, done: int, ids: list[str] | None = None) -> ComplianceStatus:
        """As ``compliance._items``: a duty owed item by item; none owed is unknown."""
        if not owed:
            return UNKNOWN
        return self.status(duty, done == owed, ids)


# Not answered from the counts: the duty's full rule answers it on its territory's records.
FULL = object()
StatusRule = Callable[[StatusContext], "ComplianceStatus | None | object"]
STATUS: dict[D, StatusRule] = {}


def status_rule(key: D) -> Callable[[StatusRule], StatusRule]:
    def deco(fn: StatusRule) -> StatusRule:
        STATUS[key] = fn
        return fn
    return deco


def _supervisions(s: StatusContext, duty: D, kind: SupervisionKind, same_scope: bool) -> tuple[int, int, int]:
    n = circulated = not_circulated = 0
    for kd, scope, count, yes, no in s.rows(s.t.supervisions, duty):
        if kd == kind and (not same_scope or scope == s.unit.scope):
            n, circulated, not_circulated = n + count, circulated + yes, not_circulated + no
    return n, circulated, not_circulated


@status_rule(D.SPECIAL_SUPERVISION)
def _special_supervision(s: StatusContext) -> ComplianceStatus:
    return s.status(D.SPECIAL_SUPERVISION, _supervisions(s, D.SPECIAL_SUPERVISION, SupervisionKind.SPECIAL, True)[0] > 0)


@status_rule(D.SUPERVISION_CIRCULATED)
def _supervision_circulated(s: StatusContext) -> ComplianceStatus:
    n, yes, no = _supervisions(s, D.SUPERVISION_CIRCULATED, SupervisionKind.SPECIAL, True)
    if n and no == n:
        return UNMET
    return s.status(D.SUPERVISION_CIRCULATED, yes > 0, can_be_unmet=False)


@status_rule(D.MATTER_SUPERVISION)
def _matter_supervision(s: StatusContext) -> ComplianceStatus:
    return s.status(D.MATTER_SUPERVISION, _supervisions(s, D.MATTER_SUPERVISION, SupervisionKind.MATTER, False)[0] > 0,
                    can_be_unmet=False)


def _assessments(s: StatusContext, duty: D) -> tuple[int, int, int]:
    n = used = not_used = 0
    for scope, count, yes, no in s.rows(s.t.assessments, duty):
        if s.unit.scope == U.SYSTEM and scope != U.SYSTEM:
            continue
        if s.unit.scope == U.DEPARTMENT and scope == U.SYSTEM:
            continue
        n, used, not_used = n + count, used + yes, not_used + no
    return n, used, not_used


@status_rule(D.ASSESSMENT)
def _assessment(s: StatusContext) -> ComplianceStatus:
    return s.status(D.ASSESSMENT, _assessments(s, D.ASSESSMENT)[0] > 0)


@status_rule(D.ASSESSMENT_USED)
def _assessment_used(s: StatusContext) -> ComplianceStatus:
    n, used, not_used = _assessments(s, D.ASSESSMENT_USED)
    if not_used:
        return UNMET
    return s.status(D.ASSESSMENT_USED, bool(n) and used == n, can_be_unmet=False)


@status_rule(D.PROVINCIAL_ASSESSMENT)
def _provincial_assessment(s: StatusContext) -> object:
    return FULL if s.unit.territory.level == TerritoryLevel.NATION else None


def _per_leader(s: StatusContext, duty: D, shown: str) -> ComplianceStatus:
    team = s.team
    leaders = s.leaders("leaders", duty, team)
    if not leaders:
        return UNKNOWN
    return s.status(duty, s.leaders(shown, duty, team) == leaders, team)


@status_rule(D.LEADER_READING)
def _leader_reading(s: StatusContext) -> ComplianceStatus:
    return _per_leader(s, D.LEADER_READING, "reading")


@status_rule(D.LEADER_RECEPTION)
def _leader_reception(s: StatusContext) -> ComplianceStatus:
    visits = s.ctx.app.has("LEADER_VISIT_DOWN")  # as compliance.leader_reception
    return _per_leader(s, D.LEADER_RECEPTION, "reception_or_visit" if visits else "reception")


@status_rule(D.LEADER_COORDINATION)
def _leader_coordination(s: StatusContext) -> ComplianceStatus:
    shown = s.total("COORDINATION", D.LEADER_COORDINATION, s.team)[0] > 0
    return s.status(D.LEADER_COORDINATION, shown, can_be_unmet=False)


@status_rule(D.CASE_HOLDING)
def _case_holding(s: StatusContext) -> ComplianceStatus:
    shown = s.in_year("HOLDING", s.team)
    return s.status(D.CASE_HOLDING, shown, can_be_unmet=False)


@status_rule(D.RISK_ASSESSMENT)
def _risk_assessment(s: StatusContext) -> ComplianceStatus:
    team = s.team
    return s.items(D.RISK_ASSESSMENT, *s.total("DECISION", D.RISK_ASSESSMENT, team), team)


@status_rule(D.CLASSIFICATION_LIST)
def _classification_list(s: StatusContext) -> ComplianceStatus | None:
    if s.unit.kind != K.WORKING_DEPARTMENT:
        return None
    return s.status(D.CLASSIFICATION_LIST, s.in_year("LIST", s.organs))


@status_rule(D.STAFF_INCIDENT_REPORT)
def _staff_incident_report(s: StatusContext) -> ComplianceStatus:
    return s.items(D.STAFF_INCIDENT_REPORT, *s.total("COLLECTIVE", D.STAFF_INCIDENT_REPORT))


@status_rule(D.STAFF_HANDLING_REPORT)
def _staff_handling_report(s: StatusContext) -> ComplianceStatus:
    return s.items(D.STAFF_HANDLING_REPORT, *s.total("INSTRUCTED", D.STAFF_HANDLING_REPORT))


@status_rule(D.STAFF_LEADER_REPORT)
def _staff_leader_report(s: StatusContext) -> ComplianceStatus:
    shown = s.total("LEADER_REPORT", D.STAFF_LEADER_REPORT)[0] > 0
    return s.status(D.STAFF_LEADER_REPORT, shown, can_be_unmet=False)


@status_rule(D.CADRE_CONSULTATION)
def _cadre_consultation(s: StatusContext) -> ComplianceStatus:
    insts = s.territory
    return s.items(D.CADRE_CONSULTATION, *s.total("INSPECTION", D.CADRE_CONSULTATION, insts), insts)


@status_rule(D.ACCOUNTABILITY_CIRCULATED)
def _accountability_circulated(s: StatusContext) -> ComplianceStatus:
    insts = s.territory
    return s.items(D.ACCOUNTABILITY_CIRCULATED, *s.total("MEASURE", D.ACCOUNTABILITY_CIRCULATED, insts), insts)


# --------------------------------------------------------------------------- the answer

DUTY = {d.value: d for d in D}
# The counting queries over each territory's periods (``$spans``; ``$from``, ``$to``: the year), costliest first
# (the store's CPU for a province at SF 0.01: about 150, 40 (instructed, by the nation's side; 210 by its steps),
# 120, 40 (collective, by the nation's side), 40, 20 and 20 ms), run at once, ``COUNTING_WORKERS`` at a time. The
# leaders' rows are added up per institution; the items' rows say what they count.
LEADER_QUERIES = ("compliance_status_leaders_shown", "compliance_status_leaders")  # rows added up per institution
ITEM_QUERIES = ("compliance_status_instructed", "compliance_status_collective", "compliance_status_items")  # `what`
SPAN_QUERIES = ("compliance_status_leaders_shown", "compliance_status_instructed", "compliance_status_items",
                "compliance_status_collective", "compliance_status_leaders", "compliance_status_supervisions",
                "compliance_status_assessments")
# Two at a time: the embedded FalkorDB runs queries on one thread per core (two on the machines measured); more
# at once would only queue there, and one at a time leaves a core idle while a province is counted.
COUNTING_WORKERS = 2
# The instructed and collective matters of territories holding at least this share of the nation's institutions
# (a province) are found from the nation's side: the year's instructions naming a matter, the collective matters
# and their receipts (``compliance_status_instructed_wide``, ``compliance_status_collective_wide``: about 40 and
# 40 ms of the store's CPU for the province at SF 0.01, against 210 and 110 ms through every handling step of
# its institutions; for a prefecture holding a third of them, as the province does at SF 0.1, 40 and 30 ms
# against 80 and 40); a smaller territory's through its own institutions' steps, then the cheaper path.
WIDE_SHARE = 0.25
WIDE = {"compliance_status_instructed": "compliance_status_instructed_wide",
        "compliance_status_collective": "compliance_status_collective_wide"}
LEADER_COLUMNS = ("leaders", "reading", "reception", "reception_or_visit")
YEAR_ITEMS = ("HOLDING", "LIST")  # counted over the whole year whatever the period


def counting_requests(spans: list[dict[str, str]], tids: list[str], year: int,
                      wide: bool = False) -> list[tuple[str, dict[str, Any]]]:
    """The counting queries with their parameters, in the order of ``SPAN_QUERIES`` then the ledgers; ``wide``:
    the instructed and collective matters found from the nation's side (see ``WIDE_SHARE``)."""
    both = {"spans": spans, "from": f"{year:04d}-01-01", "to": f"{year:04d}-12-31"}
    requests: list[tuple[str, dict[str, Any]]] = [(name, both) for name in SPAN_QUERIES]
    if wide:
        periods: dict[str, list[dict[str, str]]] = defaultdict(list)
        for s in spans:
            periods[s["territory"]].append({"from": s["from"], "to": s["to"]})
        by_territory = {"periods": dict(periods), "from": both["from"], "to": both["to"]}
        requests = [(WIDE[name], by_territory) if name in WIDE else (name, params) for name, params in requests]
    return [*requests, ("compliance_status_ledgers", {"territories": tids, "year": year})]


def tally(store: GraphStore, facts: ComplianceFacts, spans: list[dict[str, str]], wide: bool = False) -> Tallies:
    """The counts: the queries over each territory's periods, and the year's ledgers, run at once."""
    tids = facts.within if facts.within is not None else sorted(facts.territories)
    answers = queries.run_concurrently(store, counting_requests(spans, tids, facts.year, wide),
                                       workers=COUNTING_WORKERS)
    got = dict(zip(SPAN_QUERIES, answers))
    sups, assess, ledgers = got["compliance_status_supervisions"], got["compliance_status_assessments"], answers[-1]
    leaders = [r for name in LEADER_QUERIES for r in got[name]]
    items = [r for name in ITEM_QUERIES for r in got[name]]
    supervisions: dict[Key, list[tuple[str, str, int, int, int]]] = defaultdict(list)
    for r in sups:
        supervisions[(r["from"], r["institution"])].append(
            (r["kind"], r["scope"], int(r["supervisions"]), int(r["circulated"]), int(r["not_circulated"])))
    assessments: dict[Key, list[tuple[str | None, int, int, int]]] = defaultdict(list)
    for r in assess:
        assessments[(r["from"], r["institution"])].append(
            (r["scope"], int(r["assessments"]), int(r["used"]), int(r["not_used"])))
    added: dict[Key, dict[str, int]] = {}  # a row of tenures and a row of those shown per institution
    for r in leaders:
        got = added.setdefault((r["from"], r["institution"]), dict.fromkeys(LEADER_COLUMNS, 0))
        for k in LEADER_COLUMNS:
            got[k] += int(r[k])
    per: dict[str, dict[Key, tuple[int, int]]] = defaultdict(dict)
    per_year: dict[str, dict[str, int]] = defaultdict(dict)
    for r in items:
        if r["what"] in YEAR_ITEMS:  # the same for every period of the territory
            per_year[r["what"]][r["institution"]] = int(r["items"])
        else:
            per[r["what"]][(r["from"], r["institution"])] = (int(r["items"]), int(r["done"]))
    held: dict[str, set[D]] = defaultdict(set)
    for r in ledgers:
        held[r["institution"]].update(DUTY[duty] for duty in r["duties"] or ())
    return Tallies(leaders=added, supervisions=supervisions, assessments=assessments, items=per, year=per_year,
                   held={i: frozenset(duties) for i, duties in held.items()})


def statuses(store: GraphStore, territory: str, year: int, registry: dict[str, RuleSet], *,
             below: bool = True, wide: bool | None = None) -> Report:
    """Every duty of every unit of ``territory`` and below (unless ``below`` is false) in ``year``, with
    its status and provision and without its facts: a ``Report`` whose units'
    duties are ``DutyStatus``, the same units, statuses and gaps as
    ``compliance.evaluate`` gives for the same store. ``wide`` forces the path of the instructed and collective
    matters' counts (by default chosen by the territories' share of the nation's institutions: ``WIDE_SHARE``)."""
    base = compliance.skeleton(store, territory, year, below=below)
    assert base.within is not None
    system_rows, nation = queries.run_many(store, [("compliance_systems", {
        "territories": base.within, "from": f"{year:04d}-01-01", "to": f"{year:04d}-12-31"}), ("institution_count", {})])
    systems = {r["institution"]: r["lower"] for r in system_rows}
    wide = len(base.institutions) >= WIDE_SHARE * nation[0]["institutions"] if wide is None else wide
    facts = replace(base, systems=systems)
    # Each territory's periods of its duties decide the spans the store counts over.
    per_territory: dict[str, compliance.RulesOfTerritory] = {}
    spans: dict[tuple[str, str], dict[str, str]] = {}
    for tid in facts.within:
        app, periods = compliance.rules_of(facts, registry, tid, per_territory)
        if isinstance(app, NoRuleSet):
            continue
        for d in compliance.DUTIES:
            if app.has(d.key):
                start, end = compliance.period_of(app, year, d.key, periods)
                spans[(tid, start.isoformat())] = {"territory": tid, "from": start.isoformat(),
                                                   "to": end.isoformat()}
    counts = tally(store, facts, list(spans.values()), wide)
    pending: set[str] = set()
    # Per territory: each duty's period start (ISO); per territory, duty and status, its answer: a unit's duty
    # differs from another's of the same territory by its status alone, so the answers are shared (frozen).
    starts: dict[str, dict[str, str]] = {}
    made: dict[tuple[str, D, ComplianceStatus], DutyStatus] = {}

    def judge(duties: list[Duty], ctx: DutyContext) -> list[DutyStatus | tuple[str, str, D]]:
        """The unit's duties that apply: their statuses, or a place for those left to their full rules."""
        unit, tid = ctx.unit, ctx.unit.territory.id
        if tid not in starts:
            starts[tid] = {k: p[0].isoformat() for k, p in ctx.periods.items()}
        s = StatusContext(ctx, counts, starts[tid])
        out: list[DutyStatus | tuple[str, str, D]] = []
        for d in duties:
            rule = STATUS.get(d.key)
            got = rule(s) if rule is not None else FULL
            if got is None:
                continue
            if got is FULL:
                pending.add(tid)
                out.append((unit.scope, unit.id, d.key))
                continue
            assert isinstance(got, ComplianceStatus)
            answer = made.get((tid, d.key, got))
            if answer is None:
                answer = made[(tid, d.key, got)] = DutyStatus(d.key, got, ctx.app.cite(d.key), ctx.period(d.key),
                                                             tuple(ctx.app.ids))
            out.append(answer)
        return out

    report = compliance.evaluate(facts, registry, judge, per_territory)
    if pending:
        _answer_in_full(store, report, facts, registry, sorted(pending))
    return report


def _answer_in_full(store: GraphStore, report: Report, facts: ComplianceFacts, registry: dict[str, RuleSet],
                    tids: list[str]) -> None:
    """The duties left to their full rules, answered on the records of their territories alone."""
    full = compliance.evaluate(compliance.fetch(store, facts.root.id, facts.year, within=tids, known=facts),
                               registry)
    answers = {(u.scope, u.id, d.duty): d for u in full.units for d in u.duties}
    for unit in report.units:
        kept: list[Any] = []
        for d in unit.duties:
            if isinstance(d, tuple):
                if d in answers:  # a full rule may find its duty does not apply (None)
                    kept.append(DutyStatus.of(answers[d]))
            else:
                kept.append(d)
        unit.duties = kept
