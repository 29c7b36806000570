"""Readers of the input formats: a folder of ``<file>.csv`` / ``<file>.jsonl``
files, one per loadable kind, or one ``.xlsx`` workbook with a sheet per file.

Readers check the *shape* of the input (the source exists, files are known,
not empty, UTF-8, well-formed CSV/JSON, headers name the kind's fields) and
yield raw rows: column name to the cell value as read (a string from CSV, a
JSON value from JSONL, a cell value from a workbook). Values are converted and
checked by :mod:`zeren.loaders.validate`.

Every problem names where it is (:class:`Location`), the field, the value and
the reason. ``read_source(path)`` raises :class:`SourceError` at the first
problem; ``read_source(path, on_problem=sink)`` reports each problem to the
sink and goes on with what can still be read.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, TypeAlias

from zeren.graph.model import ID, Field, NodeKind, RelKind, kind_for_file, loadable_kinds

Kind: TypeAlias = NodeKind | RelKind
INPUT_SUFFIXES = (".csv", ".jsonl")
WORKBOOK_SUFFIX = ".xlsx"


@dataclass(frozen=True)
class Location:
    """Where a row (or a header, or a file) is: renders as ``matters.csv line 12``
    or ``workbook.xlsx sheet matters row 12``."""

    source: str
    line: int | None = None
    sheet: str | None = None

    def __str__(self) -> str:
        if self.sheet is not None:
            where = f"{self.source} sheet {self.sheet}"
            return f"{where} row {self.line}" if self.line is not None else where
        return f"{self.source} line {self.line}" if self.line is not None else self.source


@dataclass(frozen=True)
class Problem:
    """One error in the input. ``kind`` is set when the problem leaves the
    rows of that kind incomplete (checks of references into it are then skipped)."""

    location: Location | str
    reason: str
    field: str | None = None
    value: str | None = None  # already rendered for display
    kind: str | None = None

    def __str__(self) -> str:
        parts = [str(self.location)]
        if self.field is not None:
            parts.append(f"field '{self.field}'")
        if self.value is not None:
            parts.append(f"value {self.value}")
        return f"{', '.join(parts)}: {self.reason}"


class SourceError(Exception):
    """The input cannot be read (raised when no problem sink is given)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class RawRow(NamedTuple):
    kind: Kind
    location: Location
    row: dict[str, Any]


ProblemSink = Callable[[Problem], None]


def input_fields(k: Kind) -> tuple[Field, ...]:
    """The columns of a kind's file: its fields; for a relationship kind ``id``,
    the source and target fields, then its other fields."""
    if isinstance(k, RelKind):
        return (ID, *k.all_fields)
    return k.fields


