"""Validation of a whole input before anything is written.

Every check is derived from the declared model (``zeren.graph.model``): field
types, required fields, enumerations, lengths, references. On top of the
per-value checks come the checks across rows and files:

* duplicate ids within a kind;
* references to ids neither in the input nor already in the graph (looked up
  with one parameterised query per target kind);
* ``valid_to`` before ``valid_from``;
* cycles in the parent chains of territories and institutions (graph parents
  included, fetched level by level), and in the vertical management lines;
* a leadership team with more than one PRINCIPAL post (graph posts included);
* a post that is not a staff post held by two persons at overlapping times
  (intervals inclusive, as the model declares; graph tenures included).

All errors are collected into one report (the first ``max_errors`` kept, all
counted); :class:`ValidationFailed` carries it.

Validation keeps ids and what those checks need, not the rows: a valid
:class:`Dataset` reads the source again, row by row, for writing. The ids of
each kind are held compactly (their UTF-8 bytes in a numpy array ordered by a
64-bit hash, with their lines); duplicates and references are found by the
hash and confirmed on the ids themselves. A folder's CSV files are converted
in stretches on one worker process per core; the errors, their order and the
counts are those of reading every file whole, row by row.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections import defaultdict, deque
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from itertools import groupby, islice
from pathlib import Path
from typing import Any

import numpy as np

from zeren.graph.model import ENUMS, NODES, Field, NodeKind, RelKind, kind, loadable_kinds
from zeren.graph.store.base import GraphStore

from .readers import (CsvSpan, Kind, Location, Problem, RawRow, _folder_files, csv_spans, input_fields, read_csv,
                      read_jsonl, read_source, show)

Row = dict[str, Any]
MAX_INT = 2**63


# --------------------------------------------------------------------------- report

class ErrorLog:
    """Collects problems: keeps the first ``max_errors``, counts them all, and
    remembers the kinds whose rows could not all be read."""

    def __init__(self, max_errors: int = 50) -> None:
        self.max_errors = max(1, max_errors)
        self.problems: list[Problem] = []
        self.total = 0
        self.broken_kinds: set[str] = set()

    def add(self, problem: Problem) -> None:
        self.total += 1
        if problem.kind:
            self.broken_kinds.add(problem.kind)
        if len(self.problems) < self.max_errors:
            self.problems.append(problem)


class ValidationFailed(Exception):
    """The input is invalid; nothing was written. ``errors`` holds the first
    ones (at most ``max_errors``), ``total`` counts all."""

    def __init__(self, errors: list[Problem], total: int) -> None:
        self.errors = errors
        self.total = total
        super().__init__(self.report())

    def report(self) -> str:
        shown = len(self.errors)
        head = f"{self.total} error{'s' if self.total != 1 else ''} in the input"
        if shown < self.total:
            head += f" (first {shown} shown)"
        lines = [head + "; nothing was written."]
        lines += [f"  {p}" for p in self.errors]
        if shown < self.total:
            lines.append(f"  … and {self.total - shown} more")
        return "\n".join(lines)


# --------------------------------------------------------------------------- values

class Invalid(ValueError):
    """A value does not fit its field; the message is the reason."""


# A control character (C0 but tab, line feed and carriage return; DEL; C1) or
# a lone surrogate is never data: FalkorDB cannot even hold a NUL, and a lone
# surrogate cannot be encoded as UTF-8 to reach any store.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_BREAK = re.compile(r"[\t\n\r]")


def _characters(f: Field, s: str) -> None:
    """Refuse control characters; in a single-line value (all but ``text``)
    tabs and line breaks too, except as the leading or trailing whitespace
    that is trimmed."""
    if s.isprintable():
        return
    if m := _CONTROL.search(s):
        raise Invalid(f"a control character (U+{ord(m.group()):04X}) at character {m.start() + 1}; "
                      "remove it")
    if f.type != "text" and (m := _LINE_BREAK.search(s.strip())):
        what = "a tab" if m.group() == "\t" else "a line break"
        raise Invalid(f"{what} inside a single-line value")


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, list) and not v)


def _text(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        raise Invalid("expected text, got a boolean")
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    raise Invalid(f"expected text, got {type(v).__name__}")


def _length(f: Field, n: int) -> None:
    if n > f.max_length:
        raise Invalid(f"too long: {n} characters, at most {f.max_length}")


def _string(f: Field, v: Any) -> str:
    s = _text(v).strip()
    _length(f, len(s))
    return s


def _long_text(f: Field, v: Any) -> str:
    s = _text(v)
    _length(f, len(s))
    return s


_INT = re.compile(r"[+-]?[0-9]+")  # ASCII digits only: int() also takes '１２' and '١٢'


def _int(f: Field, v: Any) -> int:
    if isinstance(v, bool):
        raise Invalid("not an integer: got a boolean")
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, str) and _INT.fullmatch(v.strip()):
        v = int(v.strip())
    if not isinstance(v, int):
        raise Invalid("not an integer (digits only)")
    if not -MAX_INT <= v < MAX_INT:
        raise Invalid("integer out of range (64 bits)")
    return v


def _bool(f: Field, v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    raise Invalid("not a boolean: use true or false")


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date(f: Field, v: Any) -> date:
    if isinstance(v, datetime):
        if v.time() != datetime.min.time():
            raise Invalid("a date without a time of day is expected")
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, str) and _DATE.fullmatch(v.strip()):
        try:
            return date.fromisoformat(v.strip())
        except ValueError:
            raise Invalid("not a valid date (YYYY-MM-DD)") from None
    raise Invalid("not a date: use YYYY-MM-DD")


def _datetime(f: Field, v: Any) -> str:
    if isinstance(v, datetime):
        return v.isoformat()
    s = _string(f, v)
    try:
        datetime.fromisoformat(s)
    except ValueError:
        raise Invalid("not an ISO 8601 date-time") from None
    return s


def _codes(f: Field) -> str:
    return ", ".join(ENUMS[f.enum or ""].values)


def _code(f: Field, v: Any) -> str:
    s = _text(v).strip()
    values = ENUMS[f.enum or ""].values
    if s in values:
        return s
    hint = f" (codes are upper case: {s.upper()})" if s.upper() in values else ""
    raise Invalid(f"unknown {f.enum} code{hint}; allowed: {_codes(f)}")


def _list(f: Field, v: Any) -> list[str] | None:
    if isinstance(v, str):
        items = [x.strip() for x in v.split(";")]
    elif isinstance(v, list):
        items = [_text(x).strip() for x in v]
    else:
        raise Invalid("not a list: join values with ';' (CSV) or give a JSON array")
    items = list(dict.fromkeys(x for x in items if x))
    _length(f, len(";".join(items)))
    if f.type == "enumlist":
        for x in items:
            try:
                _code(f, x)
            except Invalid as e:
                raise Invalid(f"{x!r}: {e}") from None
    return items or None


Converter = Callable[[Field, Any], Any]
_CONVERTERS: dict[str, Converter] = {
    "string": _string, "ref": _string, "text": _long_text, "int": _int, "bool": _bool, "date": _date,
    "datetime": _datetime, "enum": _code, "list": _list, "enumlist": _list,
}


_PLAIN_STRING = frozenset({"string", "ref"})


def convert(f: Field, v: Any) -> Any:
    """The value of field ``f`` for a raw cell ``v``; ``None`` for no value.
    Raises :class:`Invalid` with the reason when the value does not fit."""
    if isinstance(v, str):
        _characters(f, v)
    elif isinstance(v, list):
        for x in v:
            if isinstance(x, str):
                _characters(f, x)
    if _blank(v):
        return None
    return _CONVERTERS[f.type](f, v)


# The JSON type a value of each field type must have in JSON Lines (a CSV or
# workbook cell is text or a typed cell, converted by the rules above).
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "ref": (str,), "text": (str,), "enum": (str,), "date": (str,), "datetime": (str,),
    "int": (int,), "bool": (bool,), "list": (list,), "enumlist": (list,),
}
_JSON_NAMES = {str: "a string", int: "an integer", bool: "true or false", list: "an array of strings"}


def _json_name(v: Any) -> str:
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    return {str: "a string", list: "an array", dict: "an object"}.get(type(v), type(v).__name__)


def check_json_type(f: Field, v: Any) -> None:
    """A JSON Lines value has the JSON type of its field (input-format.md,
    Values): a number is not an id, ``"12"`` not an integer, ``"true"`` not a
    boolean, a string not a list. ``null``, ``""`` and ``[]`` are no value."""
    if v is None or v == "" or v == []:
        return
    expected = _JSON_TYPES[f.type]
    ok = isinstance(v, expected) and not (isinstance(v, bool) and bool not in expected)
    if ok and isinstance(v, list):
        ok = all(isinstance(x, str) for x in v)
    if not ok:
        raise Invalid(f"expected {_JSON_NAMES[expected[0]]} in JSON, got {_json_name(v)}")


# --------------------------------------------------------------------------- rows

# How each field's commonest cells are converted without the general path
# (the same result as convert(); profiled: conversion is most of validation).
_SLOW, _PLAIN, _ENUM, _DATE_CELL, _INT_CELL, _BOOL_CELL, _TEXT = range(7)
_FAST = {"string": _PLAIN, "ref": _PLAIN, "enum": _ENUM, "date": _DATE_CELL, "int": _INT_CELL, "bool": _BOOL_CELL,
         "text": _TEXT}


@cache
def _plan(k: Kind) -> tuple[tuple[str, int, Field, frozenset[str]], ...]:
    """Per input field of a kind: its name, fast-path code, the field and its codes (enums)."""
    return tuple((f.name, _FAST.get(f.type, _SLOW), f,
                  frozenset(ENUMS[f.enum].values) if f.type == "enum" and f.enum else frozenset())
                 for f in input_fields(k))


_NOT_FAST = object()


def _slow(raw: RawRow, f: Field, v: Any, log: ErrorLog) -> Any:
    """The general conversion of a cell; ``_NOT_FAST`` (reported) when it does not fit."""
    try:
        if raw.typed:
            check_json_type(f, v)
        return convert(f, v)
    except Invalid as e:
        log.add(Problem(raw.location, str(e), field=f.name, value=show(v, confidential=f.confidential)))
        return _NOT_FAST


def convert_row(raw: RawRow, log: ErrorLog) -> tuple[Row, bool]:
    """Convert every field of a raw row; report each bad value. Returns the
    converted values and whether the row is valid."""
    out: Row = {}
    ok = True
    get = raw.row.get
    typed = raw.typed
    for name, code, f, codes in _plan(raw.kind):
        v = get(name)
        if v is None or v == "":
            c = None
        else:
            # The commonest cells inline (the same result as convert(), which the
            # others go through; profiled: conversion is most of validation).
            c = _NOT_FAST
            if type(v) is str:
                if code == _PLAIN:
                    if 0 < len(s := v.strip()) <= f.max_length and v.isprintable():
                        c = s
                elif code == _ENUM:
                    if v in codes:
                        c = v
                elif code == _DATE_CELL:
                    if len(v) == 10 and _DATE.fullmatch(v):
                        try:
                            c = date.fromisoformat(v)
                        except ValueError:
                            pass
                elif code == _TEXT:
                    if len(v) <= f.max_length and v.isprintable() and not v.isspace():
                        c = v
                elif not typed:
                    if code == _INT_CELL:
                        if len(v) < 19 and v.isascii() and v.isdigit():
                            c = int(v)
                    elif code == _BOOL_CELL and (v == "true" or v == "false"):
                        c = v == "true"
            elif typed:
                if code == _INT_CELL and type(v) is int and -MAX_INT <= v < MAX_INT:
                    c = v
                elif code == _BOOL_CELL and type(v) is bool:
                    c = v
            if c is _NOT_FAST:
                c = _slow(raw, f, v, log)
                if c is _NOT_FAST:
                    ok = False
                    continue
        if c is None:
            if f.required:
                log.add(Problem(raw.location, "required value missing", field=name))
                ok = False
            continue
        out[name] = c
    vf, vt = out.get("valid_from"), out.get("valid_to")
    if isinstance(vf, date) and isinstance(vt, date) and vt < vf:
        log.add(Problem(raw.location, f"valid_to is before valid_from ({vf.isoformat()})", field="valid_to",
                        value=show(vt.isoformat())))
        ok = False
    return out, ok


def id_hash(keys: np.ndarray) -> np.ndarray:
    """64-bit FNV-1a hashes of ids given as UTF-8 bytes (a numpy ``S`` array),
    one vectorised step per byte column. The padding of shorter ids is not
    hashed (an id never holds a NUL), so a hash does not depend on the array's
    width. Only an order: every match is confirmed on the ids themselves."""
    h = np.full(len(keys), 0xCBF29CE484222325, dtype=np.uint64)
    if not len(keys) or keys.itemsize == 0:
        return h
    columns = keys.view(np.uint8).reshape(len(keys), keys.itemsize)
    prime = np.uint64(0x100000001B3)
    for j in range(keys.itemsize):
        byte = columns[:, j].astype(np.uint64)
        h = np.where(byte != 0, (h ^ byte) * prime, h)
    return h


def _keys(values: list[str]) -> np.ndarray:
    """Ids as a numpy array of their UTF-8 bytes (as wide as the longest)."""
    return np.array([v.encode() for v in values], dtype=bytes) if values else np.zeros(0, dtype="S1")


class _Ids:
    """The ids of one kind, compactly: their exact UTF-8 bytes ordered by a
    64-bit hash (:func:`id_hash`), and the line of each. A look-up finds the
    hash by binary search and then compares the ids themselves, so a shared
    hash can never make a missing id found or a distinct id a duplicate."""

    def __init__(self, keys: np.ndarray | None = None, lines: np.ndarray | None = None) -> None:
        keys = _keys([]) if keys is None else keys
        lines = np.zeros(0, dtype=np.int64) if lines is None else lines
        h = id_hash(keys)
        order = np.argsort(h, kind="stable")  # equal hashes keep the input order: first lines first
        self.hashes, self.keys = h[order], keys[order]
        self.lines: np.ndarray | None = lines[order]

    def __len__(self) -> int:
        return len(self.hashes)

    def find(self, keys: np.ndarray) -> np.ndarray:
        """For each id, its position (the first line giving it), or -1."""
        n = len(self.hashes)
        if n == 0 or not len(keys):
            return np.full(len(keys), -1, dtype=np.int64)
        h = id_hash(keys)
        at = np.minimum(np.searchsorted(self.hashes, h), n - 1)
        same_hash = self.hashes[at] == h
        exact = same_hash & (self.keys[at] == keys)
        out = np.where(exact, at, -1)
        for j in np.flatnonzero(same_hash & ~exact):  # another id with this hash: look through all that share it
            k = int(at[j]) + 1
            while k < n and self.hashes[k] == h[j]:
                if self.keys[k] == keys[j]:
                    out[j] = k
                    break
                k += 1
        return out

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.find(_keys([key]))[0] >= 0

    def line(self, key: str) -> int:
        assert self.lines is not None
        return int(self.lines[self.find(_keys([key]))[0]])

    def duplicates(self) -> list[tuple[int, int, str]]:
        """(line, line of the first, id) of every id given again, by line."""
        same = np.flatnonzero(self.hashes[1:] == self.hashes[:-1])
        if not len(same) or self.lines is None:
            return []
        out: list[tuple[int, int, str]] = []
        first: dict[bytes, int] = {}
        group = None
        for m in np.union1d(same, same + 1).tolist():
            if self.hashes[m] != group:
                group, first = self.hashes[m], {}
            key = bytes(self.keys[m])
            line = int(self.lines[m])
            if key in first:
                out.append((line, first[key], key.decode()))
            else:
                first[key] = line
        return sorted(out)


@dataclass
class _KindSeen:
    """What validation keeps of one kind: its ids (compactly) with their lines,
    not its rows (the rows are read again for writing, so memory holds ids,
    not data)."""

    source: str
    sheet: str | None
    ids: _Ids = field(default_factory=_Ids)
    rows: int = 0

    def at(self, line: int | None) -> Location:
        return Location(self.source, line, self.sheet)


@dataclass(frozen=True, slots=True)
class _Tenure:
    id: str
    person: str
    post: str
    start: date
    end: date | None
    location: Location | None  # None: already in the graph

    def overlaps(self, other: _Tenure) -> bool:
        return self.start <= (other.end or date.max) and other.start <= (self.end or date.max)

    def __str__(self) -> str:
        span = f"{self.start.isoformat()} to {self.end.isoformat() if self.end else 'now'}"
        return f"{self.person} ({span}, tenure {self.id} {self.location or 'in the graph'})"


PRINCIPAL = "PRINCIPAL"
STAFF = "STAFF"


def _self_refs(k: Kind) -> list[Field]:
    """Ref fields naming the same kind (parents): checked for cycles."""
    return [f for f in k.refs if f.ref == k.name] if isinstance(k, NodeKind) else []


@cache
def _remembered_fields(k: Kind) -> tuple[tuple[Field, ...], tuple[Field, ...], tuple[Field, ...]]:
    """The confidential fields, the ref fields and the same-kind refs of a kind (once per kind, not per row)."""
    fields = input_fields(k)
    return (tuple(f for f in fields if f.confidential), tuple(f for f in fields if f.type == "ref"),
            tuple(_self_refs(k)))


@dataclass
class _Part:
    """What converting a stretch of the rows of one kind leaves for the checks
    across rows: its problems, its ids (with their lines, whether the row is
    valid and has a confidential value), the references of its valid rows, and
    what the cross-row checks of its kind need (``extra``, by line)."""

    kind: str
    source: str
    sheet: str | None
    problems: list[Problem]
    total: int
    broken: set[str]
    keys: np.ndarray
    lines: np.ndarray
    valid: np.ndarray
    secret: np.ndarray
    refs: dict[str, tuple[np.ndarray, np.ndarray]]
    extra: list[tuple[int, tuple[Any, ...]]]
    read: int = 0  # rows read
    keyless: int = 0  # valid rows without an id
    keyless_secret: bool = False
    stopped: bool = False  # the reading of the file ended in this stretch


# What the checks across rows need of a valid row of these kinds (besides the parents of Territory and Institution).
_EXTRA: dict[str, Callable[[Row], tuple[Any, ...]]] = {
    "Post": lambda row: (row["id"], row["role"], row.get("team")),
    "VERTICAL_LINE": lambda row: (row["id"], row["lower"], row["upper"]),
    "HOLDS": lambda row: (row["id"], row["person"], row["post"], row["valid_from"], row.get("valid_to")),
}


class _PartBuilder:
    """Converts the rows of one kind one by one into a :class:`_Part`."""

    def __init__(self, k: Kind, source: str, sheet: str | None, max_errors: int) -> None:
        self.kind, self.source, self.sheet = k, source, sheet
        self.log = ErrorLog(max_errors)
        self.confidential, refs, self.own = _remembered_fields(k)
        self.keys: list[str] = []
        self.lines: list[int] = []
        self.valid = bytearray()
        self.secret = bytearray()
        self.refs: dict[str, tuple[list[str], list[int]]] = {f.name: ([], []) for f in refs}
        self.extra: list[tuple[int, tuple[Any, ...]]] = []
        self.read = 0
        self.keyless = 0
        self.keyless_secret = False
        self.secret_names = tuple(f.name for f in self.confidential)
        self.ref_lists = tuple((name, keys.append, lines.append) for name, (keys, lines) in self.refs.items())
        self.extra_of = _EXTRA.get(k.name) if not self.own else self._parents

    def _parents(self, row: Row) -> tuple[Any, ...]:
        return tuple((f.name, row["id"], row.get(f.name)) for f in self.own)

    def add(self, raw: RawRow) -> None:
        self.read += 1
        row, ok = convert_row(raw, self.log)
        line = raw.location.line or 0
        key = row.get("id")
        secret = ok and any(row.get(name) is not None for name in self.secret_names)
        if key is not None:
            self.keys.append(key)
            self.lines.append(line)
            self.valid.append(ok)
            self.secret.append(secret)
        elif ok:
            self.keyless += 1
            self.keyless_secret |= secret
        if not ok:
            return
        for name, add_key, add_line in self.ref_lists:
            v = row.get(name)
            if v is not None:
                add_key(v)
                add_line(line)
        if self.extra_of is not None:
            self.extra.append((line, self.extra_of(row)))

    def part(self, stopped: bool = False) -> _Part:
        return _Part(self.kind.name, self.source, self.sheet, self.log.problems, self.log.total,
                     self.log.broken_kinds, _keys(self.keys), np.array(self.lines, dtype=np.int64),
                     np.frombuffer(bytes(self.valid), dtype=np.bool_),
                     np.frombuffer(bytes(self.secret), dtype=np.bool_),
                     {name: (_keys(keys), np.array(lines, dtype=np.int64))
                      for name, (keys, lines) in self.refs.items()},
                     self.extra, self.read, self.keyless, self.keyless_secret, stopped)


def _line_of(problem: Problem, source: str, sheet: str | None) -> float:
    """The line of a problem in a given file; infinite for one elsewhere or of the whole file."""
    loc = problem.location
    if isinstance(loc, Location) and loc.source == source and loc.sheet == sheet and loc.line is not None:
        return loc.line
    return float("inf")


class _Collector:
    """Takes the :class:`_Part` s of each file in order and keeps only what
    the checks across rows need: the ids of every kind compactly, the
    references not found among them, and the small kinds' cross-row data."""

    def __init__(self, log: ErrorLog) -> None:
        self.log = log
        self.kinds: dict[str, _KindSeen] = {}
        # references to ids not in the input: (file, line, field index) for their order, where, field, id
        self.missing: list[tuple[int, int, int, Location, Field, str]] = []
        # (kind, parent field) -> id -> parent id, for the kinds whose parents are of the same kind
        self.parents: dict[tuple[str, str], dict[str, str | None]] = defaultdict(dict)
        self.roles: dict[str, str] = {}  # post id -> role
        self.principals: dict[str, list[tuple[str, Location | None]]] = defaultdict(list)  # team -> posts
        self.tenures: dict[str, list[_Tenure]] = defaultdict(list)  # post id -> tenures
        self.post_rows: dict[str, Location] = {}  # post id -> where the input declares it
        self.lines: list[tuple[str, str, str, Location]] = []  # vertical lines: id, lower, upper, where
        self.confidential = False  # any confidential value in the input
        self._files = 0
        self._parts: list[_Part] = []
        self._missing: list[tuple[int, int, int, Location, Field, str]] = []  # of the file being read

    def add(self, part: _Part) -> None:
        """Take the next stretch of rows; a stretch of another kind ends the
        file before. References to other kinds (complete: a kind's references
        name kinds before it in load order) are looked up at once, so only the
        ones not found are kept."""
        if self._parts and self._parts[0].kind != part.kind:
            self.end_file()
        if not self._parts:
            self._files += 1
            self._missing = []
        k = kind(part.kind)
        fields = {f.name: (i, f) for i, f in enumerate(input_fields(k))}
        own: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name, (keys, lines) in part.refs.items():
            index, f = fields[name]
            if f.ref == k.name:
                own[name] = (keys, lines)
                continue
            self._look_up(f, index, keys, lines, part)
        part.refs = own
        self._parts.append(part)

    def _look_up(self, f: Field, index: int, keys: np.ndarray, lines: np.ndarray, part: _Part) -> None:
        """Keep the references (of field ``f``, the ``index``-th of its kind) not in the input."""
        target = self.kinds.get(f.ref or "")
        found = target.ids.find(keys) if target is not None else np.full(len(keys), -1)
        for j in np.flatnonzero(found < 0).tolist():
            line = int(lines[j])
            self._missing.append((self._files, line, index, Location(part.source, line, part.sheet), f,
                                  keys[j].decode()))

    def end_file(self) -> None:
        """Check the ids, duplicates and own references of the file whose stretches were added."""
        parts, self._parts = self._parts, []
        if not parts:
            return
        first = parts[0]
        k = kind(first.kind)
        seen = _KindSeen(first.source, first.sheet)
        all_lines = np.concatenate([p.lines for p in parts])
        seen.ids = _Ids(np.concatenate([p.keys for p in parts]) if len(parts) > 1 else first.keys, all_lines)
        for part in parts:
            part.keys = seen.ids.keys[:0]  # held once, in seen.ids (the largest file: about 1 GiB at SF 1)
        if any(p.read for p in parts):
            self.kinds[k.name] = seen
        duplicates = seen.ids.duplicates()
        dup_lines = {line for line, _, _ in duplicates}
        # the file's problems in the order of its lines, each duplicate after the other problems of its row
        problems = [p for part in parts for p in part.problems]
        total = sum(part.total for part in parts) + len(duplicates)
        merged: list[Problem] = []
        i = 0
        for line, first_line, key in duplicates[:self.log.max_errors]:
            while i < len(problems) and _line_of(problems[i], seen.source, seen.sheet) <= line:
                merged.append(problems[i])
                i += 1
            merged.append(Problem(seen.at(line), f"duplicate id (first at {seen.at(first_line)})", field="id",
                                  value=show(key)))
        merged += problems[i:]
        for problem in merged[:self.log.max_errors]:
            self.log.add(problem)
        self.log.total += total - min(len(merged), self.log.max_errors)
        for part in parts:
            self.log.broken_kinds |= part.broken
        # rows: the valid ones but the duplicates (a duplicate row is reported and left out, as before)
        valid = np.concatenate([p.valid for p in parts])
        secret = np.concatenate([p.secret for p in parts])
        if dup_lines:
            valid &= ~np.isin(all_lines, np.fromiter(dup_lines, dtype=np.int64))
        seen.rows = int(valid.sum()) + sum(p.keyless for p in parts)
        self.confidential = (self.confidential or bool((secret & valid).any())
                             or any(p.keyless_secret for p in parts))
        fields = {f.name: (i, f) for i, f in enumerate(input_fields(k))}
        for part in parts:
            for name, (keys, lines) in part.refs.items():
                self._look_up(fields[name][1], fields[name][0], keys, lines, part)
            for line, data in part.extra:
                if line not in dup_lines:
                    self._remember(k.name, seen.at(line), data)
        self.missing += [m for m in self._missing if m[1] not in dup_lines]
        self._missing = []
        if not self._self_referencing(k):
            seen.ids.lines = None  # only the parents' cycles name the line of an id later

    @staticmethod
    def _self_referencing(k: Kind) -> bool:
        return bool(_remembered_fields(k)[2])

    def _remember(self, name: str, loc: Location, data: tuple[Any, ...]) -> None:
        if name == "Post":
            post, role, team = data
            self.roles[post] = role
            self.post_rows[post] = loc
            if role == PRINCIPAL and team is not None:
                self.principals[team].append((post, loc))
        elif name == "VERTICAL_LINE":
            self.lines.append((*data, loc))
        elif name == "HOLDS":
            t = _Tenure(*data, loc)
            self.tenures[t.post].append(t)
        else:
            for field_name, key, parent in data:
                self.parents[(name, field_name)][key] = parent

    def ids(self, name: str) -> _Ids:
        seen = self.kinds.get(name)
        return seen.ids if seen else _Ids()

    def location(self, name: str, key: str) -> Location:
        seen = self.kinds[name]
        return seen.at(seen.ids.line(key))


