"""Compliance with the duties of chapters 2-3 that are not about a single
matter (national art. 4 ¶3, 9, 10; Chongqing art. 4 ¶1, 5 ¶1, 7, 8, 9, 10, 18):
for every region, department and system of a territory and a year, each duty
that applies to it under the rule sets in force, met / unmet / unknown, with
the facts that show it and the provision it rests on.

The facts are fetched first, in one round trip of named queries
(:func:`fetch`); the duties below are pure rule units over them. A duty is a
rule key: the rule sets binding the unit (those of its own territory, in force
on the last day of the year) say which provision states it, and a duty no
rule set in force states does not apply.

Met, unmet, unknown. Records show a duty met. Where they show nothing, the
duty is *unmet* only if the unit's ledger (台账) for the year is held complete
for that duty; otherwise it is *unknown*: no data, never shown as met.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, TypeVar

from zeren import queries
from zeren.graph.records import (
    AccountabilityMeasure,
    Assessment,
    AssessmentResult,
    CadreInspection,
    Circulation,
    ClassificationList,
    ComplianceStatus,
    Consultation,
    Decision,
    HoldsCase,
    LeaderActivityKind,
    Ledger,
    RiskAssessment,
    StaffReport,
    Supervision,
    SupervisionKind,
    Territory,
    TerritoryLevel,
)
from zeren.graph.records import Duty as D
from zeren.graph.records import InstitutionKind as K
from zeren.graph.records import UnitScope as U
from zeren.graph.store.base import GraphStore
from zeren.law import Applicable, NoRuleSet, Provision, RuleSet, applicable

from .facts import NotFound, Props
from .findings import Gap

T = TypeVar("T")

MET, UNMET, UNKNOWN = ComplianceStatus.MET, ComplianceStatus.UNMET, ComplianceStatus.UNKNOWN
REGION_ORGANS = (K.PARTY_COMMITTEE, K.GOVERNMENT, K.PETITION_DEPARTMENT)  # whose records count for a region
REGION_TEAMS = (K.PARTY_COMMITTEE, K.GOVERNMENT)  # whose leaders are the region's leaders
BY_REFERENCE = K.STATE_OWNED_ENTERPRISE


# --------------------------------------------------------------------------- answers

@dataclass(frozen=True)
class Fact:
    """A record shown for a duty: its kind, key, date and what it says."""

    label: str
    id: str
    text: str
    on: date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "id": self.id, "text": self.text, "on": self.on.isoformat() if self.on else None}


@dataclass
class DutyAnswer:
    duty: D  # also the rule key
    status: ComplianceStatus
    basis: Provision
    period: tuple[date, date]  # the part of the year the duty was in force
    facts: list[Fact] = field(default_factory=list)
    note: str = ""
    not_formalised: str = ""
    rule_sets: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"duty": self.duty, "status": self.status, "basis": self.basis.as_dict(),
                "period": [self.period[0].isoformat(), self.period[1].isoformat()],
                "facts": [f.as_dict() for f in self.facts], "note": self.note,
                "not_formalised": self.not_formalised, "rule_sets": list(self.rule_sets)}


@dataclass(frozen=True, slots=True)
class Organ:
    """An institution of a territory as a compliance answer reads it: its key, name, kind and system."""

    id: str
    name: str
    kind: K
    system: str | None = None

    @staticmethod
    def of(row: Props) -> Organ:
        return Organ(row["id"], row["name"], K(row["kind"]), row.get("system"))


@dataclass
class Unit:
    """A region (a territory, through its party committee and government), a
    department, or a system (a department at the top of a vertical line)."""

    scope: U
    id: str  # the territory's code for a region, the institution's id otherwise
    name: str
    territory: Territory
    organs: list[Organ]  # institutions whose records count for the unit
    kind: str = ""  # the institution's InstitutionKind (a department or system); empty for a region
    note: str = ""
    duties: list[DutyAnswer] = field(default_factory=list)
    rule_sets: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "id": self.id, "name": self.name,
                "territory": {"id": self.territory.id, "name": self.territory.name},
                "kind": self.kind, "note": self.note, "rule_sets": self.rule_sets,
                "duties": [d.as_dict() for d in self.duties]}


@dataclass
class Report:
    territory: Territory
    year: int
    units: list[Unit] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    rule_sets: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {MET: 0, UNMET: 0, UNKNOWN: 0}
        for u in self.units:
            for d in u.duties:
                out[d.status] += 1
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"territory": {"id": self.territory.id, "name": self.territory.name}, "year": self.year,
                "rule_sets": self.rule_sets, "counts": self.counts(), "units": [u.as_dict() for u in self.units],
                "gaps": [g.as_dict() for g in self.gaps]}


# --------------------------------------------------------------------------- facts
# The rows of the compliance queries that are not one kind's fields, as the
# duties read them; every node a row holds whole is a record of its kind.

@dataclass(frozen=True, slots=True)
class LeaderPost:
    """A leadership-team post held at some time in the year, its holder and the tenure's dates."""

    post: str
    title: str
    person: str
    name: str
    valid_from: date
    valid_to: date | None

    @staticmethod
    def of(row: Props) -> LeaderPost:
        return LeaderPost(row["post"], row["title"], row["person"], row["name"], row["valid_from"], row["valid_to"])


@dataclass(frozen=True, slots=True)
class Activity:
    """A leader's letters read, reception or visit down (keyed by leader and post in the facts)."""

    kind: LeaderActivityKind
    on: date
    count: int | None


@dataclass(frozen=True, slots=True)
class Coordination:
    """A difficult matter a leader coordinated, in a post."""

    id: str
    person: str
    post: str
    matter: str | None
    on: date

    @staticmethod
    def of(row: Props) -> Coordination:
        a = row["activity"]
        return Coordination(a["id"], a["person"], a["post"], a.get("matter"), a["on"])


