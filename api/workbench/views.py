"""What each page of the workbench shows, built from the engine and the named
queries (the same reads as the GraphQL resolvers), as plain data: the page
templates, the PDF and the CSV/Excel exports all render these.

What a role sees follows ``zeren.api.roles``: cadre records and the honours
roll only for ``personnel``; the petitioner's identity only for
``petition_bureau``, written to the audit log before it is shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from zeren import queries
from zeren.api.context import Services
from zeren.api.roles import allowed
from zeren.api.security import Principal
from zeren.graph.model import ENUMS
from zeren.rules.engine import Change, EngineError, parse_as_of
from zeren.graph.records import HandlingStep, Person, Stance
from zeren.rules.facts import NotFound, fetch_teams, person_from_rows, vertical_path
from zeren.rules.findings import Evaluation, Finding, Gap, Recommendation, RecordedMeasure
from zeren.rules.measures import GROUPS
from zeren.law import REGISTRY, Provision

from . import chain

Cell = str | dict[str, str]


@dataclass
class Table:
    """A table of a page: exported as CSV and Excel under ``name``."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)


def text_of(cell: Cell) -> str:
    """A cell as plain text (a citation with the article's text)."""
    if isinstance(cell, dict):
        return f"{cell['text']}：{cell['cite']}" if cell.get("cite") else cell["text"]
    return cell


def link(text: str, href: str) -> Cell:
    return {"text": text, "href": href}


def label(enum: str, code: str | None) -> str:
    if not code:
        return ""
    e = ENUMS.get(enum)
    if e and code in e.values:
        return f"{e.values[code].zh} {e.values[code].en}"
    return code


def kind_label(code: str) -> str:
    return "失职失责情形 failure" if code == "FAILURE" else label("ResponsibilityKind", code)


def measure_label(code: str) -> str:
    return f"{GROUPS[code][1]} {GROUPS[code][0]}" if code in GROUPS else label("MeasureKind", code)


def cite(p: Provision | None) -> Cell:
    if p is None:
        return ""
    return {"text": f"{p.label_zh()} ({p.label()})", "cite": p.text() or "（zeren 未收录此文件 the text is not held）"}


def ref_cell(r: Any) -> Cell:
    if r is None:
        return ""
    page = chain.PAGES.get(r.label)
    return link(r.name, page.format(r.id)) if page else r.name


def rule_sets_text(ids: list[str] | tuple[str, ...]) -> str:
    return " + ".join(f"{REGISTRY[i].name_zh} {i}" if i in REGISTRY else i for i in ids)


def findings_table(name: str, title: str, findings: list[Finding], with_source: bool = False) -> Table:
    columns = ["责任 responsibility", "人员 person", "职务 post", "机关单位 institution", "依据 basis",
               "规则集 rule sets", "说明 note"]
    if with_source:
        columns[1:1] = ["失职失责 failure", "信访事项 matter"]
    t = Table(name, title, columns)
    for f in findings:
        notes = [f.note]
        if f.exception:
            notes.append(f"例外 exception: {f.exception}")
        if f.not_formalised:
            notes.append(f"未形式化 {f.not_formalised}")
        row: list[Cell] = [kind_label(f.kind), ref_cell(f.person), ref_cell(f.post),
                           ref_cell(f.institution or f.territory), cite(f.basis), rule_sets_text(f.rule_sets),
                           "\n".join(n for n in notes if n)]
        if with_source:
            row[1:1] = [ref_cell(f.failure), ref_cell(f.matter)]
        t.rows.append(row)
    return t


def gaps_table(name: str, gaps: list[Gap]) -> Table:
    return Table(name, "无法认定 Cannot be determined", ["事项 what", "原因 why", "依据 basis"],
                 [[g.what, g.reason, cite(g.basis)] for g in gaps])


def recommendations_table(name: str, recs: list[Recommendation],
                          title: str = "应采取的追责方式 Measures the rules lead to") -> Table:
    t = Table(name, title,
              ["方式 measure", "对象 whom", "可选 options", "依据 basis", "决定机关 decided by", "理由 reason",
               "未形式化 not formalised"])
    for r in recs:
        t.rows.append([measure_label(r.measure), ref_cell(r.person or r.institution or r.territory),
                       ", ".join(measure_label(o) for o in r.options), cite(r.basis), ref_cell(r.decided_by),
                       r.reason + (f" ({r.year})" if r.year else ""), r.not_formalised])
    return t


RECTIFICATION = {"NOT_YET_DECIDED": "尚未决定 not yet decided", "NO_DEADLINE": "无整改期限 no deadline",
                 "PENDING": "整改中 pending", "RECTIFIED": "已整改 rectified", "RECTIFIED_LATE": "逾期整改 rectified late",
                 "NOT_RECTIFIED_BY_DEADLINE": "逾期未整改 not rectified by the deadline"}


