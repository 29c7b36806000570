"""The loader: same graph from CSV, JSON Lines and a workbook; idempotent
reloads; references that move; interrupted loads that converge; confidential
fields never in plain text; the load record."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from zeren.graph.confidential import Protector, load_or_create_key, normalise_identity
from zeren.graph.model import NODES, RELS, NodeKind, RelKind, kind, loadable_kinds
from zeren.graph.schema import UNKEYED, keyed, setup_schema
from zeren.config import Settings
from zeren.graph.store import GraphStore, open_store
from zeren.graph.store.base import ConstraintViolation
from zeren.loaders.load import cli_load, cli_sample, load_path
from zeren.loaders.readers import Location, input_fields, read_source
from zeren.loaders.validate import ErrorLog, convert_row
from zeren.loaders import writer as writer_module
from zeren.loaders.writer import (REF_HELD, KeyTable, holds_row, ident, node_create_query, node_with_refs_query,
                                  prepare_row, queries_for, stale_ref_query, stored_nodes)

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini"
PETITIONER = "刘某某, resident of 7 Jiefangbei Rd"
ACCUSATION_PARTS = ("The director ignored our letters", "told the contractor who wrote them")


@pytest.fixture
def store(any_store: GraphStore) -> GraphStore:
    """Every loader test that writes a graph runs on both stores: the embedded
    FalkorDB and Neo4j."""
    return any_store


# --------------------------------------------------------------------------- helpers

@contextmanager
def other_graph(settings: Settings, suffix: str) -> Iterator[GraphStore]:
    """A second empty graph on the same embedded server."""
    s = open_store(settings.model_copy(update={"graph_name": f"{settings.graph_name}_{suffix}"}))
    try:
        yield s
    finally:
        s.clear()
        s.close()


def snapshot(store: GraphStore, *, mask_ciphertext: bool = False) -> dict[str, Any]:
    """Every node and relationship with its properties, load records left out;
    ciphertexts masked when asked (encryption is randomised per graph)."""

    def props(p: dict[str, Any]) -> dict[str, Any]:
        return {k: ("<enc>" if mask_ciphertext and k.endswith("_enc") else v) for k, v in p.items()}

    nodes = store.read("MATCH (n) WHERE NOT n:LoadRecord RETURN labels(n) AS labels, properties(n) AS p")
    rels = store.read("MATCH (a)-[r]->(b) RETURN type(r) AS t, a.id AS a, b.id AS b, properties(r) AS p")
    return {
        "nodes": sorted((tuple(sorted(n["labels"])), json.dumps(props(n["p"]), sort_keys=True, default=str))
                        for n in nodes),
        "rels": sorted((r["t"], r["a"], r["b"], json.dumps(props(r["p"]), sort_keys=True, default=str))
                       for r in rels),
    }


def node(store: GraphStore, label: str, key: str) -> dict[str, Any]:
    rows = store.read(f"MATCH (n:{ident(label)} {{id: $id}}) RETURN properties(n) AS p", {"id": key})
    assert len(rows) == 1, f"{label} {key}: {len(rows)} nodes"
    return rows[0]["p"]


def targets(store: GraphStore, label: str, key: str, rel: str) -> list[str]:
    rows = store.read(f"MATCH (n:{ident(label)} {{id: $id}})-[:{ident(rel)}]->(t) RETURN t.id AS id ORDER BY id",
                      {"id": key})
    return [r["id"] for r in rows]


def copy_mini(tmp_path: Path) -> Path:
    dest = tmp_path / "mini"
    shutil.copytree(MINI, dest)
    return dest


def edit(folder: Path, file: str, old: str, new: str) -> None:
    p = folder / file
    text = p.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    p.write_text(text.replace(old, new, 1), encoding="utf-8")


def typed_rows(folder: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(file stem, converted row) for every row of a folder."""
    log = ErrorLog()
    for raw in read_source(folder):
        row, ok = convert_row(raw, log)
        assert ok, log.problems
        yield raw.kind.file, row


def write_jsonl(src: Path, dest: Path) -> Path:
    dest.mkdir()
    for stem, row in typed_rows(src):
        line = json.dumps({k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()},
                          ensure_ascii=False)
        with (dest / f"{stem}.jsonl").open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
    return dest