@dataclass(frozen=True, slots=True)
class HeldMatter:
    """A matter a leader held (包案) in a post of the unit, with the matter's title."""

    person: str
    holding: HoldsCase
    matter: str
    title: str | None

    @staticmethod
    def of(row: Props) -> HeldMatter:
        return HeldMatter(row["person"], HoldsCase.of(row["holding"]), row["matter"], row["title"])


@dataclass(frozen=True, slots=True)
class CollectiveMatter:
    """A collective matter the unit received, the date, and its staff's incident reports on it."""

    matter: str
    received: date
    reports: list[StaffReport]

    @staticmethod
    def of(row: Props) -> CollectiveMatter:
        return CollectiveMatter(row["matter"]["id"], row["received"], [StaffReport.of(r) for r in row["reports"]])


@dataclass(frozen=True, slots=True)
class InstructedMatter:
    """A matter a leader instructed (批办) that the unit handled after the instruction, with its staff's
    reports on the handling made after it."""

    matter: str
    title: str | None
    instructed: date
    leaders: list[str]
    reports: list[StaffReport]

    @staticmethod
    def of(row: Props) -> InstructedMatter:
        return InstructedMatter(row["matter"], row["title"], row["instructed"], sorted(row["leaders"]),
                                [StaffReport.of(r) for r in row["reports"]])


@dataclass
class Records:
    """The records of the year the duties read: institution id -> records kept by or about it."""

    supervisions: dict[str, list[Supervision]]
    assessments: dict[str, list[Assessment]]
    leaders: dict[str, list[LeaderPost]]
    coordinations: dict[str, list[Coordination]]
    case_holdings: dict[str, list[HeldMatter]]
    decisions: dict[str, list[tuple[Decision, list[RiskAssessment]]]]
    lists: dict[str, list[ClassificationList]]
    inspections: dict[str, list[tuple[CadreInspection, list[Consultation]]]]
    circulations: dict[str, list[tuple[AccountabilityMeasure, list[Circulation]]]]
    collective: dict[str, list[CollectiveMatter]]
    instructed: dict[str, list[InstructedMatter]]
    leader_reports: dict[str, list[StaffReport]]


@dataclass
class ComplianceFacts:
    root: Territory
    year: int
    territories: dict[str, Territory]
    parents: dict[str, str | None]
    chains: dict[str, list[str]]  # territory -> itself and its ancestors, nearest first
    institutions: dict[str, Organ]
    by_territory: dict[str, list[Organ]]
    systems: dict[str, int]  # head of a system -> departments below it
    records: Records
    ledgers: dict[str, list[Ledger]]  # institution id -> its ledgers of the year
    # (person, post) -> the leader's letters read, receptions and visits down, by date
    activities: dict[tuple[str, str], list[Activity]] = field(default_factory=dict)
    within: list[str] | None = None  # the territories whose units are answered (default: all)
    # (institution id, duty) -> its ledgers of the year held complete for the duty
    held: dict[tuple[str, D], list[Ledger]] = field(init=False)

    def __post_init__(self) -> None:
        self.held = defaultdict(list)
        for inst, rows in self.ledgers.items():
            for le in rows:
                for duty in dict.fromkeys(le.duties):
                    self.held[(inst, duty)].append(le)


# The queries of the records the duties read, each with the reader of its rows.
RECORD_QUERIES: dict[str, Callable[[Props], Any]] = {
    "compliance_supervisions": lambda r: Supervision.of(r["supervision"]),
    "compliance_assessments": lambda r: Assessment.of(r["assessment"]),
    "compliance_leaders": LeaderPost.of,
    "compliance_coordinations": Coordination.of,
    "compliance_case_holdings": HeldMatter.of,
    "compliance_decisions": lambda r: (Decision.of(r["decision"]),
                                       [RiskAssessment.of(a) for a in r["risk_assessments"]]),
    "compliance_lists": lambda r: ClassificationList.of(r["list"]),
    "compliance_inspections": lambda r: (CadreInspection.of(r["inspection"]),
                                         [Consultation.of(c) for c in r["consultations"]]),
    "compliance_circulations": lambda r: (AccountabilityMeasure.of(r["measure"]),
                                          [Circulation.of(c) for c in r["circulations"]]),
    "compliance_collective": CollectiveMatter.of,
    "compliance_instructed": InstructedMatter.of,
    "compliance_leader_reports": lambda r: StaffReport.of(r["report"]),
}
# The leaders' letters read and receptions: by far the most rows, keyed by
# (person, post) rather than by institution (a post has one institution).
ACTIVITY_QUERY = "compliance_activities"


def skeleton(store: GraphStore, territory: str, year: int, *, below: bool = True) -> ComplianceFacts:
    """The facts without their records (one round trip): the root's chain, and
    the territories below it (with ``below``; else only those directly below,
    without their institutions), each with its parent and its institutions."""
    chain_rows, unit_rows = queries.run_many(store, [
        ("territory_chain", {"territory": territory}),
        ("compliance_units" if below else "compliance_territory", {"territory": territory})])
    if not chain_rows:
        raise NotFound("territory", territory)
    root = Territory.of(chain_rows[0]["territory"])
    above = [r["territory"]["id"] for r in chain_rows]
    territories = {t.id: t for t in (Territory.of(r["territory"]) for r in unit_rows)}
    parents = {r["territory"]["id"]: r["parent"] for r in unit_rows}
    by_territory = {r["territory"]["id"]: sorted(map(Organ.of, r["institutions"]), key=lambda i: i.id)
                    for r in unit_rows}
    institutions = {i.id: i for rows in by_territory.values() for i in rows}
    chains: dict[str, list[str]] = {territory: above}

    def chain_of(tid: str) -> list[str]:
        if tid not in chains:
            parent = parents.get(tid)
            chains[tid] = [tid, *(chain_of(parent) if parent else [])]
        return chains[tid]

    for tid in territories:
        chain_of(tid)
    return ComplianceFacts(root, year, territories, parents, chains, institutions, by_territory, {},
                           Records(**{k: {} for k in Records.__dataclass_fields__}), {},
                           within=sorted(territories) if below else [territory])


