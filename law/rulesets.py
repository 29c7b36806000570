"""Rule sets as data: which document states each rule, where and from when.

A rule set is a regulation in force in a jurisdiction from a date; its names,
jurisdiction and date are those its document declares (``documents.json``),
read through :func:`RuleSet.declared`, so they are stated once. The national
measures are the base everywhere from 2016-10-08; a provincial text is an
*overlay* of the base inside its province from its own date: where it restates
a rule, its provision is the one cited; where it adds a rule (Chongqing's
case-holding, due-diligence exemption, measures against institutions), the rule
exists only where the overlay applies. The engine never names a document: it
asks the applicable rule sets for the provision behind a rule key, so adding a
province is adding a ``RuleSet`` (a test registers a fictitious one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .text import ProvisionNotFound, provision_text, read_index


@dataclass(frozen=True)
class Provision:
    """A citable provision: document > article > paragraph (款) > item (项)."""

    document: str
    article: int
    paragraph: int | None = None
    item: int | None = None

    def label(self) -> str:
        rs = REGISTRY.get(self.document)
        name = rs.name_en if rs else self.document
        s = f"{name} art. {self.article}"
        if self.paragraph:
            s += f" ¶{self.paragraph}"
        if self.item:
            s += f" ({_zh_num(self.item)})"
        return s

    def label_zh(self) -> str:
        rs = REGISTRY.get(self.document)
        name = rs.name_zh if rs else self.document
        s = f"{name}第{_zh_num(self.article)}条"
        if self.paragraph:
            s += f"第{_zh_num(self.paragraph)}款"
        if self.item:
            s += f"第（{_zh_num(self.item)}）项"
        return s

    def text(self) -> str:
        """The exact text of the provision, or an empty string if zeren does not hold the document."""
        # An item of a one-paragraph article is cited without its paragraph
        # ("第七条第（二）项"); in the parsed text it sits under paragraph 1.
        paragraph = self.paragraph if self.paragraph or not self.item else 1
        try:
            return provision_text(self.document, self.article, paragraph, self.item)
        except (ProvisionNotFound, ValueError):
            return ""

    def with_item(self, item: int | None) -> Provision:
        return Provision(self.document, self.article, self.paragraph, item)

    def as_dict(self) -> dict[str, Any]:
        return {"document": self.document, "article": self.article, "paragraph": self.paragraph,
                "item": self.item, "label": self.label(), "label_zh": self.label_zh(), "text": self.text()}


_DIGITS = "零一二三四五六七八九"


def _zh_num(n: int) -> str:
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    return _DIGITS[n // 10] + "十" + (_DIGITS[n % 10] if n % 10 else "")


@dataclass(frozen=True)
class RuleSet:
    id: str  # the document's id, e.g. "CN-2016"
    name_en: str
    name_zh: str
    jurisdiction: str  # territory code; "000000" for the nation
    in_force: date
    provisions: Mapping[str, Provision]  # rule key -> the provision stating it in this document
    failure_items: Mapping[str, int] = field(default_factory=dict)  # FailureItem code -> item of art. 11 ¶1
    catch_all_item: int | None = None  # the "other dereliction" item
    overlay_of: str | None = None
    # Art. 14 escalation after a notice: national "仍未按期完成整改目标" (late
    # rectification escalates); Chongqing "仍未完成整改目标" (only no rectification).
    notice_escalates_when_late: bool = True

    @classmethod
    def declared(cls, document: str, provisions: Mapping[str, Provision], **kw: Any) -> RuleSet:
        """The rule set of a declared document: its names, jurisdiction and
        in-force date are the declaration's (``documents.json``)."""
        meta = next((m for m in read_index() if m.id == document), None)
        if meta is None:
            raise KeyError(f"no document {document!r} is declared in documents.json")
        return cls(id=meta.id, name_en=meta.short, name_zh=f"《{meta.title}》", jurisdiction=meta.jurisdiction,
                   in_force=meta.in_force, provisions=provisions, **kw)


NATION = "000000"

_CN = "CN-2016"
_CQ = "CQ-2017"


def _p(doc: str, a: int, p: int | None = None, i: int | None = None) -> Provision:
    return Provision(doc, a, p, i)


