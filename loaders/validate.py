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
:class:`Dataset` reads the source again, row by row, for writing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from itertools import groupby
from pathlib import Path
from typing import Any

from zeren.graph.model import ENUMS, NODES, Field, NodeKind, RelKind, kind, loadable_kinds
from zeren.graph.store.base import GraphStore

from .readers import Kind, Location, Problem, RawRow, input_fields, read_source, show

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

def convert_row(raw: RawRow, log: ErrorLog) -> tuple[Row, bool]:
    """Convert every field of a raw row; report each bad value. Returns the
    converted values and whether the row is valid."""
    out: Row = {}
    ok = True
    get = raw.row.get
    typed = raw.typed
    for f in input_fields(raw.kind):
        v = get(f.name)
        # Fast paths for the commonest cells, a blank and a short printable
        # string: the same result as convert() without its calls (profiled: a
        # third of a load).
        if v is None or v == "":
            c = None
        elif (type(v) is str and f.type in _PLAIN_STRING and 0 < len(s := v.strip()) <= f.max_length
              and v.isprintable()):
            out[f.name] = s
            continue
        else:
            try:
                if typed:
                    check_json_type(f, v)
                c = convert(f, v)
            except Invalid as e:
                log.add(Problem(raw.location, str(e), field=f.name, value=show(v, confidential=f.confidential)))
                ok = False
                continue
        if c is None:
            if f.required:
                log.add(Problem(raw.location, "required value missing", field=f.name))
                ok = False
            continue
        out[f.name] = c
    vf, vt = out.get("valid_from"), out.get("valid_to")
    if isinstance(vf, date) and isinstance(vt, date) and vt < vf:
        log.add(Problem(raw.location, f"valid_to is before valid_from ({vf.isoformat()})", field="valid_to",
                        value=show(vt.isoformat())))
        ok = False
    return out, ok


@dataclass
class _KindSeen:
    """What validation keeps of one kind: its ids with their lines, not its rows
    (the rows are read again for writing, so memory holds ids, not data)."""

    source: str
    sheet: str | None
    ids: dict[str, int] = field(default_factory=dict)
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


class _Collector:
    """Converts rows one by one and keeps only what the checks across rows need."""

    def __init__(self, log: ErrorLog) -> None:
        self.log = log
        self.kinds: dict[str, _KindSeen] = {}
        self.pending: list[tuple[Location, Field, str]] = []  # refs to ids not seen when read
        # (kind, parent field) -> id -> parent id, for the kinds whose parents are of the same kind
        self.parents: dict[tuple[str, str], dict[str, str | None]] = defaultdict(dict)
        self.roles: dict[str, str] = {}  # post id -> role
        self.principals: dict[str, list[tuple[str, Location | None]]] = defaultdict(list)  # team -> posts
        self.tenures: dict[str, list[_Tenure]] = defaultdict(list)  # post id -> tenures
        self.post_rows: dict[str, Location] = {}  # post id -> where the input declares it
        self.lines: list[tuple[str, str, str, Location]] = []  # vertical lines: id, lower, upper, where
        self.confidential = False  # any confidential value in the input

    def add(self, raw: RawRow) -> None:
        name = raw.kind.name
        seen = self.kinds.get(name)
        if seen is None:
            seen = self.kinds[name] = _KindSeen(raw.location.source, raw.location.sheet)
        row, ok = convert_row(raw, self.log)
        key = row.get("id")
        if key is not None:
            if key in seen.ids:
                self.log.add(Problem(raw.location, f"duplicate id (first at {seen.at(seen.ids[key])})",
                                     field="id", value=show(key)))
                return
            seen.ids[key] = raw.location.line or 0
        if ok:
            seen.rows += 1
            self._remember(raw.kind, raw.location, row)

    def _remember(self, k: Kind, loc: Location, row: Row) -> None:
        confidential, refs, own = _remembered_fields(k)
        if not self.confidential and any(row.get(f.name) is not None for f in confidential):
            self.confidential = True
        for f in refs:
            v = row.get(f.name)
            if v is None:
                continue
            target = self.kinds.get(f.ref or "")
            if target is None or v not in target.ids:
                self.pending.append((loc, f, v))
        for f in own:
            self.parents[(k.name, f.name)][row["id"]] = row.get(f.name)
        if k.name == "Post":
            self.roles[row["id"]] = row["role"]
            self.post_rows[row["id"]] = loc
            if row["role"] == PRINCIPAL and row.get("team") is not None:
                self.principals[row["team"]].append((row["id"], loc))
        elif k.name == "VERTICAL_LINE":
            self.lines.append((row["id"], row["lower"], row["upper"], loc))
        elif k.name == "HOLDS":
            t = _Tenure(row["id"], row["person"], row["post"], row["valid_from"], row.get("valid_to"), loc)
            self.tenures[t.post].append(t)

    def ids(self, name: str) -> dict[str, int]:
        seen = self.kinds.get(name)
        return seen.ids if seen else {}

    def location(self, name: str, key: str) -> Location:
        seen = self.kinds[name]
        return seen.at(seen.ids[key])


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
    unresolved = [(loc, f, v) for loc, f, v in c.pending
                  if f.ref not in c.log.broken_kinds and v not in c.ids(f.ref or "")]
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
                 skip: dict[str, int], chunk: int, max_levels: int = 64) -> None:
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


def _graph_tenures(store: GraphStore | None, posts: list[str], skip: dict[str, int], chunk: int) -> list[_Tenure]:
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


def validate_source(path: Path | str, store: GraphStore | None = None, *, max_errors: int = 50,
                    lookup_chunk: int = 10_000) -> Dataset:
    """Read and validate a folder or workbook. Raises :class:`ValidationFailed`
    with every error found; the graph (only read, never written) is looked up
    for references to nodes loaded before."""
    log = ErrorLog(max_errors)
    collector = _Collector(log)
    for raw in read_source(path, on_problem=log.add):
        collector.add(raw)
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