def fetch(store: GraphStore, territory: str, year: int, *, below: bool = True,
          within: list[str] | None = None, known: ComplianceFacts | None = None) -> ComplianceFacts:
    """Everything the duties need for ``territory`` and below in ``year`` (with
    ``below`` false: for the territory's own units only; with ``within``: for
    those territories' units only): three round trips (the root's chain and
    the units; the records), two when its ``known`` skeleton is given."""
    base = known or skeleton(store, territory, year, below=below)
    tids = within if within is not None else base.within
    assert tids is not None
    span = {"territories": tids, "from": f"{year:04d}-01-01", "to": f"{year:04d}-12-31"}
    answers = queries.run_many(store, [
        ("compliance_systems", span), ("compliance_ledgers", {"territories": tids, "year": year}),
        (ACTIVITY_QUERY, span), *[(name, span) for name in RECORD_QUERIES]])
    systems = {r["institution"]: r["lower"] for r in answers[0]}
    ledgers: dict[str, list[Ledger]] = defaultdict(list)
    for r in answers[1]:
        ledgers[r["institution"]].append(Ledger.of(r["ledger"]))
    activities: dict[tuple[str, str], list[Activity]] = defaultdict(list)
    for r in sorted(answers[2], key=lambda r: r["on"]):
        activities[(r["person"], r["post"])].append(Activity(LeaderActivityKind(r["kind"]), r["on"], r["count"]))
    records: dict[str, dict[str, list[Any]]] = {}
    for (name, read), rows in zip(RECORD_QUERIES.items(), answers[3:], strict=True):
        per: dict[str, list[Any]] = defaultdict(list)
        for r in rows:
            per[r["institution"]].append(read(r))
        records[name.removeprefix("compliance_")] = per
    return replace(base, systems=systems, records=Records(**records), ledgers=ledgers, activities=activities,
                   within=tids)


def units_of(facts: ComplianceFacts) -> tuple[list[Unit], list[Gap]]:
    """The regions, departments and systems of the territory, in the order of
    the territories' codes: each region, then its departments and systems."""
    units: list[Unit] = []
    gaps: list[Gap] = []
    for tid in facts.within if facts.within is not None else sorted(facts.territories):
        t = facts.territories[tid]
        insts = facts.by_territory.get(tid, [])
        organs = [i for i in insts if i.kind in REGION_ORGANS]
        # The nation answers as a region through its central organs; the data may
        # hold only the national petition bureau (national art. 10 ¶3).
        if any(i.kind in REGION_TEAMS for i in insts) or (t.level == TerritoryLevel.NATION and organs):
            units.append(Unit(U.REGION, tid, t.name, t, organs))
        elif insts:
            gaps.append(Gap(f"region {t.name} ({tid})",
                            "has no party committee or government of its own: its duties as a region are those of "
                            "the level above (its dispatched agencies are listed as departments)"))
        for i in insts:
            if i.kind in REGION_TEAMS:
                continue
            note = ("applies the rules by reference (参照执行, national art. 2 ¶3, Chongqing art. 2 ¶3)"
                    if i.kind == BY_REFERENCE else "")
            units.append(Unit(U.DEPARTMENT, i.id, i.name, t, [i], i.kind, note))
            if i.id in facts.systems:
                units.append(Unit(U.SYSTEM, i.id, f"{i.name} ({i.system or ''} system)", t, [i],
                                  i.kind, f"{facts.systems[i.id]} department(s) below it in the period"))
    return units, gaps


# --------------------------------------------------------------------------- context

@dataclass
class DutyContext:
    facts: ComplianceFacts
    unit: Unit
    app: Applicable
    registry: dict[str, RuleSet]
    periods: dict[str, tuple[date, date]] = field(default_factory=dict)  # shared by the units of a territory

    @property
    def year(self) -> int:
        return self.facts.year

    @property
    def records(self) -> Records:
        return self.facts.records

    def period(self, key: str) -> tuple[date, date]:
        """The part of the year in which a rule set stating ``key`` was in force."""
        return period_of(self.app, self.year, key, self.periods)

    def rows(self, per: Mapping[str, list[T]], organs: Iterable[Organ] | None = None) -> list[T]:
        """The records of one kind kept by or about ``organs`` (default: the unit's)."""
        return [r for o in (self.unit.organs if organs is None else organs) for r in per.get(o.id, [])]

    def team_organs(self) -> list[Organ]:
        if self.unit.scope == U.REGION:
            return [i for i in self.facts.by_territory.get(self.unit.territory.id, []) if i.kind in REGION_TEAMS]
        return self.unit.organs

    def territory_institutions(self) -> list[Organ]:
        return self.facts.by_territory.get(self.unit.territory.id, [])

    def ledger(self, duty: D, organs: Iterable[Organ] | None = None) -> list[Ledger]:
        """The ledgers of the year, kept by ``organs`` (default: the unit's), held complete for ``duty``."""
        held = self.facts.held
        return [le for o in (self.unit.organs if organs is None else organs) for le in held.get((o.id, duty), ())]

    def answer(self, duty: D, shown: bool, facts: list[Fact], *, note: str = "", not_formalised: str = "",
               ledger_organs: Iterable[Organ] | None = None, missing: str = "", can_be_unmet: bool = True
               ) -> DutyAnswer:
        """MET when the records show the duty done; otherwise UNMET when a
        ledger held complete for it is there (and ``can_be_unmet``), else UNKNOWN."""
        held = self.ledger(duty, ledger_organs)
        if shown:
            status, why = MET, ""
        elif held and can_be_unmet:
            status = UNMET
            why = (f"{missing or 'no such record'}; the ledger {', '.join(le.id for le in held)} is held "
                   "complete for this duty")
        else:
            status = UNKNOWN
            why = (f"{missing or 'no such record'}; " + (
                "the text leaves it to people whether the duty arose, so no record is not a failure"
                if not can_be_unmet else "no ledger held complete for this duty: no data, not shown as met"))
        start, end = self.period(duty)
        if start > date(self.year, 1, 1):
            why = "; ".join(x for x in (why, f"in force from {start.isoformat()}: judged on the rest of the year")
                            if x)
        return DutyAnswer(duty, status, self.app.cite(duty), (start, end), facts,
                          "; ".join(x for x in (note, why) if x), not_formalised, tuple(self.app.ids))


