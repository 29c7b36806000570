"""Validation at scale: ids held compactly and CSV files converted in
stretches on several processes give exactly the errors, in the order, of
reading every file whole on one process; a hash shared by two ids never makes
a false duplicate or hides a missing reference."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from zeren.loaders import validate as validate_module
from zeren.loaders.readers import csv_spans, read_csv
from zeren.graph.model import kind
from zeren.loaders.validate import ValidationFailed, validate_source

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini"
WHOLE = {"processes": 1, "span_bytes": 1 << 30}  # every file read whole on this process
STRETCHED = {"processes": 2, "span_bytes": 300}  # stretches of 300 bytes on two worker processes


def outcome(folder: Path, *, max_errors: int = 500, **how: int) -> tuple[int, list[str], dict[str, int]]:
    """(total errors, the errors shown, the counts of a valid input)."""
    try:
        dataset = validate_source(folder, max_errors=max_errors, **how)
    except ValidationFailed as e:
        return e.total, [str(p) for p in e.errors], {}
    return 0, [], dataset.counts


def append(folder: Path, file: str, *lines: str) -> int:
    """Append lines to a file; the line number of the last one."""
    p = folder / file
    with p.open("a", encoding="utf-8") as fh:
        fh.writelines(line + "\n" for line in lines)
    return len(p.read_text(encoding="utf-8").splitlines())


def people(n: int, start: int = 100) -> list[str]:
    return [f"PER-{i},某{i},F,1970" for i in range(start, start + n)]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "input"
    shutil.copytree(MINI, target)
    return target


def test_a_duplicate_id_far_from_its_first_line_names_both_lines(folder: Path) -> None:
    append(folder, "persons.csv", *people(2000))
    line = append(folder, "persons.csv", "PER-1,张一,M,1963")
    total, errors, _ = outcome(folder, **STRETCHED)
    assert errors == [f"persons.csv line {line}, field 'id', value 'PER-1': duplicate id (first at persons.csv line 2)"]
    assert total == 1


def test_a_reference_to_a_missing_id_names_the_referring_file_line_field_and_id(folder: Path) -> None:
    append(folder, "persons.csv", *people(2000))
    line = append(folder, "tenures.csv", "H-X,PER-1999,P-NOWHERE,2020-01-01,")
    total, errors, _ = outcome(folder, **STRETCHED)
    assert errors == [f"tenures.csv line {line}, field 'post', value 'P-NOWHERE': "
                      "no Post with this id in the input or in the graph"]
    assert total == 1


def messy(folder: Path) -> None:
    """Errors of every sort spread over many stretches: duplicates (also of
    an invalid row, and given three times), missing references, bad values,
    a row with too few cells, a reference from a duplicate row (not reported)."""
    append(folder, "persons.csv", *people(500))
    append(folder, "persons.csv", "PER-2,李二,F,1970", "PER-300,x,Q,1970", "PER-301,x,F,nineteen")
    append(folder, "persons.csv", *people(500, start=1000))
    append(folder, "persons.csv", "PER-2,李二,F,1970", "PER-1200,x", "PER-1300,x,F,1971")
    append(folder, "tenures.csv", *[f"H-{i},PER-{100 + i},P-NOWHERE-{i % 7},2020-01-01," for i in range(60)])
    append(folder, "tenures.csv", "H-1,PER-404,P-NOWHERE,2020-01-01,")  # a duplicate: its references not checked
    append(folder, "tenures.csv", *[f"H-X{i},PER-{1000 + i},P-NOWHERE,2020-01-0{1 + i % 9}," for i in range(80)])


def test_errors_and_their_order_do_not_depend_on_processes_or_stretches(folder: Path) -> None:
    messy(folder)
    whole = outcome(folder, **WHOLE)
    assert whole[0] > 140
    assert outcome(folder, **STRETCHED) == whole
    assert outcome(folder, processes=1, span_bytes=300) == whole
    assert outcome(folder, processes=2, span_bytes=4096) == whole
    assert outcome(folder, max_errors=7, **STRETCHED) == outcome(folder, max_errors=7, **WHOLE)


def test_a_valid_input_counts_the_same_rows_in_stretches(folder: Path) -> None:
    append(folder, "persons.csv", *people(3000))
    whole = outcome(folder, **WHOLE)
    assert whole[0] == 0 and whole[2]["Person"] == 3006
    assert outcome(folder, **STRETCHED) == whole


def tiny_hash(keys: np.ndarray) -> np.ndarray:
    """Two hash values for all ids: nearly every id shares its hash with others."""
    return np.array([len(k) % 2 for k in keys.tolist()], dtype=np.uint64)


def test_ids_sharing_a_hash_make_no_false_duplicate_and_hide_no_missing_reference(
        folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    messy(folder)
    expected = outcome(folder, **WHOLE)
    monkeypatch.setattr(validate_module, "id_hash", tiny_hash)
    assert outcome(folder, **WHOLE) == expected
    assert outcome(folder, **STRETCHED) == expected


def test_a_valid_input_stays_valid_when_every_id_shares_a_hash(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validate_module, "id_hash", lambda keys: np.zeros(len(keys), dtype=np.uint64))
    total, errors, counts = outcome(folder, **WHOLE)
    assert (total, errors) == (0, [])
    assert counts == outcome(folder, **WHOLE)[2]


def test_a_missing_reference_sharing_the_hash_of_an_id_is_still_reported(
        folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validate_module, "id_hash", lambda keys: np.zeros(len(keys), dtype=np.uint64))
    line = append(folder, "tenures.csv", "H-X,PER-1,P-NOWHERE,2020-01-01,")
    total, errors, _ = outcome(folder, **WHOLE)
    assert errors == [f"tenures.csv line {line}, field 'post', value 'P-NOWHERE': "
                      "no Post with this id in the input or in the graph"]


def test_a_malformed_record_in_a_later_stretch_ends_the_file_as_when_read_whole(folder: Path) -> None:
    append(folder, "persons.csv", *people(500))
    line = append(folder, "persons.csv", '"PER-999"x,某,F,1970')
    append(folder, "persons.csv", *people(500, start=2000), "PER-1,张一,M,1963")  # not read: no duplicate reported
    whole = outcome(folder, **WHOLE)
    assert whole[1] == [f"persons.csv line {line}, field 'id': malformed CSV: ',' expected after '\"'; "
                        "the rest of the file is not read"]
    assert outcome(folder, **STRETCHED) == whole


def test_a_quote_inside_an_unquoted_cell_does_not_cut_a_quoted_cell_of_several_lines(folder: Path) -> None:
    # The quote in 'x"y' is a character of the name; the quoted name over two lines further down is one cell.
    append(folder, "persons.csv", *people(20), 'PER-50,x"y,F,1970', *people(20, start=200),
           '"PER-51","two\nlines",F,1970', *people(300, start=400), "PER-51,z,F,1970")
    whole = outcome(folder, **WHOLE)
    assert len(whole[1]) == 2  # the name with a line break; the duplicate PER-51
    assert outcome(folder, **STRETCHED) == whole
    assert outcome(folder, processes=1, span_bytes=64) == whole


def test_the_stretches_of_a_csv_file_read_the_rows_of_the_whole_file(folder: Path) -> None:
    # matters.csv of the mini set has doubled quotes and a quoted cell over two lines
    path, k = folder / "matters.csv", kind("PetitionMatter")
    whole = [(r.location.line, r.row) for r in read_csv(path, k, print)]
    spans = csv_spans(path, 64)
    assert len(spans) > 1
    assert spans[0].start == 0 and spans[-1].end == path.stat().st_size
    assert all(a.end == b.start for a, b in zip(spans, spans[1:]))
    stretched = [(r.location.line, r.row) for s in spans for r in read_csv(path, k, print, s)]
    assert stretched == whole