def show(value: Any, *, confidential: bool = False, limit: int = 60) -> str:
    """A value as shown in an error: quoted, cut when long; a confidential
    value is never shown, only its length."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if confidential:
        return f"<confidential, {len(text)} characters>"
    if len(text) > limit:
        return repr(text[:limit])[:-1] + f"…' ({len(text)} characters)"
    return repr(text)


def _ignored(p: Path) -> bool:
    """Files a folder may hold besides the input: READMEs, Markdown notes, hidden files."""
    return p.name.upper().startswith("README") or p.suffix.lower() == ".md" or p.name.startswith(".")


def _raise(problem: Problem) -> None:
    raise SourceError(problem)


# --------------------------------------------------------------------------- discovery

def source_files(path: Path | str) -> list[Path]:
    """The data files a source consists of (the workbook itself, or the input
    files of a folder in load order), for checksums. Unknown files are left out."""
    p = Path(path)
    if p.is_file():
        return [p]
    found = _folder_files(p, _ignore_problem)
    return [f for _, f in found]


def _ignore_problem(_: Problem) -> None:
    return None


def _folder_files(folder: Path, on_problem: ProblemSink) -> list[tuple[Kind, Path]]:
    """The input files of a folder, in load order; unknown names are problems."""
    by_kind: dict[str, list[Path]] = {}
    known = {k.file: k for k in loadable_kinds()}
    for p in sorted(folder.iterdir()):
        if _ignored(p):
            continue
        k = kind_for_file(p.stem) if p.is_file() and p.suffix.lower() in INPUT_SUFFIXES else None
        if k is None:
            on_problem(Problem(Location(p.name), f"unknown file: expected <name>.csv or <name>.jsonl with <name> "
                                                f"one of {', '.join(known)} (README* and .md files are ignored)"))
            continue
        by_kind.setdefault(k.name, []).append(p)
    out: list[tuple[Kind, Path]] = []
    for k in loadable_kinds():
        files = by_kind.get(k.name, [])
        if len(files) > 1:
            on_problem(Problem(Location(files[1].name), f"two files for {k.file}: "
                                                        f"{' and '.join(f.name for f in files)}; keep one",
                               kind=k.name))
        if files:
            out.append((k, files[0]))
    return out


def read_source(path: Path | str, on_problem: ProblemSink | None = None) -> Iterator[RawRow]:
    """Rows of a folder of CSV/JSONL files or of an .xlsx workbook, in load order."""
    sink = on_problem or _raise
    p = Path(path)
    if not p.exists():
        sink(Problem(Location(str(path)), "no such folder or workbook"))
        return
    if p.is_file():
        if p.suffix.lower() != WORKBOOK_SUFFIX:
            sink(Problem(Location(p.name), "expected a folder of .csv/.jsonl files or an .xlsx workbook"))
            return
        yield from read_workbook(p, sink)
        return
    for k, f in _folder_files(p, sink):
        reader = read_csv if f.suffix.lower() == ".csv" else read_jsonl
        yield from reader(f, k, sink)


# --------------------------------------------------------------------------- headers

def check_header(header: list[str], k: Kind, where: Location, sink: ProblemSink) -> bool:
    """Report duplicate, unknown and missing required columns; False if any."""
    names = {f.name for f in input_fields(k)}
    ok = True
    seen: set[str] = set()
    for col in header:
        if col in seen:
            sink(Problem(where, "column given twice", field=col, kind=k.name))
            ok = False
        seen.add(col)
        if col not in names:
            sink(Problem(where, f"unknown column; the columns of {k.file} are: "
                                f"{', '.join(f.name for f in input_fields(k))}", field=col or "(empty)",
                         kind=k.name))
            ok = False
    for f in input_fields(k):
        if f.required and f.name not in seen:
            sink(Problem(where, "required column missing from the header", field=f.name, kind=k.name))
            ok = False
    return ok


# --------------------------------------------------------------------------- CSV

class _Utf8Lines:
    """Decoded lines of a binary file; a byte that is not UTF-8 ends the file
    with one problem (and sets ``failed``, so no follow-on error is reported)."""

    def __init__(self, f: Iterable[bytes], name: str, k: Kind, sink: ProblemSink) -> None:
        self._f, self._name, self._kind, self._sink = f, name, k, sink
        self.failed = False

    def __iter__(self) -> Iterator[str]:
        for number, raw in enumerate(self._f, start=1):
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as e:
                self.failed = True
                self._sink(Problem(Location(self._name, number),
                                   f"not UTF-8: byte 0x{raw[e.start]:02x} at column {e.start + 1}"
                                   f"{_encoding_hint(raw)}; save the file as UTF-8", kind=self._kind.name))
                return
            yield text


def _encoding_hint(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return " (the file looks like UTF-16)"
    try:
        raw.decode("gb18030")
    except UnicodeDecodeError:
        return ""
    return " (the file looks like GBK/GB18030)"


def _empty(path: Path, k: Kind, sink: ProblemSink) -> bool:
    if path.stat().st_size == 0:
        sink(Problem(Location(path.name), "empty file (0 bytes)", kind=k.name))
        return True
    return False


def read_csv(path: Path, k: Kind, sink: ProblemSink) -> Iterator[RawRow]:
    """Rows of a CSV file (UTF-8, with or without BOM; first line the header)."""
    if _empty(path, k, sink):
        return
    with path.open("rb") as f:
        lines = _Utf8Lines(f, path.name, k, sink)
        reader = csv.reader(iter(lines), strict=True)
        header: list[str] | None = None
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                if not lines.failed:
                    sink(Problem(Location(path.name, start), f"malformed CSV: {e}", kind=k.name))
                if header is None:
                    return
                continue
            if not cells or all(not c.strip() for c in cells):
                continue  # blank line
            if header is None:
                header = [c.strip() for c in cells]
                if not check_header(header, k, Location(path.name, start), sink):
                    return
                continue
            if len(cells) != len(header):
                sink(Problem(Location(path.name, start), f"malformed CSV: {len(cells)} cells, "
                                                         f"the header has {len(header)}", kind=k.name))
                continue
            yield RawRow(k, Location(path.name, start), dict(zip(header, cells, strict=True)))
        if header is None and not lines.failed:
            sink(Problem(Location(path.name), "empty file: no header row", kind=k.name))


# --------------------------------------------------------------------------- JSONL

def read_jsonl(path: Path, k: Kind, sink: ProblemSink) -> Iterator[RawRow]:
    """Rows of a JSON Lines file: one JSON object per line, keys = field names."""
    if _empty(path, k, sink):
        return
    names = {f.name for f in input_fields(k)}
    reported: set[str] = set()
    rows = 0  # non-blank lines
    with path.open("rb") as f:
        lines = _Utf8Lines(f, path.name, k, sink)
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = Location(path.name, number)
            rows += 1
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                sink(Problem(where, f"malformed JSON: {e.msg} at column {e.colno}", kind=k.name))
                continue
            if not isinstance(obj, dict):
                sink(Problem(where, f"malformed JSON line: expected an object, got {type(obj).__name__}",
                             kind=k.name))
                continue
            unknown = [key for key in obj if key not in names]
            for key in unknown:
                if key not in reported:
                    reported.add(key)
                    sink(Problem(where, f"unknown field; the fields of {k.file} are: "
                                        f"{', '.join(f.name for f in input_fields(k))}", field=key, kind=k.name))
            if not unknown:
                yield RawRow(k, where, obj)
    if rows == 0 and not lines.failed:
        sink(Problem(Location(path.name), "empty file: no JSON object in it", kind=k.name))


# --------------------------------------------------------------------------- workbook

def read_workbook(path: Path, sink: ProblemSink) -> Iterator[RawRow]:
    """Rows of an .xlsx workbook, one sheet per input file (sheet name = file stem)."""
    from openpyxl import load_workbook

    if path.stat().st_size == 0:
        sink(Problem(Location(path.name), "empty file (0 bytes)"))
        return
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # zipfile.BadZipFile, KeyError, ValueError...: openpyxl's errors vary with the damage
        sink(Problem(Location(path.name), f"not a valid .xlsx workbook ({type(e).__name__}: {e})"))
        return
    try:
        sheets: dict[str, Any] = {}
        for name in wb.sheetnames:
            k = kind_for_file(name.strip())
            if k is None:
                if not name.upper().startswith("README"):
                    sink(Problem(Location(path.name, sheet=name), "unknown sheet: expected one of "
                                 f"{', '.join(x.file for x in loadable_kinds())} (README* sheets are ignored)"))
                continue
            sheets[k.name] = (k, wb[name], name)
        for k in loadable_kinds():
            if k.name in sheets:
                kk, ws, name = sheets[k.name]
                yield from _read_sheet(path.name, name, kk, ws, sink)
    finally:
        wb.close()


def _read_sheet(source: str, sheet: str, k: Kind, ws: Any, sink: ProblemSink) -> Iterator[RawRow]:
    header: list[str | None] | None = None
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        cells = list(values)
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells):
            continue
        where = Location(source, number, sheet)
        if header is None:
            header = [str(v).strip() if v is not None else None for v in cells]
            while header and header[-1] is None:
                header.pop()
            if not check_header([h or "" for h in header], k, where, sink):
                return
            continue
        extra = [v for v in cells[len(header):] if v is not None and not (isinstance(v, str) and not v.strip())]
        if extra:
            sink(Problem(where, f"a value in a column without a header: {show(extra[0])}", kind=k.name))
            continue
        cells += [None] * (len(header) - len(cells))
        yield RawRow(k, where, {h: v for h, v in zip(header, cells, strict=False) if h is not None})
    if header is None:
        sink(Problem(Location(source, sheet=sheet), "empty sheet: no header row", kind=k.name))
