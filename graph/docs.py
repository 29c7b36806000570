"""Reference documentation generated from the declared model.

* ``render_model_markdown()`` is ``docs/model.md``: every node kind,
  relationship kind and field (type, required, reference, enumeration), and
  every enumeration with its codes in English and Chinese.
* ``render_input_examples()`` is the examples section of
  ``docs/input-format.md``: for every loadable file a header and example rows,
  as CSV and as JSON Lines. The rows form one small consistent dataset (every
  reference resolves inside it), so the examples validate as they stand.

Regenerate with::

    python -m zeren.graph.docs > docs/model.md
    python -m zeren.graph.docs --examples docs/input-format.md   # rewrites its examples section
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TypeAlias

from .confidential import stored_names
from .model import ENUMS, ID, LOAD_ORDER, NODES, RELS, Field, NodeKind, RelKind, loadable_kinds

Kind: TypeAlias = NodeKind | RelKind

__all__ = ["EXAMPLES", "example_csv", "example_jsonl", "render_input_examples", "render_model_markdown"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _columns(k: Kind) -> tuple[Field, ...]:
    """The fields of a kind as its input file has them (``id`` first for a relationship kind)."""
    return (ID, *k.all_fields) if isinstance(k, RelKind) else k.fields


def _type(f: Field) -> str:
    if f.type in ("enum", "enumlist"):
        return f"{f.type} of [{f.enum}](#{(f.enum or '').lower()})"
    if f.type == "ref":
        return f"ref → {f.ref}"
    if f.type in ("string", "text", "list"):
        return f"{f.type} (≤ {f.max_length:,})"
    return f.type


def _notes(f: Field, in_rel: bool, ref_properties: bool = True) -> str:
    notes = []
    if f.type == "ref" and not in_rel:
        notes.append(f"relationship `{f.rel}`" + ("" if ref_properties else " only (no property)"))
    if f.confidential:
        notes.append("confidential: stored only as " + ", ".join(f"`{n}`" for n in stored_names(f)))
    return "; ".join(notes)


def _field_table(fields: tuple[Field, ...], in_rel: bool = False, ref_properties: bool = True) -> list[str]:
    lines = ["| field | type | required | description | 说明 | notes |", "|---|---|---|---|---|---|"]
    for f in fields:
        lines.append(f"| `{f.name}` | {_type(f)} | {'yes' if f.required else ''} | {_cell(f.en)} | {_cell(f.zh)} "
                     f"| {_notes(f, in_rel, ref_properties)} |")
    return lines


def _node_section(k: NodeKind) -> list[str]:
    source = f"input file `{k.file}`" if k.loadable else "written by zeren itself (not an input file)"
    lines = [f"### {k.name} — {k.zh}", "", f"{k.en}. Label `{k.name}`, key `{k.key}`, {source}."]
    if k.validity:
        lines[-1] += " Valid from `valid_from` to `valid_to` (inclusive)."
    if not k.ref_properties:
        lines[-1] += (" Its references are held by their relationships only, not as properties: read the "
                      "target's `id` across the relationship (" + ", ".join(
                          f"`({k.name[0].lower()})-[:{f.rel}]->({f.name}:{f.ref})`" for f in k.refs) + ").")
    return [*lines, "", *_field_table(k.fields, ref_properties=k.ref_properties), ""]


def _rel_section(r: RelKind) -> list[str]:
    pattern = f"`(:{r.source.ref})-[:{r.name}]->(:{r.target.ref})`"
    lines = [f"### {r.name} — {r.zh}", "", f"{r.en}. {pattern}, key `{r.key}`, input file `{r.file}`."]
    if r.validity:
        lines[-1] += " Valid from `valid_from` to `valid_to` (inclusive)."
    lines += ["", f"Source `{r.source.name}` ({r.source.en}), target `{r.target.name}` ({r.target.en}); "
                  "the relationship carries `id` and the other fields.", ""]
    return [*lines, *_field_table(_columns(r), in_rel=True), ""]


def _enum_section(name: str) -> list[str]:
    e = ENUMS[name]
    lines = [f"### {e.name}", "", f"{e.en} — {e.zh}", "", "| code | English | 中文 |", "|---|---|---|"]
    lines += [f"| `{code}` | {_cell(label.en)} | {_cell(label.zh)} |" for code, label in e.values.items()]
    return [*lines, ""]


def _ref_index() -> list[str]:
    lines = ["| from | field | relationship | to |", "|---|---|---|---|"]
    for k in NODES.values():
        lines += [f"| {k.name} | `{f.name}` | `{f.rel}` | {f.ref} |" for f in k.refs]
    return lines


def render_model_markdown() -> str:
    """The field reference of the whole model, as Markdown."""
    out = [
        "# Data model: field reference",
        "",
        "<!-- Generated from graph/model.py: do not edit. Regenerate with "
        "`python -m zeren.graph.docs > docs/model.md`. -->",
        "",
        "Every node and first-class relationship has a string key `id`. A `ref` field holds the key of the "
        "node it names and also becomes a relationship (of " + ", ".join(
            f"`{k.name}`" for k in NODES.values() if not k.ref_properties) + ", only a relationship). "
        "Dates are native dates; `valid_to` empty means "
        "still valid. Codes of enumerations are stored as given in the tables below.",
        "",
        "Load order: " + " → ".join(f"`{n}`" for n in LOAD_ORDER) + ".",
        "",
        "## Node kinds",
        "",
    ]
    for k in NODES.values():
        out += _node_section(k)
    out += ["## Relationship kinds", ""]
    for r in RELS.values():
        out += _rel_section(r)
    out += ["## Relationships made from references", "", *_ref_index(), "", "## Enumerations", ""]
    for name in ENUMS:
        out += _enum_section(name)
    return "\n".join(out).rstrip("\n") + "\n"


# --------------------------------------------------------------------------- input examples

EXAMPLES: dict[str, list[dict[str, str]]] = {
    "territories": [
        {"id": "500000", "name": "重庆市", "name_en": "Chongqing", "level": "PROVINCE"},
        {"id": "500103", "name": "渝中区", "name_en": "Yuzhong District", "level": "COUNTY", "parent": "500000"},
    ],
    "institutions": [
        {"id": "YZ-GOV", "name": "重庆市渝中区人民政府", "kind": "GOVERNMENT", "level": "COUNTY",
         "territory": "500103"},
        {"id": "YZ-PET", "name": "重庆市渝中区信访办公室", "kind": "PETITION_DEPARTMENT", "level": "COUNTY",
         "territory": "500103", "parent": "YZ-GOV"},
        {"id": "YZ-HOUSING", "name": "重庆市渝中区住房和城乡建设委员会", "kind": "WORKING_DEPARTMENT",
         "level": "COUNTY", "territory": "500103", "parent": "YZ-GOV", "remit": "HOUSING;LAND"},
        {"id": "CQ-TAX", "name": "国家税务总局重庆市税务局", "kind": "WORKING_DEPARTMENT", "level": "PROVINCE",
         "territory": "500000", "remit": "TAXATION", "system": "TAX"},
        {"id": "YZ-TAX", "name": "国家税务总局重庆市渝中区税务局", "kind": "WORKING_DEPARTMENT", "level": "COUNTY",
         "territory": "500103", "remit": "TAXATION", "system": "TAX"},
    ],
    "vertical_lines": [
        {"id": "VL-TAX-YZ", "lower": "YZ-TAX", "upper": "CQ-TAX", "system": "TAX", "valid_from": "2018-07-20"},
    ],
    "teams": [{"id": "T-YZ-HOUSING", "name": "渝中区住房城乡建委领导班子", "institution": "YZ-HOUSING"}],
    "posts": [
        {"id": "P-YZH-DIR", "title": "主任", "role": "PRINCIPAL", "institution": "YZ-HOUSING",
         "team": "T-YZ-HOUSING", "rank": "1"},
        {"id": "P-YZH-STAFF", "title": "科员", "role": "STAFF", "institution": "YZ-HOUSING"},
    ],
    "persons": [
        {"id": "PER-3", "name": "王三", "gender": "M", "birth_year": "1968"},
        {"id": "PER-4", "name": "赵四", "gender": "F", "birth_year": "1986"},
    ],
    "tenures": [
        {"id": "H-4", "person": "PER-3", "post": "P-YZH-DIR", "valid_from": "2016-06-01"},
        {"id": "H-6", "person": "PER-4", "post": "P-YZH-STAFF", "valid_from": "2018-01-01",
         "valid_to": "2020-12-31"},
    ],
    "divisions": [
        {"id": "D-1", "post": "P-YZH-DIR", "subjects": "HOUSING;LAND", "institution": "YZ-HOUSING",
         "valid_from": "2016-06-01"},
    ],
    "matters": [
        {"id": "M-1", "title": "老旧小区改造拖延", "subject": "HOUSING", "territory": "500103", "channel": "VISIT",
         "form": "COLLECTIVE", "headcount": "12", "received_on": "2018-05-10", "closed_on": "2018-09-30",
         "litigation_related": "false", "accused_institution": "YZ-HOUSING", "accused_person": "PER-3",
         "summary": "Residents say the renovation stalled", "petitioner": "刘某某",
         "accusation": "The director ignored our letters"},
    ],
    "case_holdings": [
        {"id": "C-1", "person": "PER-3", "matter": "M-1", "post": "P-YZH-DIR", "valid_from": "2018-05-15",
         "valid_to": "2018-09-30"},
    ],
    "steps": [
        {"id": "S-2", "matter": "M-1", "kind": "ASSIGN", "institution": "YZ-GOV", "staff": "PER-4",
         "to_institution": "YZ-HOUSING", "on": "2018-05-12", "due": "2018-06-30", "note": "交办区住房城乡建委"},
    ],
    "decisions": [
        {"id": "DEC-1", "title": "暂缓老旧小区改造项目", "team": "T-YZ-HOUSING", "on": "2018-06-01", "matter": "M-1",
         "major": "true"},
    ],
    "decision_participants": [
        {"id": "DP-1", "person": "PER-3", "decision": "DEC-1", "stance": "AGREED", "post": "P-YZH-DIR"},
    ],
    "failures": [
        {"id": "F-1", "item": "DECISION_ERROR", "scope": "COLLECTIVE", "gravity": "SERIOUS", "unit": "YZ-HOUSING",
         "matter": "M-1", "decision": "DEC-1", "act_date": "2018-06-01", "reported_on": "2018-10-15",
         "acts": "暂缓改造决策失误，引发集体访", "disciplinary": "false", "suspected_crime": "false"},
    ],
    "failure_people": [
        {"id": "FP-1", "person": "PER-3", "failure": "F-1", "role": "PARTICIPANT", "post": "P-YZH-DIR",
         "stance": "AGREED", "due_diligence": "false"},
    ],
    "measures": [
        {"id": "AM-1", "kind": "ADMONISHMENT", "failure": "F-1", "person": "PER-3", "post": "P-YZH-DIR",
         "decided_by": "YZ-GOV", "decided_on": "2018-11-01", "deadline": "2019-02-01",
         "rectified_on": "2019-01-20"},
        {"id": "AM-2", "kind": "HONOURS_DISQUALIFICATION", "failure": "F-1", "institution": "YZ-HOUSING",
         "decided_by": "YZ-GOV", "decided_on": "2018-11-01"},
    ],
    "ledgers": [
        {"id": "L-YZH-2018", "institution": "YZ-HOUSING", "year": "2018",
         "duties": "SPECIAL_SUPERVISION;LEADER_RECEPTION;RISK_ASSESSMENT"},
    ],
    "classification_lists": [
        {"id": "CL-YZH", "institution": "YZ-HOUSING", "title": "渝中区住房城乡建委依法分类处理信访诉求清单",
         "valid_from": "2017-09-01"},
    ],
    "supervisions": [
        {"id": "SUP-1", "kind": "SPECIAL", "organ": "YZ-HOUSING", "scope": "DEPARTMENT", "institution": "YZ-HOUSING",
         "topic": "信访工作责任制落实情况", "started_on": "2018-09-01", "finished_on": "2018-09-20",
         "circulated": "true", "circulated_on": "2018-10-08"},
    ],
    "assessments": [
        {"id": "AS-1", "assessor": "YZ-GOV", "scope": "DEPARTMENT", "institution": "YZ-HOUSING",
         "period_from": "2018-01-01", "period_to": "2018-12-31", "on": "2019-01-25", "result": "GOOD",
         "used_in_appraisal": "true"},
    ],
    "cadre_inspections": [
        {"id": "CI-1", "by": "YZ-GOV", "person": "PER-3", "post": "P-YZH-DIR", "purpose": "拟提拔",
         "started_on": "2019-03-01", "concluded_on": "2019-03-20"},
    ],
    "consultations": [
        {"id": "CON-1", "inspection": "CI-1", "petition_department": "YZ-PET", "on": "2019-03-05",
         "opinion": "有一件集体访追责记录，已整改"},
    ],
    "leader_activities": [
        {"id": "LA-1", "kind": "RECEPTION", "person": "PER-3", "post": "P-YZH-DIR", "on": "2018-05-15",
         "matter": "M-1", "count": "12", "note": "领导接待日"},
    ],
    "staff_reports": [
        {"id": "SR-1", "kind": "INCIDENT_REPORT", "person": "PER-4", "institution": "YZ-HOUSING", "matter": "M-1",
         "to_person": "PER-3", "on": "2018-05-10"},
    ],
    "risk_assessments": [
        {"id": "RA-1", "decision": "DEC-1", "by": "YZ-HOUSING", "on": "2018-05-28", "result": "MEDIUM"},
    ],
    "circulations": [
        {"id": "CIR-1", "measure": "AM-1", "to": "YZ-GOV", "on": "2018-11-05"},
    ],
}


def _csv_cell(v: str) -> str:
    return f'"{v.replace(chr(34), chr(34) * 2)}"' if any(c in v for c in ',"\n') else v


def _json_value(f: Field, v: str) -> Any:
    if f.type == "int":
        return int(v)
    if f.type == "bool":
        return v == "true"
    if f.type in ("list", "enumlist"):
        return v.split(";")
    return v


def example_csv(k: Kind) -> str:
    cols = _columns(k)
    rows = [",".join(f.name for f in cols)]
    rows += [",".join(_csv_cell(r.get(f.name, "")) for f in cols) for r in EXAMPLES[k.file]]
    return "\n".join(rows) + "\n"


def example_jsonl(k: Kind) -> str:
    cols = _columns(k)
    lines = [json.dumps({f.name: _json_value(f, r[f.name]) for f in cols if f.name in r}, ensure_ascii=False)
             for r in EXAMPLES[k.file]]
    return "\n".join(lines) + "\n"


def render_input_examples() -> str:
    """A header and example rows for every loadable file, as CSV and JSON Lines."""
    out: list[str] = []
    for k in loadable_kinds():
        required = ", ".join(f"`{f.name}`" for f in _columns(k) if f.required)
        out += [f"### {k.file} — {k.en} ({k.zh})", "", f"Required columns: {required}.", "",
                f"#### `{k.file}.csv`", "", "```csv", example_csv(k).rstrip("\n"), "```", "",
                f"#### `{k.file}.jsonl`", "", "```jsonl", example_jsonl(k).rstrip("\n"), "```", ""]
    return "\n".join(out)


EXAMPLES_START = "<!-- examples:start (generated: python -m zeren.graph.docs --examples docs/input-format.md) -->"
EXAMPLES_END = "<!-- examples:end -->"


def with_examples(document: str) -> str:
    """The document with the section between the example markers rendered anew."""
    head, rest = document.split("<!-- examples:start", 1)
    _, tail = rest.split(EXAMPLES_END, 1)
    return f"{head}{EXAMPLES_START}\n\n{render_input_examples()}{EXAMPLES_END}{tail}"


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[1] == "--examples":
        path = Path(argv[2])
        path.write_text(with_examples(path.read_text(encoding="utf-8")), encoding="utf-8")
        return 0
    if argv[1:] == ["--examples"]:
        sys.stdout.write(render_input_examples())
        return 0
    if argv[1:]:
        sys.stderr.write("usage: python -m zeren.graph.docs [--examples [input-format.md]]\n")
        return 2
    sys.stdout.write(render_model_markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

