"""Compliance with the duties of chapters 2-3 (supervision, assessment,
leaders' own petition work, risk assessment, …) per region, department and
system of a territory and a year: thin types over zeren.rules.compliance."""

from __future__ import annotations

import datetime as dt

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from zeren.api.context import Context
from zeren.graph.records import UnitScope as Scope
from zeren.rules import compliance as records

from .common import Gap, Label, Provision, Territory, _enum, label

Duty = _enum("Duty")
ComplianceStatus = _enum("ComplianceStatus")
UnitScope = _enum("UnitScope")


@strawberry.type(description="A record shown for a duty: its kind, key, date and what it says.")
class ComplianceFact:
    label: str = strawberry.field(description="node label of the record, e.g. Supervision")
    id: strawberry.ID
    text: str
    on: dt.date | None


@strawberry.type(description="One duty of one unit in the year: met, unmet or unknown (no data; never shown as met).")
class DutyAnswer:
    duty: Duty  # type: ignore[valid-type]
    duty_label: Label
    status: ComplianceStatus  # type: ignore[valid-type]
    basis: Provision
    period_from: dt.date = strawberry.field(description="the part of the year the duty was in force, from")
    period_to: dt.date
    facts: list[ComplianceFact]
    note: str
    not_formalised: str = strawberry.field(description="what the text leaves to people, if anything")
    rule_sets: list[str]

    @staticmethod
    def of(d: records.DutyAnswer) -> DutyAnswer:
        return DutyAnswer(duty=Duty[d.duty], duty_label=label("Duty", d.duty), status=ComplianceStatus[d.status],  # type: ignore[misc]
                          basis=Provision.of(d.basis), period_from=d.period[0], period_to=d.period[1],
                          facts=[ComplianceFact(label=f.label, id=strawberry.ID(f.id), text=f.text, on=f.on)
                                 for f in d.facts],
                          note=d.note, not_formalised=d.not_formalised, rule_sets=list(d.rule_sets))


@strawberry.type(description="A region (through its party committee and government), a department or a system.")
class ComplianceUnit:
    scope: UnitScope  # type: ignore[valid-type]
    id: strawberry.ID = strawberry.field(description="the territory's code for a region, the institution's id otherwise")
    name: str
    territory: Territory | None
    kind: str = strawberry.field(description="the institution's kind (empty for a region)")
    note: str
    rule_sets: list[str]
    duties: list[DutyAnswer]


@strawberry.type(description="Compliance with chapters 2-3 for a territory and a year.")
class ComplianceReport:
    territory: Territory | None
    year: int
    rule_sets: list[str]
    met: int
    unmet: int
    unknown: int
    units: list[ComplianceUnit]
    gaps: list[Gap]


async def compliance(info: Info[Context, None], territory: strawberry.ID, year: int,
                     status: ComplianceStatus | None = None) -> ComplianceReport:  # type: ignore[valid-type]
    """Every region, department and system of the territory (and below) with each duty of chapters 2-3 that
    applies to it in the year; ``status`` keeps only the duties of that status."""
    r = await run_in_threadpool(info.context.engine.compliance, str(territory), year)
    counts = r.counts()
    keep = status.value if status is not None else None
    units = []
    for u in r.units:
        duties = [DutyAnswer.of(d) for d in u.duties if keep is None or d.status == keep]
        if keep is None or duties:
            units.append(ComplianceUnit(scope=UnitScope[u.scope], id=strawberry.ID(u.id), name=u.name,  # type: ignore[misc]
                                        territory=Territory.of(u.territory), kind=u.kind if u.scope != Scope.REGION
                                        else "", note=u.note, rule_sets=u.rule_sets, duties=duties))
    return ComplianceReport(territory=Territory.of(r.territory), year=r.year, rule_sets=r.rule_sets,
                            met=counts[records.MET], unmet=counts[records.UNMET], unknown=counts[records.UNKNOWN],
                            units=units, gaps=[Gap.of(g) for g in r.gaps])
