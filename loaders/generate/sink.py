"""The output: one buffered CSV writer per loadable kind, in the columns and order of the model."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from zeren.graph.model import NodeKind, RelKind, loadable_kinds
from zeren.loaders.readers import input_fields


# --------------------------------------------------------------------------- output

def header(k: NodeKind | RelKind) -> list[str]:
    """The header the loader expects (``loaders.readers.input_fields``, from the model): a node kind's fields;
    for a relationship id, source, target, then the rest."""
    return [f.name for f in input_fields(k)]


# The columns of every file, from the model: the generator gives each row by field name (``Sink.record``).
COLUMNS: dict[str, tuple[str, ...]] = {k.file: tuple(header(k)) for k in loadable_kinds()}


def _required(k: NodeKind | RelKind) -> set[str]:
    return {f.name for f in (k.fields if isinstance(k, NodeKind) else k.all_fields) if f.required}


class Sink:
    """One buffered CSV writer per loadable kind, with the model's header and row counts.

    Rows are given by field name (``record``) and written in the model's order; a field the model has and
    the generator does not fill is written empty if optional (refused if required), so the generator keeps
    working while the model grows. ``write`` takes a whole row in the order of ``COLUMNS``."""

    def __init__(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self._files = ExitStack()
        self.writers: dict[str, Any] = {}
        self.order: dict[str, list[int | None] | None] = {}  # model column -> index in the row, when they differ
        self.columns: dict[str, tuple[str, ...]] = {}  # the model's, in its order
        self.fields: dict[str, frozenset[str]] = {}
        self.required: dict[str, frozenset[str]] = {}
        self.counts: dict[str, int] = {}
        try:
            for k in loadable_kinds():
                self._open(out, k)
            if set(self.writers) != set(COLUMNS):
                raise RuntimeError(f"the model's files {sorted(self.writers)} differ from {sorted(COLUMNS)}")
        except BaseException:
            self._files.close()
            raise

    def _open(self, out: Path, k: NodeKind | RelKind) -> None:
        model, mine = header(k), COLUMNS.get(k.file, ())
        if not _required(k) <= set(mine) or not set(mine) <= set(model):
            raise RuntimeError(f"generator columns for {k.file}: {mine}; the model: {model}")
        f = self._files.enter_context(open(out / f"{k.file}.csv", "w", encoding="utf-8", newline="",
                                           buffering=1 << 18))
        self.writers[k.file] = csv.writer(f, lineterminator="\n")
        self.writers[k.file].writerow(model)
        self.order[k.file] = None if tuple(model) == mine else [mine.index(c) if c in mine else None for c in model]
        self.columns[k.file], self.fields[k.file], self.required[k.file] = tuple(model), frozenset(model), \
            frozenset(_required(k))
        self.counts[k.file] = 0

    def write(self, file: str, row: Sequence[object]) -> None:
        order = self.order[file]
        if order is not None:
            row = ["" if i is None else row[i] for i in order]
        self.writers[file].writerow(row)
        self.counts[file] += 1

    def record(self, file: str, **values: object) -> None:
        """A row of a file by field name, written in the model's order; a field not given is written empty
        (refused if the model requires it)."""
        if not values.keys() <= self.fields[file]:
            raise RuntimeError(f"{file}: no such field {sorted(values.keys() - self.fields[file])}")
        if not self.required[file] <= values.keys():
            raise RuntimeError(f"{file}: the required field {sorted(self.required[file] - values.keys())} is not given")
        self.writers[file].writerow([values.get(c, "") for c in self.columns[file]])
        self.counts[file] += 1

    def close(self) -> None:
        self._files.close()