NATIONAL = RuleSet.declared(
    _CN,
    provisions={
        "SUBJECT": _p(_CN, 6), "OVERALL": _p(_CN, 4, 2), "MAIN_LEADERSHIP": _p(_CN, 4, 2),
        "COMPETENT": _p(_CN, 5, 1), "SYSTEM": _p(_CN, 5, 2), "COORDINATION": _p(_CN, 7),
        "LITIGATION_ROUTE": _p(_CN, 7), "HANDLING": _p(_CN, 8), "FAILURE": _p(_CN, 11, 1),
        "COLLECTIVE_ALLOCATION": _p(_CN, 11, 2), "INDIVIDUAL_ALLOCATION": _p(_CN, 11, 2),
        "DISSENT_EXEMPTION": _p(_CN, 11, 2), "MEASURE_FORMS": _p(_CN, 12, 1), "CRIME": _p(_CN, 12, 2),
        "NOTICE": _p(_CN, 13), "ADMONISHMENT": _p(_CN, 14), "HONOURS": _p(_CN, 14),
        "ORGANISATIONAL": _p(_CN, 15), "DISCIPLINE": _p(_CN, 16), "DECIDING_ORGAN": _p(_CN, 13),
        "PERSONNEL_RECORD": _p(_CN, 10, 2), "LOCAL_RULES": _p(_CN, 17, 1),
        # Chapters 2-3: duties that are not about a single matter (zeren.rules.compliance).
        "LEADER_READING": _p(_CN, 4, 3), "LEADER_RECEPTION": _p(_CN, 4, 3), "LEADER_COORDINATION": _p(_CN, 4, 3),
        "SPECIAL_SUPERVISION": _p(_CN, 9), "SUPERVISION_CIRCULATED": _p(_CN, 9), "ASSESSMENT": _p(_CN, 10, 1),
        "ASSESSMENT_USED": _p(_CN, 10, 1), "CADRE_CONSULTATION": _p(_CN, 10, 2),
        "PROVINCIAL_ASSESSMENT": _p(_CN, 10, 3),
    },
    failure_items={"DECISION_ERROR": 1, "HANDLING_BREACH": 2, "MASS_DISCIPLINE": 3, "COLLECTIVE_INCIDENT": 4,
                   "PROPOSALS_NEGLECTED": 5, "OTHER": 6},
    catch_all_item=6,
)

CHONGQING = RuleSet.declared(
    _CQ, overlay_of=_CN,
    provisions={
        "SUBJECT": _p(_CQ, 4, 2), "OVERALL": _p(_CQ, 7), "MAIN_LEADERSHIP": _p(_CQ, 7),
        "COMPETENT": _p(_CQ, 5, 1), "SYSTEM": _p(_CQ, 5, 2), "COORDINATION": _p(_CQ, 6),
        "LITIGATION_ROUTE": _p(_CQ, 6), "HANDLING": _p(_CQ, 8, None, 1), "CASE_HOLDING": _p(_CQ, 7, None, 2),
        "FAILURE": _p(_CQ, 11, 1), "COLLECTIVE_ALLOCATION": _p(_CQ, 11, 2), "INDIVIDUAL_ALLOCATION": _p(_CQ, 11, 2),
        "DISSENT_EXEMPTION": _p(_CQ, 11, 2), "DUE_DILIGENCE": _p(_CQ, 11, 2), "MEASURE_FORMS": _p(_CQ, 12, 1),
        "INSTITUTION_MEASURES": _p(_CQ, 12, 1), "CRIME": _p(_CQ, 12, 2), "NOTICE": _p(_CQ, 13),
        "ADMONISHMENT": _p(_CQ, 14), "HONOURS": _p(_CQ, 14), "ORGANISATIONAL": _p(_CQ, 15),
        "DISCIPLINE": _p(_CQ, 16), "DECIDING_ORGAN": _p(_CQ, 17, 1), "PROPOSAL": _p(_CQ, 17, 2),
        "PERSONNEL_RECORD": _p(_CQ, 10, 2), "PERSONNEL_USE": _p(_CQ, 18),
        # Chapters 2-3 (zeren.rules.compliance); RISK_ASSESSMENT is also the
        # evidence shown in the accountability of a failure naming a decision.
        "RISK_ASSESSMENT": _p(_CQ, 4, 1), "CLASSIFICATION_LIST": _p(_CQ, 5, 1),
        "LEADER_READING": _p(_CQ, 7, None, 1), "LEADER_RECEPTION": _p(_CQ, 7, None, 1),
        "LEADER_VISIT_DOWN": _p(_CQ, 7, None, 1), "LEADER_COORDINATION": _p(_CQ, 7, None, 2),
        "STAFF_HANDLING_REPORT": _p(_CQ, 8, None, 2), "STAFF_INCIDENT_REPORT": _p(_CQ, 8, None, 3),
        "STAFF_LEADER_REPORT": _p(_CQ, 8, None, 4),
        "SPECIAL_SUPERVISION": _p(_CQ, 9), "SUPERVISION_CIRCULATED": _p(_CQ, 9), "MATTER_SUPERVISION": _p(_CQ, 9),
        "ASSESSMENT": _p(_CQ, 10, 1), "ASSESSMENT_USED": _p(_CQ, 10, 1), "CADRE_CONSULTATION": _p(_CQ, 10, 2),
        "ACCOUNTABILITY_CIRCULATED": _p(_CQ, 18),
    },
    failure_items={"DECISION_ERROR": 1, "RISK_ASSESSMENT_OMITTED": 1, "HANDLING_BREACH": 2, "PROCESSING_BREACH": 2,
                   "MASS_DISCIPLINE": 3, "COLLECTIVE_INCIDENT": 4, "EXTREME_INCIDENT": 4,
                   "PROPOSALS_NEGLECTED": 5, "FALSIFICATION": 6, "CONCEALMENT": 7, "LEAK_TO_ACCUSED": 8,
                   "OTHER": 9},
    catch_all_item=9,
    notice_escalates_when_late=False,
)

