"""What the engine answers: findings, each with the provision it rests on and
the chain of nodes and relationships it came through; gaps, where something
cannot be determined; measures recommended."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from zeren.graph.records import AccountabilityMeasure
from zeren.law import Applicable, Provision


@dataclass(frozen=True)
class Ref:
    """A node named in a finding: its label, key and display name."""

    label: str
    id: str
    name: str = ""


@dataclass(frozen=True)
class Link:
    type: str
    start: str  # node id
    end: str  # node id
    props: tuple[tuple[str, str], ...] = ()


@dataclass
class Chain:
    """The nodes and relationships, in order, through which a finding came."""

    nodes: list[Ref] = field(default_factory=list)
    relationships: list[Link] = field(default_factory=list)

    def step(self, node: Ref, rel: str | None = None, *, reverse: bool = False, **props: Any) -> Chain:
        """Extend the chain with ``node``, reached from the current last node by ``rel``.
        ``reverse`` means the stored relationship points from ``node`` to the last node."""
        out = Chain(list(self.nodes), list(self.relationships))
        if out.nodes and rel:
            prev = out.nodes[-1]
            start, end = (node.id, prev.id) if reverse else (prev.id, node.id)
            out.relationships.append(Link(rel, start, end, tuple((k, _s(v)) for k, v in props.items() if v is not None)))
        out.nodes.append(node)
        return out

    def text(self) -> str:
        parts: list[str] = []
        for i, n in enumerate(self.nodes):
            parts.append(f"{n.label}:{n.name}")
            if i < len(self.relationships):
                parts.append(f"-[{self.relationships[i].type}]-")
        return " ".join(parts)


def _s(v: Any) -> str:
    return v.isoformat() if isinstance(v, date) else str(v)


@dataclass
class Finding:
    kind: str  # ResponsibilityKind
    rule: str  # the rule unit that produced it
    basis: Provision
    chain: Chain
    as_of: date
    person: Ref | None = None
    post: Ref | None = None
    institution: Ref | None = None
    territory: Ref | None = None
    note: str = ""
    exception: str = ""  # label of the exception that changed the base rule, if any
    not_formalised: str = ""  # what is left to human judgement
    # The rule sets in force for the institution (and post) the finding is
    # about, base first: its basis is cited from the most specific one stating
    # the rule. A matter reaching organs of two jurisdictions is traced under both.
    rule_sets: tuple[str, ...] = ()
    failure: Ref | None = None  # the failure an accountability finding is about
    matter: Ref | None = None  # the matter (of the failure)

    def key(self) -> tuple[str, str, str, str]:
        return (self.kind, self.person.id if self.person else "", self.post.id if self.post else "",
                self.institution.id if self.institution else "")

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["basis"] = self.basis.as_dict()
        d["as_of"] = self.as_of.isoformat()
        d["rule_sets"] = list(self.rule_sets)
        d["chain"] = {"nodes": [asdict(n) for n in self.chain.nodes],
                      "relationships": [{"type": r.type, "start": r.start, "end": r.end, "props": dict(r.props)}
                                        for r in self.chain.relationships]}
        return d


def cited(app: Applicable, kind: str, rule: str, chain: Chain, as_of: date, **kw: Any) -> Finding:
    """A finding of rule ``rule`` on the provision the applicable rule sets give
    for it (the most specific one stating it), naming those rule sets."""
    return Finding(kind=kind, rule=rule, basis=app.cite(rule), chain=chain, as_of=as_of, rule_sets=tuple(app.ids),
                   **kw)


@dataclass
class Gap:
    """Something that cannot be determined, and why; never a guess."""

    what: str
    reason: str
    basis: Provision | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"what": self.what, "reason": self.reason, "basis": self.basis.as_dict() if self.basis else None}


@dataclass
class Recommendation:
    """A measure the rules lead to (the deciding organ decides)."""

    measure: str  # MeasureKind, or a group such as ORGANISATIONAL
    basis: Provision
    reason: str
    person: Ref | None = None
    institution: Ref | None = None
    options: list[str] = field(default_factory=list)
    decided_by: Ref | None = None
    decided_by_basis: Provision | None = None
    not_formalised: str = ""
    proposed_by: Ref | None = None  # the petition department that investigates and proposes (Chongqing 17 ¶2)
    proposed_by_basis: Provision | None = None
    territory: Ref | None = None  # the region (地区) a loss of honours eligibility is for
    year: int | None = None  # the year (本年度) a loss of honours eligibility is for; None: not decided yet
    failure: Ref | None = None  # the failure the recommendation follows from

    def key(self) -> tuple[str, str, str, str, str]:
        return (self.measure, self.person.id if self.person else "", self.institution.id if self.institution else "",
                self.territory.id if self.territory else "", str(self.year or ""))

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["basis"] = self.basis.as_dict()
        d["decided_by_basis"] = self.decided_by_basis.as_dict() if self.decided_by_basis else None
        d["proposed_by_basis"] = self.proposed_by_basis.as_dict() if self.proposed_by_basis else None
        return d


@dataclass(frozen=True)
class JudgedOn:
    """The date one part of an evaluation is judged on, and what that part is."""

    part: str  # STANDING, ACCOUNTABILITY or MEASURES
    on: date
    what: str

    def as_dict(self) -> dict[str, Any]:
        return {"part": self.part, "on": self.on.isoformat(), "what": self.what}


@dataclass(frozen=True)
class RecordedMeasure:
    """A measure recorded for a failure, with its rectification status on the evaluation's date."""

    measure: AccountabilityMeasure
    rectification: str  # NOT_YET_DECIDED, NO_DEADLINE, PENDING, RECTIFIED, RECTIFIED_LATE or NOT_RECTIFIED_BY_DEADLINE

    def as_dict(self) -> dict[str, Any]:
        """The measure's recorded fields and its rectification status."""
        return {**_jsonable(self.measure.as_dict()), "rectification": self.rectification}


@dataclass
class Evaluation:
    """The answer for a matter (standing responsibility) and, when a failure is
    given, for that failure (accountability and measures)."""

    subject: str  # "matter M" or "failure F"
    as_of: date
    rule_sets: list[str]
    findings: list[Finding] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)
    recorded_measures: list[RecordedMeasure] = field(default_factory=list)
    judged_on: list[JudgedOn] = field(default_factory=list)  # the date each part is judged on

    def as_dict(self) -> dict[str, Any]:
        return {"subject": self.subject, "as_of": self.as_of.isoformat(), "rule_sets": self.rule_sets,
                "judged_on": [j.as_dict() for j in self.judged_on],
                "findings": [f.as_dict() for f in self.findings], "gaps": [g.as_dict() for g in self.gaps],
                "recommendations": [r.as_dict() for r in self.recommendations],
                "recorded_measures": [m.as_dict() for m in self.recorded_measures]}


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    if isinstance(v, date):
        return v.isoformat()
    return v