def measures_table(name: str, measures: list[RecordedMeasure], with_failure: bool = False) -> Table:
    columns = ["编号 id", "方式 measure", "对象 whom", "决定机关 decided by", "决定日期 decided on", "整改期限 deadline",
               "整改日期 rectified on", "整改情况 rectification"]
    if with_failure:
        columns.insert(1, "失职失责 failure")
    t = Table(name, "已作出的追责 Measures recorded", columns)
    for rec in measures:
        m = rec.measure
        who = m.person or m.institution or ""
        row: list[Cell] = [m.id, measure_label(m.kind), link(who, f"/person/{who}") if m.person else who,
                           link(m.decided_by, f"/institution/{m.decided_by}") if m.decided_by else "",
                           _d(m.decided_on), _d(m.deadline), _d(m.rectified_on),
                           RECTIFICATION.get(rec.rectification, rec.rectification)]
        if with_failure:
            row.insert(1, link(m.failure, f"/failure/{m.failure}"))
        t.rows.append(row)
    return t


def _d(v: Any) -> str:
    return v.isoformat() if isinstance(v, dt.date) else (v or "")


def parse_date(value: str | None, what: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise EngineError(f"{what} {value!r} is not a date in the form YYYY-MM-DD") from None


# ----------------------------------------------------------------------------- matter

@dataclass
class CounterfactualView:
    failure: str
    change: str
    before: Evaluation
    after: Evaluation
    added: Table
    removed: Table
    recs_added: Table
    recs_removed: Table


@dataclass
class FailureView:
    failure: dict[str, Any]
    evaluation: Evaluation
    findings: Table
    gaps: Table
    recommendations: Table
    measures: Table
    people: list[tuple[str, str]]  # (person id, name) named in the findings


def failure_view(services: Services, failure_id: str, as_of: str | None = None) -> FailureView:
    rows = queries.run(services.store, "failure", {"failure": failure_id})
    if not rows:
        raise NotFound("failure", failure_id)
    ev = services.engine.account(failure_id, as_of or None)
    people = sorted({(f.person.id, f.person.name) for f in ev.findings if f.person})
    return FailureView(failure=rows[0]["failure"] | {"matter": (rows[0]["matter"] or {}).get("id"),
                                                      "unit_name": rows[0]["unit"].get("name", "")},
                       evaluation=ev,
                       findings=findings_table(f"failure-{failure_id}-findings",
                                               "问责认定 Accountability findings", ev.findings),
                       gaps=gaps_table(f"failure-{failure_id}-gaps", ev.gaps),
                       recommendations=recommendations_table(f"failure-{failure_id}-recommendations",
                                                             ev.recommendations),
                       measures=measures_table(f"failure-{failure_id}-measures", ev.recorded_measures),
                       people=people)


CHANGE_KINDS = {"dissent": "假如持反对意见 had dissented (person)", "absent": "假如未参加 had been absent (person)",
                "diligence": "假如已尽职 had shown due diligence (person)",
                "rectified": "假如已于某日整改 had the measure been rectified on (measure, date)",
                "act_date": "假如行为发生于 had the act been on (date)"}


def to_change(kind: str, person: str | None, measure: str | None, on: str | None) -> Change:
    if kind in ("dissent", "absent"):
        if not person:
            raise EngineError("choose the person whose stance changes")
        return Change("stance", Stance.OPPOSED_OVERRULED if kind == "dissent" else Stance.ABSENT, person=person)
    if kind == "diligence":
        if not person:
            raise EngineError("choose the person who showed due diligence")
        return Change("due_diligence", True, person=person)
    if kind == "rectified":
        if not measure:
            raise EngineError("choose the measure that was rectified")
        d = parse_date(on, "the rectification date")
        return Change("rectified", d.isoformat() if d else None, measure=measure)
    if kind == "act_date":
        d = parse_date(on, "the act date")
        if d is None:
            raise EngineError("give the act date")
        return Change("act_date", d.isoformat())
    raise EngineError(f"unknown change {kind!r}: one of {', '.join(CHANGE_KINDS)}")


def counterfactual_view(services: Services, failure_id: str, change: Change) -> CounterfactualView:
    cf = services.engine.counterfactual(failure_id=failure_id, changes=[change])
    return CounterfactualView(
        failure=failure_id, change=change.describe(), before=cf.before, after=cf.after,
        added=findings_table("cf-added", "假设后新增 Findings added", cf.added),
        removed=findings_table("cf-removed", "假设后不再成立 Findings removed", cf.removed),
        recs_added=recommendations_table("cf-recs-added", cf.recommendations_added,
                                         "假设后新增的追责 Measures added"),
        recs_removed=recommendations_table("cf-recs-removed", cf.recommendations_removed,
                                           "假设后不再适用的追责 Measures removed"))


@dataclass
class MatterView:
    matter: dict[str, Any]
    territories: list[dict[str, Any]]
    as_of: dt.date
    before_received: bool
    evaluation: Evaluation
    steps: Table
    later_steps: int
    findings: Table
    gaps: Table
    graph: chain.Graph
    failures: list[FailureView]
    petitioner: str | None = None
    accusation: str | None = None
    labels: dict[str, str] = field(default_factory=dict)


def matter_view(services: Services, principal: Principal, matter_id: str, as_of: str | None = None,
                reveal: bool = True) -> MatterView:
    """The matter's page; with ``reveal`` (a page, not an export) the petitioner's
    identity for a role that may read it, audited first."""
    store = services.store
    rows = queries.run(store, "matter", {"matter": matter_id})
    if not rows:
        raise NotFound("petition matter", matter_id)
    m = rows[0]["matter"]
    on = parse_as_of(as_of) if as_of else m["received_on"]
    ev = services.engine.trace(matter_id, on, matter_rows=rows)
    steps = [HandlingStep.of(r["step"]) for r in queries.run(store, "steps_by_matter", {"ids": [matter_id]})]
    shown = [s for s in steps if s.on <= on]
    st = Table(f"matter-{matter_id}-steps", "办理环节 Handling steps (on or before the as-of date)",
               ["日期 on", "环节 step", "机关 institution", "经办人 staff", "转至 to", "期限 due", "备注 note"],
               [[_d(s.on), label("StepKind", s.kind), link(s.institution, f"/institution/{s.institution}"),
                 link(s.staff, f"/person/{s.staff}") if s.staff else "",
                 link(s.to_institution, f"/institution/{s.to_institution}") if s.to_institution else "",
                 _d(s.due), s.note or ""] for s in shown])
    failures = [failure_view(services, r["failure"]["id"])
                for r in queries.run(store, "failures_by_matter", {"ids": [matter_id]})]
    view = MatterView(
        matter=m, territories=[r["territory"] for r in rows], as_of=on, before_received=on < m["received_on"],
        evaluation=ev, steps=st, later_steps=len(steps) - len(shown),
        findings=findings_table(f"matter-{matter_id}-findings", "责任认定 Standing responsibility", ev.findings),
        gaps=gaps_table(f"matter-{matter_id}-gaps", ev.gaps), graph=chain.build(ev.findings), failures=failures,
        labels={"subject": label("Subject", m.get("subject")), "channel": label("Channel", m.get("channel")),
                "form": label("MatterForm", m.get("form"))})
    if reveal and allowed(principal.role, "petitioner_identity"):
        # Written to the audit log before it is read (AuditLog.record raises when it cannot write).
        for name in ("petitioner", "accusation"):
            services.audit.record(principal, matter_id, name)
            token = m.get(f"{name}_enc")
            setattr(view, name, services.protector.decrypt(token) if token else "")
    return view


def matter_tables(v: MatterView) -> list[Table]:
    out = [v.steps, v.findings, v.gaps]
    for f in v.failures:
        out += [f.findings, f.gaps, f.recommendations, f.measures]
    return out


# ----------------------------------------------------------------------------- person

@dataclass
class PersonView:
    person: Person
    tenures: Table
    record: bool  # whether the caller may see the cadre record
    findings: Table | None = None
    recommendations: Table | None = None
    measures: Table | None = None
    basis: list[Cell] = field(default_factory=list)


def person_view(services: Services, principal: Principal, person_id: str) -> PersonView:
    rows = queries.run(services.store, "person", {"person": person_id})
    if not rows:
        raise NotFound("person", person_id)
    p, held = person_from_rows(rows)
    tenures = Table(f"person-{person_id}-posts", "任职经历 Posts held", ["职务 post", "机关单位 institution",
                                                                       "起 from", "止 to"],
                    [[h.post.title, link(h.institution.name, f"/institution/{h.institution.id}"),
                      _d(h.tenure.valid_from), _d(h.tenure.valid_to) or "至今 present"] for h in held])
    view = PersonView(person=p, tenures=tenures, record=allowed(principal.role, "cadre_records"))
    if view.record:
        rec = services.engine.cadre_record(person_id)
        view.findings = findings_table(f"person-{person_id}-findings", "跨岗位的问责认定 Findings across posts",
                                       rec.findings, with_source=True)
        view.recommendations = recommendations_table(f"person-{person_id}-recommendations", rec.recommendations)
        view.measures = measures_table(f"person-{person_id}-measures", rec.measures, with_failure=True)
        view.basis = [cite(b) for b in rec.basis]
    return view


def person_tables(v: PersonView) -> list[Table]:
    return [t for t in (v.tenures, v.findings, v.recommendations, v.measures) if t is not None]


# ----------------------------------------------------------------------------- institution

@dataclass
class InstitutionView:
    institution: dict[str, Any]
    territory: dict[str, Any]
    parent: dict[str, Any] | None
    subs: list[dict[str, Any]]
    as_of: dt.date
    team: Table
    up: Table
    down: Table
    remit: str
    labels: dict[str, str]


def _vertical(name: str, title: str, rows: list[dict[str, Any]], on: dt.date) -> Table:
    t = Table(name, title, ["层级 levels", "机关 institution", "系统 system", "起 from", "止 to"])
    for path in sorted(map(vertical_path, rows), key=lambda p: len(p.links)):
        if not path.valid_on(on):
            continue
        end, last = path.nodes[-1], path.links[-1]
        t.rows.append([str(len(path.links)), link(end.name, f"/institution/{end.id}"),
                       last.system, _d(last.valid_from), _d(last.valid_to)])
    return t


def institution_view(services: Services, institution_id: str, as_of: str | None = None) -> InstitutionView:
    store = services.store
    rows = queries.run(store, "institution_detail", {"institution": institution_id})
    if not rows:
        raise NotFound("institution", institution_id)
    r = rows[0]
    i = r["institution"]
    on = parse_as_of(as_of) if as_of else dt.date.today()
    team = Table(f"institution-{institution_id}-team", "领导班子及分工 Leadership team and divisions of duties",
                 ["职务 post", "角色 role", "任职人员 holder", "任职起 from", "分工 divisions of duties"])
    seats = fetch_teams(store, [institution_id], on)[institution_id]
    for s in seats:
        per = s.person
        divisions = "；".join("、".join(ENUMS["Subject"].values[x].zh for x in d.subjects or ()) for d in s.divisions)
        team.rows.append([s.post.title, label("PostRole", s.post.role),
                          link(per.name, f"/person/{per.id}") if per else "空缺 vacant",
                          _d(s.tenure.valid_from if s.tenure else None), divisions])
    return InstitutionView(
        institution=i, territory=r["territory"], parent=r["parent"], subs=sorted(r["subs"], key=lambda s: s["id"]),
        as_of=on, team=team,
        up=_vertical(f"institution-{institution_id}-up", "垂直管理 上级 Vertical line up",
                     queries.run(store, "vertical_line_up", {"institutions": [institution_id]}), on),
        down=_vertical(f"institution-{institution_id}-down", "垂直管理 下级 Vertical line down",
                       queries.run(store, "vertical_line_down", {"institution": institution_id}), on),
        remit="、".join(label("Subject", s) for s in i.get("remit") or []),
        labels={"kind": label("InstitutionKind", i.get("kind")), "level": label("TerritoryLevel", i.get("level"))})


def institution_tables(v: InstitutionView) -> list[Table]:
    return [v.team, v.up, v.down]


# ----------------------------------------------------------------------------- honours roll, browsing

def honours_table(services: Services, year: int, territory: str | None) -> Table:
    if not 2016 <= year <= 2100:
        raise EngineError("year must be between 2016 and 2100")
    t = Table(f"honours-{year}-{territory or 'all'}", f"{year} 年度取消评优资格 Disqualified from honours in {year}",
              ["类别 role", "名称 name", "地区 territory", "原因 reasons", "依据 basis"])
    roles = {"region": "地区 region", "department": "部门 department", "unit": "单位 unit"}
    for e in services.engine.honours_roll(year, territory or None):
        href = f"/?territory={e.id}" if e.role == "region" else f"/institution/{e.id}"
        t.rows.append([roles.get(e.role, e.role), link(e.name or e.id, href),
                       e.territory.name, "；".join(e.reasons), cite(e.basis)])
    return t


def matters_table(services: Services, territory: str, received_from: str | None, received_to: str | None,
                  limit: int = 50) -> Table:
    """The newest matters of a territory and those below it, received between two dates."""
    store = services.store
    territories = [r["id"] for r in queries.run(store, "territory_descendants", {"territory": territory})]
    f, to = parse_date(received_from, "the first date"), parse_date(received_to, "the last date")
    rows = queries.run(store, "matters_in_territories", {
        "territories": territories, "from": f.isoformat() if f else None, "to": to.isoformat() if to else None,
        "limit": limit})
    t = Table("matters", "信访事项 Matters (newest first)", ["编号 id", "标题 title", "受理日期 received", "事项 subject",
                                                         "地区 territory", "失职失责 failures"])
    for r in rows:
        m = r["matter"]
        t.rows.append([link(m["id"], f"/matter/{m['id']}"), link(m.get("title", ""), f"/matter/{m['id']}"),
                       _d(m["received_on"]), label("Subject", m.get("subject")),
                       link(m["territory"], f"/?territory={m['territory']}"), str(r["failures"])])
    return t