REGISTRY: dict[str, RuleSet] = {}


def register(rs: RuleSet) -> None:
    if rs.overlay_of and rs.overlay_of not in REGISTRY:
        raise ValueError(f"rule set {rs.id} overlays unknown rule set {rs.overlay_of}")
    REGISTRY[rs.id] = rs


def unregister(rs_id: str) -> None:
    REGISTRY.pop(rs_id, None)


register(NATIONAL)
register(CHONGQING)


@dataclass(frozen=True)
class Applicable:
    """The rule sets in force for one place and date, base first, most specific last."""

    sets: tuple[RuleSet, ...]
    on: date

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.sets]

    @property
    def primary(self) -> RuleSet:
        return self.sets[-1]

    def has(self, key: str) -> bool:
        return any(key in s.provisions for s in self.sets)

    def cite(self, key: str) -> Provision:
        """The provision to cite for a rule: the most specific rule set that states it."""
        for s in reversed(self.sets):
            if key in s.provisions:
                return s.provisions[key]
        raise KeyError(f"no applicable rule set states rule {key}")

    def stated_by(self, key: str) -> RuleSet:
        for s in reversed(self.sets):
            if key in s.provisions:
                return s
        raise KeyError(key)

    def failure_item(self, code: str) -> tuple[Provision, bool]:
        """The item of art. 11 ¶1 for a failure code; True when it falls only
        under the catch-all item (the text names no such failure)."""
        for s in reversed(self.sets):
            if "FAILURE" not in s.provisions:
                continue
            base = s.provisions["FAILURE"]
            if code in s.failure_items:
                return base.with_item(s.failure_items[code]), code == "OTHER"
            return base.with_item(s.catch_all_item), True
        raise KeyError("no applicable rule set lists failures")


@dataclass(frozen=True)
class NoRuleSet:
    """No rule set held by zeren covers this place and date."""

    on: date
    reason: str


def applicable(territory_codes: Iterable[str], on: date,
               registry: Mapping[str, RuleSet] | None = None) -> Applicable | NoRuleSet:
    """Rule sets in force at ``on`` for a territory whose chain (itself and its
    ancestors) has the given codes."""
    reg = registry if registry is not None else REGISTRY
    codes = set(territory_codes) | {NATION}
    in_force = [s for s in reg.values() if s.jurisdiction in codes and s.in_force <= on]
    base = [s for s in in_force if s.overlay_of is None]
    if not base:
        first = min((s.in_force for s in reg.values() if s.overlay_of is None), default=None)
        return NoRuleSet(on, (
            f"{on.isoformat()} is before {first.isoformat()}, when the national measures took effect; "
            "earlier rules are not held by zeren, so no responsibility is attributed") if first else
            "no rule set is registered")
    ordered: list[RuleSet] = []
    for b in base:
        ordered.append(b)
        ordered.extend(_overlays_of(b.id, in_force))
    return Applicable(tuple(ordered), on)


def _overlays_of(base_id: str, pool: list[RuleSet]) -> list[RuleSet]:
    out: list[RuleSet] = []
    for s in sorted(pool, key=lambda s: s.in_force):
        if s.overlay_of == base_id:
            out.append(s)
            out.extend(_overlays_of(s.id, pool))
    return out
