"""The generated documentation stays current with the model, and the input
format's examples are themselves valid input."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from zeren.graph.docs import render_input_examples, render_model_markdown, with_examples
from zeren.graph.model import ENUMS, NODES, RELS, loadable_kinds
from zeren.config import Settings
from zeren.graph.store import GraphStore
from zeren.loaders.load import load_path
from zeren.loaders.readers import input_fields
from zeren.loaders.validate import validation_errors

DOCS = Path(__file__).resolve().parents[2] / "docs"
EXAMPLE = re.compile(r"#### `(?P<file>[a-z_]+\.(?P<ext>csv|jsonl))`\n\n```(?P=ext)\n(?P<body>.*?)```", re.S)


def examples_in_doc() -> list[tuple[str, str, str]]:
    """(file name, extension, body) of every example block of input-format.md."""
    text = (DOCS / "input-format.md").read_text(encoding="utf-8")
    return [(m["file"], m["ext"], m["body"]) for m in EXAMPLE.finditer(text)]


def write_examples(folder: Path, ext: str) -> Path:
    folder.mkdir()
    for name, e, body in examples_in_doc():
        if e == ext:
            (folder / name).write_text(body, encoding="utf-8")
    return folder


def test_model_md_is_the_current_rendering_of_the_model() -> None:
    assert (DOCS / "model.md").read_text(encoding="utf-8") == render_model_markdown(), (
        "docs/model.md is stale: run python -m zeren.graph.docs > docs/model.md")


def test_the_rendering_names_every_kind_field_and_code() -> None:
    md = render_model_markdown()
    for k in [*NODES.values(), *RELS.values()]:
        assert f"### {k.name} — {k.zh}" in md
        for f in input_fields(k) if k.name in RELS or NODES[k.name].loadable else k.fields:
            assert f"| `{f.name}` |" in md
    for e in ENUMS.values():
        assert f"### {e.name}" in md
        for code, label in e.values.items():
            assert f"| `{code}` | {label.en.replace('|', chr(92) + '|')} | {label.zh} |" in md
    assert "`petitioner_enc`, `petitioner_digest`, `petitioner_pseudonym`" in md


def test_the_module_prints_the_model_reference() -> None:
    out = subprocess.run([sys.executable, "-m", "zeren.graph.docs"], capture_output=True, text=True, check=True)
    assert out.stdout == render_model_markdown()


def test_input_format_examples_are_the_current_rendering() -> None:
    text = (DOCS / "input-format.md").read_text(encoding="utf-8")
    assert text == with_examples(text), (
        "the examples of docs/input-format.md are stale: run python -m zeren.graph.docs --examples "
        "docs/input-format.md")
    assert render_input_examples() in text


def test_every_loadable_file_has_a_csv_and_a_jsonl_example() -> None:
    found = {(name, ext) for name, ext, _ in examples_in_doc()}
    for k in loadable_kinds():
        assert (f"{k.file}.csv", "csv") in found and (f"{k.file}.jsonl", "jsonl") in found, k.file


@pytest.mark.parametrize("ext", ["csv", "jsonl"])
def test_the_examples_of_the_input_format_validate(ext: str, tmp_path: Path) -> None:
    assert validation_errors(write_examples(tmp_path / ext, ext)) == []


def test_the_examples_load_into_the_graph(store: GraphStore, settings: Settings, tmp_path: Path) -> None:
    summary = load_path(write_examples(tmp_path / "csv", "csv"), store, settings=settings)
    assert summary["PetitionMatter"].created == 1
    assert store.read("MATCH (:Person {id: 'PER-3'})-[h:HOLDS]->(:Post {id: 'P-YZH-DIR'}) RETURN h.id AS id") == [
        {"id": "H-4"}]
