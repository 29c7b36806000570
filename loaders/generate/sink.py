"""The output: one buffered CSV writer per loadable kind, in the columns and order of the model."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from zeren.graph.model import NodeKind, RelKind, kind_for_file, loadable_kinds


# --------------------------------------------------------------------------- output

def header(k: NodeKind | RelKind) -> list[str]:
    """The header the loader expects: a node kind's fields; for a relationship id, source, target, then the rest."""
    if isinstance(k, NodeKind):
        return [f.name for f in k.fields]
    return ["id", k.source.name, k.target.name, *(f.name for f in k.fields)]


# The column order every row below is written in; checked against the model at start.
COLUMNS: dict[str, tuple[str, ...]] = {
    "territories": ("id", "name", "name_en", "level", "parent"),
    "institutions": ("id", "name", "kind", "level", "territory", "parent", "remit", "system"),
    "vertical_lines": ("id", "lower", "upper", "system", "valid_from", "valid_to"),
    "teams": ("id", "name", "institution"),
    "posts": ("id", "title", "role", "institution", "team", "rank"),
    "persons": ("id", "name", "gender", "birth_year"),
    "tenures": ("id", "person", "post", "valid_from", "valid_to"),
    "divisions": ("id", "post", "subjects", "institution", "valid_from", "valid_to"),
    "matters": ("id", "title", "subject", "territory", "channel", "form", "headcount", "received_on", "closed_on",
                "litigation_related", "accused_institution", "accused_person", "summary", "petitioner", "accusation"),
    "case_holdings": ("id", "person", "matter", "post", "valid_from", "valid_to"),
    "steps": ("id", "matter", "kind", "institution", "staff", "to_institution", "on", "due", "note"),
    "decisions": ("id", "title", "team", "on", "matter", "major"),
    "decision_participants": ("id", "person", "decision", "stance", "post"),
    "failures": ("id", "item", "scope", "gravity", "unit", "matter", "decision", "act_date", "reported_on",
                 "found_in_petition_work", "acts", "disciplinary", "suspected_crime"),
    "failure_people": ("id", "person", "failure", "role", "post", "stance", "due_diligence", "suspected_crime"),
    "measures": ("id", "kind", "failure", "person", "post", "institution", "decided_by", "decided_on", "deadline",
                 "rectified_on"),
}
# The files of chapters 2-3 are written by field name (``Sink.record``), in the model's own order.
RECORDS = ("ledgers", "classification_lists", "supervisions", "assessments", "cadre_inspections", "consultations",
           "leader_activities", "staff_reports", "risk_assessments", "circulations")
for _file in RECORDS:
    COLUMNS[_file] = tuple(header(kind_for_file(_file)))  # type: ignore[arg-type]
_FIELDS = {file: frozenset(columns) for file, columns in COLUMNS.items()}


def _required(k: NodeKind | RelKind) -> set[str]:
    return {f.name for f in (k.fields if isinstance(k, NodeKind) else k.all_fields) if f.required}


class Sink:
    """One buffered CSV writer per loadable kind, with the model's header and row counts.

    Rows come in the order of ``COLUMNS``; a field the model has and the generator does not fill is
    written empty if optional (refused if required), so the generator keeps working while the model grows."""

    def __init__(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self._files = ExitStack()
        self.writers: dict[str, Any] = {}
        self.order: dict[str, list[int | None] | None] = {}  # model column -> index in the row, when they differ
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
        self.counts[k.file] = 0

    def write(self, file: str, row: Sequence[object]) -> None:
        order = self.order[file]
        if order is not None:
            row = ["" if i is None else row[i] for i in order]
        self.writers[file].writerow(row)
        self.counts[file] += 1

    def record(self, file: str, **values: object) -> None:
        """A row of a file written by field name; a field not given is written empty."""
        if not values.keys() <= _FIELDS[file]:
            raise RuntimeError(f"{file}: no such field {sorted(values.keys() - _FIELDS[file])}")
        self.writers[file].writerow([values.get(c, "") for c in COLUMNS[file]])
        self.counts[file] += 1

    def close(self) -> None:
        self._files.close()