def period_of(app: Applicable, year: int, key: str, periods: dict[str, tuple[date, date]]) -> tuple[date, date]:
    """The part of ``year`` in which a rule set of ``app`` stating ``key`` was in force (kept in ``periods``)."""
    got = periods.get(key)
    if got is None:
        start = min(s.in_force for s in app.sets if key in s.provisions)
        got = periods[key] = max(start, date(year, 1, 1)), date(year, 12, 31)
    return got


def _in(d: date | None, period: tuple[date, date]) -> bool:
    return d is not None and period[0] <= d <= period[1]



# --------------------------------------------------------------------------- duties

Rule = Callable[[DutyContext], DutyAnswer | None]


@dataclass(frozen=True)
class Duty:
    key: D
    scopes: frozenset[U]
    fn: Rule

    @property
    def doc(self) -> str:
        return (self.fn.__doc__ or "").strip()


DUTIES: list[Duty] = []


def duty(key: D, *scopes: U) -> Callable[[Rule], Rule]:
    def deco(fn: Rule) -> Rule:
        DUTIES.append(Duty(key, frozenset(scopes), fn))
        return fn
    return deco


ALL = (U.REGION, U.DEPARTMENT, U.SYSTEM)
UNITS = (U.REGION, U.DEPARTMENT)


def _supervisions(ctx: DutyContext, kind: SupervisionKind, key: D) -> list[Supervision]:
    period = ctx.period(key)
    return [s for s in ctx.rows(ctx.records.supervisions)
            if s.kind == kind and s.scope == ctx.unit.scope and _in(s.started_on, period)]


def _supervision_fact(s: Supervision) -> Fact:
    target = s.territory or s.institution or s.matter or ""
    text = f"{s.kind} supervision by {s.organ} of {target}: {s.topic or ''}".rstrip(": ")
    if s.circulated is True:
        text += f"; circulated{' on ' + s.circulated_on.isoformat() if s.circulated_on else ''}"
    elif s.circulated is False:
        text += "; not circulated"
    return Fact("Supervision", s.id, text, s.started_on)


@duty(D.SPECIAL_SUPERVISION, *ALL)
def special_supervision(ctx: DutyContext) -> DutyAnswer:
    """National art. 9 / Chongqing art. 9: "各级党政机关应当将信访工作纳入督查范围，对本地区、本部门、本系统
    信访工作开展和责任落实情况，每年至少（组织）开展一次专项督查".

    Met by a special supervision of the unit's scope (region, department or
    system) started in the year by one of its organs (for a region: its party
    committee, government or petition department).
    Not formalised: which organ of a region organises it is left to the region."""
    found = _supervisions(ctx, SupervisionKind.SPECIAL, D.SPECIAL_SUPERVISION)
    return ctx.answer(D.SPECIAL_SUPERVISION, bool(found), [_supervision_fact(s) for s in found],
                      missing=f"no special supervision of the {ctx.unit.scope.lower()} recorded in {ctx.year}",
                      not_formalised="not formalised: which organ of a region organises the supervision is left "
                                     "to the region; its party committee, government and petition department count"
                      if ctx.unit.scope == U.REGION else "")


@duty(D.SUPERVISION_CIRCULATED, *ALL)
def supervision_circulated(ctx: DutyContext) -> DutyAnswer:
    """National art. 9 / Chongqing art. 9: "并在适当范围内通报督查情况".

    Met when a special supervision of the year has its findings circulated;
    unmet when every one recorded was not; unknown when none says.
    Not formalised: what scope is "appropriate" (适当范围)."""
    found = _supervisions(ctx, SupervisionKind.SPECIAL, D.SUPERVISION_CIRCULATED)
    facts = [_supervision_fact(s) for s in found]
    nf = "not formalised: what scope of circulation is appropriate (适当范围) is left to people; zeren takes the " \
         "record's circulated flag"
    if found and all(s.circulated is False for s in found):
        return DutyAnswer(D.SUPERVISION_CIRCULATED, UNMET, ctx.app.cite(D.SUPERVISION_CIRCULATED),
                          ctx.period(D.SUPERVISION_CIRCULATED), facts,
                          "every special supervision of the year is recorded as not circulated", nf,
                          tuple(ctx.app.ids))
    shown = any(s.circulated is True for s in found)
    return ctx.answer(D.SUPERVISION_CIRCULATED, shown, facts, not_formalised=nf, can_be_unmet=False,
                      missing="no special supervision of the year" if not found else
                      "no supervision of the year records whether its findings were circulated")


@duty(D.MATTER_SUPERVISION, *UNITS)
def matter_supervision(ctx: DutyContext) -> DutyAnswer:
    """Chongqing art. 9: "重要信访事项、信访突出问题及时督查".

    The supervisions of matters by the unit's organs in the year, with the days
    from the start of each to its end.
    Not formalised: which matters are important and what is "in time" (及时);
    no record is therefore never a failure, only unknown."""
    found = [s for s in ctx.rows(ctx.records.supervisions) if s.kind == SupervisionKind.MATTER
             and _in(s.started_on, ctx.period(D.MATTER_SUPERVISION))]
    facts = [_supervision_fact(s) for s in found]
    return ctx.answer(D.MATTER_SUPERVISION, bool(found), facts, can_be_unmet=False,
                      missing="no supervision of a matter recorded",
                      not_formalised="not formalised: which matters are important (重要) and what is in time (及时) "
                                     "are left to people")


