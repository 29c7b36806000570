"""Malformed inputs, generated from the sample, loaded against a store that holds it.

Deterministic from ``--seed``: mutations of the bundled sample dataset of
every kind (types, dates, codes, references, duplicates, cycles, two
principals, overlapping tenures, columns, encodings, sizes, quoting, control
characters, broken JSON lines, JSON types, workbook sheets and cells,
injection strings), written as CSV folders, JSON Lines files and ``.xlsx``
workbooks. Each one breaks a rule of ``docs/input-format.md`` (its ``why``
says which). Each is loaded with ``load_path`` against a store already holding
the sample and checked:

(a) it is rejected (``ValidationFailed``);
(b) an error names the file, the line (workbook: sheet and row) and the field
    the mutation damaged (where the damage is not in one field, e.g. a JSON
    line that is not an object, the mutation expects no field);
(c) the graph is exactly as before: counts by label and type, and a hash of
    every node's labels and properties and every relationship's type,
    endpoints and properties, read with read queries.

    python benchmarks/badinput.py --count 2400 --seed 1

prints a table per mutation kind (count, rejected with location, wrongly
accepted, graph changed) and the misses. Figures: docs/reliability.md, "Bad input".
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import random
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from zeren.graph.docs import _json_value
from zeren.graph.model import ENUMS, Field, NodeKind, RelKind, kind_for_file, loadable_kinds
from zeren.config import Settings
from zeren.graph.store import GraphStore, open_store
from zeren.loaders.load import load_path
from zeren.loaders.readers import input_fields
from zeren.loaders.validate import ValidationFailed

Kind = NodeKind | RelKind
BOOK = "book.xlsx"


# --------------------------------------------------------------------------- the sample as tables

@dataclass
class Table:
    kind: Kind
    header: list[str]
    rows: list[list[str]]

    def col(self, name: str) -> int:
        return self.header.index(name)

    def value(self, row: int, name: str) -> str:
        return self.rows[row][self.col(name)]

    def copy(self) -> Table:
        return Table(self.kind, list(self.header), [list(r) for r in self.rows])


def sample_folder() -> Path:
    with resources.as_file(resources.files("zeren.data") / "sample") as folder:
        return Path(folder)


def read_sample(folder: Path) -> dict[str, Table]:
    out: dict[str, Table] = {}
    for k in loadable_kinds():
        p = folder / f"{k.file}.csv"
        if p.exists():
            header, *rows = list(csv.reader(p.open(encoding="utf-8", newline="")))
            out[k.file] = Table(k, header, rows)
    return out


# --------------------------------------------------------------------------- one mutation

@dataclass
class Expect:
    """Where the error must be: the file (or workbook), its lines (any of
    them: a rule across rows may be reported on either row) and the field."""

    source: str
    lines: frozenset[int] | None  # None: the problem is about the whole file or sheet
    field: str | None
    sheet: str | None = None


@dataclass
class Mutation:
    kind: str
    why: str
    tables: dict[str, Table]  # the files of the input (all of the sample, or only some)
    expect: Expect
    fmt: str = "csv"  # csv | jsonl | xlsx: how the mutated file is written
    target: str = ""  # the mutated file's stem
    cells: dict[tuple[int, str], Any] = field(default_factory=dict)  # (row, column) -> a typed value (JSONL/xlsx)
    raw: Callable[[Path], None] | None = None  # rewrites the written input (bytes-level damage)
    formula: tuple[int, str] | None = None  # a workbook cell written as a formula
    extra_sheets: list[str] = field(default_factory=list)  # workbook sheets written besides the tables

    def write(self, root: Path) -> Path:
        if self.fmt == "xlsx":
            return self._workbook(root)
        folder = root / "input"
        folder.mkdir()
        for stem, t in self.tables.items():
            if stem == self.target and self.fmt == "jsonl":
                _write_jsonl(folder / f"{stem}.jsonl", t, self.cells)
            else:
                _write_csv(folder / f"{stem}.csv", t)
        if self.raw:
            self.raw(folder)
        return folder

    def _workbook(self, root: Path) -> Path:
        from openpyxl import Workbook

        wb = Workbook()
        wb.remove(wb.active)
        for stem, t in self.tables.items():
            ws = wb.create_sheet(stem)
            ws.append(t.header)
            for i, r in enumerate(t.rows):
                values: list[Any] = [self.cells.get((i, h), c) if stem == self.target else c
                                     for h, c in zip(t.header, r, strict=False)]
                ws.append([v if v != "" else None for v in values + r[len(t.header):]])
            if stem == self.target and self.formula:
                row, col = self.formula
                ws.cell(row=row + 2, column=t.col(col) + 1).value = "=1+1"
        for name in self.extra_sheets:
            src = self.tables[self.target]
            ws = wb.create_sheet(name)
            ws.append(src.header)
            for r in src.rows[:2]:
                ws.append(r)
        p = root / BOOK
        wb.save(p)
        if self.raw:
            self.raw(p)
        return p


def _write_csv(p: Path, t: Table) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(t.header)
    w.writerows(t.rows)
    p.write_text(buf.getvalue(), encoding="utf-8", newline="")


def typed(f: Field, text: str) -> Any:
    """A sample cell as its JSON value (as the input-format examples write it)."""
    return None if text == "" else _json_value(f, text)


def _write_jsonl(p: Path, t: Table, cells: dict[tuple[int, str], Any]) -> None:
    fields = {f.name: f for f in input_fields(t.kind)}
    lines = []
    for i, r in enumerate(t.rows):
        obj = {}
        for h, c in zip(t.header, r, strict=True):
            v = cells[(i, h)] if (i, h) in cells else typed(fields[h], c)
            if v is not None:
                obj[h] = v
        text = json.dumps(obj, ensure_ascii=False)
        # a lone surrogate goes as its JSON escape (it has no UTF-8 bytes)
        lines.append(text if not any("\ud800" <= ch <= "\udfff" for ch in text) else json.dumps(obj))
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- the generator

INJECTIONS = [
    "'}) MATCH (n) DETACH DELETE n //", '"}) MATCH (n) DETACH DELETE n //', "\\\"}) RETURN 1 //",
    "x` DETACH DELETE n //", "$rows", "${id}", "}]->(x) CREATE (y)", "' OR 1=1 --", "CYPHER id=1 MATCH (n) RETURN n",
    "\\u0000", "{{id}}", "; DROP GRAPH zeren", "\u202eEGASSEM", "😀🚨", "中文注入'\"",
]
CONTROLS = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x85", "\x9f"]
BAD_INTS = ["12a", "1.5", "１２", "٣", "1e3", "0x10", "1_000", "1 2", "twelve", "99999999999999999999", "-", "+"]
BAD_BOOLS = ["yes", "no", "1", "0", "Y", "ｔｒｕｅ", "t", "truth", "on"]
BAD_DATES = ["2019-02-29", "2019-13-01", "2019-00-10", "2019-01-32", "2019-1-5", "20190105", "2019/01/05",
             "05.01.2019", "2019-01-05T00:00", "２０１９-０１-０５", "0000-01-01", "yesterday", "2019-01",
             "19-01-05", "2019−01−05", "2019-01-05x"]


class Generator:
    def __init__(self, sample: dict[str, Table], seed: int) -> None:
        self.sample = sample
        self.rng = random.Random(seed)
        self.fields = {stem: {f.name: f for f in input_fields(t.kind)} for stem, t in sample.items()}

    # ---- helpers

    def tables(self, stem: str, whole: bool | None = None, *more: str) -> dict[str, Table]:
        """The input: the whole sample (with a copy of the file to mutate) or only that file."""
        whole = self.rng.random() < 0.5 if whole is None else whole
        if whole:
            return {s: (t.copy() if s in (stem, *more) else t) for s, t in self.sample.items()}
        return {s: self.sample[s].copy() for s in (stem, *more)}

    def pick_field(self, types: tuple[str, ...], pred: Callable[[Field], bool] = lambda f: True) -> tuple[str, Field]:
        options = [(stem, f) for stem, fs in self.fields.items() for f in fs.values()
                   if f.type in types and pred(f) and f.name in self.sample[stem].header
                   and any(r[self.sample[stem].col(f.name)] for r in self.sample[stem].rows)]
        return self.rng.choice(options)

    def pick_row(self, stem: str, pred: Callable[[list[str]], bool] = lambda r: True) -> int:
        rows = [i for i, r in enumerate(self.sample[stem].rows) if pred(r)]
        return self.rng.choice(rows)

    def at(self, kind_: str, why: str, tables: dict[str, Table], stem: str, fmt: str, rows: set[int],
           col: str | None) -> Mutation:
        """A mutation whose error may be reported on any of ``rows`` (data row indexes)."""
        e = _expect(stem, fmt, min(rows), col)
        e.lines = frozenset(_line(fmt, r) for r in rows)
        return Mutation(kind_, why, tables, e, fmt, stem)

    def fmt(self, allowed: tuple[str, ...] = ("csv", "jsonl", "xlsx")) -> str:
        return self.rng.choice(allowed)

    def cell(self, kind_: str, why: str, stem: str, row: int, col: str, text: str, *, fmt: str | None = None,
             json_value: Any = None, whole: bool | None = None) -> Mutation:
        """One cell replaced: by ``text`` in CSV and workbooks (a string), by
        ``json_value`` (or ``text``) in JSON Lines."""
        fmt = fmt or self.fmt()
        tables = self.tables(stem, whole if fmt != "xlsx" else False)
        tables[stem].rows[row][tables[stem].col(col)] = text
        m = Mutation(kind_, why, tables, _expect(stem, fmt, row, col), fmt, stem)
        if fmt != "csv":
            m.cells[(row, col)] = text if json_value is None or fmt == "xlsx" else json_value
        return m

    # ---- value kinds

    def types(self) -> Mutation:
        if self.rng.random() < 0.55:
            stem, f = self.pick_field(("int",))
            v = self.rng.choice(BAD_INTS)
            why = "an int is ASCII digits, optionally signed, within 64 bits"
        else:
            stem, f = self.pick_field(("bool",))
            v = self.rng.choice(BAD_BOOLS)
            why = "a bool is true or false"
        return self.cell("types", why, stem, self.pick_row(stem), f.name, v, fmt=self.fmt(("csv", "xlsx")))

    def dates(self) -> Mutation:
        if self.rng.random() < 0.2:
            stem = self.rng.choice([s for s, t in self.sample.items() if "valid_to" in t.header])
            row = self.pick_row(stem)
            vf = date.fromisoformat(self.sample[stem].value(row, "valid_from"))
            before = vf.replace(year=vf.year - 1) if not (vf.month == 2 and vf.day == 29) else vf.replace(day=1, year=vf.year - 1)
            return self.cell("dates", "valid_to may not be before valid_from", stem, row, "valid_to",
                             before.isoformat())
        stem, f = self.pick_field(("date",))
        return self.cell("dates", "a date is a calendar date written YYYY-MM-DD", stem, self.pick_row(stem), f.name,
                         self.rng.choice(BAD_DATES))

    def codes(self) -> Mutation:
        stem, f = self.pick_field(("enum", "enumlist"))
        row = self.pick_row(stem)
        codes = list(ENUMS[f.enum or ""].values)
        other = [c for e in ENUMS.values() if e.name != f.enum for c in e.values if c not in codes]
        choice = self.rng.randrange(5)
        v = [self.rng.choice(codes).lower(), self.rng.choice(codes) + "S", self.rng.choice(other),
             self.rng.choice(codes).replace("_", " ").replace("E", "É"), "UNKNOWN"][choice]
        if v in codes:
            v += "_X"
        if f.type == "enumlist":
            v = ";".join([self.rng.choice(codes), v]) if self.rng.random() < 0.5 else ",".join(codes[:2])
        return self.cell("codes", f"{f.name} takes codes of {f.enum}, upper case as declared", stem, row, f.name, v,
                         json_value=v.split(";") if f.type == "enumlist" else None)

    def references(self) -> Mutation:
        stem, f = self.pick_field(("ref",))
        row = self.pick_row(stem)
        target = next(s for s, t in self.sample.items() if t.kind.name == f.ref)
        other = [s for s, t in self.sample.items() if t.kind.name != f.ref and isinstance(t.kind, NodeKind)
                 and t.rows and not (set(r[0] for r in t.rows) & set(r[0] for r in self.sample[target].rows))]
        some_id = self.rng.choice(self.sample[target].rows)[0]
        v = self.rng.choice([f"{some_id}-404", some_id.lower(), some_id + "\u200b", "NO-SUCH-ID",
                             self.rng.choice(self.sample[self.rng.choice(other)].rows)[0]])
        if v.lower() == v and v == some_id:  # an id without letters: lower() changed nothing
            v = some_id + "0"
        return self.cell("references", f"{f.name} must name a {f.ref} in the input or the graph", stem, row, f.name, v,
                         fmt=self.fmt(("csv", "jsonl")))

    def duplicates(self) -> Mutation:
        stem = self.rng.choice([s for s, t in self.sample.items() if t.rows])
        fmt = self.fmt(("csv", "jsonl"))
        tables = self.tables(stem)
        t = tables[stem]
        row = self.pick_row(stem)
        copy = list(t.rows[row])
        if self.rng.random() < 0.5 and len(t.header) > 1:
            j = self.rng.randrange(1, len(t.header))
            src = t.rows[self.rng.randrange(len(t.rows))][j]
            copy[j] = src
        if self.rng.random() < 0.3:
            copy[0] = f" {copy[0]} "
        at = self.rng.randrange(row + 1, len(t.rows) + 1)
        t.rows.insert(at, copy)
        return Mutation("duplicates", "an id appears once per kind (spaces are trimmed)", tables,
                        _expect(stem, fmt, at, "id"), fmt, stem)

    def controls(self) -> Mutation:
        stem, f = self.pick_field(("string", "text", "ref", "enum", "date", "int"),
                                  lambda f: not f.confidential)
        row = self.pick_row(stem, lambda r: r[self.sample[stem].col(f.name)] != "")
        old = self.sample[stem].value(row, f.name)
        c = self.rng.choice(CONTROLS)
        at = self.rng.randrange(0, len(old) + 1)
        v = old[:at] + c + old[at:]
        if f.type != "text" and self.rng.random() < 0.2:
            v = old[:max(1, at)] + self.rng.choice(["\t", "\n", "\r\n"]) + old[max(1, at):] + "x"
        return self.cell("control characters", "no control character in a value (nor a tab or line break "
                                               "inside a single-line value)", stem, row, f.name, v,
                         fmt=self.fmt(("csv", "jsonl")))

    def sizes(self) -> Mutation:
        r = self.rng.random()
        if r < 0.15:
            stem, f = self.pick_field(("text",), lambda f: not f.confidential)
            v = "长" * (csv.field_size_limit() + self.rng.randrange(1, 100))
            return self.cell("sizes", "a value longer than the CSV reader's limit is longer than any field",
                             stem, self.pick_row(stem), f.name, v, fmt="csv")
        if r < 0.25:
            stem, f = self.pick_field(("int",))
            v = str(self.rng.choice([2**63, -(2**63) - 1, 10**30]))
            return self.cell("sizes", "an int fits in 64 bits", stem, self.pick_row(stem), f.name, v,
                             json_value=int(v))
        stem, f = self.pick_field(("string", "text", "ref", "list", "enumlist"), lambda f: not f.confidential)
        over = f.max_length + self.rng.choice([1, 2, 100, f.max_length])
        if f.type == "enumlist":
            code = ENUMS[f.enum or ""].values
            items = list(code)
            v = ";".join(items[i % len(items)] + "" for i in range(over // 4))
            v = ";".join(dict.fromkeys(v.split(";")))
            if len(v) <= f.max_length:  # the distinct codes are too few to pass the limit: an unknown long code
                v = "X" * over
        else:
            v = ("名" if f.type != "ref" else "X") * over
        return self.cell("sizes", f"{f.name} holds at most {f.max_length} characters", stem, self.pick_row(stem),
                         f.name, v, fmt=self.fmt(("csv", "jsonl", "xlsx")),
                         json_value=v.split(";") if f.type in ("list", "enumlist") else None)

    def injections(self) -> Mutation:
        """An injection string where the rules make it invalid: as a
        reference, a code, a date, an int, or with a NUL in a name."""
        stem, f = self.pick_field(("ref", "enum", "date", "int", "string"), lambda f: not f.confidential)
        s = self.rng.choice(INJECTIONS)
        if f.type == "string":
            s = s + "\x00" + s
            why = "no control character (here a NUL) in a value"
        else:
            why = {"ref": "a reference names an id in the input or the graph", "enum": "a code of its enumeration",
                   "date": "a date is YYYY-MM-DD", "int": "an int is digits"}[f.type]
        if f.type == "int" and s.strip().lstrip("+-").isdigit():
            s = s + "x"
        return self.cell("injection strings", why, stem, self.pick_row(stem), f.name, s,
                         fmt=self.fmt(("csv", "jsonl", "xlsx") if "\x00" not in s else ("csv", "jsonl")))

    def json_types(self) -> Mutation:
        options: list[tuple[tuple[str, ...], Callable[[str], Any], str]] = [
            (("string", "ref", "text", "enum", "date"), lambda v: 12, "a number for a string"),
            (("string", "ref"), lambda v: [v], "an array for a string"),
            (("string", "text"), lambda v: {"v": v}, "an object for a string"),
            (("int",), lambda v: str(v), "a string for an int"),
            (("int",), lambda v: float(v) + 0.5, "a fraction for an int"),
            (("int",), lambda v: True, "a boolean for an int"),
            (("bool",), lambda v: str(v).lower(), "a string for a boolean"),
            (("bool",), lambda v: 1, "a number for a boolean"),
            (("list", "enumlist"), lambda v: v, "a string for a list"),
            (("list", "enumlist"), lambda v: [v, 7], "a number in a list"),
            (("string", "text"), lambda v: v + "\ud800", "a lone surrogate in a string"),
        ]
        types, make, what = self.rng.choice(options)
        stem, f = self.pick_field(types, lambda f: not f.confidential)
        row = self.pick_row(stem, lambda r: r[self.sample[stem].col(f.name)] != "")
        old = self.sample[stem].value(row, f.name)
        v = make(old if f.type not in ("int", "bool") else typed(f, old))
        return self.cell("JSON types", f"{what}: a JSON value has its field's JSON type", stem, row, f.name, "",
                         fmt="jsonl", json_value=v)

    # ---- structure kinds

    def columns(self) -> Mutation:
        stem = self.rng.choice([s for s, t in self.sample.items() if t.rows])
        fmt = self.fmt(("csv", "xlsx"))
        tables = self.tables(stem, False if fmt == "xlsx" else None)
        t = tables[stem]
        k = t.kind
        choice = self.rng.randrange(6)
        if choice == 0:
            req = [f.name for f in input_fields(k) if f.required and f.name in t.header]
            col = self.rng.choice(req)
            j = t.col(col)
            t.header.pop(j)
            for r in t.rows:
                r.pop(j)
            return Mutation("columns", "every required field is a column", tables, _expect(stem, fmt, -1, col),
                            fmt, stem)
        if choice == 1:
            name = self.rng.choice(["nickname", "ID", "Name ", "备注", "id2", "valid from"])
            t.header.append(name)
            for r in t.rows:
                r.append("")
            return Mutation("columns", "a column the kind does not have is an error", tables,
                            _expect(stem, fmt, -1, name.strip()), fmt, stem)
        if choice == 2:
            col = self.rng.choice(t.header)
            t.header.append(col)
            for r in t.rows:
                r.append(r[t.col(col)])
            return Mutation("columns", "a column may not be given twice", tables, _expect(stem, fmt, -1, col),
                            fmt, stem)
        row = self.pick_row(stem)
        if choice in (3, 4):  # a row with a cell too few / too many (CSV); a value without a header (workbook)
            if fmt == "xlsx" or choice == 4:
                t.rows[row].append("stray")
                col = t.header[-1] if fmt == "csv" else f"(column {len(t.header) + 1}, no header)"
                why = "a row has one cell per column"
            else:
                t.rows[row].pop()
                col = t.header[len(t.rows[row])]
                why = "a row has one cell per column"
            return Mutation("columns", why, tables, _expect(stem, fmt, row, col), fmt, stem)
        # a blank header cell over a column with values
        j = self.rng.randrange(len(t.header))
        t.header[j] = ""
        required = {f.name for f in input_fields(k) if f.required}
        if fmt == "xlsx" and j == len(t.header) - 1 and self.sample[stem].header[j] in required:
            # the header ends at its last named column: a required one is then missing
            return Mutation("columns", "every required field is a column", tables,
                            _expect(stem, fmt, -1, self.sample[stem].header[j]), fmt, stem)
        if fmt == "xlsx" and j == len(t.header) - 1:  # a sheet's header ends at its last named column
            first = next((i for i, r in enumerate(t.rows) if r[j]), None)
            if first is None:
                return self.columns()
            return Mutation("columns", "every column with values has a name", tables,
                            _expect(stem, fmt, first, f"(column {j + 1}, no header)"), fmt, stem)
        return Mutation("columns", "every column has a name", tables, _expect(stem, fmt, -1, "(empty)"), fmt, stem)

    def encodings(self) -> Mutation:
        stem = self.rng.choice([s for s, t in self.sample.items() if any(not c.isascii() for r in t.rows for c in r)])
        fmt = self.fmt(("csv", "jsonl"))
        tables = self.tables(stem)
        t = tables[stem]
        row = self.pick_row(stem, lambda r: any(not c.isascii() for c in r))
        col = next(h for h, c in zip(t.header, t.rows[row], strict=True) if not c.isascii())
        first = next(i for i, r in enumerate(t.rows) if any(not c.isascii() for c in r))
        first_col = next(h for h, c in zip(t.header, t.rows[first], strict=True) if not c.isascii())
        ext = ".csv" if fmt == "csv" else ".jsonl"
        choice = self.rng.randrange(5)

        def reencode(codec: str) -> Callable[[Path], None]:
            def go(folder: Path) -> None:
                p = folder / f"{stem}{ext}"
                p.write_bytes(p.read_text(encoding="utf-8").encode(codec))
            return go

        if choice == 0:
            return Mutation("encodings", "files are UTF-8 (this one is GB18030)", tables,
                            _expect(stem, fmt, first, first_col), fmt, stem, raw=reencode("gb18030"))
        if choice == 1:
            return Mutation("encodings", "files are UTF-8 (this one is UTF-16)", tables,
                            Expect(f"{stem}{ext}", frozenset({1}), None), fmt, stem, raw=reencode("utf-16"))
        bad = [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe4\xb8"][choice - 2 if choice < 4 else self.rng.randrange(4)]
        marker = t.rows[row][t.col(col)]

        def damage(folder: Path) -> None:
            p = folder / f"{stem}{ext}"
            data = p.read_bytes()
            lines = data.split(b"\n")
            i = row + (1 if fmt == "csv" else 0)
            enc = marker.encode() if fmt == "csv" else json.dumps(marker, ensure_ascii=False).encode()
            at = lines[i].index(enc) + (0 if fmt == "csv" else 1) + len(marker.encode()) // 2
            # inside the cell, at a character boundary
            while at < len(lines[i]) and (lines[i][at] & 0xC0) == 0x80:
                at += 1
            lines[i] = lines[i][:at] + bad + lines[i][at:]
            p.write_bytes(b"\n".join(lines))

        return Mutation("encodings", "files are UTF-8 (a byte sequence that is not)", tables,
                        _expect(stem, fmt, row, col), fmt, stem, raw=damage)

    def quoting(self) -> Mutation:
        stem = self.rng.choice([s for s, t in self.sample.items() if t.rows])
        tables = self.tables(stem)
        t = tables[stem]
        row = self.pick_row(stem)
        j = self.rng.randrange(len(t.header))
        col = t.header[j]
        choice = self.rng.randrange(2)
        old = t.rows[row][j]

        def damage(folder: Path) -> None:
            p = folder / f"{stem}.csv"
            lines = p.read_text(encoding="utf-8").split("\n")
            cells = lines[row + 1].split(",")
            cells[j] = f'"{old}' if choice == 0 else f'"{old}"x'
            lines[row + 1] = ",".join(cells)
            p.write_text("\n".join(lines), encoding="utf-8")

        why = ["a quoted cell ends with a quote", "a quoted cell is followed by a comma or the end of the line"][choice]
        return Mutation("quoting", why, tables, _expect(stem, "csv", row, col), "csv", stem, raw=damage)

    def broken_json(self) -> Mutation:
        stem = self.rng.choice([s for s, t in self.sample.items() if t.rows])
        tables = self.tables(stem)
        t = tables[stem]
        row = self.pick_row(stem)
        fields = self.fields[stem]
        obj = {h: typed(fields[h], c) for h, c in zip(t.header, t.rows[row], strict=True) if c != ""}
        keys = list(obj)
        choice = self.rng.randrange(7)
        text = json.dumps(obj, ensure_ascii=False)
        col: str | None = keys[-1]
        if choice == 0:  # cut off
            key = self.rng.choice(keys)
            text = text[:text.index(f'"{key}": ') + len(f'"{key}": ') + 1]
            col = key
        elif choice == 1:
            text = text[:-1] + ", }"
        elif choice == 2:
            key = self.rng.choice(keys)
            text = text.replace(f'"{key}": ', f"{key}: ", 1)
            col = keys[keys.index(key) - 1] if keys.index(key) else None
        elif choice == 3:
            key = self.rng.choice(keys)
            text = text[:-1] + f', "{key}": {json.dumps(obj[key], ensure_ascii=False)}}}'
            col = key
        elif choice == 4:
            text = json.dumps(list(obj.values()), ensure_ascii=False)
            col = None
        elif choice == 5:
            key = self.rng.choice(keys)
            text = text.replace(f'"{key}": ', f"'{key}': ", 1)
            col = keys[keys.index(key) - 1] if keys.index(key) else None
        else:
            key = self.rng.choice(keys)
            text = text.replace(f'"{key}": ', f'"{key}" ', 1)
            col = key

        def damage(folder: Path) -> None:
            p = folder / f"{stem}.jsonl"
            lines = p.read_text(encoding="utf-8").split("\n")
            lines[row] = text
            p.write_text("\n".join(lines), encoding="utf-8")

        why = ["a line is a whole JSON object", "no trailing comma in JSON", "JSON keys are quoted",
               "a key appears once in an object", "a line is a JSON object, not an array",
               "JSON strings take double quotes", "a key is followed by a colon"][choice]
        return Mutation("broken JSON lines", why, tables, _expect(stem, "jsonl", row, col), "jsonl", stem, raw=damage)

    def workbook(self) -> Mutation:
        stem = self.rng.choice([s for s, t in self.sample.items() if t.rows])
        tables = self.tables(stem, False)
        t = tables[stem]
        row = self.pick_row(stem)
        choice = self.rng.randrange(7)
        m = Mutation("workbook sheets", "", tables, _expect(stem, "xlsx", row, None), "xlsx", stem)
        if choice == 0:
            col = self.rng.choice(t.header)
            m.formula, m.expect.field = (row, col), col
            m.why = "a cell holds a value, not a formula"
        elif choice == 1:
            col = self.rng.choice(t.header)
            m.cells[(row, col)] = self.rng.choice(["#N/A", "#DIV/0!", "#REF!", "#VALUE!"])
            m.expect.field, m.why = col, "a cell holds a value, not a spreadsheet error"
        elif choice == 2:
            name = self.rng.choice(["people", "Person", "sheet1", "matter", "任职"])  # (Excel: names differ in more than case)
            if kind_for_file(name) is None:
                m.extra_sheets = [name]
                m.expect = Expect(BOOK, None, None, name)
                m.why = "every sheet is named after an input file (or README…)"
            else:
                return self.workbook()
        elif choice == 3:
            m.extra_sheets = [f"{stem} "]
            m.expect = Expect(BOOK, None, None, f"{stem} ")
            m.why = "one sheet per input file"
        elif choice == 4:
            dates = [f.name for f in input_fields(t.kind) if f.type == "date" and f.name in t.header]
            if not dates:
                return self.workbook()
            col = self.rng.choice(dates)
            m.cells[(row, col)] = datetime(2019, 5, 6, self.rng.randrange(1, 23), 30)
            m.expect.field, m.why = col, "a date cell holds a date without a time of day"
        elif choice == 5:
            texts = [f.name for f in input_fields(t.kind) if f.type in ("string", "ref") and f.name in t.header]
            col = self.rng.choice(texts)
            m.cells[(row, col)] = self.rng.choice([datetime(2019, 5, 6), True, 1.5])
            m.expect.field, m.why = col, "a text cell holds text (or a whole number)"
        else:
            ints = [f.name for f in input_fields(t.kind) if f.type == "int" and f.name in t.header]
            if not ints:
                return self.workbook()
            col = self.rng.choice(ints)
            m.cells[(row, col)] = self.rng.choice([1963.5, True, datetime(2019, 1, 1)])
            m.expect.field, m.why = col, "an int cell holds a whole number"
        return m

    # ---- rules across rows

    def cycles(self) -> Mutation:
        choice = self.rng.randrange(3)
        if choice < 2:
            stem = ["territories", "institutions"][choice]
            t = self.sample[stem]
            parent = {r[0]: r[t.col("parent")] for r in t.rows}
            row = self.pick_row(stem, lambda r: any(parent.get(c) == r[0] for c in parent) or True)
            node = t.rows[row][0]
            below = [c for c in parent if _ancestor(parent, c, node)] or [node]
            new_parent = self.rng.choice(below)
            tables = self.tables(stem, False)
            tables[stem].rows[row][t.col("parent")] = new_parent
            tables[stem].rows = [tables[stem].rows[row]]
            return self.at("cycles", "no territory or institution is its own ancestor", tables, stem,
                           self.fmt(("csv", "jsonl")), {0}, "parent")
        t = self.sample["vertical_lines"]
        row = self.pick_row("vertical_lines")
        lower, upper = t.value(row, "lower"), t.value(row, "upper")
        tables = self.tables("vertical_lines", False)
        new = list(t.rows[row])
        new[0] = f"VL-BACK-{row}"
        new[t.col("lower")], new[t.col("upper")] = (upper, lower) if self.rng.random() < 0.7 else (lower, lower)
        tables["vertical_lines"].rows = [new]
        return self.at("cycles", "no department is above itself through vertical lines", tables, "vertical_lines",
                       self.fmt(("csv", "jsonl")), {0}, "upper")

    def principals(self) -> Mutation:
        t = self.sample["posts"]
        teams = {r[t.col("team")] for r in t.rows if r[t.col("role")] == "PRINCIPAL" and r[t.col("team")]}
        choice = self.rng.randrange(3)
        rows = [i for i, r in enumerate(t.rows) if r[t.col("team")] in teams and r[t.col("role")] != "PRINCIPAL"]
        if choice == 0 and rows:
            row = self.rng.choice(rows)
            team = t.rows[row][t.col("team")]
            principal = next(i for i, r in enumerate(t.rows) if r[t.col("team")] == team and r[t.col("role")] == "PRINCIPAL")
            tables = self.tables("posts")
            tables["posts"].rows[row][t.col("role")] = "PRINCIPAL"
            return self.at("two principals", "a leadership team has at most one PRINCIPAL post", tables, "posts",
                           self.fmt(("csv", "jsonl")), {row, principal} if len(tables) > 1 else {row}, "role")
        team = self.rng.choice(sorted(teams))
        inst = next(r[t.col("institution")] for r in t.rows if r[t.col("team")] == team)
        tables = {"posts": Table(t.kind, list(t.header), [])}
        new = [""] * len(t.header)
        new[t.col("id")], new[t.col("title")], new[t.col("role")] = f"P-NEW-{self.rng.randrange(10**6)}", "代理负责人", "PRINCIPAL"
        new[t.col("institution")], new[t.col("team")] = inst, team
        tables["posts"].rows.append(new)
        return self.at("two principals", "a leadership team has at most one PRINCIPAL post (the graph's included)",
                       tables, "posts", self.fmt(("csv", "jsonl", "xlsx")), {0}, "role")

    def tenures(self) -> Mutation:
        posts = self.sample["posts"]
        role = {r[0]: r[posts.col("role")] for r in posts.rows}
        t = self.sample["tenures"]
        col = t.col
        choice = self.rng.randrange(3)
        if choice == 2:  # a staff post with two holders at once made a team post
            pairs = _overlapping_staff(t, role)
            if pairs:
                post = self.rng.choice(sorted(pairs))
                row = next(i for i, r in enumerate(posts.rows) if r[0] == post)
                tables = {"posts": Table(posts.kind, list(posts.header), [list(posts.rows[row])])}
                tables["posts"].rows[0][posts.col("role")] = "DEPUTY"
                return self.at("overlapping tenures", "a post that is not a staff post has one holder at a time "
                               "(here: a staff post held by two made a team post)", tables, "posts",
                               self.fmt(("csv", "jsonl")), {0}, "role")
        row = self.pick_row("tenures", lambda r: role.get(r[col("post")]) not in (None, "STAFF"))
        held = t.rows[row]
        others = sorted({r[col("person")] for r in t.rows} - {held[col("person")]})
        start = date.fromisoformat(held[col("valid_from")])
        end = date.fromisoformat(held[col("valid_to")]) if held[col("valid_to")] else date(2024, 1, 1)
        day = start + (end - start) * self.rng.random()
        new = list(held)
        new[0], new[col("person")] = f"H-NEW-{row}", self.rng.choice(others)
        new[col("valid_from")], new[col("valid_to")] = day.isoformat(), ""
        fmt = self.fmt(("csv", "jsonl", "xlsx"))
        if choice == 0 or fmt == "xlsx":
            tables = {"tenures": Table(t.kind, list(t.header), [new])}
            lines = {0}
        else:
            tables = self.tables("tenures", True)
            tables["tenures"].rows.append(new)
            lines = {len(tables["tenures"].rows) - 1, row}
        return self.at("overlapping tenures", "a post that is not a staff post has one holder at a time", tables,
                       "tenures", fmt, lines, "post")

    KINDS: dict[str, str] = {
        "types": "types", "dates": "dates", "codes": "codes", "references": "references",
        "duplicates": "duplicates", "cycles": "cycles", "two principals": "principals",
        "overlapping tenures": "tenures", "columns": "columns", "encodings": "encodings", "sizes": "sizes",
        "quoting": "quoting", "control characters": "controls", "broken JSON lines": "broken_json",
        "JSON types": "json_types", "workbook sheets": "workbook", "injection strings": "injections",
    }

    def mutations(self, count: int) -> Iterator[Mutation]:
        names = list(self.KINDS)
        for i in range(count):
            yield getattr(self, self.KINDS[names[i % len(names)]])()


def _ancestor(parent: dict[str, str], node: str, of: str) -> bool:
    seen = set()
    while node in parent and node not in seen:
        seen.add(node)
        node = parent[node]
        if node == of:
            return True
    return False


def _overlapping_staff(t: Table, role: dict[str, str]) -> set[str]:
    by_post: dict[str, list[tuple[date, date]]] = defaultdict(list)
    for r in t.rows:
        if role.get(r[t.col("post")]) == "STAFF":
            end = date.fromisoformat(r[t.col("valid_to")]) if r[t.col("valid_to")] else date.max
            by_post[r[t.col("post")]].append((date.fromisoformat(r[t.col("valid_from")]), end))
    return {p for p, spans in by_post.items()
            if any(a[0] <= b[1] and b[0] <= a[1] for i, a in enumerate(spans) for b in spans[i + 1:])}


def _line(fmt: str, row: int) -> int:
    """The line (workbook: row) of a data row: the header is line 1 in CSV and workbooks; JSON Lines has none."""
    if row < 0:
        return 1
    return row + 1 if fmt == "jsonl" else row + 2


def _expect(stem: str, fmt: str, row: int, col: str | None) -> Expect:
    """Row -1: the header (a JSON Lines file has none: the first line)."""
    if fmt == "xlsx":
        return Expect(BOOK, frozenset({_line(fmt, row)}), col, stem)
    return Expect(f"{stem}.{fmt}", frozenset({_line(fmt, row)}), col)


# --------------------------------------------------------------------------- checking

def fingerprint(store: GraphStore) -> tuple[dict[str, int], dict[str, int], str]:
    """Counts by label and by type, and a hash of every node and relationship with its properties."""
    nodes = store.read("MATCH (n) RETURN labels(n) AS l, properties(n) AS p")
    rels = store.read("MATCH (a)-[r]->(b) RETURN type(r) AS t, a.id AS a, b.id AS b, properties(r) AS p")
    labels = Counter(label for n in nodes for label in n["l"])
    types = Counter(r["t"] for r in rels)
    dump = sorted(json.dumps(n, sort_keys=True, default=str, ensure_ascii=False) for n in nodes)
    dump += sorted(json.dumps(r, sort_keys=True, default=str, ensure_ascii=False) for r in rels)
    return dict(labels), dict(types), hashlib.sha256("\n".join(dump).encode()).hexdigest()


@dataclass
class Outcome:
    rejected: bool
    located: bool
    changed: bool
    detail: str


def located(m: Mutation, errors: list[Any]) -> bool:
    e = m.expect
    for p in errors:
        loc = p.location
        if getattr(loc, "source", loc) != e.source or getattr(loc, "sheet", None) != e.sheet:
            continue
        if e.lines is None and loc.line is None and e.field is None:
            return True
        if e.lines is not None and loc.line in e.lines and p.field == e.field:
            return True
    return False


def check(m: Mutation, store: GraphStore, settings: Settings, before: Any, work: Path) -> Outcome:
    root = Path(tempfile.mkdtemp(dir=work))
    try:
        target = m.write(root)
        try:
            load_path(target, store, settings=settings)
        except ValidationFailed as failed:
            ok = located(m, failed.errors)
            detail = "" if ok else f"expected {m.expect}; got: " + " | ".join(str(p)[:160] for p in failed.errors[:3])
            return Outcome(True, ok, fingerprint(store) != before, detail)
        except Exception as e:  # a failure past validation: not a rejection with a location
            return Outcome(False, False, fingerprint(store) != before, f"{type(e).__name__}: {str(e)[:200]}")
        return Outcome(False, False, fingerprint(store) != before, "accepted")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run(count: int, seed: int, settings: Settings, work: Path, out: Any = sys.stdout,
        kinds: list[str] | None = None) -> dict[str, dict[str, int]]:
    folder = sample_folder()
    gen = Generator(read_sample(folder), seed)
    results: dict[str, dict[str, int]] = defaultdict(lambda: Counter())  # type: ignore[arg-type]
    misses: list[str] = []
    store = open_store(settings)
    try:
        store.clear()
        load_path(folder, store, settings=settings)
        before = fingerprint(store)
        started = time.perf_counter()
        for i, m in enumerate(gen.mutations(count)):
            if kinds and m.kind not in kinds:
                continue
            o = check(m, store, settings, before, work)
            r = results[m.kind]
            r["count"] += 1
            r["rejected"] += o.rejected
            r["located"] += o.rejected and o.located
            r["accepted"] += not o.rejected
            r["changed"] += o.changed
            if not (o.rejected and o.located and not o.changed):
                misses.append(f"#{i} {m.kind} ({m.why}; {m.fmt} {m.target}): {o.detail}")
            if o.changed:  # put the sample back for the next mutation
                store.clear()
                load_path(folder, store, settings=settings)
                before = fingerprint(store)
        seconds = time.perf_counter() - started
    finally:
        store.clear()
        store.close()
    report(results, misses, seconds, out)
    return {k: dict(v) for k, v in results.items()}


def report(results: dict[str, Any], misses: list[str], seconds: float, out: Any) -> None:
    head = ("kind", "count", "rejected with location", "wrongly accepted", "graph changed")
    print("| " + " | ".join(head) + " |", file=out)
    print("|---|" + "---:|" * (len(head) - 1), file=out)
    total: Counter[str] = Counter()
    for k, r in results.items():
        total.update(r)
        print(f"| {k} | {r['count']} | {r['located']} | {r['accepted']} | {r['changed']} |", file=out)
    print(f"| **all** | {total['count']} | {total['located']} ({100 * total['located'] / max(1, total['count']):.1f}%) "
          f"| {total['accepted']} | {total['changed']} |", file=out)
    print(f"\n{total['count']} mutations in {seconds:.0f} s; {len(misses)} missed", file=out)
    for line in misses[:200]:
        print("  " + line, file=out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=2400)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--kind", action="append", help="only this mutation kind (repeatable)")
    ap.add_argument("--graph", default="embedded", help="the store (default: an embedded FalkorDB in a temp folder)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="zeren-badinput-") as tmp:
        settings = Settings(graph=args.graph, data_dir=Path(tmp) / "store", graph_name="badinput")
        results = run(args.count, args.seed, settings, Path(tmp), kinds=args.kind)
    total = Counter()
    for r in results.values():
        total.update(r)
    return 0 if total["located"] == total["count"] and total["changed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
