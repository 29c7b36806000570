"""Every kind of bad input gets its own clear error naming file, line, field
and reason, and the graph is left exactly as it was (the mini set is loaded
first, then the bad input; node and relationship counts and a property are
compared)."""

from __future__ import annotations

import importlib.util
import io
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from zeren.config import Settings
from zeren.graph.store import GraphStore
from zeren.loaders.load import load_path
from zeren.loaders.validate import ValidationFailed

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini"
ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- helpers

def state(store: GraphStore) -> dict[str, Any]:
    """Counts per label and per relationship type, and sample properties."""
    labels = store.read("MATCH (n) UNWIND labels(n) AS l RETURN l, count(*) AS n ORDER BY l")
    types = store.read("MATCH ()-[r]->() RETURN type(r) AS t, count(*) AS n ORDER BY t")
    sample = store.read("MATCH (p:Person {id: 'PER-1'}), (t:Post {id: 'P-YZ-MAYOR'}), (i:Institution {id: 'YZ-GOV'}) "
                        "RETURN p.name AS person, p.birth_year AS born, t.role AS role, i.parent AS parent")
    return {"labels": labels, "types": types, "sample": sample}


def write(folder: Path, file: str, text: str) -> None:
    (folder / file).write_text(text, encoding="utf-8")


def edit(folder: Path, file: str, old: str, new: str) -> None:
    p = folder / file
    text = p.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    p.write_text(text.replace(old, new, 1), encoding="utf-8")


def append(folder: Path, file: str, line: str) -> None:
    with (folder / file).open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def only(folder: Path, *files: str) -> None:
    """Keep only these files (a later load that adds to the graph)."""
    for p in folder.iterdir():
        if p.name not in files:
            p.unlink()


@dataclass
class Case:
    name: str
    mutate: Callable[[Path], Path | None]  # returns another path to load, or None for the folder
    expected: tuple[str, ...]  # fragments one error message must all contain


def _gbk(folder: Path) -> None:
    p = folder / "matters.csv"
    p.write_bytes(p.read_text(encoding="utf-8").encode("gb18030"))


def _jsonl_broken(folder: Path) -> None:
    (folder / "persons.csv").unlink()
    write(folder, "persons.jsonl", '{"id": "PER-1", "name": "张一"}\n{"id": "PER-2", "name": \n'
                                   '{"id": "PER-3", "name": "王三"}\n{"id": "PER-4", "name": "赵四"}\n'
                                   '{"id": "PER-5", "name": "钱五"}\n{"id": "PER-6", "name": "孙六"}\n')


def _jsonl_unknown_key(folder: Path) -> None:
    (folder / "persons.csv").unlink()
    write(folder, "persons.jsonl", "".join(f'{{"id": "PER-{i}", "name": "n{i}", "nick": "x"}}\n' for i in range(1, 7)))


def _not_a_workbook(folder: Path) -> Path:
    p = folder.parent / "book.xlsx"
    p.write_text("id,name\n1,a\n", encoding="utf-8")
    return p