def _assessments(ctx: DutyContext, key: D) -> list[Assessment]:
    period = ctx.period(key)
    out = []
    for a in ctx.rows(ctx.records.assessments):
        if not (a.period_from <= period[1] and a.period_to >= period[0]):
            continue
        if ctx.unit.scope == U.SYSTEM and a.scope != U.SYSTEM:
            continue
        if ctx.unit.scope == U.DEPARTMENT and a.scope == U.SYSTEM:
            continue
        out.append(a)
    return out


def _assessment_fact(a: Assessment) -> Fact:
    target = a.territory or a.institution or ""
    used = {True: "; used in the comprehensive appraisal", False: "; not used in the comprehensive appraisal"}.get(
        a.used_in_appraisal, "")
    follow = f"; follow-up {a.follow_up}" if a.follow_up else ""
    return Fact("Assessment", a.id, f"assessment by {a.assessor} of {target} for "
                f"{a.period_from.isoformat()}..{a.period_to.isoformat()}: {a.result}{used}{follow}", a.on)


@duty(D.ASSESSMENT, *ALL)
def assessment(ctx: DutyContext) -> DutyAnswer:
    """National art. 10 ¶1 / Chongqing art. 10 ¶1: "定期对本地区、本部门、本系统信访工作情况进行考核".

    Met by an assessment by one of the unit's organs whose period covers part
    of the year (for a system: an assessment of the system).
    Not formalised: "定期" (periodically) sets no interval; zeren asks for one
    assessment covering part of each year."""
    found = _assessments(ctx, D.ASSESSMENT)
    return ctx.answer(D.ASSESSMENT, bool(found), [_assessment_fact(a) for a in found],
                      missing=f"no assessment covering {ctx.year} recorded",
                      not_formalised="not formalised: 定期 (periodically) sets no interval; zeren asks for an "
                                     "assessment covering part of each year")


@duty(D.ASSESSMENT_USED, *ALL)
def assessment_used(ctx: DutyContext) -> DutyAnswer:
    """National art. 10 ¶1 / Chongqing art. 10 ¶1: "考核结果作为对领导班子和领导干部综合考评的重要参考".

    Met when every assessment of the year is recorded as used in the
    comprehensive appraisal; unmet when one is recorded as not used."""
    found = _assessments(ctx, D.ASSESSMENT_USED)
    facts = [_assessment_fact(a) for a in found]
    unused = [a.id for a in found if a.used_in_appraisal is False]
    if unused:
        return DutyAnswer(D.ASSESSMENT_USED, UNMET, ctx.app.cite(D.ASSESSMENT_USED), ctx.period(D.ASSESSMENT_USED),
                          facts, f"recorded as not used in the comprehensive appraisal: {', '.join(unused)}", "",
                          tuple(ctx.app.ids))
    shown = bool(found) and all(a.used_in_appraisal is True for a in found)
    return ctx.answer(D.ASSESSMENT_USED, shown, facts, can_be_unmet=False,
                      missing="no assessment of the year" if not found else
                      "an assessment of the year does not record whether its result was used")


@duty(D.PROVINCIAL_ASSESSMENT, U.REGION)
def provincial_assessment(ctx: DutyContext) -> DutyAnswer | None:
    """National art. 10 ¶3: "国家信访局负责对各省、自治区、直辖市信访工作情况进行年度考核。对工作成效明显的
    省、自治区、直辖市予以通报表扬；对问题较多的省、自治区、直辖市，加强工作指导，督促解决存在的问题".

    For the nation: every province-level unit assessed by the national
    petition bureau for the year, each with its result and follow-up.
    Not formalised: what counts as "marked results" (成效明显) or "many
    problems" (问题较多); the follow-up recorded is shown beside the result."""
    if ctx.unit.territory.level != TerritoryLevel.NATION:
        return None
    period = ctx.period(D.PROVINCIAL_ASSESSMENT)
    provinces = sorted(t for t, p in ctx.facts.parents.items() if p == ctx.unit.id
                       and ctx.facts.territories[t].level == TerritoryLevel.PROVINCE)
    bureaus = [i for i in ctx.territory_institutions() if i.kind == K.PETITION_DEPARTMENT]
    got: dict[str, Assessment] = {}
    for a in ctx.rows(ctx.records.assessments, bureaus):
        if a.territory in provinces and a.period_from <= period[1] and a.period_to >= period[0]:
            got.setdefault(a.territory, a)
    facts = [_assessment_fact(got[p]) for p in provinces if p in got]
    missing = [p for p in provinces if p not in got]
    unclear = [a.id for a in got.values()
               if a.result in (AssessmentResult.EXCELLENT, AssessmentResult.FAIL) and not a.follow_up]
    note = f"{len(got)} of {len(provinces)} province-level units assessed"
    if unclear:
        note += f"; no follow-up recorded for {', '.join(unclear)}"
    return ctx.answer(D.PROVINCIAL_ASSESSMENT, bool(provinces) and not missing, facts, note=note,
                      ledger_organs=bureaus, missing="not assessed: " + ", ".join(missing) if missing else "",
                      not_formalised="not formalised: what counts as marked results (成效明显) or many problems "
                                     "(问题较多) is left to the bureau; the follow-up recorded is shown")


def _leaders(ctx: DutyContext, key: D) -> list[LeaderPost]:
    period = ctx.period(key)
    organs = ctx.team_organs()
    return [r for r in ctx.rows(ctx.records.leaders, organs)
            if r.valid_from <= period[1] and (r.valid_to is None or r.valid_to >= period[0])]


