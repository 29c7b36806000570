"""The output: one buffered CSV writer per loadable kind, in the columns and order of the model."""

from __future__ import annotations

import csv
import keyword
from collections.abc import Callable, Sequence
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


def row_writer(file: str, columns: list[str], required: set[str], writerow: Callable[[Any], Any]) -> Callable[..., None]:
    """A function ``file(*, column, ...)`` writing one row from keyword arguments named as the model's columns, in
    its order: a required column has no default, an optional one is empty by default, so Python itself refuses a
    field left out or unknown (as fast as a positional row; built from the checked names, as ``dataclasses`` does)."""
    for name in (file, *columns):
        if not name.isidentifier() or keyword.iskeyword(name):
            raise RuntimeError(f"{file}: {name!r} cannot name a keyword argument")
    params = ", ".join(c if c in required else f'{c}=""' for c in columns)
    code = f"def {file}(*, {params}):\n    writerow(({', '.join(columns)},))\n"
    scope: dict[str, Any] = {"writerow": writerow}
    exec(code, scope)  # noqa: S102 - identifiers checked above; no value is part of the text
    return scope[file]  # type: ignore[no-any-return]


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
        self.rows: dict[str, Callable[..., None]] = {}  # a row by field name (``row_writer``)
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
        self.rows[k.file] = row_writer(k.file, model, _required(k), self.writers[k.file].writerow)
        self.counts[k.file] = 0

    def write(self, file: str, row: Sequence[object]) -> None:
        order = self.order[file]
        if order is not None:
            row = ["" if i is None else row[i] for i in order]
        self.writers[file].writerow(row)
        self.counts[file] += 1

    def record(self, file: str, **values: object) -> None:
        """A row of a file by field name, written in the model's order; a field not given is written empty
        (refused if the model requires it), a field the model does not have is refused."""
        try:
            self.rows[file](**values)
        except TypeError as e:
            raise RuntimeError(str(e)) from None
        self.counts[file] += 1

    def close(self) -> None:
        self._files.close()
