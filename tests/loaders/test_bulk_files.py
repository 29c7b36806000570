"""The importer's CSV files of the bulk route (``zeren load --bulk``), written
from a folder of CSV files read again directly (hashed against the load
record's checksums) instead of through the validator's reading: the same
cells as the validated rows give, whatever spelling the input used, and a
file changed after validation stops the load."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from zeren.config import Settings
from zeren.graph.model import kind_for_file, loadable_kinds
from zeren.loaders.bulk import (ImportFiles, available_memory_mb, import_cells, import_command, off_heap_mb,
                               write_import_files)
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