def _per_leader(ctx: DutyContext, key: D, kinds: set[LeaderActivityKind], what: str, nf: str) -> DutyAnswer:
    period = ctx.period(key)
    leaders = _leaders(ctx, key)
    facts: list[Fact] = []
    without: list[str] = []
    for r in sorted(leaders, key=lambda r: (r.post, r.person)):
        mine = [a for a in ctx.facts.activities.get((r.person, r.post), ()) if a.kind in kinds and _in(a.on, period)]
        count = sum(int(a.count or 1) for a in mine)
        dates = ", ".join(a.on.isoformat() for a in mine[:6]) + (" …" if len(mine) > 6 else "")
        facts.append(Fact("Person", r.person, f"{r.name} ({r.title}): "
                          f"{len(mine)} record(s), {count} {what}" + (f" on {dates}" if mine else ""),
                          mine[0].on if mine else None))
        if not mine:
            without.append(f"{r.name} ({r.post})")
    if not leaders:
        return ctx.answer(key, False, facts, ledger_organs=ctx.team_organs(), can_be_unmet=False,
                          missing="no leadership-team post held in the period", not_formalised=nf)
    return ctx.answer(key, not without, facts, ledger_organs=ctx.team_organs(), not_formalised=nf,
                      missing="no record for " + "; ".join(without[:10]) + (" …" if len(without) > 10 else ""))


@duty(D.LEADER_READING, *UNITS)
def leader_reading(ctx: DutyContext) -> DutyAnswer:
    """National art. 4 ¶3: "各级领导干部应当阅批群众来信和网上信访"; Chongqing art. 7 (一):
    "阅批群众来信和网上信访…并跟踪督促办理".

    Each member of the unit's leadership teams who held a post in the year:
    letters and online petitions read and instructed, with dates and counts.
    Not formalised: how many and how often; zeren asks for one record each."""
    return _per_leader(ctx, D.LEADER_READING, {LeaderActivityKind.READ_AND_INSTRUCT}, "letters read",
                       "not formalised: the text sets no number; zeren asks for at least one record of reading and "
                       "instructing per leader in the year, and shows the count")


@duty(D.LEADER_RECEPTION, *UNITS)
def leader_reception(ctx: DutyContext) -> DutyAnswer:
    """National art. 4 ¶3: "定期接待群众来访"; Chongqing art. 7 (一): "定期接访下访群众".

    Each member of the unit's leadership teams who held a post in the year:
    receptions of visitors (under the Chongqing rules, visits down count too).
    Not formalised: "定期" (regularly) sets no interval."""
    A = LeaderActivityKind
    kinds = {A.RECEPTION, A.VISIT_DOWN} if ctx.app.has("LEADER_VISIT_DOWN") else {A.RECEPTION}
    return _per_leader(ctx, D.LEADER_RECEPTION, kinds, "petitioners received",
                       "not formalised: 定期 (regularly) sets no interval; zeren asks for at least one reception per "
                       "leader in the year, and shows the dates for people to judge the regularity")


@duty(D.LEADER_COORDINATION, *UNITS)
def leader_coordination(ctx: DutyContext) -> DutyAnswer:
    """National art. 4 ¶3 / Chongqing art. 7 (二): "协调处理疑难复杂信访问题".

    The coordinations of difficult matters by the unit's leaders in the year.
    Not formalised: which matters are difficult and complex; no record is
    therefore unknown, never unmet."""
    period = ctx.period(D.LEADER_COORDINATION)
    acts = [a for a in ctx.rows(ctx.records.coordinations, ctx.team_organs()) if _in(a.on, period)]
    facts = [Fact("LeaderActivity", a.id, f"{a.person} ({a.post}) coordinated {a.matter or 'a matter'}", a.on)
             for a in acts]
    return ctx.answer(D.LEADER_COORDINATION, bool(acts), facts, can_be_unmet=False,
                      missing="no coordination recorded",
                      not_formalised="not formalised: which matters are difficult and complex (疑难复杂) is left to "
                                     "people")


@duty(D.CASE_HOLDING, *UNITS)
def case_holding(ctx: DutyContext) -> DutyAnswer:
    """Chongqing art. 7 (二): "对重要信访事项、信访突出问题实行包案处理".

    The matters held by the unit's leaders, in their posts, at some time in the year.
    Not formalised: which matters are important; no record is unknown, never unmet."""
    holds = ctx.rows(ctx.records.case_holdings, ctx.team_organs())
    facts = [Fact("PetitionMatter", h.matter, f"{h.person} held {h.matter} ({h.title or ''}) "
                  f"in post {h.holding.post}", h.holding.valid_from) for h in holds]
    return ctx.answer(D.CASE_HOLDING, bool(holds), facts, can_be_unmet=False, missing="no case-holding recorded",
                      not_formalised="not formalised: which matters are important (重要信访事项、信访突出问题) is left "
                                     "to people")


def _items(ctx: DutyContext, key: D, items: list[tuple[bool, Fact, str]], none: str, nf: str = "",
           ledger_organs: Iterable[Organ] | None = None) -> DutyAnswer:
    """A duty owed item by item (each major decision, each inspection, each
    measure): met when every item shows it, unmet when one does not and the
    ledger is held, else unknown."""
    facts = [f for _, f, _ in items]
    lacking = [why for ok, _, why in items if not ok]
    if not items:
        return ctx.answer(key, False, facts, note=none, not_formalised=nf, ledger_organs=ledger_organs,
                          can_be_unmet=False, missing="nothing recorded that needed it")
    return ctx.answer(key, not lacking, facts, not_formalised=nf, ledger_organs=ledger_organs,
                      missing="; ".join(lacking[:10]) + (" …" if len(lacking) > 10 else ""))


