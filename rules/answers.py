"""The engine's answers about people and units besides an evaluation: the
cadre record (national art. 10 ¶2; Chongqing art. 10 ¶2, art. 18) and the
honours roll (art. 14), as dataclasses like ``Evaluation``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from zeren.graph.records import Assessment, CadreInspection, Consultation, LeaderActivity, Person, Territory

from .facts import CaseHeld, Tenure
from .findings import Finding, Recommendation, RecordedMeasure
from zeren.law import Provision


@dataclass(frozen=True)
class AssessmentInPost:
    """An assessment (art. 10 ¶1) of a unit the cadre led, overlapping the tenure of the post."""

    post: str  # the post's key
    institution: str  # the institution's key
    assessment: Assessment


@dataclass(frozen=True)
class InspectionHeard:
    """An inspection of the cadre, the petition department's hearings in it, and
    the first hearing on or before it concluded (None: not heard in time)."""

    inspection: CadreInspection
    consultations: list[Consultation]
    heard_before: Consultation | None


@dataclass
class CadreDuties:
    """Chapters 2-3 in a cadre record."""

    assessments: list[AssessmentInPost]
    inspections: list[InspectionHeard]
    activities: list[LeaderActivity]
    case_holdings: list[CaseHeld]


@dataclass
class CadreRecord(CadreDuties):
    """Every finding and measure for a person across posts and time, with
    rectification status, and the chapters 2-3 record."""

    person: Person = field(kw_only=True)
    tenures: list[Tenure] = field(kw_only=True)
    findings: list[Finding] = field(kw_only=True)
    recommendations: list[Recommendation] = field(kw_only=True)
    # The measures recorded against the person, as in ``Evaluation.recorded_measures``,
    # each with its rectification status (and, as recorded, the failure it was decided for).
    measures: list[RecordedMeasure] = field(kw_only=True)
    as_of: date = field(kw_only=True)
    basis: list[Provision] = field(kw_only=True)


@dataclass(frozen=True)
class HonoursEntry:
    """A region, department or unit that loses eligibility for comprehensive honours in a year."""

    role: str  # region, department or unit
    id: str
    name: str
    year: int
    territory: Territory  # the region itself, or the territory of the failure's unit
    basis: Provision | None
    reasons: list[str] = field(default_factory=list)
