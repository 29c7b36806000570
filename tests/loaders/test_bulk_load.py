"""The bulk first load into an empty Neo4j database (``zeren load --bulk``):
the sample data validated as ``zeren load`` validates it, imported by
Neo4j's own importer (``neo4j-admin database import full``, from the jars of
the tests' Neo4j), then served by a Neo4j started on that store. It must
hold the graph ``zeren load`` writes and answer the same traces; bad input and
an existing database are refused before anything is imported."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from backends import LAUNCHER, BackendUnavailable, MavenNeo4jServer, build_launcher
from worlds import evaluation_summary
from zeren.config import Settings
from zeren.graph.store import GraphStore
from zeren.graph.store.neo4j_store import Neo4jStore
from zeren.loaders.bulk import DatabaseNotEmpty, bulk_load, finish
from zeren.loaders.load import load_path
from zeren.loaders.validate import ValidationFailed
from zeren.rules.engine import Engine

LIB = LAUNCHER / "target" / "lib"


@pytest.fixture(scope="module")
def sample() -> Iterator[Path]:
    with resources.as_file(resources.files("zeren.data") / "sample") as folder:
        yield folder


@pytest.fixture(scope="module")
def bulk_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("bulk-data"))


def _bulk_loaded(sample: Path, settings: Settings, tmp_path_factory: pytest.TempPathFactory,
                 compress: bool) -> Iterator[GraphStore]:
    """The sample bulk-imported into a new Neo4j home, served by a second
    Neo4j started on it, with the schema set up."""
    try:
        build_launcher()
    except BackendUnavailable as e:
        pytest.skip(str(e))
    home = tmp_path_factory.mktemp("neo4j-home")
    if compress:  # through the command, as a user asks for it
        done = subprocess.run([sys.executable, "-m", "zeren.cli", "load", str(sample), "--bulk", str(home),
                               "--neo4j-lib", str(LIB), "--compress"], capture_output=True, text=True,
                              env={"ZEREN_DATA_DIR": str(settings.data_dir), "PATH": "/usr/bin:/bin"})
        assert done.returncode == 0, done.stderr
        assert "Imported" in done.stdout
        report = next((home / "import").glob("*.log")).read_text(errors="replace")
        assert "node-PetitionMatter.csv.gz" in report and "node-PetitionMatter.csv\n" not in report
    else:
        bulk_load(sample, home, settings=settings, lib=LIB)
    server = MavenNeo4jServer(store_dir=home / "data")
    running = server.start()
    store = Neo4jStore(running.uri, running.user, running.password, database=running.database)
    try:
        finish(store)
        yield store
    finally:
        store.close()
        server.stop()


@pytest.fixture(scope="module")
def bulk_store(sample: Path, bulk_settings: Settings, tmp_path_factory: pytest.TempPathFactory,
               neo4j_server: Any) -> Iterator[GraphStore]:
    """The sample bulk-imported from plain CSV files (``neo4j_server`` first:
    the same skip when no Neo4j can be had)."""
    yield from _bulk_loaded(sample, bulk_settings, tmp_path_factory, compress=False)


@pytest.fixture(scope="module")
def gzipped_bulk_store(sample: Path, bulk_settings: Settings, tmp_path_factory: pytest.TempPathFactory,
                       neo4j_server: Any) -> Iterator[GraphStore]:
    """The sample bulk-imported from gzipped CSV files (``zeren load --bulk HOME --compress``)."""
    yield from _bulk_loaded(sample, bulk_settings, tmp_path_factory, compress=True)


def _matters_and_failures(store: GraphStore) -> tuple[list[str], list[str]]:
    matters = [r["id"] for r in store.read("MATCH (m:PetitionMatter) RETURN m.id AS id ORDER BY id")]
    failures = [r["id"] for r in store.read("MATCH (f:Failure) RETURN f.id AS id ORDER BY id")]
    return matters, failures


def _graph(store: GraphStore) -> tuple[list[str], list[str]]:
    """Every node (labels, properties) and relationship (type, ends, properties)
    as sorted text; ciphertexts (randomised) and load records left out."""
    def plain(props: dict[str, Any]) -> str:
        return str(sorted((k, str(v)) for k, v in props.items() if not k.endswith("_enc")))

    nodes = store.read("MATCH (n) WHERE NOT n:LoadRecord RETURN labels(n) AS l, properties(n) AS p")
    rels = store.read("MATCH (a)-[r]->(b) RETURN type(r) AS t, a.id AS a, b.id AS b, properties(r) AS p")
    return (sorted(f"{sorted(n['l'])} {plain(n['p'])}" for n in nodes),
            sorted(f"{r['t']} {r['a']} {r['b']} {plain(r['p'])}" for r in rels))


def test_the_bulk_loaded_sample_holds_the_graph_zeren_load_writes(bulk_store: GraphStore, neo4j_store: GraphStore,
                                                                   sample: Path, bulk_settings: Settings) -> None:
    load_path(sample, neo4j_store, settings=bulk_settings)
    expected_nodes, expected_rels = _graph(neo4j_store)
    nodes, rels = _graph(bulk_store)
    assert len(expected_nodes) > 500 and len(expected_rels) > 1000
    assert nodes == expected_nodes
    assert rels == expected_rels


def test_the_bulk_loaded_sample_answers_every_trace_as_the_normally_loaded_one(
        bulk_store: GraphStore, neo4j_store: GraphStore, sample: Path, bulk_settings: Settings) -> None:
    load_path(sample, neo4j_store, settings=bulk_settings)
    matters, failures = _matters_and_failures(neo4j_store)
    assert _matters_and_failures(bulk_store) == (matters, failures)
    loaded, bulk = Engine(neo4j_store), Engine(bulk_store)
    found = 0
    for m in matters:
        expected = evaluation_summary(loaded.trace(m))
        found += len(expected[1])
        assert evaluation_summary(bulk.trace(m)) == expected, m
    for f in failures:
        assert evaluation_summary(bulk.account(f)) == evaluation_summary(loaded.account(f)), f
    assert found > 0, "no trace found anything: the comparison would be empty"


def test_the_sample_imported_from_gzipped_files_is_the_graph_imported_from_plain_ones(
        bulk_store: GraphStore, gzipped_bulk_store: GraphStore) -> None:
    nodes, rels = _graph(bulk_store)
    assert len(nodes) > 500 and len(rels) > 1000
    assert _graph(gzipped_bulk_store) == (nodes, rels)


def test_the_bulk_loaded_graph_has_the_schemas_unique_keys(bulk_store: GraphStore) -> None:
    rows = bulk_store.read("SHOW CONSTRAINTS YIELD labelsOrTypes, properties, type "
                           "WHERE type = 'UNIQUENESS' RETURN labelsOrTypes[0] AS label")
    labels = {r["label"] for r in rows}
    assert {"PetitionMatter", "Person", "Institution", "Territory", "LoadRecord"} <= labels


def test_a_reload_through_zeren_load_after_the_bulk_load_changes_nothing(bulk_store: GraphStore, sample: Path,
                                                                         bulk_settings: Settings) -> None:
    before = _graph(bulk_store)
    skipped = load_path(sample, bulk_store, settings=bulk_settings, skip_unchanged=True)
    assert skipped.unchanged  # the bulk load's record names the same files
    summary = load_path(sample, bulk_store, settings=bulk_settings)
    assert summary.rows > 1000
    assert [k.kind for k in summary.kinds if k.created] == []
    assert _graph(bulk_store) == before


def _broken_copy(sample: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "input"
    shutil.copytree(sample, folder)
    persons = folder / "persons.csv"
    lines = persons.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[2].split(",")
    cells[header.index("birth_year")] = "nineteen-sixty"
    lines[2] = ",".join(cells)
    persons.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_bad_input_is_refused_naming_file_line_and_field_before_anything_is_imported(
        sample: Path, tmp_path: Path, bulk_settings: Settings) -> None:
    folder = _broken_copy(sample, tmp_path)
    home = tmp_path / "home"
    with pytest.raises(ValidationFailed) as refused:
        bulk_load(folder, home, settings=bulk_settings, lib=LIB)
    report = refused.value.report()
    assert "persons.csv" in report and "line 3" in report and "birth_year" in report, report
    assert not (home / "data").exists()
    assert list((home / "import").iterdir()) == []  # the importer's files written meanwhile are removed


def test_a_database_that_exists_is_refused_with_a_clear_message(sample: Path, tmp_path: Path,
                                                                bulk_settings: Settings) -> None:
    home = tmp_path / "home"
    (home / "data" / "databases" / "neo4j").mkdir(parents=True)
    (home / "data" / "databases" / "neo4j" / "neostore").write_bytes(b"")
    with pytest.raises(DatabaseNotEmpty, match="already exists.*only creates a new, empty database"):
        bulk_load(sample, home, settings=bulk_settings, lib=LIB)
    assert not (home / "import").exists()


def test_the_command_refuses_an_existing_database_in_one_message(sample: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "data" / "databases" / "neo4j").mkdir(parents=True)
    (home / "data" / "databases" / "neo4j" / "neostore").write_bytes(b"")
    done = subprocess.run([sys.executable, "-m", "zeren.cli", "load", str(sample), "--bulk", str(home),
                           "--neo4j-lib", str(LIB)], capture_output=True, text=True,
                          env={"ZEREN_DATA_DIR": str(tmp_path / "zd"), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 1
    assert "bulk load failed: database 'neo4j' already exists" in done.stderr