@duty(D.RISK_ASSESSMENT, *UNITS)
def risk_assessment(ctx: DutyContext) -> DutyAnswer:
    """Chongqing art. 4 ¶1: "落实重大决策社会稳定风险评估机制".

    Each major decision of the unit's leadership teams in the year has a
    social-stability risk assessment concluded on or before its date.
    Not formalised: what makes a decision major (重大); zeren takes the
    decision's ``major`` flag, and decisions without it are not counted."""
    period = ctx.period(D.RISK_ASSESSMENT)
    rows = [(d, ras) for d, ras in ctx.rows(ctx.records.decisions, ctx.team_organs()) if _in(d.on, period)]
    items: list[tuple[bool, Fact, str]] = []
    unmarked = 0
    for d, ras in rows:
        if d.major is not True:
            unmarked += d.major is None
            continue
        before = [a for a in ras if a.on <= d.on]
        late = [a for a in ras if a.on > d.on]
        text = f"major decision {d.id} ({d.title}) on {d.on.isoformat()}: " + (
            ", ".join(f"risk assessment {a.id} on {a.on.isoformat()}: {a.result}" for a in before)
            or ("assessed only after the decision: " + ", ".join(a.id for a in late) if late
                else "no risk assessment recorded"))
        items.append((bool(before), Fact("Decision", d.id, text, d.on), f"{d.id} without a risk assessment before it"))
    nf = "not formalised: what makes a decision major (重大决策) is left to people; zeren takes the decision's " \
         "'major' flag" + (f" ({unmarked} decision(s) of the year do not say)" if unmarked else "")
    return _items(ctx, D.RISK_ASSESSMENT, items, "no major decision recorded in the year", nf, ctx.team_organs())


@duty(D.CLASSIFICATION_LIST, U.DEPARTMENT)
def classification_list(ctx: DutyContext) -> DutyAnswer | None:
    """Chongqing art. 5 ¶1: "各级党政机关工作部门应当制定本部门依法分类处理信访诉求清单".

    A working department has a list in force at some time in the year."""
    if ctx.unit.kind != K.WORKING_DEPARTMENT:
        return None
    lists = ctx.rows(ctx.records.lists)
    facts = [Fact("ClassificationList", c.id, f"{c.title or 'list'} in force from "
                  f"{c.valid_from.isoformat()}" + (f" to {c.valid_to.isoformat()}" if c.valid_to else ""),
                  c.valid_from) for c in lists]
    return ctx.answer(D.CLASSIFICATION_LIST, bool(lists), facts, missing="no list recorded")


def _first_report(reports: list[StaffReport], since: date) -> str:
    """The first of the staff's reports, by whom and when, with the days since ``since`` ("" if none)."""
    if not reports:
        return ""
    first = min(reports, key=lambda x: x.on)
    return f"by {first.person} on {first.on.isoformat()} ({(first.on - since).days} days)"


@duty(D.STAFF_INCIDENT_REPORT, *UNITS)
def staff_incident_report(ctx: DutyContext) -> DutyAnswer:
    """Chongqing art. 8 (三): staff "发生集体访、信访负面舆情或者因信访问题引发的个人极端事件时，及时处理并报告".

    Each collective matter the unit received in the year has an incident
    report by its staff, with the days from receipt to report.
    Not formalised: how soon is "in time" (及时); the days are shown."""
    period = ctx.period(D.STAFF_INCIDENT_REPORT)
    items: list[tuple[bool, Fact, str]] = []
    for r in ctx.rows(ctx.records.collective):
        if _in(r.received, period):
            first = _first_report(r.reports, r.received)
            text = f"collective matter {r.matter} received {r.received.isoformat()}: " + (
                f"reported {first}" if first else "no report recorded")
            items.append((bool(first), Fact("PetitionMatter", r.matter, text, r.received),
                          f"{r.matter} not reported"))
    return _items(ctx, D.STAFF_INCIDENT_REPORT, items, "no collective matter received in the year",
                  "not formalised: how soon is in time (及时) is left to people; the days are shown")


@duty(D.STAFF_HANDLING_REPORT, *UNITS)
def staff_handling_report(ctx: DutyContext) -> DutyAnswer:
    """Chongqing art. 8 (二): staff "认真办理领导批办、交办的信访工作事项，按规定上报办理情况".

    Each matter a leader instructed (批办) in the year that the unit handled
    after the instruction has a report by the unit's staff on its handling,
    made after the instruction, with the days from instruction to report.
    Not formalised: when the handling is to be reported (按规定 refers to rules
    the text does not give); the days are shown."""
    period = ctx.period(D.STAFF_HANDLING_REPORT)
    instructed = [r for r in ctx.rows(ctx.records.instructed) if _in(r.instructed, period)]
    items = [(bool(first := _first_report(r.reports, r.instructed)),
              Fact("PetitionMatter", r.matter, f"matter {r.matter} ({r.title or ''}) instructed by "
                   f"{', '.join(r.leaders)} on {r.instructed.isoformat()}: "
                   + (f"handling reported {first}" if first else "no handling report recorded"), r.instructed),
              f"{r.matter} handled without a report") for r in instructed]
    return _items(ctx, D.STAFF_HANDLING_REPORT, items, "no matter a leader instructed was handled in the year",
                  "not formalised: when the handling is to be reported (按规定) is left to rules the text does not "
                  "give; the days are shown")