def _workbook_bad_cell(folder: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "persons"
    ws.append(["id", "name", "birth_year"])
    ws.append(["PER-7", "周七", 1980])
    ws.append(["PER-8", "吴八", "nineteen-eighty"])
    p = folder.parent / "book.xlsx"
    wb.save(p)
    return p


def _workbook_unknown_sheet(folder: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "people"
    wb.active.append(["id", "name"])
    p = folder.parent / "book.xlsx"
    wb.save(p)
    return p


def _csv_file_not_folder(folder: Path) -> Path:
    return folder / "persons.csv"


def _graph_cycle(folder: Path) -> None:
    only(folder, "institutions.csv")
    write(folder, "institutions.csv", "id,name,kind,level,territory,parent\n"
                                      "YZ-GOV,重庆市渝中区人民政府,GOVERNMENT,COUNTY,500103,YZ-XFB\n")


def _graph_principal(folder: Path) -> None:
    only(folder, "posts.csv")
    write(folder, "posts.csv", "id,title,role,institution,team\nP-NEW,代区长,PRINCIPAL,YZ-GOV,T-YZ-GOV\n")


def _graph_tenure(folder: Path) -> None:
    only(folder, "tenures.csv")
    write(folder, "tenures.csv", "id,person,post,valid_from,valid_to\nH-9,PER-1,P-YZH-DIR,2020-01-01,\n")


def _jsonl(folder: Path, file: str, *objects: dict[str, Any]) -> None:
    """Replace ``file``.csv by a JSON Lines file of these objects."""
    import json

    (folder / f"{file}.csv").unlink()
    write(folder, f"{file}.jsonl", "".join(json.dumps(o) + "\n" for o in objects))  # ASCII: a surrogate as its escape


def _jsonl_persons(**person: Any) -> Callable[[Path], None]:
    return lambda f: _jsonl(f, "persons", {"id": "PER-1", "name": "张一"}, {"id": "PER-2", "name": "李二", **person})


def _bad_byte_in_a_name(folder: Path) -> None:
    p = folder / "persons.csv"
    p.write_bytes(p.read_bytes().replace("李二".encode(), b"\xff\xfe"))


def _staff_post_made_a_team_post(folder: Path) -> None:
    only(folder, "posts.csv")
    write(folder, "posts.csv", "id,title,role,institution,team\nP-YZH-STAFF,科员,DEPUTY,YZ-HOUSING,T-YZ-HOUSING\n")


def _graph_dangling(folder: Path) -> None:
    only(folder, "tenures.csv")
    write(folder, "tenures.csv", "id,person,post,valid_from\nH-9,PER-1,P-YZH-STAFF,2021-01-01\n"
                                 "H-10,PER-77,P-YZH-STAFF,2022-01-01\n")


CASES = [
    Case("a missing folder", lambda f: f.parent / "nowhere", ("nowhere", "no such folder or workbook")),
    Case("a csv file instead of a folder", _csv_file_not_folder, ("persons.csv", "expected a folder")),
    Case("an empty file", lambda f: write(f, "territories.csv", ""), ("territories.csv", "empty file (0 bytes)")),
    Case("a blank file", lambda f: write(f, "persons.csv", "\n \n"), ("persons.csv", "no header row")),
    Case("a file that is not utf-8", _gbk, ("matters.csv line 2", "not UTF-8", "GBK")),
    Case("an unterminated quote", lambda f: append(f, "persons.csv", 'PER-9,"Unclosed,M,1970'),
         ("persons.csv line 8", "malformed CSV")),
    Case("a row with too few cells", lambda f: append(f, "persons.csv", "PER-9,吴九,M"),
         ("persons.csv line 8", "malformed CSV", "3 cells, the header has 4")),
    Case("a malformed json line", _jsonl_broken, ("persons.jsonl line 2", "malformed JSON")),
    Case("an unknown json key", _jsonl_unknown_key, ("persons.jsonl line 1", "field 'nick'", "unknown field")),
    Case("an unknown file", lambda f: write(f, "notes.txt", "x"), ("notes.txt", "unknown file")),
    Case("two files for one kind", lambda f: write(f, "persons.jsonl", '{"id": "PER-9", "name": "x"}\n'),
         ("two files for persons",)),
    Case("an unknown column", lambda f: edit(f, "persons.csv", "birth_year\n", "birth_year,nickname\n"),
         ("persons.csv line 1", "field 'nickname'", "unknown column")),
    Case("a required column missing", lambda f: edit(f, "teams.csv", "id,name,institution", "id,institution"),
         ("teams.csv line 1", "field 'name'", "required column missing")),
    Case("a required value missing", lambda f: edit(f, "posts.csv", "P-YZ-MAYOR,区长,", "P-YZ-MAYOR,,"),
         ("posts.csv line 2", "field 'title'", "required value missing")),
    Case("an integer that is not one", lambda f: edit(f, "persons.csv", "张一,M,1963", "张一,M,nineteen"),
         ("persons.csv line 2", "field 'birth_year'", "value 'nineteen'", "not an integer")),
    Case("a boolean that is not one", lambda f: edit(f, "failure_people.csv", "P-YZH-STAFF,false", "P-YZH-STAFF,yes"),
         ("failure_people.csv line 3", "field 'due_diligence'", "use true or false")),
    Case("a person's suspicion of a crime that is not a boolean", lambda f: write(f, "failure_people.csv", (
        "id,person,failure,role,post,due_diligence,suspected_crime\nFP-1,PER-6,F-1,PARTICIPANT,P-YZH-DEP,,\n"
        "FP-2,PER-4,F-2,STAFF_IN_CHARGE,P-YZH-STAFF,false,suspected\n")),
        ("failure_people.csv line 3", "field 'suspected_crime'", "value 'suspected'", "use true or false")),
    Case("an impossible date", lambda f: edit(f, "tenures.csv", "H-3,PER-2,P-YZ-VICE1,2017-03-01",
                                              "H-3,PER-2,P-YZ-VICE1,2017-02-30"),
         ("tenures.csv line 4", "field 'valid_from'", "'2017-02-30'", "not a valid date")),
    Case("a date in another format", lambda f: edit(f, "decisions.csv", "2018-06-01", "01/06/2018"),
         ("decisions.csv line 2", "field 'on'", "use YYYY-MM-DD")),
    Case("an unknown code in a list", lambda f: edit(f, "institutions.csv", "HOUSING;LAND", "HOUSING;SPACE"),
         ("institutions.csv line 7", "field 'remit'", "'SPACE': unknown Subject code", "allowed: LAND, HOUSING")),
    Case("an unknown enumeration code", lambda f: edit(f, "posts.csv", "区长,PRINCIPAL", "区长,CHIEF"),
         ("posts.csv line 2", "field 'role'", "value 'CHIEF'", "allowed: PRINCIPAL, DEPUTY, MEMBER, STAFF")),
    Case("a lower-case code", lambda f: edit(f, "posts.csv", "区长,PRINCIPAL", "区长,principal"),
         ("posts.csv line 2", "field 'role'", "codes are upper case: PRINCIPAL")),
    Case("an enormous field", lambda f: edit(f, "persons.csv", "PER-2,李二", "PER-2," + "李" * 5000),
         ("persons.csv line 3", "field 'name'", "(5000 characters)", "too long: 5000 characters, at most 200")),
    Case("a duplicate id", lambda f: append(f, "persons.csv", "PER-1,张一,M,1963"),
         ("persons.csv line 8", "field 'id'", "duplicate id (first at persons.csv line 2)")),
    Case("a dangling reference", lambda f: edit(f, "tenures.csv", "H-3,PER-2", "H-3,PER-99"),
         ("tenures.csv line 4", "field 'person'", "'PER-99'", "no Person with this id in the input or in the graph")),
    Case("a dangling reference next to one in the graph", _graph_dangling,
         ("tenures.csv line 3", "field 'person'", "'PER-77'", "no Person with this id")),
    Case("valid_to before valid_from", lambda f: edit(f, "divisions.csv", "2016-06-01,2021-05-31",
                                                      "2016-06-01,2015-05-31"),
         ("divisions.csv line 3", "field 'valid_to'", "before valid_from (2016-06-01)")),
    Case("a cycle of territories", lambda f: edit(f, "territories.csv", "China,NATION,", "China,NATION,500103"),
         ("territories.csv line", "field 'parent'", "cycle in the parent chain", "500103 → 500000 → 000000 → 500103")),
    Case("a territory that is its own parent", lambda f: edit(f, "territories.csv", "China,NATION,",
                                                              "China,NATION,000000"),
         ("territories.csv line 4", "field 'parent'", "cycle in the parent chain: 000000 → 000000")),
    Case("a cycle through institutions in the graph", _graph_cycle,
         ("institutions.csv line 2", "field 'parent'", "cycle in the parent chain: YZ-GOV → YZ-XFB → YZ-GOV")),
    Case("two principal posts in a team", lambda f: edit(f, "posts.csv", "副区长（分管城乡建设）,DEPUTY",
                                                         "副区长（分管城乡建设）,PRINCIPAL"),
         ("posts.csv line 3", "field 'role'", "leadership team T-YZ-GOV has more than one PRINCIPAL post")),
    Case("a second principal post next to one in the graph", _graph_principal,
         ("posts.csv line 2", "field 'role'", "more than one PRINCIPAL post: P-YZ-MAYOR (in the graph)")),
    Case("two principals at once", lambda f: edit(f, "tenures.csv", "H-2,PER-5,P-YZ-MAYOR,2020-01-01",
                                                  "H-2,PER-5,P-YZ-MAYOR,2019-06-01"),
         ("tenures.csv line 3", "field 'post'", "post P-YZ-MAYOR has two principals at once", "PER-1", "PER-5")),
    Case("a hand-over on the same day", lambda f: edit(f, "tenures.csv", "H-2,PER-5,P-YZ-MAYOR,2020-01-01",
                                                       "H-2,PER-5,P-YZ-MAYOR,2019-12-31"),
         ("tenures.csv line 3", "post P-YZ-MAYOR has two principals at once")),
    Case("two deputies in one post at once", lambda f: append(f, "tenures.csv", "H-7,PER-1,P-YZ-VICE1,2018-01-01,"),
         ("tenures.csv line 8", "field 'post'", "post P-YZ-VICE1 has two holders at once")),
    Case("a second principal next to a tenure in the graph", _graph_tenure,
         ("tenures.csv line 2", "post P-YZH-DIR has two principals at once", "H-4 in the graph")),
    # Control characters: refused in validation, never sent to the store (FalkorDB cannot hold a NUL).
    Case("a NUL in a text cell", lambda f: edit(f, "steps.csv", "交办区住房城乡建委", "交办区\x00住房城乡建委"),
         ("steps.csv line 3", "field 'note'", "a control character (U+0000) at character 4")),
    Case("an escape character in a name", lambda f: edit(f, "persons.csv", "PER-2,李二", "PER-2,李\x1b[31m二"),
         ("persons.csv line 3", "field 'name'", "a control character (U+001B)")),
    Case("a line break inside a single-line value", lambda f: edit(f, "persons.csv", "PER-2,李二", 'PER-2,"李\n二"'),
         ("persons.csv line 3", "field 'name'", "a line break inside a single-line value")),
    Case("a lone surrogate in a JSON string", _jsonl_persons(name="李\ud800二"),
         ("persons.jsonl line 2", "field 'name'", "a control character (U+D800)")),
    # JSON Lines values of the wrong JSON type.
    Case("a JSON number for a string", _jsonl_persons(name=12),
         ("persons.jsonl line 2", "field 'name'", "expected a string in JSON, got a number")),
    Case("a JSON number for an id", lambda f: _jsonl(f, "persons", {"id": 7, "name": "张一"}),
         ("persons.jsonl line 1", "field 'id'", "expected a string in JSON, got a number")),
    Case("a JSON string for an int", _jsonl_persons(birth_year="1970"),
         ("persons.jsonl line 2", "field 'birth_year'", "expected an integer in JSON, got a string")),
    Case("a JSON fraction for an int", _jsonl_persons(birth_year=1970.0),
         ("persons.jsonl line 2", "field 'birth_year'", "expected an integer in JSON, got a number")),
    Case("a JSON string for a bool", lambda f: _jsonl(f, "failure_people", {
        "id": "FP-1", "person": "PER-6", "failure": "F-1", "role": "PARTICIPANT", "due_diligence": "true"}),
         ("failure_people.jsonl line 1", "field 'due_diligence'", "expected true or false in JSON, got a string")),
    Case("a JSON string for a list", lambda f: _jsonl(f, "institutions", {
        "id": "YZ-HOUSING", "name": "住建委", "kind": "WORKING_DEPARTMENT", "level": "COUNTY", "territory": "500103",
        "remit": "HOUSING;LAND"}),
         ("institutions.jsonl line 1", "field 'remit'", "expected an array of strings in JSON, got a string")),
    Case("a key given twice in a JSON object", lambda f: write(f, "persons.jsonl", '{"id": "PER-9", "name": "a", '
                                                                                    '"name": "b"}\n') or
         (f / "persons.csv").unlink(),
         ("persons.jsonl line 1", "field 'name'", "key given twice")),
    Case("a JSON key without its colon", lambda f: write(f, "persons.jsonl", '{"id": "PER-9", "name" "b"}\n') or
         (f / "persons.csv").unlink(),
         ("persons.jsonl line 1", "field 'name'", "malformed JSON: Expecting ':' delimiter")),
    # Digits are ASCII digits.
    Case("full-width digits for an int", lambda f: edit(f, "persons.csv", "张一,M,1963", "张一,M,１９６３"),
         ("persons.csv line 2", "field 'birth_year'", "not an integer")),
    Case("full-width digits in a date", lambda f: edit(f, "decisions.csv", "2018-06-01", "２０１８-０６-０１"),
         ("decisions.csv line 2", "field 'on'", "use YYYY-MM-DD")),
    # The CSV reader's field limit, and cell counts, name the field.
    Case("a cell over the CSV reader's field limit", lambda f: edit(f, "steps.csv", "交办区住房城乡建委",
                                                                     "长" * 200_000),
         ("steps.csv line 3", "field 'note'", "longer than the CSV reader's limit of 131,072 characters")),
    Case("a quoted cell that is never closed", lambda f: edit(f, "persons.csv", "PER-2,李二", 'PER-2,"李二'),
         ("persons.csv line 3", "field 'name'", "malformed CSV: unexpected end of data")),
    Case("text after a closing quote", lambda f: edit(f, "persons.csv", "PER-2,李二", 'PER-2,"李"二'),
         ("persons.csv line 3", "field 'name'", "malformed CSV")),
    Case("a byte that is not UTF-8 inside a cell", _bad_byte_in_a_name,
         ("persons.csv line 3", "field 'name'", "not UTF-8: byte 0xff")),
    # Rules across the input and the graph.
    Case("a cycle of vertical lines", lambda f: append(f, "vertical_lines.csv", "VL-BACK,CQ-TAX,YZ-TAX,TAX,2019-01-01,"),
         ("vertical_lines.csv line 2", "field 'upper'", "cycle in the vertical lines: YZ-TAX → CQ-TAX → YZ-TAX")),
    Case("a vertical line to itself", lambda f: append(f, "vertical_lines.csv", "VL-SELF,CQ-TAX,CQ-TAX,TAX,2019-01-01,"),
         ("vertical_lines.csv line 3", "field 'upper'", "cycle in the vertical lines: CQ-TAX → CQ-TAX")),
    Case("a file that is not a workbook", _not_a_workbook, ("book.xlsx", "not a valid .xlsx workbook")),
    Case("a bad cell in a workbook", _workbook_bad_cell,
         ("book.xlsx sheet persons row 3", "field 'birth_year'", "not an integer")),
    Case("an unknown sheet in a workbook", _workbook_unknown_sheet, ("book.xlsx sheet people", "unknown sheet")),
]


# --------------------------------------------------------------------------- tests

@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gets_a_clear_error_and_leaves_the_graph_unchanged(case: Case, store: GraphStore,
                                                                     settings: Settings, tmp_path: Path) -> None:
    load_path(MINI, store, settings=settings)
    before = state(store)
    folder = tmp_path / "input"
    shutil.copytree(MINI, folder)
    target = case.mutate(folder) or folder
    with pytest.raises(ValidationFailed) as failed:
        load_path(target, store, settings=settings)
    messages = [str(e) for e in failed.value.errors]
    assert any(all(x in m for x in case.expected) for m in messages), "\n".join(messages)
    assert failed.value.total >= 1 and "nothing was written" in failed.value.report()
    assert state(store) == before


def test_an_empty_graph_stays_empty_after_invalid_input(store: GraphStore, settings: Settings,
                                                        tmp_path: Path) -> None:
    folder = tmp_path / "input"
    shutil.copytree(MINI, folder)
    edit(folder, "measures.csv", "AM-1,ADMONISHMENT", "AM-1,SCOLDING")
    with pytest.raises(ValidationFailed):
        load_path(folder, store, settings=settings)
    assert store.read("MATCH (n) RETURN count(n) AS n") == [{"n": 0}]


def test_a_confidential_value_never_appears_in_an_error(store: GraphStore, settings: Settings,
                                                        tmp_path: Path) -> None:
    folder = tmp_path / "input"
    shutil.copytree(MINI, folder)
    secret = "SECRET-ACCUSATION " * 1200
    edit(folder, "matters.csv", "补偿标准,\"  刘某某,   resident of 7 Jiefangbei Rd \",",
         f"补偿标准,\"  刘某某,   resident of 7 Jiefangbei Rd \",{secret}")
    with pytest.raises(ValidationFailed) as failed:
        load_path(folder, store, settings=settings)
    report = failed.value.report()
    assert "matters.csv line 4, field 'accusation', value <confidential, 21600 characters>: too long" in report
    assert "SECRET" not in report


def test_every_error_is_reported_in_one_go(store: GraphStore, settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "input"
    shutil.copytree(MINI, folder)
    edit(folder, "persons.csv", "张一,M,1963", "张一,M,old")
    edit(folder, "posts.csv", "区长,PRINCIPAL", "区长,CHIEF")
    edit(folder, "tenures.csv", "H-3,PER-2", "H-3,PER-99")
    with pytest.raises(ValidationFailed) as failed:
        load_path(folder, store, settings=settings)
    assert failed.value.total == 3
    assert [m.split(",")[0] for m in map(str, failed.value.errors)] == [
        "posts.csv line 2", "persons.csv line 2", "tenures.csv line 4"]


def test_the_error_report_is_capped_with_the_total_count(store: GraphStore, settings: Settings,
                                                         tmp_path: Path) -> None:
    folder = tmp_path / "input"
    shutil.copytree(MINI, folder)
    for i in range(120):
        append(folder, "persons.csv", f"PER-X{i},名{i},M,year{i}")
    with pytest.raises(ValidationFailed) as failed:
        load_path(folder, store, settings=settings, max_errors=10)
    assert len(failed.value.errors) == 10 and failed.value.total == 120
    report = failed.value.report()
    assert report.startswith("120 errors in the input (first 10 shown); nothing was written.")
    assert report.endswith("… and 110 more")


# --------------------------------------------------------------------------- each fix on its own

def test_a_staff_post_held_by_two_in_the_graph_cannot_become_a_team_post(store: GraphStore, settings: Settings,
                                                                         tmp_path: Path) -> None:
    folder = tmp_path / "input"
    shutil.copytree(MINI, folder)
    append(folder, "tenures.csv", "H-9,PER-1,P-YZH-STAFF,2019-01-01,")  # staff posts may have several holders
    load_path(folder, store, settings=settings)
    before = state(store)
    _staff_post_made_a_team_post(folder)
    with pytest.raises(ValidationFailed) as failed:
        load_path(folder, store, settings=settings)
    assert [str(p) for p in failed.value.errors] == [
        "posts.csv line 2, field 'role', value 'DEPUTY': post P-YZH-STAFF has two holders at once: "
        "PER-4 (2018-01-01 to now, tenure H-6 in the graph) and PER-1 (2019-01-01 to now, tenure H-9 in the graph)"]
    assert state(store) == before


def _workbook_over_the_graph(tmp_path: Path, birth_year: Any, *, formula: bool = False) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "persons"
    ws.append(["id", "name", "birth_year"])
    ws.append(["PER-1", "张一", birth_year])
    if formula:
        ws["C2"] = "=1960+3"  # openpyxl saves no cached value: read with data_only it is empty
    p = tmp_path / "book.xlsx"
    wb.save(p)
    return p


def test_a_workbook_formula_is_an_error_and_never_erases_a_stored_value(store: GraphStore, settings: Settings,
                                                                        tmp_path: Path) -> None:
    load_path(MINI, store, settings=settings)
    before = state(store)
    with pytest.raises(ValidationFailed) as failed:
        load_path(_workbook_over_the_graph(tmp_path, None, formula=True), store, settings=settings)
    assert [str(p) for p in failed.value.errors] == [
        "book.xlsx sheet persons row 2, field 'birth_year', value '=1960+3': a formula: zeren reads values, "
        "not formulas; replace it by its value (paste as values)"]
    assert state(store) == before and before["sample"][0]["born"] == 1963


def test_a_workbook_error_value_is_an_error(store: GraphStore, settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as failed:
        load_path(_workbook_over_the_graph(tmp_path, "#N/A"), store, settings=settings)
    assert "book.xlsx sheet persons row 2, field 'birth_year', value '#N/A': an error value" in str(failed.value)


def test_two_sheets_for_one_file_are_an_error(store: GraphStore, settings: Settings, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    p = _workbook_over_the_graph(tmp_path, 1963)
    wb = load_workbook(p)
    wb.copy_worksheet(wb["persons"]).title = "persons "
    wb.save(p)
    with pytest.raises(ValidationFailed) as failed:
        load_path(p, store, settings=settings)
    assert "book.xlsx sheet persons : two sheets for persons: 'persons' and 'persons '; keep one" in str(failed.value)


HOSTILE = ['"}) MATCH (n) DETACH DELETE n //', "'}) RETURN 1 //", "back\\slash \\\" quote", "$rows ${id} {{x}}",
           "}]->(x) CREATE (y)", "😀 emoji", "中文 \u202eRTL\u200f mark", "\u2028 line separator", "`tick`",
           "\\u0000 spelled out", "CYPHER id=1 RETURN 1"]


def test_hostile_but_valid_text_is_stored_exactly_as_given(store: GraphStore, settings: Settings,
                                                            tmp_path: Path) -> None:
    folder = tmp_path / "input"
    folder.mkdir()
    write(folder, "persons.jsonl", "".join(f'{{"id": "PER-H{i}", "name": {json.dumps(v)}}}\n'
                                           for i, v in enumerate(HOSTILE)))
    load_path(folder, store, settings=settings)
    rows = store.read("MATCH (p:Person) RETURN p.id AS id, p.name AS name ORDER BY p.id")
    assert {r["id"]: r["name"] for r in rows} == {f"PER-H{i}": v.strip() for i, v in enumerate(HOSTILE)}


def test_every_code_point_but_nul_and_surrogates_round_trips_through_the_falkordb_parameters(
        store: GraphStore) -> None:
    code_points = [c for c in range(1, 0x110000) if not 0xD800 <= c <= 0xDFFF]
    texts = ["".join(map(chr, code_points[i:i + 256])) for i in range(0, len(code_points), 256)]
    texts += ['"', "\\", '\\"', "\\\\", "'", "\n", "$x", "}", "`"]
    store.write("UNWIND $texts AS t CREATE (:Probe {t: t})", {"texts": texts})
    stored = {r["t"] for r in store.read("MATCH (p:Probe) RETURN p.t AS t")}
    echoed = [r["t"] for r in store.read("UNWIND $texts AS t RETURN t", {"texts": texts})]
    assert stored == set(texts) and echoed == texts


@pytest.mark.parametrize("value", ["a\x00b", "a\ud800b"], ids=["a NUL", "a lone surrogate"])
def test_the_falkordb_store_refuses_a_parameter_it_cannot_carry_and_writes_nothing(store: GraphStore,
                                                                                    value: str) -> None:
    from zeren.graph.store.falkor import UnsendableValue

    store.write("CREATE (:Probe {t: 'kept'})")
    with pytest.raises(UnsendableValue):
        store.write("UNWIND $texts AS t CREATE (:Probe {t: t})", {"texts": ["first", value]})
    assert store.read("MATCH (p:Probe) RETURN p.t AS t") == [{"t": "kept"}]


def test_generated_malformed_inputs_of_every_kind_are_rejected_with_their_location_and_change_nothing(
        settings: Settings, tmp_path: Path) -> None:
    """Two mutations of each kind of benchmarks/badinput.py (the whole run, by hand: docs/reliability.md)."""
    spec = importlib.util.spec_from_file_location("zeren_badinput", ROOT / "benchmarks" / "badinput.py")
    assert spec and spec.loader
    badinput = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = badinput
    spec.loader.exec_module(badinput)
    out = io.StringIO()
    results = badinput.run(2 * len(badinput.Generator.KINDS), 7, settings, tmp_path, out=out)
    assert set(results) == set(badinput.Generator.KINDS)
    assert all(r["located"] == r["count"] == 2 and r["changed"] == 0 for r in results.values()), out.getvalue()