# --------------------------------------------------------------------------- graph look-ups

def _chunks(values: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for v in values:
        batch.append(v)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def look_up(store: GraphStore, query: str, ids: Iterable[str], chunk: int = 10_000) -> Iterator[dict[str, Any]]:
    """The rows of a read query taking ``$ids``, run over the distinct ids in chunks."""
    for part in _chunks(sorted(set(ids)), chunk):
        yield from store.read(query, {"ids": part})


def existing_ids(store: GraphStore | None, label: str, ids: Iterable[str], chunk: int = 10_000) -> set[str]:
    """The ids among ``ids`` of nodes ``label`` (a kind of the model) already in the graph."""
    if store is None:
        return set()
    query = f"MATCH (n:{kind(label).name}) WHERE n.id IN $ids RETURN n.id AS id"
    return {r["id"] for r in look_up(store, query, ids, chunk)}


# --------------------------------------------------------------------------- checks across rows

def check_references(c: _Collector, store: GraphStore | None, chunk: int) -> None:
    """Every ref names a node in the input or already in the graph (one query
    per target kind for the ids not in the input)."""
    unresolved = [(loc, f, v) for *_, loc, f, v in sorted(c.missing, key=lambda m: m[:3])
                  if f.ref not in c.log.broken_kinds]
    missing: dict[str, set[str]] = defaultdict(set)
    for _, f, v in unresolved:
        missing[f.ref or ""].add(v)
    found = {target: existing_ids(store, target, ids, chunk) for target, ids in missing.items()}
    for loc, f, v in unresolved:
        if v not in found[f.ref or ""]:
            c.log.add(Problem(loc, f"no {f.ref} with this id in the input or in the graph", field=f.name,
                              value=show(v)))


def _graph_parents(store: GraphStore | None, k: NodeKind, f: Field, parents: dict[str, str | None],
                   chunk: int, max_levels: int = 64) -> None:
    """Add to ``parents`` the parent of every ancestor not in the input, level by level."""
    if store is None:
        return
    query = f"MATCH (n:{k.name}) WHERE n.id IN $ids RETURN n.id AS id, n.{f.name} AS parent"
    frontier = {p for p in parents.values() if p is not None and p not in parents}
    for _ in range(max_levels):
        if not frontier:
            return
        for part in _chunks(sorted(frontier), chunk):
            for r in store.read(query, {"ids": part}):
                parents.setdefault(r["id"], r["parent"])
        for p in frontier:
            parents.setdefault(p, None)
        frontier = {p for p in parents.values() if p is not None and p not in parents}


def _cycles(parents: dict[str, str | None], starts: Iterable[str]) -> list[list[str]]:
    """Every cycle reachable from ``starts`` in a parent map, each once."""
    state: dict[str, int] = {}  # 1: on the current walk, 2: done
    cycles: list[list[str]] = []
    for start in starts:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in parents and state.get(node) is None:
            state[node] = 1
            path.append(node)
            node = parents[node]
        if node is not None and state.get(node) == 1:
            cycles.append(path[path.index(node):])
        for n in path:
            state[n] = 2
    return cycles


def check_parent_cycles(c: _Collector, store: GraphStore | None, chunk: int) -> None:
    """No territory or institution is (through its parents) its own ancestor."""
    for (name, field_name), parents in c.parents.items():
        k = NODES[name]
        f = k.field(field_name)
        in_input = list(parents)
        _graph_parents(store, k, f, parents, chunk)
        for cycle in _cycles(parents, in_input):
            first = next(n for n in cycle if n in c.ids(name))
            chain = " → ".join([*cycle, cycle[0]])
            c.log.add(Problem(c.location(name, first), f"cycle in the {f.name} chain: {chain}", field=f.name,
                              value=show(parents[first])))


def _graph_lines(store: GraphStore | None, edges: dict[str, list[tuple[str, str, Location | None]]],
                 skip: Container[str], chunk: int, max_levels: int = 64) -> None:
    """Add to ``edges`` (lower -> [(upper, line id, where)]) the vertical lines
    in the graph above the input's upper departments, level by level (lines
    the input gives again by id are the input's)."""
    if store is None:
        return
    rel = kind("VERTICAL_LINE")
    assert isinstance(rel, RelKind)
    query = (f"MATCH (a:{rel.source.ref})-[r:{rel.name}]->(b:{rel.target.ref}) WHERE a.id IN $ids "
             "RETURN r.id AS id, a.id AS lower, b.id AS upper")
    fetched: set[str] = set()
    frontier = {up for targets in edges.values() for up, _, _ in targets}
    for _ in range(max_levels):
        frontier -= fetched
        if not frontier:
            return
        fetched |= frontier
        found: set[str] = set()
        for part in _chunks(sorted(frontier), chunk):
            for r in store.read(query, {"ids": part}):
                if r["id"] not in skip:
                    edges[r["lower"]].append((r["upper"], r["id"], None))
                    found.add(r["upper"])
        frontier = found


def _path_up(edges: dict[str, list[tuple[str, str, Location | None]]], start: str, goal: str) -> list[str] | None:
    """Departments from ``start`` up to ``goal`` along the lines, or None (breadth first)."""
    before: dict[str, str | None] = {start: None}
    queue = [start]
    for node in queue:
        if node == goal:
            path = [node]
            while (prev := before[path[-1]]) is not None:
                path.append(prev)
            return path[::-1]
        for up, _, _ in edges.get(node, []):
            if up not in before:
                before[up] = node
                queue.append(up)
    return None


def check_vertical_cycles(c: _Collector, store: GraphStore | None, chunk: int) -> None:
    """No department is above itself through vertical management lines (of
    any dates; lines in the graph included): the system is walked upwards."""
    if not c.lines:
        return
    edges: dict[str, list[tuple[str, str, Location | None]]] = defaultdict(list)
    for line_id, lower, upper, loc in c.lines:
        edges[lower].append((upper, line_id, loc))
    _graph_lines(store, edges, c.ids("VERTICAL_LINE"), chunk)
    reported: set[frozenset[str]] = set()
    for _, lower, upper, loc in c.lines:
        path = _path_up(edges, upper, lower)
        if path is None:
            continue
        cycle = [lower, *path]
        if frozenset(cycle) in reported:
            continue
        reported.add(frozenset(cycle))
        c.log.add(Problem(loc, f"cycle in the vertical lines: {' → '.join(cycle)}", field="upper",
                          value=show(upper)))


def check_one_principal(c: _Collector, store: GraphStore | None) -> None:
    """A leadership team has at most one PRINCIPAL post (national art. 4 ¶2:
    the principal bears overall responsibility)."""
    teams = c.principals
    if store is not None and teams:
        query = ("MATCH (p:Post) WHERE p.team IN $teams AND p.role = $role "
                 "RETURN p.id AS id, p.team AS team ORDER BY p.id")
        posts = c.ids("Post")
        for r in store.read(query, {"teams": sorted(teams), "role": PRINCIPAL}):
            if r["id"] not in posts:
                teams[r["team"]].insert(0, (r["id"], None))
    for team, members in teams.items():
        if len(members) < 2:
            continue
        listed = ", ".join(f"{pid} ({loc or 'in the graph'})" for pid, loc in members)
        second = next(loc for _, loc in members[1:] if loc is not None)
        c.log.add(Problem(second, f"leadership team {team} has more than one PRINCIPAL post: {listed}",
                          field="role", value=show(PRINCIPAL)))


def _post_roles(c: _Collector, store: GraphStore | None, posts: Iterable[str], chunk: int) -> dict[str, str]:
    roles = dict(c.roles)
    unknown = sorted(set(posts) - roles.keys())
    if store is not None and unknown:
        query = "MATCH (p:Post) WHERE p.id IN $ids RETURN p.id AS id, p.role AS role"
        for part in _chunks(unknown, chunk):
            roles.update({r["id"]: r["role"] for r in store.read(query, {"ids": part})})
    return roles


def _graph_tenures(store: GraphStore | None, posts: list[str], skip: Container[str], chunk: int) -> list[_Tenure]:
    if store is None or not posts:
        return []
    rel = kind("HOLDS")
    assert isinstance(rel, RelKind)
    query = (f"MATCH (a:{rel.source.ref})-[h:{rel.name}]->(p:{rel.target.ref}) WHERE p.id IN $ids "
             "RETURN h.id AS id, a.id AS person, p.id AS post, h.valid_from AS valid_from, h.valid_to AS valid_to")
    out = []
    for part in _chunks(posts, chunk):
        for r in store.read(query, {"ids": part}):
            if r["id"] not in skip and isinstance(r["valid_from"], date):
                out.append(_Tenure(r["id"], r["person"], r["post"], r["valid_from"], r["valid_to"], None))
    return out


def _overlapping(tenures: list[_Tenure], graph_too: bool = False) -> Iterator[tuple[_Tenure, _Tenure]]:
    """Pairs of tenures by different persons that overlap, at least one from
    the input (or both in the graph, with ``graph_too``)."""
    ordered = sorted(tenures, key=lambda t: (t.start, t.location is not None, t.id))
    active: list[_Tenure] = []
    for t in ordered:
        active = [a for a in active if (a.end or date.max) >= t.start]
        for a in active:
            if a.person != t.person and (graph_too or a.location or t.location) and a.overlaps(t):
                yield a, t
        active.append(t)


def check_single_holder(c: _Collector, store: GraphStore | None, chunk: int) -> None:
    """A post other than a staff post has one holder at a time (dates
    inclusive): tenures of the input, and those in the graph of the posts the
    input has tenures of or declares (a staff post made a team post)."""
    by_post = c.tenures
    if not by_post and not c.roles:
        return
    roles = _post_roles(c, store, by_post, chunk)
    checked = sorted(p for p in by_post.keys() | c.roles.keys() if roles.get(p) not in (None, STAFF))
    for t in _graph_tenures(store, checked, c.ids("HOLDS"), chunk):
        by_post[t.post].append(t)
    for post in checked:
        declared = c.post_rows.get(post)
        for a, b in _overlapping(by_post.get(post, []), graph_too=declared is not None):
            who = "principals" if roles[post] == PRINCIPAL else "holders"
            where, field_name = (b.location or a.location, "post") if (a.location or b.location) else (declared, "role")
            assert where is not None
            c.log.add(Problem(where, f"post {post} has two {who} at once: {a} and {b}", field=field_name,
                              value=show(post if field_name == "post" else roles[post])))


# --------------------------------------------------------------------------- the whole input

class InputChanged(RuntimeError):
    """The input no longer reads as it did when it was validated."""


def _changed(problem: Problem) -> None:
    raise InputChanged(f"{problem}: the input changed after it was validated; run the load again")


@dataclass
class Dataset:
    """A validated input: rows per kind (counted), read again for writing."""

    source: Path
    counts: dict[str, int]
    confidential: bool = False  # whether any confidential value is present

    def count(self, name: str) -> int:
        return self.counts.get(name, 0)

    def rows(self) -> Iterator[tuple[Kind, Iterator[Row]]]:
        """Each kind in load order with its converted rows, read again from the
        source (consume each kind's rows before the next)."""
        log = ErrorLog()
        for name, group in groupby(read_source(self.source, on_problem=_changed), key=lambda raw: raw.kind.name):
            yield kind(name), (self._convert(raw, log) for raw in group)

    @staticmethod
    def _convert(raw: RawRow, log: ErrorLog) -> Row:
        row, ok = convert_row(raw, log)
        if not ok:
            raise InputChanged(f"{raw.location}: the input changed after it was validated "
                               f"({log.problems[-1].reason if log.problems else 'invalid'}); run the load again")
        return row


# A CSV file is converted in stretches of this many bytes, on as many processes as there are cores.
SPAN_BYTES = 32 << 20


Task = tuple[str, str, CsvSpan | None, int]  # kind, file, stretch (None: the whole JSON Lines file), max_errors


def _convert_stretch(task: Task) -> _Part:
    """Convert one stretch of a CSV file (or a whole JSON Lines file); run by the worker processes."""
    name, file, span, max_errors = task
    k, path = kind(name), Path(file)
    builder = _PartBuilder(k, path.name, None, max_errors)
    rows = read_csv(path, k, builder.log.add, span) if span is not None else read_jsonl(path, k, builder.log.add)
    for raw in rows:
        builder.add(raw)
    return builder.part(stopped=span is not None and span.stopped)


def _run(tasks: Iterable[Task], processes: int) -> Iterator[tuple[Task, _Part]]:
    """The tasks with their parts in order, converted on ``processes`` processes."""
    if processes <= 1:
        yield from ((t, _convert_stretch(t)) for t in tasks)
        return
    # forkserver: the workers do not inherit the caller's threads (a store's driver) or its open connections
    with multiprocessing.get_context("forkserver").Pool(processes) as pool:
        # at most three stretches per process ahead of the one taken: converted parts never pile up in memory
        queue = iter(tasks)
        ahead = deque((t, pool.apply_async(_convert_stretch, (t,))) for t in islice(queue, 3 * processes))
        while ahead:
            task, result = ahead.popleft()
            part = result.get()
            if (following := next(queue, None)) is not None:
                ahead.append((following, pool.apply_async(_convert_stretch, (following,))))
            yield task, part


def _folder_parts(folder: Path, log: ErrorLog, max_errors: int, processes: int | None,
                  span_bytes: int) -> Iterator[_Part]:
    """The parts of a folder's files in load order: CSV files cut into
    stretches converted in parallel (a file is cut while the stretches of the
    files before are converted). A stretch that ends the reading of its file
    early (a malformed record, a byte that is not UTF-8; or a cut that was not
    at the end of a record) is read again with the rest of the file at once,
    so the file reads exactly as from its start."""
    files = _folder_files(folder, log.add)

    def tasks() -> Iterator[Task]:
        for k, f in files:
            for span in (csv_spans(f, span_bytes) if f.suffix.lower() == ".csv" else [None]):
                yield k.name, str(f), span, max_errors

    if processes is None:
        size = sum(f.stat().st_size for _, f in files)
        processes = (os.cpu_count() or 1) if size > 2 * span_bytes else 1
    done: str | None = None  # the file whose rest was read at once
    for (name, file, span, _), part in _run(tasks(), processes):
        if file == done:
            continue
        if part.stopped and span is not None and span.end < (total := Path(file).stat().st_size):
            part = _convert_stretch((name, file, CsvSpan(span.start, total, span.first_line, span.header),
                                     max_errors))
            done = file
        yield part


def _stream_parts(path: Path | str, log: ErrorLog, max_errors: int) -> Iterator[_Part]:
    """The parts of a workbook (or of what is not a folder), read in one stream, a part per sheet."""
    builder: _PartBuilder | None = None

    def sink(problem: Problem) -> None:
        (builder.log if builder is not None else log).add(problem)

    for raw in read_source(path, on_problem=sink):
        if builder is None or builder.kind is not raw.kind:
            if builder is not None:
                yield builder.part()
            builder = _PartBuilder(raw.kind, raw.location.source, raw.location.sheet, max_errors)
        builder.add(raw)
    if builder is not None:
        yield builder.part()


def validate_source(path: Path | str, store: GraphStore | None = None, *, max_errors: int = 50,
                    lookup_chunk: int = 10_000, processes: int | None = None,
                    span_bytes: int = SPAN_BYTES) -> Dataset:
    """Read and validate a folder or workbook. Raises :class:`ValidationFailed`
    with every error found; the graph (only read, never written) is looked up
    for references to nodes loaded before. A folder's CSV files are converted
    in stretches of ``span_bytes`` on ``processes`` processes (by default one
    per core for an input of more than two stretches); the errors and their
    order do not depend on either."""
    log = ErrorLog(max_errors)
    collector = _Collector(log)
    p = Path(path)
    parts = (_folder_parts(p, log, max_errors, processes, span_bytes) if p.is_dir()
             else _stream_parts(path, log, max_errors))
    for part in parts:
        collector.add(part)
    collector.end_file()
    check_references(collector, store, lookup_chunk)
    check_parent_cycles(collector, store, lookup_chunk)
    check_vertical_cycles(collector, store, lookup_chunk)
    check_one_principal(collector, store)
    check_single_holder(collector, store, lookup_chunk)
    if log.total:
        raise ValidationFailed(log.problems, log.total)
    counts = {k.name: collector.kinds[k.name].rows for k in loadable_kinds() if k.name in collector.kinds}
    return Dataset(Path(path), counts, collector.confidential)


def validation_errors(path: Path | str, store: GraphStore | None = None, *, max_errors: int = 50) -> list[str]:
    """The errors of an input as lines of text (empty when it is valid)."""
    try:
        validate_source(path, store, max_errors=max_errors)
    except ValidationFailed as e:
        return [str(p) for p in e.errors]
    return []


__all__ = ["Dataset", "ErrorLog", "InputChanged", "Invalid", "Kind", "ValidationFailed", "convert", "convert_row",
           "existing_ids", "look_up", "validate_source", "validation_errors"]