def write_workbook(src: Path, dest: Path) -> Path:
    """A workbook with native cells: numbers, booleans and dates as such."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    sheets: dict[str, Any] = {}
    for stem, row in typed_rows(src):
        if stem not in sheets:
            sheets[stem] = wb.create_sheet(stem)
            sheets[stem].append([f.name for f in input_fields(_kind_of(stem))])
        cells = [row.get(f.name) for f in input_fields(_kind_of(stem))]
        sheets[stem].append([";".join(c) if isinstance(c, list) else c for c in cells])
    wb.save(dest)
    return dest


def _kind_of(stem: str) -> Any:
    return next(k for k in loadable_kinds() if k.file == stem)


# --------------------------------------------------------------------------- formats

def test_csv_jsonl_and_workbook_inputs_give_the_same_graph(store: GraphStore, settings: Settings,
                                                           tmp_path: Path) -> None:
    load_path(MINI, store, settings=settings)
    expected = snapshot(store, mask_ciphertext=True)
    jsonl = write_jsonl(MINI, tmp_path / "jsonl")
    workbook = write_workbook(MINI, tmp_path / "mini.xlsx")
    for suffix, source in (("jsonl", jsonl), ("xlsx", workbook)):
        with other_graph(settings, suffix) as other:
            summary = load_path(source, other, settings=settings)
            assert summary.rows == sum(1 for _ in read_source(MINI))
            assert snapshot(other, mask_ciphertext=True) == expected, source.name


def test_the_graph_has_native_dates_lists_ints_bools_and_reference_relationships(store: GraphStore,
                                                                                 settings: Settings) -> None:
    load_path(MINI, store, settings=settings)
    m = node(store, "PetitionMatter", "M-1")
    assert m["received_on"] == date(2018, 5, 10)
    assert m["headcount"] == 12 and m["litigation_related"] is False
    assert m["summary"] == 'Residents say the "renovation" stalled, again'
    assert node(store, "Institution", "YZ-HOUSING")["remit"] == ["HOUSING", "LAND"]
    assert node(store, "Territory", "500103")["parent"] == "500000"
    assert targets(store, "Territory", "500103", "PART_OF") == ["500000"]
    tenure = store.read("MATCH (:Person {id: 'PER-1'})-[h:HOLDS]->(:Post {id: 'P-YZ-MAYOR'}) "
                        "RETURN properties(h) AS p")
    assert tenure == [{"p": {"id": "H-1", "valid_from": date(2015, 1, 1), "valid_to": date(2019, 12, 31)}}]


def test_locations_render_as_file_line_or_sheet_row(tmp_path: Path) -> None:
    rows = list(read_source(MINI))
    matters = [r for r in rows if r.kind.name == "PetitionMatter"]
    assert [str(r.location) for r in matters] == ["matters.csv line 2", "matters.csv line 4", "matters.csv line 5"]
    assert str(Location("book.xlsx", 12, "matters")) == "book.xlsx sheet matters row 12"


# --------------------------------------------------------------------------- idempotency

def test_loading_twice_leaves_the_same_graph(store: GraphStore, settings: Settings) -> None:
    first = load_path(MINI, store, settings=settings)
    before = snapshot(store)
    second = load_path(MINI, store, settings=settings)
    assert snapshot(store) == before  # byte-identical, ciphertexts included
    assert all(k.created == k.rows for k in first.kinds)
    assert all(k.created == 0 and k.updated == k.rows for k in second.kinds)
    assert store.read("MATCH (r:LoadRecord) RETURN count(r) AS n") == [{"n": 2}]


def test_a_reload_of_the_last_loads_files_is_skipped_without_a_write(store: GraphStore, settings: Settings,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_path(MINI, store, settings=settings)
    before = snapshot(store)
    log = WriteLog(store)
    monkeypatch.setattr(store, "write", log)
    again = load_path(MINI, store, settings=settings, skip_unchanged=True)
    assert again.unchanged and again.load_id == first.load_id and not again.kinds
    assert log.sent == [] and snapshot(store) == before
    monkeypatch.undo()
    forced = load_path(MINI, store, settings=settings)  # not asked to skip: validated and written again
    assert not forced.unchanged and forced.load_id != first.load_id
    assert all(k.created == 0 and k.updated == k.rows for k in forced.kinds)


def test_a_reload_is_not_skipped_when_a_file_changed_or_another_load_came_after(
        store: GraphStore, settings: Settings, tmp_path: Path) -> None:
    load_path(MINI, store, settings=settings)
    changed = copy_mini(tmp_path)
    edit(changed, "matters.csv", 'Residents say the ""renovation"" stalled, again', "Renovation resumed")
    summary = load_path(changed, store, settings=settings, skip_unchanged=True)  # one file differs
    assert not summary.unchanged and summary["PetitionMatter"].rows
    assert node(store, "PetitionMatter", "M-1")["summary"] == "Renovation resumed"
    # The last load read the changed folder: MINI's files are not what it read.
    back = load_path(MINI, store, settings=settings, skip_unchanged=True)
    assert not back.unchanged
    assert node(store, "PetitionMatter", "M-1")["summary"] != "Renovation resumed"
    assert load_path(MINI, store, settings=settings, skip_unchanged=True).unchanged


def test_a_reload_after_a_load_that_stopped_half_way_is_not_skipped(store: GraphStore, settings: Settings) -> None:
    load_path(MINI, store, settings=settings)
    calls = 0

    def stop_after_two_batches(kind_name: str, done: int, total: int) -> None:
        nonlocal calls
        calls += bool(done)
        if calls > 2:
            raise KeyboardInterrupt("killed half-way")

    with pytest.raises(KeyboardInterrupt):
        load_path(MINI, store, settings=settings, progress=stop_after_two_batches)
    summary = load_path(MINI, store, settings=settings, skip_unchanged=True)
    assert not summary.unchanged and summary.kinds


def test_a_changed_reference_on_reload_moves_the_relationship(store: GraphStore, settings: Settings,
                                                              tmp_path: Path) -> None:
    load_path(MINI, store, settings=settings)
    changed = copy_mini(tmp_path)
    edit(changed, "institutions.csv", "WORKING_DEPARTMENT,COUNTY,500103,YZ-GOV,HOUSING",
         "WORKING_DEPARTMENT,COUNTY,500103,CQ-GOV,HOUSING")
    edit(changed, "tenures.csv", "H-6,PER-4,P-YZH-STAFF", "H-6,PER-1,P-YZH-STAFF")
    summary = load_path(changed, store, settings=settings)
    assert targets(store, "Institution", "YZ-HOUSING", "UNDER") == ["CQ-GOV"]
    assert node(store, "Institution", "YZ-HOUSING")["parent"] == "CQ-GOV"
    holders = store.read("MATCH (p:Person)-[h:HOLDS {id: 'H-6'}]->(:Post) RETURN p.id AS person")
    assert holders == [{"person": "PER-1"}]
    assert summary["HOLDS"].created == 0  # moved, not new


def test_a_field_emptied_on_reload_is_removed(store: GraphStore, settings: Settings, tmp_path: Path) -> None:
    load_path(MINI, store, settings=settings)
    changed = copy_mini(tmp_path)
    edit(changed, "institutions.csv", "PETITION_DEPARTMENT,COUNTY,500103,YZ-GOV,,",
         "PETITION_DEPARTMENT,COUNTY,500103,,,")
    edit(changed, "matters.csv", "补偿标准,\"  刘某某,   resident of 7 Jiefangbei Rd \",", "补偿标准,,")
    load_path(changed, store, settings=settings)
    xfb = node(store, "Institution", "YZ-XFB")
    assert "parent" not in xfb and targets(store, "Institution", "YZ-XFB", "UNDER") == []
    m2 = node(store, "PetitionMatter", "M-2")
    assert not {"petitioner_enc", "petitioner_digest", "petitioner_pseudonym"} & m2.keys()


def test_an_interrupted_load_converges_to_a_clean_load(store: GraphStore, settings: Settings) -> None:
    small = settings.model_copy(update={"batch_size": 2})
    calls = 0

    def stop_after_five_batches(kind_name: str, done: int, total: int) -> None:
        nonlocal calls
        if done:
            calls += 1
            if calls > 5:
                raise KeyboardInterrupt("killed half-way")

    with pytest.raises(KeyboardInterrupt):
        load_path(MINI, store, settings=small, progress=stop_after_five_batches)
    partial = snapshot(store)
    load_path(MINI, store, settings=small)
    with other_graph(settings, "clean") as clean:
        load_path(MINI, clean, settings=settings)
        assert partial != snapshot(clean, mask_ciphertext=True)
        assert snapshot(store, mask_ciphertext=True) == snapshot(clean, mask_ciphertext=True)
    unfinished = store.read("MATCH (r:LoadRecord) WHERE r.finished_at IS NULL RETURN count(r) AS n")
    assert unfinished == [{"n": 1}]


class WriteLog:
    """Wraps a store's ``write`` and keeps every write query sent, with its parameters."""

    def __init__(self, store: GraphStore) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self._write = store.write

    def __call__(self, query: str, params: dict[str, Any] | None = None) -> Any:
        self.sent.append((query, params or {}))
        return self._write(query, params)

    @property
    def queries(self) -> list[str]:
        return [q for q, _ in self.sent]