@duty(D.STAFF_LEADER_REPORT, *UNITS)
def staff_leader_report(ctx: DutyContext) -> DutyAnswer:
    """Chongqing art. 8 (四): staff "向有关领导汇报重要信访事项和信访突出问题，提出加强和改进信访工作的意见建议".

    The reports of the unit's staff to leaders in the year, each with the
    matter and the leader reported to.
    Not formalised: which matters are important and which problems prominent;
    no record is unknown, never unmet."""
    period = ctx.period(D.STAFF_LEADER_REPORT)
    reports = sorted((r for r in ctx.rows(ctx.records.leader_reports) if _in(r.on, period)),
                     key=lambda r: (r.on, r.id))
    facts = [Fact("StaffReport", r.id, f"{r.person} of {r.institution} reported "
                  + (f"matter {r.matter}" if r.matter else "a prominent problem")
                  + (f" to {r.to_person}" if r.to_person else "") + f" on {r.on.isoformat()}", r.on) for r in reports]
    return ctx.answer(D.STAFF_LEADER_REPORT, bool(reports), facts, can_be_unmet=False,
                      missing="no report to a leader recorded",
                      not_formalised="not formalised: which matters are important (重要信访事项) and which problems "
                                     "prominent (信访突出问题) is left to people")


@duty(D.CADRE_CONSULTATION, U.REGION)
def cadre_consultation(ctx: DutyContext) -> DutyAnswer:
    """National art. 10 ¶2 / Chongqing art. 10 ¶2: "各级组织人事部门在干部考察工作中，应当听取信访部门意见".

    Each cadre inspection started in the year by an institution of the region
    heard a petition department before it concluded."""
    period = ctx.period(D.CADRE_CONSULTATION)
    insts = ctx.territory_institutions()
    items: list[tuple[bool, Fact, str]] = []
    for ci, consultations in ctx.rows(ctx.records.inspections, insts):
        if not _in(ci.started_on, period):
            continue
        heard = heard_before(ci, consultations)
        text = f"inspection {ci.id} of {ci.person} by {ci.by} from {ci.started_on.isoformat()}: " \
               + (f"petition department {heard.petition_department} heard on {heard.on.isoformat()}" if heard
                  else "petition department not heard before it concluded" if consultations
                  else "no hearing of the petition department recorded")
        items.append((heard is not None, Fact("CadreInspection", ci.id, text, ci.started_on),
                      f"{ci.id} without the petition department heard"))
    return _items(ctx, D.CADRE_CONSULTATION, items, "no cadre inspection recorded in the year", "", insts)


def heard_before(inspection: CadreInspection, consultations: list[Consultation]) -> Consultation | None:
    """The first hearing of a petition department on or before the inspection concluded (any, if it has not)."""
    end = inspection.concluded_on
    ok = sorted((c for c in consultations if end is None or c.on <= end), key=lambda c: c.on)
    return ok[0] if ok else None


@duty(D.ACCOUNTABILITY_CIRCULATED, U.REGION)
def accountability_circulated(ctx: DutyContext) -> DutyAnswer:
    """Chongqing art. 18: "有关责任追究情况应当向同级组织、人事部门通报".

    Each accountability measure decided in the year by an institution of the
    region was sent to an organisation or personnel department of the same level."""
    period = ctx.period(D.ACCOUNTABILITY_CIRCULATED)
    insts = ctx.territory_institutions()
    here = {i.id for i in insts}
    items: list[tuple[bool, Fact, str]] = []
    for a, circulations in ctx.rows(ctx.records.circulations, insts):
        if not _in(a.decided_on, period):
            continue
        same = [c for c in circulations if c.to in here]
        other = [c for c in circulations if c.to not in here]
        text = f"{a.kind} {a.id} decided {a.decided_on.isoformat()}: " + (
            ", ".join(f"sent to {c.to} on {c.on.isoformat()}" for c in same) if same else
            ("sent only to another level: " + ", ".join(c.to for c in other)) if other else "not circulated")
        items.append((bool(same), Fact("AccountabilityMeasure", a.id, text, a.decided_on),
                      f"{a.id} not circulated to the same level"))
    return _items(ctx, D.ACCOUNTABILITY_CIRCULATED, items, "no measure decided in the year", "", insts)


# --------------------------------------------------------------------------- evaluation

# A territory's rule sets in force at the end of the year, and the periods of
# its duties (worked out on first use), shared by the units of the territory.
RulesOfTerritory = tuple[Applicable | NoRuleSet, dict[str, tuple[date, date]]]


def rules_of(facts: ComplianceFacts, registry: dict[str, RuleSet], tid: str,
             per_territory: dict[str, RulesOfTerritory]) -> RulesOfTerritory:
    if tid not in per_territory:
        per_territory[tid] = applicable(facts.chains[tid], date(facts.year, 12, 31), registry), {}
    return per_territory[tid]


def evaluate(facts: ComplianceFacts, registry: dict[str, RuleSet],
             judge: Callable[[list[Duty], DutyContext], list[Any]] | None = None,
             per_territory: dict[str, RulesOfTerritory] | None = None) -> Report:
    """Every duty of every unit, under the rule sets binding the unit in the
    year: each duty's rule (or ``judge`` of the unit's duties and context, which
    gives the answers of those that apply)."""
    report = Report(facts.root, facts.year)
    units, report.gaps = units_of(facts)
    seen: list[str] = []
    refused: set[str] = set()
    per_territory = {} if per_territory is None else per_territory
    stated: dict[tuple[str, U], list[Duty]] = {}  # (territory, scope) -> the duties its rule sets state
    for unit in units:
        tid = unit.territory.id
        app, periods = rules_of(facts, registry, tid, per_territory)
        if isinstance(app, NoRuleSet):
            refused.add(app.reason)
            continue
        unit.rule_sets = app.ids
        seen.extend(i for i in app.ids if i not in seen)
        ctx = DutyContext(facts, unit, app, registry, periods)
        duties = stated.get((tid, unit.scope))
        if duties is None:
            duties = stated[(tid, unit.scope)] = [d for d in DUTIES if unit.scope in d.scopes and app.has(d.key)]
        if judge is not None:
            unit.duties = judge(duties, ctx)
        else:
            for d in duties:
                answer = d.fn(ctx)
                if answer is not None:
                    unit.duties.append(answer)
        report.units.append(unit)
    report.gaps.extend(Gap("applicable rules", reason) for reason in sorted(refused))
    report.rule_sets = seen
    return report
