"""People and records: tenures and the cadre record (personnel vetting), the
honours roll, provisions of the regulations, counterfactual evaluations and
the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from zeren.api.context import Context, run_query
from zeren.api.roles import may
from zeren.rules.answers import CadreDuties
from zeren.rules.engine import Change, EngineError
from zeren.rules.facts import NotFound, person_from_rows
from zeren.law import Provision as ProvisionRecord

from .common import Evaluation, Finding, Measure, NodeRef, Provision, Recommendation, Stance, Territory


@strawberry.type(description="A person's tenure of a post.")
class Tenure:
    post: NodeRef
    institution: NodeRef
    valid_from: dt.date
    valid_to: dt.date | None


@strawberry.type(description="An assessment (art. 10 ¶1) of a unit the cadre led, while in the post.")
class CadreAssessment:
    id: strawberry.ID
    post: strawberry.ID
    institution: strawberry.ID
    result: str
    period_from: dt.date
    period_to: dt.date
    used_in_appraisal: bool | None
    follow_up: str | None


@strawberry.type(description="An inspection of the cadre (干部考察) and whether the petition department was heard "
                             "before it concluded (national art. 10 ¶2, Chongqing art. 10 ¶2).")
class CadreInspection:
    id: strawberry.ID
    by: strawberry.ID
    post: strawberry.ID | None = strawberry.field(description="the post considered for")
    started_on: dt.date
    concluded_on: dt.date | None
    heard_before: bool
    heard_on: dt.date | None
    petition_department: strawberry.ID | None


@strawberry.type(description="The cadre's own petition work (national art. 4 ¶3; Chongqing art. 7), or a matter "
                             "held (包案), in the post recorded.")
class CadreDutyRecord:
    id: strawberry.ID
    kind: str = strawberry.field(description="a LeaderActivityKind code, or CASE_HOLDING")
    post: strawberry.ID | None
    on: dt.date | None
    to: dt.date | None
    matter: strawberry.ID | None
    count: int | None


@strawberry.type(description="Petition-work accountability record of a cadre (national art. 10 ¶2; Chongqing "
                             "art. 10 ¶2, art. 18): every finding and measure across posts and time.")
class CadreRecord:
    findings: list[Finding]
    recommendations: list[Recommendation]
    measures: list[Measure]
    basis: list[Provision]
    assessments: list[CadreAssessment]
    inspections: list[CadreInspection]
    petition_work: list[CadreDutyRecord] = strawberry.field(
        description="letters read, receptions, coordinations and case-holdings, by post")


def _cadre_duties(rec: CadreDuties) -> dict[str, list[Any]]:
    work = [CadreDutyRecord(id=a.id, kind=a.kind, post=a.post, on=a.on, to=None, matter=a.matter, count=a.count)
            for a in rec.activities]
    work += [CadreDutyRecord(id=h.holding.id or h.matter, kind="CASE_HOLDING", post=h.holding.post,
                             on=h.holding.valid_from, to=h.holding.valid_to, matter=h.matter, count=None)
             for h in rec.case_holdings]
    return {
        "assessments": [CadreAssessment(id=x.assessment.id, post=x.post, institution=x.institution,
                                        result=x.assessment.result, period_from=x.assessment.period_from,
                                        period_to=x.assessment.period_to,
                                        used_in_appraisal=x.assessment.used_in_appraisal,
                                        follow_up=x.assessment.follow_up) for x in rec.assessments],
        "inspections": [CadreInspection(id=i.inspection.id, by=i.inspection.by, post=i.inspection.post,
                                        started_on=i.inspection.started_on, concluded_on=i.inspection.concluded_on,
                                        heard_before=i.heard_before is not None,
                                        heard_on=i.heard_before.on if i.heard_before else None,
                                        petition_department=i.heard_before.petition_department
                                        if i.heard_before else None) for i in rec.inspections],
        "petition_work": sorted(work, key=lambda w: (w.on or dt.date.min, str(w.id)))}


@strawberry.type(description="A person.")
class Person:
    id: strawberry.ID
    name: str
    tenures: list[Tenure]

    @strawberry.field(description="The cadre record: every finding and measure across posts and time (personnel "
                                  "only).", permission_classes=[may("cadre_records")])
    async def record(self, info: Info[Context, None]) -> CadreRecord | None:
        # Computed only when asked for, and only for a role that may see it.
        rec = await run_in_threadpool(info.context.engine.cadre_record, str(self.id))
        return CadreRecord(findings=[Finding.of(f) for f in rec.findings],
                           recommendations=[Recommendation.of(r) for r in rec.recommendations],
                           measures=[Measure.of(m) for m in rec.measures],
                           basis=[Provision.of(b) for b in rec.basis], **_cadre_duties(rec))


async def person(info: Info[Context, None], id: strawberry.ID) -> Person:
    rows = await run_query(info.context.store, "person", {"person": str(id)})
    if not rows:
        raise NotFound("person", str(id))
    p, tenures = person_from_rows(rows)
    return Person(
        id=strawberry.ID(p.id), name=p.name,
        tenures=[Tenure(post=NodeRef(label="Post", id=strawberry.ID(t.post.id), name=t.post.title),
                        institution=NodeRef(label="Institution", id=strawberry.ID(t.institution.id),
                                            name=t.institution.name),
                        valid_from=t.tenure.valid_from, valid_to=t.tenure.valid_to) for t in tenures])


@strawberry.type(description="A region, department or unit that loses eligibility for comprehensive honours (art. 14).")
class HonoursEntry:
    role: str = strawberry.field(description="region, department or unit")
    id: strawberry.ID
    name: str
    year: int = strawberry.field(description="the year (本年度) eligibility is lost for: the year of the admonishment")
    territory: Territory | None = strawberry.field(
        description="the region itself, or the territory of the failure's unit (code and name)")
    reasons: list[str]
    basis: Provision | None


async def honours_disqualified(info: Info[Context, None], year: int, territory: strawberry.ID | None = None
                               ) -> list[HonoursEntry] | None:
    if not 2016 <= year <= 2100:
        raise EngineError("year must be between 2016 and 2100")
    rows = await run_in_threadpool(info.context.engine.honours_roll, year, str(territory) if territory else None)
    return [HonoursEntry(role=r.role, id=strawberry.ID(r.id), name=r.name or r.id, year=r.year,
                         territory=Territory.of(r.territory), reasons=r.reasons,
                         basis=Provision.of(r.basis) if r.basis else None) for r in rows]


def provision(document: str, article: int, paragraph: int | None = None, item: int | None = None) -> Provision:
    p = ProvisionRecord(document, article, paragraph, item)
    if not p.text():
        raise NotFound("provision", p.label())
    return Provision.of(p)


@strawberry.input(description="A stated change for a counterfactual evaluation.")
class ChangeInput:
    stance: Stance | None = strawberry.field(default=None, description="a participant's stance (with person)")  # type: ignore[valid-type]
    person: strawberry.ID | None = None
    rectified_measure: strawberry.ID | None = strawberry.field(default=None, description="a measure rectified on rectifiedOn")
    rectified_on: dt.date | None = None
    act_date: dt.date | None = None
    due_diligence: bool | None = strawberry.field(default=None, description="a named person's diligence (with person)")
    as_of: dt.date | None = None

    def to_change(self) -> Change:
        if self.stance is not None:
            return Change("stance", self.stance.value, person=str(self.person) if self.person else None)
        if self.rectified_measure is not None:
            return Change("rectified", self.rectified_on.isoformat() if self.rectified_on else None,
                          measure=str(self.rectified_measure))
        if self.act_date is not None:
            return Change("act_date", self.act_date.isoformat())
        if self.due_diligence is not None:
            return Change("due_diligence", self.due_diligence, person=str(self.person) if self.person else None)
        if self.as_of is not None:
            return Change("as_of", self.as_of.isoformat())
        raise EngineError("a change needs one of stance, rectifiedMeasure, actDate, dueDiligence or asOf")


@strawberry.type(description="The same evaluation with stated changes, computed without writing to the graph.")
class Counterfactual:
    changes: list[str]
    before: Evaluation
    after: Evaluation
    added: list[Finding]
    removed: list[Finding]
    recommendations_added: list[Recommendation]
    recommendations_removed: list[Recommendation]


async def counterfactual(info: Info[Context, None], changes: list[ChangeInput], failure: strawberry.ID | None = None,
                         matter: strawberry.ID | None = None, as_of: dt.date | None = None) -> Counterfactual:
    if not changes:
        raise EngineError("state at least one change")
    cf = await run_in_threadpool(lambda: info.context.engine.counterfactual(
        failure_id=str(failure) if failure else None, matter_id=str(matter) if matter else None,
        changes=[c.to_change() for c in changes], as_of=as_of))
    return Counterfactual(changes=[c.describe() for c in cf.changes], before=Evaluation.of(cf.before),
                          after=Evaluation.of(cf.after), added=[Finding.of(f) for f in cf.added],
                          removed=[Finding.of(f) for f in cf.removed],
                          recommendations_added=[Recommendation.of(r) for r in cf.recommendations_added],
                          recommendations_removed=[Recommendation.of(r) for r in cf.recommendations_removed])


async def failure(info: Info[Context, None], id: strawberry.ID, as_of: dt.date | None = None) -> Evaluation:
    return Evaluation.of(await run_in_threadpool(info.context.engine.account, str(id), as_of))


@strawberry.type(description="A read of a protected field, from the append-only audit log.")
class AuditEntry:
    at: str
    token_id: str
    name: str
    role: str
    matter: str
    field: str
    action: str


async def audit_log(info: Info[Context, None], matter: strawberry.ID | None = None, token: str | None = None,
                    limit: int = 100) -> list[AuditEntry] | None:
    if not 1 <= limit <= 10_000:
        raise EngineError("limit must be between 1 and 10000")
    rows = info.context.services.audit.query(matter_id=str(matter) if matter else None, token_id=token, limit=limit)
    return [AuditEntry(at=str(r.get("ts", "")), token_id=str(r.get("token_id", "")), name=str(r.get("name", "")),
                       role=str(r.get("role", "")), matter=str(r.get("matter_id", "")), field=str(r.get("field", "")),
                       action=str(r.get("action", ""))) for r in rows]