def test_new_nodes_are_created_changed_ones_merged_and_the_others_left_alone(
        store: GraphStore, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = WriteLog(store)
    sent = log.sent
    monkeypatch.setattr(store, "write", log)
    kinds = {r.kind.name for r in read_source(MINI) if isinstance(r.kind, NodeKind)}
    creates = {node_create_query(k): k for k in kinds}
    merges = {node_with_refs_query(k): k for k in kinds}
    load_path(MINI, store, settings=settings)
    assert {creates[q] for q, _ in sent if q in creates} == kinds
    assert not [q for q, _ in sent if q in merges]
    sent.clear()
    load_path(MINI, store, settings=settings)
    assert not [q for q, _ in sent if q in creates or q in merges]  # every node already holds its row
    sent.clear()
    changed = copy_mini(tmp_path)
    edit(changed, "matters.csv", 'Residents say the ""renovation"" stalled, again', "Renovation resumed")
    load_path(changed, store, settings=settings)
    assert [(merges[q], [r["id"] for r in p["rows"]]) for q, p in sent if q in merges] == [("PetitionMatter", ["M-1"])]
    assert not [q for q, _ in sent if q in creates]
    assert node(store, "PetitionMatter", "M-1")["summary"] == "Renovation resumed"


def test_a_node_holds_its_row_only_when_every_property_matches(store: GraphStore, settings: Settings) -> None:
    load_path(MINI, store, settings=settings)
    k = NODES["PetitionMatter"]
    typed = next(row for stem, row in typed_rows(MINI) if stem == k.file and row["id"] == "M-1")
    row = prepare_row(k, typed, Protector.from_settings(settings))
    node = stored_nodes(store, k, ["M-1", "M-404"])
    assert list(node) == ["M-1"]
    held = node["M-1"]
    assert isinstance(held["received_on"], date) and holds_row(k, held, row)
    assert not holds_row(k, held, {**row, "received_on": "2018-05-11"})
    assert not holds_row(k, held, {**row, "headcount": row["headcount"] + 1})
    assert not holds_row(k, held, {**row, "headcount": float(row["headcount"])})  # same number, other type
    assert not holds_row(k, held, {**row, "closed_on": None})  # a field to remove
    assert not holds_row(k, {**held, "petitioner": "刘某某"}, row)  # plain text where none belongs
    assert not holds_row(k, {key: v for key, v in held.items() if key != "petitioner_enc"}, row)
    other = prepare_row(k, {**typed, "petitioner": "周某"}, Protector.from_settings(settings))
    assert not holds_row(k, held, other)


def test_creating_and_merging_write_the_same_graph(store: GraphStore, settings: Settings,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Every node merged, as if each were already in the graph, gives the
    graph that creating the new ones gives: same properties, same references."""
    load_path(MINI, store, settings=settings)
    created = snapshot(store, mask_ciphertext=True)
    with other_graph(settings, "merged") as merged:
        log = WriteLog(merged)
        monkeypatch.setattr(writer_module, "node_create_query", writer_module.node_with_refs_query)
        monkeypatch.setattr(merged, "write", log)
        load_path(MINI, merged, settings=settings)
        assert snapshot(merged, mask_ciphertext=True) == created
    assert not any(q.lstrip().startswith("UNWIND $rows AS row\nCREATE") for q in log.queries)


def test_a_node_another_writer_created_after_the_look_up_is_merged_not_doubled(
        any_store: GraphStore, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The look-up said the matters were new, but they were in the graph by
    the time of the write: the key's unique constraint refuses the CREATE,
    nothing of it is kept, and the batch is merged instead."""
    load_path(MINI, any_store, settings=settings)
    links = "MATCH (m:PetitionMatter)-[r]->(t) RETURN m.id AS m, type(r) AS r, t.id AS t ORDER BY m, r, t"
    links_before = any_store.read(links)
    changed = copy_mini(tmp_path)
    edit(changed, "matters.csv", 'Residents say the ""renovation"" stalled, again', "Renovation resumed")
    real = writer_module.stored_nodes
    looked_up: list[str] = []

    def first_matter_look_up_blind(store: GraphStore, k: NodeKind, ids: Any) -> dict[str, dict[str, Any]]:
        found = real(store, k, ids)
        if k.name == "PetitionMatter":
            looked_up.append(k.name)
            if len(looked_up) == 1:
                assert found, "the matters should be in the graph already"
                return {}
        return found

    log = WriteLog(any_store)
    monkeypatch.setattr(any_store, "write", log)
    monkeypatch.setattr(writer_module, "stored_nodes", first_matter_look_up_blind)
    summary = load_path(changed, any_store, settings=settings)
    assert node_create_query("PetitionMatter") in log.queries  # tried, and refused
    assert len(looked_up) == 2  # looked up again before merging
    assert any_store.read("MATCH (m:PetitionMatter) RETURN count(m) AS n") == [{"n": 3}]
    assert node(any_store, "PetitionMatter", "M-1")["summary"] == "Renovation resumed"
    assert any_store.read(links) == links_before
    assert next(k for k in summary.kinds if k.kind == "PetitionMatter").created == 0


def test_a_reload_deletes_only_the_references_that_moved(store: GraphStore, settings: Settings, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A reference whose stored target id is the row's keeps its relationship
    without a deletion query; one that moved gets the query, for its row only."""
    load_path(MINI, store, settings=settings)
    log = WriteLog(store)
    sent = log.sent
    monkeypatch.setattr(store, "write", log)
    other_kind_refs = [(k.name, f.name) for k in NODES.values() for f in k.refs if f.ref != k.name]
    deletions = {stale_ref_query(k, f) for k, f in other_kind_refs}
    load_path(MINI, store, settings=settings)
    assert not [q for q, _ in sent if q in deletions]
    sent.clear()
    changed = copy_mini(tmp_path)
    edit(changed, "tenures.csv", "H-6,PER-4,P-YZH-STAFF", "H-6,PER-1,P-YZH-STAFF")  # a relationship kind: no ref
    edit(changed, "posts.csv", "P-YZH-STAFF,科员,STAFF,YZ-HOUSING", "P-YZH-STAFF,科员,STAFF,YZ-XFB")
    load_path(changed, store, settings=settings)
    sent_deletions = [(q, p["rows"]) for q, p in sent if q in deletions]
    assert sent_deletions == [(stale_ref_query("Post", "institution"),
                               [{"id": "P-YZH-STAFF", "institution": "YZ-XFB"}])]
    assert targets(store, "Post", "P-YZH-STAFF", "POST_AT") == ["YZ-XFB"]


def test_a_parent_written_in_a_later_batch_than_its_child_is_still_linked(store: GraphStore,
                                                                         settings: Settings) -> None:
    load_path(MINI, store, settings=settings.model_copy(update={"batch_size": 1}))
    assert targets(store, "Territory", "500103", "PART_OF") == ["500000"]  # 500000 comes two rows later
    with other_graph(settings, "one_batch") as one_batch:
        load_path(MINI, one_batch, settings=settings)
        assert snapshot(store, mask_ciphertext=True) == snapshot(one_batch, mask_ciphertext=True)


def test_a_staff_post_may_have_two_holders_at_once(store: GraphStore, settings: Settings, tmp_path: Path) -> None:
    folder = copy_mini(tmp_path)
    with (folder / "tenures.csv").open("a", encoding="utf-8") as fh:
        fh.write("H-7,PER-1,P-YZH-STAFF,2019-01-01,\n")
    assert load_path(folder, store, settings=settings)["HOLDS"].rows == 7


# --------------------------------------------------------------------------- confidentiality

def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_confidential_values_are_never_stored_in_plain_text(store: GraphStore, settings: Settings) -> None:
    load_path(MINI, store, settings=settings)
    everything = store.read("MATCH (n) RETURN properties(n) AS p UNION ALL MATCH ()-[r]->() RETURN properties(r) AS p")
    secrets = ("刘某某", "Jiefangbei", "陈某", *ACCUSATION_PARTS)
    for row in everything:
        for key, value in row["p"].items():
            assert key not in ("petitioner", "accusation")
            for text in _strings(value):
                assert not any(s in text for s in secrets), (key, text)
    m1 = node(store, "PetitionMatter", "M-1")
    protector = Protector.from_settings(settings)
    assert protector.decrypt(m1["petitioner_enc"]) == PETITIONER
    assert all(part in protector.decrypt(m1["accusation_enc"]) for part in ACCUSATION_PARTS)


def test_the_same_petitioner_gets_the_same_pseudonym(store: GraphStore, settings: Settings) -> None:
    load_path(MINI, store, settings=settings)
    p1, p2, p3 = (node(store, "PetitionMatter", m)["petitioner_pseudonym"] for m in ("M-1", "M-2", "M-3"))
    assert p1 == p2 != p3
    assert "accusation_pseudonym" not in node(store, "PetitionMatter", "M-1")


def test_a_changed_petitioner_is_encrypted_again(store: GraphStore, settings: Settings, tmp_path: Path) -> None:
    load_path(MINI, store, settings=settings)
    before = node(store, "PetitionMatter", "M-3")
    changed = copy_mini(tmp_path)
    edit(changed, "matters.csv", ",陈某,", ",周某,")
    load_path(changed, store, settings=settings)
    after = node(store, "PetitionMatter", "M-3")
    assert after["petitioner_enc"] != before["petitioner_enc"]
    assert Protector.from_settings(settings).decrypt(after["petitioner_enc"]) == "周某"
    assert after["petitioner_pseudonym"] != before["petitioner_pseudonym"]


def test_pseudonyms_ignore_spacing_and_width_but_not_the_name() -> None:
    p = Protector(_key())
    spellings = ("刘某某  (resident)", " 刘某某\u3000(resident) ", "刘某某 （resident）")
    assert len({p.pseudonym(s) for s in spellings}) == 1
    assert p.pseudonym("刘某某") != p.pseudonym("刘某")
    assert normalise_identity("  A\tB  ") == "a b"
    token = p.encrypt("x")
    assert token != p.encrypt("x") and p.decrypt(token) == "x"


def _key() -> bytes:
    from cryptography.fernet import Fernet

    return Fernet.generate_key()


def test_the_secret_key_file_is_created_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "secret.key"
    key = load_or_create_key(path)
    assert load_or_create_key(path) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    os.chmod(path, 0o644)
    with pytest.raises(Exception, match="chmod 600"):
        load_or_create_key(path)


def test_a_configured_secret_key_is_used_and_no_key_file_written(tmp_path: Path) -> None:
    key = _key().decode()
    s = Settings(data_dir=tmp_path, secret_key=key)
    token = Protector(key).encrypt("x")
    assert Protector.from_settings(s).decrypt(token) == "x"
    assert not (tmp_path / "secret.key").exists()


# --------------------------------------------------------------------------- load record, summary

def test_the_load_record_holds_checksums_and_counts(store: GraphStore, settings: Settings) -> None:
    import hashlib

    summary = load_path(MINI, store, settings=settings)
    record = node(store, "LoadRecord", summary.load_id)
    assert record["source"] == "mini"
    expected = {f"{p.name}:{hashlib.sha256(p.read_bytes()).hexdigest()}" for p in MINI.glob("*.csv")}
    assert set(record["files"]) == expected
    assert record["started_at"] <= record["finished_at"]
    assert json.loads(record["counts"])["Person"] == {"rows": 6, "created": 6, "updated": 0}


def test_the_summary_gives_rows_created_updated_and_speed_per_kind(store: GraphStore, settings: Settings) -> None:
    summary = load_path(MINI, store, settings=settings)
    assert [k.kind for k in summary.kinds] == [k.name for k in loadable_kinds()]
    persons = summary["Person"]
    assert (persons.rows, persons.created, persons.updated) == (6, 6, 0)
    assert persons.seconds > 0 and persons.rows_per_second > 0


# --------------------------------------------------------------------------- the writer's Cypher

def test_writer_cypher_names_come_from_the_model_only() -> None:
    names = {k.name for k in [*NODES.values(), *RELS.values()]}
    names |= {f.name for k in loadable_kinds() for f in input_fields(k)}
    names |= {f.rel for k in NODES.values() for f in k.refs if f.rel}
    for k in loadable_kinds():
        for q in queries_for(k):  # the rows, or the ids looked up, as parameters; or no value at all
            assert (("$rows" in q and "UNWIND" in q) or ("$ids" in q and "RETURN" in q)
                    or ("$" not in q and "'" not in q and '"' not in q and "RETURN" in q)), q
    with pytest.raises(ValueError):
        ident("Person) DETACH DELETE (n")
    assert all(ident(n) == n for n in names)


def test_every_reference_to_another_kind_points_to_a_kind_written_before() -> None:
    """The writer relies on it: a node's reference relationship is written
    with the node, so its target must exist by then; a node that holds its
    row is then not written again."""
    order = [k.name for k in loadable_kinds()]
    assert all(f.ref in order for k in loadable_kinds() if isinstance(k, NodeKind) for f in k.refs)
    forward = [(k.name, f.name) for k in loadable_kinds() if isinstance(k, NodeKind)
               for f in k.refs if f.ref != k.name and order.index(f.ref or "") > order.index(k.name)]
    assert forward == []


def test_reference_relationship_types_do_not_clash() -> None:
    """The writer deletes a stale reference by its type from its kind: that
    needs one type per ref of a kind, and none shared with a relationship kind."""
    for k in NODES.values():
        types = [f.rel for f in k.refs]
        assert len(types) == len(set(types)), k.name
        assert not set(types) & set(RELS), k.name


# --------------------------------------------------------------------------- command line

def test_cli_load_prints_a_summary_and_exits_zero(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_load(MINI, settings) == 0
    out = capsys.readouterr().out
    assert "matters" in out and "created" in out and "rows/s" in out
    with open_store(settings) as s:
        assert node(s, "Person", "PER-1")["name"] == "张一"
        s.clear()


def test_cli_load_of_unchanged_files_says_so_and_force_loads_them_again(
        settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_load(MINI, settings) == 0
    capsys.readouterr()
    assert cli_load(MINI, settings) == 0
    out = capsys.readouterr().out
    assert "Unchanged since load" in out and "nothing was validated or written" in out and "rows/s" not in out
    assert cli_load(MINI, settings, force=True) == 0
    assert "rows/s" in capsys.readouterr().out
    with open_store(settings) as s:
        assert s.read("MATCH (r:LoadRecord) RETURN count(r) AS n") == [{"n": 2}]
        s.clear()


def test_a_load_gives_its_queries_the_servers_ceiling_for_a_timeout(settings: Settings,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import zeren.graph.store as stores

    opened: list[Settings] = []
    real = stores.open_store

    def recording(s: Settings | None = None) -> GraphStore:
        assert s is not None
        opened.append(s)
        return real(s)

    monkeypatch.setattr(stores, "open_store", recording)
    assert cli_load(MINI, settings) == 0 and cli_sample(settings) == 0
    assert [s.query_timeout_ms for s in opened] == [settings.max_timeout_ms] * 2
    assert settings.query_timeout_ms < settings.max_timeout_ms
    with real(settings) as s:
        s.clear()


def test_cli_load_of_invalid_input_prints_the_report_and_exits_two(settings: Settings, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder = copy_mini(tmp_path)
    edit(folder, "posts.csv", "PRINCIPAL,YZ-GOV", "CHIEF,YZ-GOV")
    assert cli_load(folder, settings) == 2
    err = capsys.readouterr().err
    assert "posts.csv line 2, field 'role', value 'CHIEF': unknown PostRole code" in err
    with open_store(settings) as s:
        assert s.read("MATCH (n) RETURN count(n) AS n") == [{"n": 0}]


def _sample_folder() -> Path:
    from importlib import resources

    return Path(str(resources.files("zeren.data") / "sample"))


@pytest.mark.skipif(not any(_sample_folder().glob("*.csv")) and not any(_sample_folder().glob("*.jsonl")),
                    reason="the bundled sample data is not written yet")
def test_cli_sample_loads_regulations_and_sample(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_sample(settings) == 0
    out = capsys.readouterr().out
    assert "Regulations" in out and "PetitionMatter" in out
    with open_store(settings) as s:
        assert s.read("MATCH (n:Article) RETURN count(n) > 0 AS ok") == [{"ok": True}]
        s.clear()


def test_kinds_in_mini_cover_every_loadable_file() -> None:
    stems = {p.stem for p in MINI.glob("*.csv")}
    assert stems == {k.file for k in loadable_kinds()}
    assert kind("HOLDS").file == "tenures"
    with (MINI / "tenures.csv").open(encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == ["id", "person", "post", "valid_from", "valid_to"]


# --------------------------------------------------------------------------- both engines

def test_the_loader_writes_the_same_graph_on_both_engines(any_store: GraphStore, settings: Settings,
                                                          tmp_path: Path) -> None:
    """The writer's Cypher runs on FalkorDB and on the Neo4j side alike:
    same graph, idempotent reload, moved references."""
    load_path(MINI, any_store, settings=settings)
    load_path(MINI, any_store, settings=settings)
    with other_graph(settings, "reference") as reference:
        load_path(MINI, reference, settings=settings)
        assert snapshot(any_store, mask_ciphertext=True) == snapshot(reference, mask_ciphertext=True)
    changed = copy_mini(tmp_path)
    edit(changed, "tenures.csv", "H-6,PER-4,P-YZH-STAFF", "H-6,PER-1,P-YZH-STAFF")
    load_path(changed, any_store, settings=settings)
    assert any_store.read("MATCH (p:Person)-[:HOLDS {id: 'H-6'}]->() RETURN p.id AS id") == [{"id": "PER-1"}]


def test_an_input_changed_between_validation_and_writing_stops_the_load(tmp_path: Path) -> None:
    from zeren.loaders.validate import InputChanged, validate_source

    folder = copy_mini(tmp_path)
    dataset = validate_source(folder)
    edit(folder, "persons.csv", "张一,M,1963", "张一,M,old")
    with pytest.raises(InputChanged, match="persons.csv line 2"):
        for _, rows in dataset.rows():
            list(rows)


def test_an_input_changed_during_the_load_stops_it_with_the_file_and_line(store: GraphStore, settings: Settings,
                                                                        tmp_path: Path) -> None:
    # Validation passed; a file edited while the loader writes is caught when
    # its rows are read again, and nothing of that kind is written.
    from zeren.loaders.validate import InputChanged

    folder = copy_mini(tmp_path)

    def change_persons_once_writing_starts(kind_name: str, done: int, total: int) -> None:
        if kind_name == "Territory" and done == 0:
            edit(folder, "persons.csv", "张一,M,1963", "张一,M,old")

    with pytest.raises(InputChanged, match="persons.csv line 2"):
        load_path(folder, store, settings=settings, progress=change_persons_once_writing_starts)
    assert store.read("MATCH (p:Person) RETURN count(p) AS n") == [{"n": 0}]


def _rewrite_percentage(store: GraphStore) -> int:
    from zeren.graph.store.falkor import FalkorStore

    assert isinstance(store, FalkorStore)
    return int(store._db.connection.config_get("auto-aof-rewrite-percentage")["auto-aof-rewrite-percentage"])


def test_the_embedded_store_rewrites_its_append_only_file_automatically_again_after_a_load(
        embedded_store: GraphStore, settings: Settings) -> None:
    seen: list[int] = []
    load_path(MINI, embedded_store, settings=settings,
              progress=lambda *_: seen.append(_rewrite_percentage(embedded_store)))
    assert seen and set(seen) == {0}, "automatic rewrites stay off while the load writes"
    assert _rewrite_percentage(embedded_store) == 100


def test_automatic_rewrites_of_the_append_only_file_are_on_again_after_a_load_that_stopped(
        embedded_store: GraphStore, settings: Settings) -> None:
    def stop(kind_name: str, done: int, total: int) -> None:
        if done:
            raise KeyboardInterrupt("stopped half-way")

    with pytest.raises(KeyboardInterrupt):
        load_path(MINI, embedded_store, settings=settings, progress=stop)
    assert _rewrite_percentage(embedded_store) == 100


def test_batches_are_read_ahead_in_order_and_an_error_is_raised_where_its_item_was() -> None:
    def items() -> Iterator[int]:
        yield from range(5)
        raise ValueError("the sixth item")

    got: list[int] = []
    with pytest.raises(ValueError, match="the sixth item"):
        for x in writer_module.ReadAhead(items(), depth=2):
            got.append(x)
    assert got == [0, 1, 2, 3, 4]


def test_leaving_the_read_ahead_early_stops_its_thread_without_reading_the_rest() -> None:
    produced: list[int] = []

    def items() -> Iterator[int]:
        for i in range(1000):
            produced.append(i)
            yield i

    ahead = writer_module.ReadAhead(items(), depth=1)
    for x in ahead:
        if x == 2:
            break
    ahead.close()
    assert not ahead._thread.is_alive()
    assert len(produced) <= 5


def test_a_kind_absent_from_the_graph_is_written_without_looking_up_its_ids(
        store: GraphStore, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    looked_up: list[str] = []
    real = writer_module.stored_nodes

    def counted(store_: GraphStore, k: NodeKind, ids: Any) -> dict[str, dict[str, Any]]:
        looked_up.append(k.name)
        return real(store_, k, ids)

    monkeypatch.setattr(writer_module, "stored_nodes", counted)
    load_path(MINI, store, settings=settings.model_copy(update={"batch_size": 2}))
    assert looked_up == ["LoadRecord"]  # only the load's record, written at the start, when it is completed
    load_path(MINI, store, settings=settings)
    assert "PetitionMatter" in looked_up  # a reload looks every batch up


def test_a_node_another_writer_creates_in_a_kind_that_was_absent_is_merged_not_doubled(
        store: GraphStore, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    any_store = store
    real_read = any_store.read

    def another_writer_after_the_check(query: str, params: Any = None, **kw: Any) -> Any:
        rows = real_read(query, params, **kw)
        if query == writer_module.any_node_query("PetitionMatter"):
            assert rows == []
            any_store.write("CREATE (:PetitionMatter {id: 'M-1', title: 'written by another'})")
        return rows

    monkeypatch.setattr(any_store, "read", another_writer_after_the_check)
    load_path(MINI, any_store, settings=settings)
    monkeypatch.undo()
    with other_graph(settings, "clean") if any_store.dialect == "falkordb" else nullcontext(None) as clean:
        assert any_store.read("MATCH (m:PetitionMatter) RETURN count(m) AS n") == [{"n": 3}]
        if clean is not None:
            load_path(MINI, clean, settings=settings)
            assert snapshot(any_store, mask_ciphertext=True) == snapshot(clean, mask_ciphertext=True)


# A load in a process of its own that kills itself (SIGKILL: no clean-up of
# any kind runs) once five batches are written.
KILLED_HALF_WAY = """
import os, signal, sys
from pathlib import Path
from zeren.config import Settings
from zeren.graph.store import open_store
from zeren.loaders.load import load_path

settings = Settings(graph="embedded", data_dir=sys.argv[1], graph_name=sys.argv[2], batch_size=2)
batches = 0

def kill_after_five_batches(kind_name, done, total):
    global batches
    if done:
        batches += 1
        if batches > 5:
            os.kill(os.getpid(), signal.SIGKILL)

load_path(Path(sys.argv[3]), open_store(settings), settings=settings, progress=kill_after_five_batches)
"""


def test_a_load_killed_half_way_converges_when_run_again_and_rewrites_are_on_again(
        embedded_store: GraphStore, settings: Settings) -> None:
    # The same data folder: the same server and the same secret key.
    proc = subprocess.run([sys.executable, "-c", KILLED_HALF_WAY, str(settings.data_dir), settings.graph_name,
                           str(MINI)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert _rewrite_percentage(embedded_store) == 0  # left off by the killed load
    partial = snapshot(embedded_store)
    assert partial["nodes"], "the killed load wrote some batches"
    load_path(MINI, embedded_store, settings=settings.model_copy(update={"batch_size": 2}))
    assert _rewrite_percentage(embedded_store) == 100
    with other_graph(settings, "clean") as clean:
        load_path(MINI, clean, settings=settings)
        assert partial != snapshot(clean, mask_ciphertext=True)
        assert snapshot(embedded_store, mask_ciphertext=True) == snapshot(clean, mask_ciphertext=True)


# --------------------------------------------------------------------------- kinds without a key index
# Handling steps and leader activities: the embedded FalkorDB keeps no index
# of their keys (a quarter of its memory at SF 0.01); the loader still finds,
# updates and moves their nodes on a reload without doubling any.

def key_indexed(store: GraphStore, label: str) -> bool:
    """Whether the store holds an index on ``label``'s key."""
    if store.dialect == "falkordb":
        rows = store.read("CALL db.indexes() YIELD label, properties RETURN label, properties")
        return any(r["label"] == label and "id" in r["properties"] for r in rows)
    rows = store.read("SHOW INDEXES YIELD labelsOrTypes, properties RETURN labelsOrTypes AS l, properties AS p")
    return any(r["l"] == [label] and r["p"] == ["id"] for r in rows)


def test_the_unkeyed_kinds_have_no_key_index_on_falkordb_and_keep_it_on_neo4j(store: GraphStore) -> None:
    setup_schema(store)
    for name in UNKEYED:
        assert keyed(store, name) is (store.dialect == "neo4j")
        assert key_indexed(store, name) is (store.dialect == "neo4j"), name
    assert key_indexed(store, "PetitionMatter")


def test_setting_up_the_schema_drops_the_key_index_an_older_store_kept(embedded_store: GraphStore) -> None:
    # (only FalkorDB leaves a kind without a key index)
    store = embedded_store
    store.ensure_unique("HandlingStep", "id")
    assert key_indexed(store, "HandlingStep")
    setup_schema(store)
    assert not key_indexed(store, "HandlingStep")
    setup_schema(store)  # and again, with nothing left to drop


def test_a_unique_key_dropped_is_gone_and_dropping_it_again_changes_nothing(store: GraphStore) -> None:
    store.ensure_unique("DropProbe", "id")
    store.write("CREATE (:DropProbe {id: 'a'})")
    with pytest.raises(ConstraintViolation):
        store.write("CREATE (:DropProbe {id: 'a'})")
    store.drop_unique("DropProbe", "id")
    assert not key_indexed(store, "DropProbe")
    store.drop_unique("DropProbe", "id")  # nothing left to drop
    store.write("CREATE (:DropProbe {id: 'a'})")  # no longer refused
    assert store.read("MATCH (n:DropProbe) RETURN count(n) AS n") == [{"n": 2}]


def test_the_unkeyed_kinds_are_the_loaded_kinds_no_reference_points_to() -> None:
    """A reference is written by the target's key (and a reference to the
    kind's own nodes after them, by key again), which a kind without a key
    index cannot afford."""
    targets = {f.ref for k in loadable_kinds() for f in (k.all_fields if isinstance(k, RelKind) else k.refs)}
    assert {"HandlingStep", "LeaderActivity", "Ledger", "Supervision", "Assessment"} <= UNKEYED
    assert not UNKEYED & targets
    assert all(NODES[name].loadable for name in UNKEYED)


def test_a_reload_updates_and_moves_a_handling_step_and_creates_a_new_one_without_doubling(
        store: GraphStore, settings: Settings, tmp_path: Path) -> None:
    load_path(MINI, store, settings=settings)
    before = store.read("MATCH (s:HandlingStep) RETURN count(s) AS n")[0]["n"]
    changed = copy_mini(tmp_path)
    edit(changed, "steps.csv", "S-2,M-1,ASSIGN,YZ-XFB,,YZ-HOUSING,2018-05-12,2018-06-30,交办区住房城乡建委",
         "S-2,M-2,ASSIGN,YZ-XFB,PER-4,,2018-05-13,2018-06-30,改交")
    edit(changed, "steps.csv", "S-5,M-2,RECEIVE,YZ-XFB,,,2019-02-01,,",
         "S-5,M-2,RECEIVE,YZ-XFB,,,2019-02-01,,\nS-6,M-2,HANDLE,YZ-HOUSING,PER-4,,2019-02-10,,")
    edit(changed, "leader_activities.csv", "LA-1,RECEPTION,PER-3,P-YZH-DIR,2018-05-15,M-1,12,领导接待日",
         "LA-1,RECEPTION,PER-3,P-YZH-DIR,2018-05-15,M-2,13,领导接待日")
    summary = load_path(changed, store, settings=settings)
    assert summary["HandlingStep"].created == 1  # S-6; S-2 moved, not new
    assert store.read("MATCH (s:HandlingStep) RETURN count(s) AS n")[0]["n"] == before + 1
    s2 = node(store, "HandlingStep", "S-2")
    assert (s2["note"], s2["on"].isoformat()) == ("改交", "2018-05-13")
    assert targets(store, "HandlingStep", "S-2", "TO_INSTITUTION") == []
    assert targets(store, "HandlingStep", "S-2", "STEP_OF") == ["M-2"]
    assert targets(store, "HandlingStep", "S-2", "BY_STAFF") == ["PER-4"]
    assert targets(store, "HandlingStep", "S-6", "STEP_OF") == ["M-2"]
    assert node(store, "LeaderActivity", "LA-1")["count"] == 13
    assert targets(store, "LeaderActivity", "LA-1", "ACTIVITY_ON") == ["M-2"]
    again = load_path(changed, store, settings=settings)  # the same files again: nothing created or doubled
    assert again["HandlingStep"].created == 0
    assert store.read("MATCH (s:HandlingStep) RETURN count(s) AS n")[0]["n"] == before + 1


def test_the_key_table_finds_nodes_by_key_across_pages_and_nothing_for_other_keys(embedded_store: GraphStore,
                                                                                 settings: Settings) -> None:
    store = embedded_store  # (the key table serves the kinds FalkorDB keeps no key index for)
    load_path(MINI, store, settings=settings)
    steps = NODES["HandlingStep"]
    table = KeyTable.scan(store, steps, page=2)
    assert len(table) == store.read("MATCH (s:HandlingStep) RETURN count(s) AS n")[0]["n"] > 2
    props, nids = table.stored(store, steps, ["S-1", "S-3", "S-404"])
    assert set(props) == set(nids) == {"S-1", "S-3"}
    assert {n: v for n, v in props["S-3"].items() if not n.startswith(REF_HELD)} == node(store, "HandlingStep", "S-3")
    assert props["S-3"][REF_HELD + "matter"] == targets(store, "HandlingStep", "S-3", "STEP_OF")[0]
    assert nids["S-1"] == store.read("MATCH (s:HandlingStep {id: 'S-1'}) RETURN id(s) AS i")[0]["i"]
    store.write("MATCH (s:HandlingStep {id: 'S-3'}) DETACH DELETE s")
    props, nids = table.stored(store, steps, ["S-3"])  # deleted since the scan: found nowhere, not elsewhere
    assert props == {} and nids == {}


# --------------------------------------------------------------------------- references held by relationships only
# Handling steps and leader activities keep no property for a reference: the
# loader reads where their relationships point to compare a row with its node.

REL_ONLY = [k for k in NODES.values() if not k.ref_properties]


def test_the_kinds_of_the_most_nodes_hold_their_references_by_relationships_only(any_store: GraphStore,
                                                                                  settings: Settings) -> None:
    store = any_store
    assert {k.name for k in REL_ONLY} == {"HandlingStep", "LeaderActivity"}
    load_path(MINI, store, settings=settings)
    for k in REL_ONLY:
        refs = {f.name for f in k.refs}
        props = store.read(f"MATCH (n:{ident(k.name)}) RETURN properties(n) AS p")
        assert props and not [p for p in props if refs & p["p"].keys()], k.name
    assert targets(store, "HandlingStep", "S-2", "STEP_OF") == ["M-1"]
    assert targets(store, "LeaderActivity", "LA-1", "BY_LEADER") == ["PER-3"]


def test_a_stored_step_holds_its_row_by_where_its_relationships_point(any_store: GraphStore,
                                                                       settings: Settings) -> None:
    store = any_store
    load_path(MINI, store, settings=settings)
    k = NODES["HandlingStep"]
    typed = next(row for stem, row in typed_rows(MINI) if stem == k.file and row["id"] == "S-2")
    row = prepare_row(k, typed, None)
    held = stored_nodes(store, k, ["S-2"])["S-2"]
    assert held[REF_HELD + "matter"] == "M-1" and "matter" not in held
    assert holds_row(k, held, row)
    assert not holds_row(k, held, {**row, "matter": "M-2"})  # the relationship points elsewhere
    assert not holds_row(k, held, {**row, "staff": "PER-4"})  # a relationship the node lacks
    assert not holds_row(k, {**held, "matter": "M-1"}, row)  # a property an older load kept beside it
    assert not holds_row(k, {**held, REF_HELD + "matter": ["M-1", "M-2"]}, row)  # two relationships of one ref


def test_a_reload_removes_the_reference_properties_an_older_load_kept_and_mends_lost_or_doubled_relationships(
        any_store: GraphStore, settings: Settings) -> None:
    store = any_store
    load_path(MINI, store, settings=settings)
    store.write("MATCH (s:HandlingStep)-[:STEP_OF]->(m:PetitionMatter) SET s.matter = m.id")  # as an older load
    store.write("MATCH (:HandlingStep {id: 'S-3'})-[r:BY_INSTITUTION]->() DELETE r")  # a write cut short
    store.write("MATCH (s:HandlingStep {id: 'S-4'}), (m:PetitionMatter {id: 'M-3'}) CREATE (s)-[:STEP_OF]->(m)")
    load_path(MINI, store, settings=settings)
    assert not store.read("MATCH (s:HandlingStep) WHERE s.matter IS NOT NULL RETURN s.id AS id")
    with other_graph(settings, "clean") if store.dialect == "falkordb" else nullcontext(None) as clean:
        if clean is not None:
            load_path(MINI, clean, settings=settings)
            assert snapshot(store, mask_ciphertext=True) == snapshot(clean, mask_ciphertext=True)
    assert len(targets(store, "HandlingStep", "S-3", "BY_INSTITUTION")) == 1
    assert len(targets(store, "HandlingStep", "S-4", "STEP_OF")) == 1


def test_a_load_ends_with_the_append_only_file_rewritten_when_due_so_a_restart_replays_no_query(
        tmp_path: Path, settings: Settings) -> None:
    # Left to the server, the rewrite due after a load did not happen when the
    # load's own server stopped with it: the next start replayed every write of
    # the load as a query. A server of its own (the session's is shared by every
    # test's graph); a small minimum size makes the sample's load due.
    from zeren.graph.store.falkor import FalkorStore

    own = settings.model_copy(update={"data_dir": tmp_path / "own", "graph_name": "g"})
    with open_store(own) as store:
        assert isinstance(store, FalkorStore)
        conn = store._db.connection
        conn.config_set("auto-aof-rewrite-min-size", 1024)
        before = int(conn.info("persistence")["aof_base_size"])
        load_path(MINI, store, settings=own)
        after = conn.info("persistence")
        assert not after["aof_rewrite_in_progress"] and after["aof_last_bgrewrite_status"] == "ok"
        assert int(after["aof_base_size"]) > before  # the graph is in the rewritten base ...
        folder = own.data_dir / "falkordb" / "appendonlydir"
        manifest = (folder / "appendonly.aof.manifest").read_text()
        after_base = [line.split()[1] for line in manifest.splitlines() if " type i" in line]
        assert after_base, manifest
        for name in after_base:  # ... and no write of the load is left to replay after it
            assert b"GRAPH.QUERY" not in (folder / name).read_bytes()
        assert not store.rewrite_log_if_due()  # and nothing more is due
