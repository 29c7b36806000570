"""The importer's CSV files of the bulk route (``zeren load --bulk``), written
from a folder of CSV files read again directly (hashed against the load
record's checksums) instead of through the validator's reading: the same
cells as the validated rows give, whatever spelling the input used, and a
file changed after validation stops the load."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from zeren.config import Settings
from zeren.graph.model import kind_for_file, loadable_kinds
from zeren.loaders.bulk import (FileWriters, ImportFiles, add_load_record, available_memory_mb, file_groups,
                               import_cells, import_command, off_heap_mb, write_import_files)
from zeren.loaders.load import file_checksums
from zeren.loaders.readers import input_fields
from zeren.loaders.validate import InputChanged, validate_source


@pytest.fixture(scope="module")
def sample() -> Iterator[Path]:
    with resources.as_file(resources.files("zeren.data") / "sample") as folder:
        yield folder


def _record(source: Path) -> dict[str, object]:
    return {"id": "r", "source": source.name, "started_at": "2026-12-07T00:00:00+00:00",
            "files": file_checksums(source)}


def _cells(files: ImportFiles) -> dict[str, list[list[str]]]:
    return import_cells(files.folder)


def _both_ways(source: Path, tmp_path: Path, keys: Path) -> tuple[ImportFiles, ImportFiles]:
    """The files written from the validated rows and from the folder read
    again (confidential values under the key kept in ``keys``)."""
    settings = Settings(data_dir=keys)
    dataset = validate_source(source)
    validated = write_import_files(dataset, tmp_path / "validated", settings, _record(source))
    direct = write_import_files(source, tmp_path / "direct", settings, _record(source))
    return validated, direct


def _respelled(sample: Path, tmp_path: Path) -> Path:
    """The sample with every value spelled otherwise than the validator
    stores it: names, codes, dates and references padded with spaces,
    booleans in capitals, integers with a plus sign; texts padded too (kept
    as they are; a confidential one is not, or its digest would change)."""
    folder = tmp_path / "respelled"
    shutil.copytree(sample, folder)
    for p in folder.glob("*.csv"):
        k = kind_for_file(p.stem)
        assert k is not None
        types = {f.name: "confidential text" if f.type == "text" and f.confidential else f.type
                 for f in input_fields(k)}
        with p.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        for row in rows[1:]:
            for i, v in enumerate(row):
                t = types[rows[0][i]]
                if not v:
                    continue
                if t == "bool":
                    row[i] = v.upper()
                elif t == "int" and not v.startswith("-"):
                    row[i] = f"+{v}"
                elif t in ("string", "ref", "enum", "date", "list", "enumlist"):
                    row[i] = f"  {v} "
                elif t == "text":
                    row[i] = f" {v}  "  # a text keeps its spaces
        with p.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
    return folder


def test_the_files_read_again_from_the_csv_folder_hold_the_cells_of_the_validated_rows(
        sample: Path, tmp_path: Path) -> None:
    validated, direct = _both_ways(sample, tmp_path, tmp_path / "data")
    assert direct.rows == validated.rows and sum(direct.rows.values()) > 1000
    assert _cells(direct) == _cells(validated)
    assert (direct.nodes, direct.relationships) == (
        [(label, direct.folder / p.name) for label, p in validated.nodes],
        [(t, direct.folder / p.name) for t, p in validated.relationships])


def test_gzipped_files_hold_the_cells_of_the_plain_ones_under_the_same_names_with_gz(
        sample: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    plain = write_import_files(sample, tmp_path / "plain", settings, _record(sample))
    packed = write_import_files(sample, tmp_path / "gzipped", settings, _record(sample), compress=True)
    assert packed.rows == plain.rows and packed.multiline == plain.multiline
    assert [(label, p.name) for label, p in packed.nodes] == [(label, p.name + ".gz") for label, p in plain.nodes]
    assert [(t, p.name) for t, p in packed.relationships] == [(t, p.name + ".gz") for t, p in plain.relationships]
    for _, p in packed.nodes + packed.relationships:
        assert p.read_bytes()[:2] == b"\x1f\x8b", p.name  # gzip's magic number
    assert _cells(packed) == _cells(plain)
    size = sum(p.stat().st_size for p in packed.folder.iterdir())
    assert size < sum(p.stat().st_size for p in plain.folder.iterdir()) / 2


def test_the_kinds_are_shared_out_by_bytes_with_the_confidential_ones_in_one_group(
        sample: Path, tmp_path: Path) -> None:
    sizes = {k.name: p.stat().st_size for p in sample.glob("*.csv") if (k := kind_for_file(p.stem))}
    for parts in (2, 3):
        groups = file_groups(sample, parts)
        assert len(groups) == parts and all(groups)
        named = [name for g in groups for name in g or ()]
        assert sorted(named) == sorted(sizes), "every kind in exactly one group"
        weights = sorted(sum(sizes[n] for n in g or ()) for g in groups)
        assert weights[-1] - weights[0] <= max(sizes.values()), "no group heavier than another by more than a file"
    secret = {k.name for k in loadable_kinds() if any(f.confidential for f in k.fields) and k.name in sizes}
    assert secret and all(secret <= g or not (secret & g) for g in file_groups(sample, 3) if g is not None)
    assert file_groups(sample, 1) == [None]
    one = tmp_path / "one"
    one.mkdir()
    shutil.copy(sample / "territories.csv", one)
    assert file_groups(one, 2) == [None], "one file: nothing to share"
    (tmp_path / "rows.jsonl").write_text("")
    assert file_groups(tmp_path / "rows.jsonl", 2) == [None], "another input: one process reads it all"


def test_files_written_in_parts_by_groups_of_kinds_are_the_files_written_at_once(
        sample: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    whole = write_import_files(sample, tmp_path / "whole", settings, _record(sample))
    folder = tmp_path / "parts"
    parts = [write_import_files(sample, folder, settings, _record(sample), only=g, load_record=False)
             for g in file_groups(sample, 3)]
    assert not any(p.name == "node-LoadRecord.csv" for part in parts for _, p in part.nodes)
    joined = add_load_record(parts, _record(sample))
    assert joined.rows == whole.rows and joined.multiline == whole.multiline
    assert sorted(joined.nodes) == sorted((label, folder / p.name) for label, p in whole.nodes)
    assert sorted(joined.relationships) == sorted((t, folder / p.name) for t, p in whole.relationships)
    assert _cells(joined) == _cells(whole)
    with (folder / "node-LoadRecord.csv").open(encoding="utf-8", newline="") as fh:
        header, row = list(csv.reader(fh))
    counts = row[[h.split(":")[0] for h in header].index("counts")]
    assert counts == json.dumps({n: {"rows": r, "created": r, "updated": 0} for n, r in whole.rows.items()},
                                sort_keys=True), "the load record counts the rows of every part"


def test_the_writing_processes_give_the_files_written_at_once_and_stop_on_a_changed_file(
        sample: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    whole = write_import_files(sample, tmp_path / "whole", settings, _record(sample))
    writing = FileWriters(sample, tmp_path / "shared", settings, _record(sample), writers=2)
    try:
        assert len(writing.children) == 2
        shared, seconds = writing.result()
    finally:
        writing.stop()
    assert seconds > 0 and shared.rows == whole.rows and _cells(shared) == _cells(whole)

    folder = tmp_path / "input"
    shutil.copytree(sample, folder)
    record = _record(folder)
    persons = folder / "persons.csv"
    persons.write_text(persons.read_text(encoding="utf-8").replace("\n", "\n\n", 1), encoding="utf-8")
    writing = FileWriters(folder, tmp_path / "changed", settings, record, writers=2)
    try:
        with pytest.raises(InputChanged, match="persons.csv changed after it was validated"):
            writing.result()
    finally:
        writing.stop()
    assert not any(child.is_alive() for child, _ in writing.children)


def test_values_spelled_otherwise_are_written_as_the_validator_stores_them(sample: Path, tmp_path: Path) -> None:
    respelled = _respelled(sample, tmp_path)
    validated, direct = _both_ways(respelled, tmp_path, tmp_path / "data")
    cells = _cells(direct)
    assert cells == _cells(validated)
    # ... which is the sample's own spelling (trimmed, true/false, no plus sign) but for the texts' spaces
    _, plain = _both_ways(sample, tmp_path / "plain", tmp_path / "data")
    texts = {f.name for k in loadable_kinds() for f in input_fields(k) if f.type == "text"}
    unpadded = {}
    for name, rows in cells.items():
        padded = [i for i, h in enumerate(rows[0]) if h.split(":")[0] in texts]
        unpadded[name] = [[c.strip() if i in padded else c for i, c in enumerate(r)] for r in rows]
    assert unpadded == _cells(plain)
    header = cells["node-PetitionMatter.csv"][0]
    summaries = [r[header.index("summary")] for r in cells["node-PetitionMatter.csv"][1:] if r[header.index("summary")]]
    assert summaries and all(s.startswith(" ") and s.endswith("  ") for s in summaries)


def test_a_file_changed_after_validation_stops_the_files_with_input_changed(sample: Path, tmp_path: Path) -> None:
    folder = tmp_path / "input"
    shutil.copytree(sample, folder)
    record = _record(folder)
    persons = folder / "persons.csv"
    text = persons.read_text(encoding="utf-8")
    persons.write_text(text.replace("\n", "\n\n", 1), encoding="utf-8")  # a blank line: still valid, not the same
    with pytest.raises(InputChanged, match="persons.csv changed after it was validated"):
        write_import_files(folder, tmp_path / "files", Settings(data_dir=tmp_path / "data"), record)


def test_a_file_that_no_longer_parses_stops_the_files_with_input_changed(sample: Path, tmp_path: Path) -> None:
    folder = tmp_path / "input"
    shutil.copytree(sample, folder)
    record = _record(folder)
    persons = folder / "persons.csv"
    persons.write_text(persons.read_text(encoding="utf-8") + "P-X,\"unclosed\n", encoding="utf-8")
    with pytest.raises(InputChanged, match="persons.csv"):
        write_import_files(folder, tmp_path / "files", Settings(data_dir=tmp_path / "data"), record)


def test_the_importer_is_given_the_available_memory_less_its_heap_not_its_default_share_of_free_memory(
        tmp_path: Path) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       24683740 kB\nMemFree:          218726 kB\nMemAvailable:   19922944 kB\n")
    assert available_memory_mb(meminfo) == 19456
    assert available_memory_mb(tmp_path / "absent") is None
    assert off_heap_mb(2048, 19456) == int(19456 * 0.9) - 2048
    assert off_heap_mb(2048, 1000) == 256  # never less than the importer's smallest useful share
    assert off_heap_mb(2048, None) is None  # unknown: the importer's own default
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "neo4j-import-tool-5.26.0.jar").write_bytes(b"")
    files = ImportFiles(tmp_path / "files")
    cmd = import_command(files, tmp_path / "home", "neo4j", lib=lib, heap_mb=2048, available_mb=19456)
    assert f"--max-off-heap-memory={int(19456 * 0.9) - 2048}m" in cmd
    assert "-Xmx2048m" in cmd
