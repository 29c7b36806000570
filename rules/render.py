"""Readable output of an evaluation: tables with Chinese and English labels."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from zeren.graph.model import ENUMS
from zeren.graph.records import ComplianceStatus, Duty, MeasureKind, ResponsibilityKind, UnitScope

from .findings import Evaluation, JudgedOn
from .measures import GROUPS


def _label(enum: type[StrEnum], code: str) -> str:
    e = ENUMS.get(enum.__name__)
    if e and code in e.values:
        v = e.values[code]
        return f"{v.zh} {v.en}"
    return code


def _kind(code: str) -> str:
    if code == "FAILURE":
        return "失职失责情形 failure"
    if code == "EVIDENCE":
        return "证据 evidence"
    return _label(ResponsibilityKind, code)


PARTS = {"STANDING": "责任内容 standing responsibility as of", "ACCOUNTABILITY": "责任追究 accountability on",
         "MEASURES": "追责方式 measures as of"}


def render(ev: Evaluation, *, show_chain: bool = True) -> Group:
    head = Text.assemble((f"{ev.subject}", "bold"), "  rules: ", (", ".join(ev.rule_sets) or "none", "cyan"))
    # Each part is judged on its own date: standing responsibility on the
    # as-of date, accountability on the act date, measures on the as-of date or today.
    for j in ev.judged_on or [JudgedOn("STANDING", ev.as_of, "as of")]:
        head.append(f"\n  {PARTS.get(j.part, j.part)} {j.on.isoformat()}: ")
        head.append(j.what, "dim")
    t = Table(title="Findings 责任认定", show_lines=show_chain, expand=True)
    for col in ("责任 responsibility", "人员 person", "职务 post", "机关单位 institution", "依据 basis", "说明 note"):
        t.add_column(col, overflow="fold")
    for f in ev.findings:
        note = f.note
        if f.exception:
            note += f"\n[exception] {f.exception}"
        if f.not_formalised:
            note += f"\n{f.not_formalised}"
        if show_chain:
            note += f"\nchain: {f.chain.text()}"
        t.add_row(_kind(f.kind), f.person.name if f.person else "", f.post.name if f.post else "",
                  f.institution.name if f.institution else (f.territory.name if f.territory else ""),
                  f"{f.basis.label_zh()}\n{f.basis.label()}\nrules: {' + '.join(f.rule_sets)}", note.strip())
    parts: list[object] = [head, t]
    if ev.gaps:
        g = Table(title="Cannot be determined 无法认定", expand=True)
        g.add_column("what")
        g.add_column("why", overflow="fold")
        g.add_column("basis")
        for gap in ev.gaps:
            g.add_row(gap.what, gap.reason, gap.basis.label() if gap.basis else "")
        parts.append(g)
    if ev.recommendations:
        r = Table(title="Measures recommended 建议追责方式", expand=True)
        for col in ("方式 measure", "对象 whom", "依据 basis", "理由 reason", "决定机关 decided by"):
            r.add_column(col, overflow="fold")
        for rec in ev.recommendations:
            whom = (rec.person.name if rec.person else rec.institution.name if rec.institution else
                    f"{rec.territory.name} ({rec.territory.id})" if rec.territory else ", ".join(rec.options))
            measure = ("组织调整或组织处理 organisational: " + " / ".join(_label(MeasureKind, o) for o in rec.options)
                       if rec.measure == "ORGANISATIONAL" else
                       f"{GROUPS[rec.measure][1]} {GROUPS[rec.measure][0]}" if rec.measure in GROUPS else
                       _label(MeasureKind, rec.measure))
            if rec.measure == MeasureKind.HONOURS_DISQUALIFICATION:
                measure += f" ({rec.year})" if rec.year else " (the year the admonishment is decided)"
            proposed = (f"\nproposed by 提出建议: {rec.proposed_by.name} ({rec.proposed_by_basis.label()})"
                        if rec.proposed_by and rec.proposed_by_basis else "")
            r.add_row(measure, whom, rec.basis.label(), rec.reason,
                      (rec.decided_by.name if rec.decided_by else "") + proposed +
                      (f"\n{rec.not_formalised}" if rec.not_formalised else ""))
        parts.append(r)
    if ev.recorded_measures:
        m = Table(title="Measures recorded 已采取措施", expand=True)
        for col in ("id", "measure", "person/institution", "decided", "deadline", "rectification"):
            m.add_column(col)
        for rec in ev.recorded_measures:
            x = rec.measure
            m.add_row(x.id, _label(MeasureKind, x.kind), x.person or x.institution or "", str(x.decided_on),
                      str(x.deadline or ""), rec.rectification)
        parts.append(m)
    return Group(*parts)  # type: ignore[arg-type]


def print_evaluation(ev: Evaluation, console: Console | None = None) -> None:
    (console or Console()).print(render(ev))


STATUS = {ComplianceStatus.MET: ("已履行 met", "green"), ComplianceStatus.UNMET: ("未履行 unmet", "red"),
          ComplianceStatus.UNKNOWN: ("无数据 unknown", "yellow")}


def render_compliance(report: Any, *, show_facts: bool = True) -> Group:
    """A compliance report (chapters 2-3) as one table per unit, in the style of a trace."""
    c = report.counts()
    head = Text.assemble((f"compliance {report.territory.name} ({report.territory.id}) {report.year}", "bold"),
                         "  rules: ", (", ".join(report.rule_sets) or "none", "cyan"),
                         f"\n  已履行 met {c[ComplianceStatus.MET]}  未履行 unmet {c[ComplianceStatus.UNMET]}  "
                         f"无数据 unknown {c[ComplianceStatus.UNKNOWN]}")
    parts: list[object] = [head]
    for u in report.units:
        t = Table(title=f"{_label(UnitScope, u.scope)}: {u.name} ({u.id})" + (f" — {u.note}" if u.note else ""),
                  show_lines=show_facts, expand=True)
        for col in ("职责 duty", "情况 status", "依据 basis", "说明 note"):
            t.add_column(col, overflow="fold")
        for d in u.duties:
            label, style = STATUS[d.status]
            note = d.note
            if d.not_formalised:
                note += f"\n{d.not_formalised}"
            if show_facts and d.facts:
                note += "\n" + "\n".join(f"· {f.text}" for f in d.facts[:8]) + (
                    f"\n· … {len(d.facts) - 8} more" if len(d.facts) > 8 else "")
            t.add_row(_label(Duty, d.duty), Text(label, style=style),
                      f"{d.basis.label_zh()}\n{d.basis.label()}", note.strip())
        parts.append(t)
    if report.gaps:
        g = Table(title="Cannot be determined 无法认定", expand=True)
        g.add_column("what")
        g.add_column("why", overflow="fold")
        for gap in report.gaps:
            g.add_row(gap.what, gap.reason)
        parts.append(g)
    return Group(*parts)  # type: ignore[arg-type]
