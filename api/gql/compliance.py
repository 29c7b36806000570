"""Compliance with the duties of chapters 2-3 (supervision, assessment,
leaders' own petition work, risk assessment, …) per region, department and
system of a territory and a year: thin types over zeren.rules.compliance."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from zeren.api.context import Context
from zeren.graph.records import UnitScope as Scope
from zeren.rules import compliance as records
from zeren.rules.compliance_status import DutyStatus

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
    def of(d: records.DutyAnswer | DutyStatus) -> DutyAnswer:
        """A duty's answer; from its status alone (``DutyStatus``) only when the
        query asks none of the facts, note and what is not formalised."""
        full = isinstance(d, records.DutyAnswer)
        return DutyAnswer(duty=Duty[d.duty], duty_label=label("Duty", d.duty), status=ComplianceStatus[d.status],  # type: ignore[misc]
                          basis=Provision.of(d.basis), period_from=d.period[0], period_to=d.period[1],
                          facts=[ComplianceFact(label=f.label, id=strawberry.ID(f.id), text=f.text, on=f.on)
                                 for f in d.facts] if full else [],
                          note=d.note if full else "", not_formalised=d.not_formalised if full else "",
                          rule_sets=list(d.rule_sets))


# The fields of a duty's answer that only the full answer (with its facts) gives.
FULL_FIELDS = frozenset({"facts", "note", "notFormalised"})


@strawberry.type(description="A region (through its party committee and government), a department or a system.")
class ComplianceUnit:
    scope: UnitScope  # type: ignore[valid-type]
    id: strawberry.ID = strawberry.field(description="the territory's code for a region, the institution's id otherwise")
    name: str
    territory: Territory | None
    kind: str = strawberry.field(description="the institution's kind (empty for a region)")
    note: str
    rule_sets: list[str]
    met: int = strawberry.field(description="how many of its duties (of the status asked, if any) are met")
    unmet: int
    unknown: int
    answers: strawberry.Private[list[records.DutyAnswer | DutyStatus]]

    @strawberry.field(description="each duty of the unit in the year (of the status asked, if any)")
    def duties(self) -> list[DutyAnswer]:
        # built only when asked: a province's units have tens of thousands of duties
        return [DutyAnswer.of(d) for d in self.answers]


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


def _asks_full(selections: list[Any], in_duties: bool = False) -> bool:
    """Whether the selection asks a duty's facts, note or what is not formalised (fragments included)."""
    for node in selections:
        name = getattr(node, "name", None)
        if in_duties and name in FULL_FIELDS:
            return True
        if _asks_full(getattr(node, "selections", None) or [], in_duties or name == "duties"):
            return True
    return False


async def compliance(info: Info[Context, None], territory: strawberry.ID, year: int,
                     status: ComplianceStatus | None = None,  # type: ignore[valid-type]
                     below: bool = True) -> ComplianceReport:
    """Every region, department and system of the territory (and below, unless ``below`` is false: the
    territory's own units, to ask one unit's facts) with each duty of chapters 2-3 that applies to it in the
    year; ``status`` keeps only the duties of that status. A query that asks no duty's facts, note or
    notFormalised is answered from the statuses counted in the store (fast for a province's many units)."""
    engine = info.context.engine
    if _asks_full(info.selected_fields):
        r = await run_in_threadpool(lambda: engine.compliance(str(territory), year, below=below))
    else:
        r = await run_in_threadpool(lambda: engine.compliance_statuses(str(territory), year, below=below))
    counts = r.counts()
    keep = status.value if status is not None else None
    units = []
    for u in r.units:
        kept = [d for d in u.duties if keep is None or d.status == keep]
        if keep is None or kept:
            mine = {records.MET: 0, records.UNMET: 0, records.UNKNOWN: 0}
            for d in kept:
                mine[d.status] += 1
            units.append(ComplianceUnit(scope=UnitScope[u.scope], id=strawberry.ID(u.id), name=u.name,  # type: ignore[misc]
                                        territory=Territory.of(u.territory), kind=u.kind if u.scope != Scope.REGION
                                        else "", note=u.note, rule_sets=u.rule_sets, met=mine[records.MET],
                                        unmet=mine[records.UNMET], unknown=mine[records.UNKNOWN], answers=kept))
    return ComplianceReport(territory=Territory.of(r.territory), year=r.year, rule_sets=r.rule_sets,
                            met=counts[records.MET], unmet=counts[records.UNMET], unknown=counts[records.UNKNOWN],
                            units=units, gaps=[Gap.of(g) for g in r.gaps])
