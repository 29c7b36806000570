"""Types shared by every domain of the schema: enumerations from the declared
model, provisions, chains, findings and evaluations. Thin types built from the
engine's records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import Enum
from functools import lru_cache
from typing import Any

import strawberry

from zeren.graph.model import ENUMS
from zeren.graph.records import Territory as TerritoryRecord
from zeren.rules.findings import Chain as ChainRecord
from zeren.rules.findings import Evaluation as EvaluationRecord
from zeren.rules.findings import Finding as FindingRecord
from zeren.rules.findings import Gap as GapRecord
from zeren.rules.findings import Recommendation as RecommendationRecord
from zeren.rules.findings import RecordedMeasure
from zeren.rules.findings import Ref
from zeren.rules.measures import GROUPS
from zeren.law import Provision as ProvisionRecord


def _enum(name: str, extra: dict[str, tuple[str, str]] | None = None) -> type[Enum]:
    e = ENUMS[name]
    members: dict[str, Any] = {
        code: strawberry.enum_value(code, description=f"{label.en} / {label.zh}") for code, label in e.values.items()}
    for code, (en, zh) in (extra or {}).items():
        members[code] = strawberry.enum_value(code, description=f"{en} / {zh}")
    return strawberry.enum(Enum(name, members), description=f"{e.en} / {e.zh}")  # type: ignore[misc]


ResponsibilityKind = _enum("ResponsibilityKind", {"FAILURE": ("the failure and the item it falls under", "失职失责情形"),
                                                 "EVIDENCE": ("evidence toward the failure's item (a decision "
                                                              "without a required risk assessment)", "证据")})
Subject = _enum("Subject")
Channel = _enum("Channel")
MatterForm = _enum("MatterForm")
InstitutionKind = _enum("InstitutionKind")
TerritoryLevel = _enum("TerritoryLevel")
PostRole = _enum("PostRole")
StepKind = _enum("StepKind")
FailureItem = _enum("FailureItem")
FailureScope = _enum("FailureScope")
Gravity = _enum("Gravity")
Stance = _enum("Stance")
MeasureKind = _enum("MeasureKind", GROUPS)


@strawberry.type(description="A label in English and Chinese.")
class Label:
    en: str
    zh: str


def label(enum: str, code: str) -> Label:
    e = ENUMS.get(enum)
    if e and code in e.values:
        return Label(en=e.values[code].en, zh=e.values[code].zh)
    return Label(en=code, zh=code)


@strawberry.type(description="A provision of a regulation: document > article > paragraph (款) > item (项).")
class Provision:
    document: str = strawberry.field(description="document id, e.g. CN-2016 (national measures), CQ-2017 (Chongqing)")
    article: int
    paragraph: int | None
    item: int | None
    label: str = strawberry.field(description="citation in English")
    label_zh: str = strawberry.field(description="citation in Chinese")
    text: str = strawberry.field(description="the exact text of the provision")

    @staticmethod
    @lru_cache(maxsize=4096)
    def of(p: ProvisionRecord) -> Provision:
        # Provisions are immutable and few (a few hundred): each is built once,
        # not once per finding of every trace.
        return Provision(document=p.document, article=p.article, paragraph=p.paragraph, item=p.item,
                         label=p.label(), label_zh=p.label_zh(), text=p.text())


@strawberry.type(description="A node on a chain or named by a finding.")
class NodeRef:
    label: str = strawberry.field(description="node label, e.g. Institution")
    id: strawberry.ID
    name: str

    @staticmethod
    def of(r: Ref | None) -> NodeRef | None:
        return NodeRef(label=r.label, id=strawberry.ID(r.id), name=r.name) if r else None


@strawberry.type(description="A property of a relationship on a chain.")
class Property:
    key: str
    value: str


@strawberry.type(description="A relationship on a chain, from start to end node (by id).")
class ChainLink:
    type: str
    start: strawberry.ID
    end: strawberry.ID
    properties: list[Property]


@strawberry.type(description="The nodes and relationships, in order, through which a finding came.")
class Chain:
    nodes: list[NodeRef]
    relationships: list[ChainLink]

    @staticmethod
    def of(c: ChainRecord) -> Chain:
        return Chain(nodes=[NodeRef.of(n) for n in c.nodes],  # type: ignore[misc]
                     relationships=[ChainLink(type=r.type, start=strawberry.ID(r.start), end=strawberry.ID(r.end),
                                              properties=[Property(key=k, value=v) for k, v in r.props])
                                    for r in c.relationships])


@strawberry.type(description="Who bears which responsibility, on which provision, through which chain.")
class Finding:
    kind: ResponsibilityKind  # type: ignore[valid-type]
    kind_label: Label
    rule: str = strawberry.field(description="the rule unit that produced the finding")
    person: NodeRef | None
    post: NodeRef | None
    institution: NodeRef | None
    territory: NodeRef | None
    basis: Provision
    as_of: dt.date
    note: str
    exception: str = strawberry.field(description="the labelled exception that changed the base rule, if any")
    not_formalised: str = strawberry.field(description="what is left to human judgement, if anything")
    rule_sets: list[str] = strawberry.field(
        description="rule sets in force, on the date, for the institution (and post) the finding is about, base "
                    "first; the basis is cited from the most specific that states the rule")
    failure: NodeRef | None = strawberry.field(description="the failure an accountability finding is about")
    matter: NodeRef | None = strawberry.field(description="the matter the finding (or its failure) concerns")
    record: strawberry.Private[FindingRecord]

    @strawberry.field(description="The nodes and relationships, in order, through which the finding came.")
    def chain(self) -> Chain:
        # Built only when a query asks for it.
        return Chain.of(self.record.chain)

    @staticmethod
    def of(f: FindingRecord) -> Finding:
        kl = {"FAILURE": Label(en="failure", zh="失职失责情形"), "EVIDENCE": Label(en="evidence", zh="证据")}.get(
            f.kind) or label("ResponsibilityKind", f.kind)
        return Finding(
            kind=ResponsibilityKind[f.kind], kind_label=kl, rule=f.rule, person=NodeRef.of(f.person),  # type: ignore[misc]
            post=NodeRef.of(f.post), institution=NodeRef.of(f.institution), territory=NodeRef.of(f.territory),
            basis=Provision.of(f.basis), as_of=f.as_of, note=f.note, exception=f.exception,
            not_formalised=f.not_formalised, rule_sets=list(f.rule_sets), failure=NodeRef.of(f.failure),
            matter=NodeRef.of(f.matter), record=f)


@strawberry.type(description="Something that cannot be determined, and why (never a guess).")
class Gap:
    what: str
    reason: str
    basis: Provision | None

    @staticmethod
    def of(g: GapRecord) -> Gap:
        return Gap(what=g.what, reason=g.reason, basis=Provision.of(g.basis) if g.basis else None)


@strawberry.type(description="A measure the rules lead to; the organ with management authority decides.")
class Recommendation:
    measure: MeasureKind  # type: ignore[valid-type]
    measure_label: Label
    person: NodeRef | None
    institution: NodeRef | None
    options: list[str]
    basis: Provision
    reason: str
    decided_by: NodeRef | None
    decided_by_basis: Provision | None
    not_formalised: str
    proposed_by: NodeRef | None = strawberry.field(
        description="the petition department that investigates and proposes the measure to the deciding organ "
                    "(Chongqing art. 17 ¶2), for a failure found in daily petition work")
    proposed_by_basis: Provision | None
    territory: NodeRef | None = strawberry.field(
        description="the region (地区, a territory: code and name) a loss of honours eligibility is for")
    year: int | None = strawberry.field(
        description="the year (本年度) a loss of honours eligibility is for: the year of the admonishment; null "
                    "while the admonishment is only recommended")
    failure: NodeRef | None = strawberry.field(description="the failure the recommendation follows from")

    @staticmethod
    def of(r: RecommendationRecord) -> Recommendation:
        ml = Label(en=GROUPS[r.measure][0], zh=GROUPS[r.measure][1]) if r.measure in GROUPS else \
            label("MeasureKind", r.measure)
        return Recommendation(measure=MeasureKind[r.measure], measure_label=ml,  # type: ignore[misc]
                              person=NodeRef.of(r.person), institution=NodeRef.of(r.institution),
                              options=list(r.options), basis=Provision.of(r.basis), reason=r.reason,
                              decided_by=NodeRef.of(r.decided_by),
                              decided_by_basis=Provision.of(r.decided_by_basis) if r.decided_by_basis else None,
                              not_formalised=r.not_formalised, proposed_by=NodeRef.of(r.proposed_by),
                              proposed_by_basis=Provision.of(r.proposed_by_basis) if r.proposed_by_basis else None,
                              territory=NodeRef.of(r.territory), year=r.year, failure=NodeRef.of(r.failure))


@strawberry.type(description="An accountability measure recorded in the graph, with its rectification status.")
class Measure:
    id: strawberry.ID
    kind: MeasureKind  # type: ignore[valid-type]
    person: strawberry.ID | None
    institution: strawberry.ID | None
    decided_by: strawberry.ID | None
    decided_on: dt.date
    deadline: dt.date | None
    rectified_on: dt.date | None
    rectification: str = strawberry.field(
        description="NOT_YET_DECIDED (decided after the evaluation date: not yet taken), NO_DEADLINE, PENDING, "
                    "RECTIFIED, RECTIFIED_LATE or NOT_RECTIFIED_BY_DEADLINE on the evaluation date")
    failure: strawberry.ID | None

    @staticmethod
    def of(rec: RecordedMeasure) -> Measure:
        m = rec.measure
        return Measure(id=strawberry.ID(m.id), kind=MeasureKind[m.kind],  # type: ignore[misc]
                       person=m.person, institution=m.institution, decided_by=m.decided_by,
                       decided_on=m.decided_on, deadline=m.deadline, rectified_on=m.rectified_on,
                       rectification=rec.rectification, failure=m.failure)


@strawberry.type(description="The date one part of an evaluation is judged on.")
class JudgedOn:
    part: str = strawberry.field(description="STANDING (standing responsibility, on the as-of date), ACCOUNTABILITY "
                                             "(the allocation, on the act date) or MEASURES (measures decided and "
                                             "rectified, on the as-of date or today)")
    on: dt.date
    what: str


@strawberry.type(description="The engine's answer for a matter or a failure on a date.")
class Evaluation:
    subject: str
    as_of: dt.date
    rule_sets: list[str] = strawberry.field(description="rule sets applied to some finding, base first (empty: none "
                                                        "held applies); each finding's ruleSets says which applied to it")
    findings: list[Finding]
    gaps: list[Gap]
    recommendations: list[Recommendation]
    recorded_measures: list[Measure]
    judged_on: list[JudgedOn] = strawberry.field(description="the date each part of the answer is judged on")

    @staticmethod
    def of(ev: EvaluationRecord) -> Evaluation:
        return Evaluation(subject=ev.subject, as_of=ev.as_of, rule_sets=list(ev.rule_sets),
                          judged_on=[JudgedOn(part=j.part, on=j.on, what=j.what) for j in ev.judged_on],
                          findings=[Finding.of(f) for f in ev.findings], gaps=[Gap.of(g) for g in ev.gaps],
                          recommendations=[Recommendation.of(r) for r in ev.recommendations],
                          recorded_measures=[Measure.of(m) for m in ev.recorded_measures])


@strawberry.type(description="A territory (official administrative-division code as id).")
class Territory:
    id: strawberry.ID
    name: str
    level: TerritoryLevel  # type: ignore[valid-type]
    parent_id: strawberry.ID | None

    @staticmethod
    def of(t: TerritoryRecord | Mapping[str, Any] | None) -> Territory | None:
        """The territory of a record, or of a row's properties (made a record first)."""
        if not t:
            return None
        r = t if isinstance(t, TerritoryRecord) else TerritoryRecord.of(t)
        return Territory(id=strawberry.ID(r.id), name=r.name, level=TerritoryLevel[r.level],  # type: ignore[misc]
                         parent_id=r.parent)
