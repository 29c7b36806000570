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
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, TypeAlias

from zeren.graph.model import ID, Field, NodeKind, RelKind, kind_for_file, loadable_kinds

Kind: TypeAlias = NodeKind | RelKind
INPUT_SUFFIXES = (".csv", ".jsonl")
WORKBOOK_SUFFIX = ".xlsx"


class Location(NamedTuple):
    """Where a row (or a header, or a file) is: renders as ``matters.csv line 12``
    or ``workbook.xlsx sheet matters row 12``. (A named tuple: one is made for
    every row read, without a frozen dataclass's ``__setattr__`` calls.)"""

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
    typed: bool = False  # values carry their JSON types (JSON Lines), checked against the fields'


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
    with one problem (and sets ``failed``, so no follow-on error is reported).
    ``record`` holds the lines read since the reader last cleared it (the
    current record); ``field_at(text)`` names the field that the text of the
    record up to a bad byte ends in."""

    def __init__(self, f: Iterable[bytes], name: str, k: Kind, sink: ProblemSink,
                 field_at: Callable[[str], str | None] = lambda _: None, first_line: int = 1) -> None:
        self._f, self._name, self._kind, self._sink, self._field_at = f, name, k, sink, field_at
        self._first = first_line
        self.failed = False
        self.record: list[str] = []

    def __iter__(self) -> Iterator[str]:
        for number, raw in enumerate(self._f, start=self._first):
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as e:
                self.failed = True
                before = "".join(self.record) + raw[:e.start].decode("utf-8", "replace")
                self._sink(Problem(Location(self._name, number),
                                   f"not UTF-8: byte 0x{raw[e.start]:02x} at column {e.start + 1}"
                                   f"{_encoding_hint(raw)}; save the file as UTF-8",
                                   field=self._field_at(before), kind=self._kind.name))
                return
            self.record.append(text)
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


def _cell_index(text: str, limit: int) -> int:
    """The index of the cell that the text of a CSV record (its start, up to
    where the reader stopped) fails in: where a cell grows past ``limit``, a
    quoted cell goes on after its closing quote, or the text ends inside quotes
    (the rules of ``csv.reader(strict=True)``)."""
    cell = length = 0
    state = "start"  # start | plain | quoted | closed (a quote inside a quoted cell: closes it or is doubled)
    for ch in text:
        if state == "quoted":
            if ch == '"':
                state = "closed"
                continue
            length += 1
        elif state == "closed" and ch == '"':
            state, length = "quoted", length + 1
        elif ch == ",":
            cell, length, state = cell + 1, 0, "start"
        elif ch in "\r\n" or state == "closed":
            return cell
        elif ch == '"' and state == "start":
            state = "quoted"
        else:
            state, length = "plain", length + 1
        if length > limit:
            return cell
    return cell


def _column(header: list[str] | None, index: int) -> str | None:
    """The field of a cell by its index (None within the header itself)."""
    if header is None:
        return None
    return header[index] if index < len(header) else f"(column {index + 1}, after the last one)"


@dataclass
class CsvSpan:
    """A stretch of a CSV file read on its own (see :func:`csv_spans`): bytes
    ``start`` to ``end``, the first of them on line ``first_line``; ``header``
    the file's header (None for the stretch that starts the file and reads it).
    ``stopped`` is set when a problem ended the reading of the file there."""

    start: int
    end: int
    first_line: int
    header: list[str] | None = None
    stopped: bool = False


def _between(f: Any, start: int, end: int) -> Iterator[bytes]:
    """The lines of a binary file from byte ``start`` to byte ``end`` (read at once: a stretch is small)."""
    f.seek(start)
    return iter(io.BytesIO(f.read(end - start)))


def csv_spans(path: Path, size: int) -> list[CsvSpan]:
    """Cut a CSV file into stretches of about ``size`` bytes that can be read
    independently: each ends at a line break outside quotes (an even count of
    ``"`` before it), so no record is cut. The first stretch starts the file
    and reads the header; the others are given it. One stretch (the whole
    file) when the header cannot be read here: its problems are then reported
    by the ordinary reading."""
    total = path.stat().st_size
    whole = [CsvSpan(0, total, 1)]
    if total <= size:
        return whole
    with path.open("rb") as f:
        header, after = _first_record(f)
        if header is None:
            return whole
        f.seek(0)
        spans: list[CsvSpan] = []
        start, start_line = 0, 1
        base, line, odd = 0, 1, False  # at file offset base: the line number, whether a quote is open
        while block := f.read(1 << 22):
            pos = 0  # block[:pos] is counted into line and odd
            while (nl := block.find(b"\n", max(pos, max(start + size, after) - base - 1))) >= 0:
                odd ^= block.count(b'"', pos, nl + 1) % 2 == 1
                line += block.count(b"\n", pos, nl + 1)
                pos = nl + 1
                if not odd:
                    spans.append(CsvSpan(start, base + pos, start_line, None if start == 0 else header))
                    start, start_line = base + pos, line
            odd ^= block.count(b'"', pos) % 2 == 1
            line += block.count(b"\n", pos)
            base += len(block)
        if start < total:
            spans.append(CsvSpan(start, total, start_line, None if start == 0 else header))
    return spans


def _first_record(f: Any) -> tuple[list[str] | None, int]:
    """The first non-blank CSV record of a file (its header) and the byte
    offset after it; None when it cannot be read (bad bytes, malformed)."""
    read = 0

    def counted() -> Iterator[str]:
        nonlocal read
        for number, raw in enumerate(f, start=1):
            read += len(raw)
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")

    try:
        for cells in csv.reader(counted(), strict=True):
            if cells and any(c.strip() for c in cells):
                return [c.strip() for c in cells], read
    except (csv.Error, UnicodeDecodeError):
        pass
    return None, 0


def read_csv(path: Path, k: Kind, sink: ProblemSink, span: CsvSpan | None = None) -> Iterator[RawRow]:
    """Rows of a CSV file (UTF-8, with or without BOM; first line the header).
    A record the CSV reader cannot parse ends the file with its problem. With
    ``span``, only the rows of that stretch of the file (:func:`csv_spans`)."""
    if (span is None or span.start == 0) and _empty(path, k, sink):
        return
    header: list[str] | None = span.header if span else None
    first_line = span.first_line if span else 1
    name = path.name
    with path.open("rb") as f:
        lines = _Utf8Lines(_between(f, span.start, span.end) if span else f, name, k, sink,
                           field_at=lambda before: _column(header, _cell_index(before, csv.field_size_limit())),
                           first_line=first_line)
        reader = csv.reader(iter(lines), strict=True)
        while True:
            start = reader.line_num + first_line
            lines.record.clear()
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                if not lines.failed:
                    limit = csv.field_size_limit()
                    reason = (f"a cell longer than the CSV reader's limit of {limit:,} characters (more than any "
                              "field may hold)" if "field limit" in str(e) else f"malformed CSV: {e}")
                    sink(Problem(Location(name, start), reason + "; the rest of the file is not read",
                                 field=_column(header, _cell_index("".join(lines.record), limit)), kind=k.name))
                if span:
                    span.stopped = True
                return
            if not cells or (not cells[0].strip() and all(not c.strip() for c in cells)):
                continue  # blank line
            if header is None:
                header = [c.strip() for c in cells]
                if not check_header(header, k, Location(name, start), sink):
                    if span:
                        span.stopped = True
                    return
                continue
            if len(cells) != len(header):
                short = len(cells) < len(header)
                sink(Problem(Location(name, start),
                             f"malformed CSV: {len(cells)} cells, the header has {len(header)}"
                             + (": no cell for this column" if short else
                                ": a cell after this, the last column (a comma inside an unquoted value?)"),
                             field=header[len(cells)] if short else header[-1], kind=k.name))
                continue
            yield RawRow(k, Location(name, start), dict(zip(header, cells, strict=True)))
        if lines.failed and span:
            span.stopped = True
        if header is None and not lines.failed:
            sink(Problem(Location(name), "empty file: no header row", kind=k.name))


# --------------------------------------------------------------------------- JSONL

_JSON_KEY = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:')


_JSON_TRAILING_KEY = re.compile(r'"((?:[^"\\]|\\.)*)"\s*$')


def _last_key(text: str, *, colon_missing: bool = False) -> str | None:
    """The last object key in the text of a JSON line (the field it breaks
    in); when the colon after a key is missing, that key."""
    if colon_missing and (m := _JSON_TRAILING_KEY.search(text)):
        return m.group(1)
    keys = _JSON_KEY.findall(text)
    return keys[-1] if keys else None


class _DuplicateKey(ValueError):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object; a key given twice is an error (``json`` keeps the last silently)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        raise _DuplicateKey(next(key for key, _ in pairs if key in seen or seen.add(key)))  # type: ignore[func-returns-value]
    return obj


def read_jsonl(path: Path, k: Kind, sink: ProblemSink) -> Iterator[RawRow]:
    """Rows of a JSON Lines file: one JSON object per line, keys = field names."""
    if _empty(path, k, sink):
        return
    names = {f.name for f in input_fields(k)}
    reported: set[str] = set()
    rows = 0  # non-blank lines
    with path.open("rb") as f:
        lines = _Utf8Lines(f, path.name, k, sink, field_at=_last_key)
        for number, line in enumerate(lines, start=1):
            lines.record.clear()
            if not line.strip():
                continue
            where = Location(path.name, number)
            rows += 1
            try:
                obj = json.loads(line, object_pairs_hook=_object)
            except json.JSONDecodeError as e:
                key = _last_key(line[:e.pos], colon_missing=e.msg == "Expecting ':' delimiter")
                sink(Problem(where, f"malformed JSON: {e.msg} at column {e.colno}"
                                    + (" (in or after this field)" if key else ""), field=key, kind=k.name))
                continue
            except _DuplicateKey as e:
                sink(Problem(where, "key given twice in one object", field=str(e), kind=k.name))
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
                yield RawRow(k, where, obj, True)
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
        # Formulas as written (not their cached values): a formula is an error, not read as empty.
        wb = load_workbook(path, read_only=True, data_only=False)
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
            if k.name in sheets:
                sink(Problem(Location(path.name, sheet=name), f"two sheets for {k.file}: {sheets[k.name][2]!r} "
                                                              f"and {name!r}; keep one", kind=k.name))
                continue
            sheets[k.name] = (k, wb[name], name)
        for k in loadable_kinds():
            if k.name in sheets:
                kk, ws, name = sheets[k.name]
                yield from _read_sheet(path.name, name, kk, ws, sink)
    finally:
        wb.close()


_FORMULA, _ERROR = "f", "e"  # openpyxl's data types of a formula cell and of an error value (#N/A, #DIV/0!)


def _read_sheet(source: str, sheet: str, k: Kind, ws: Any, sink: ProblemSink) -> Iterator[RawRow]:
    header: list[str | None] | None = None
    for number, row in enumerate(ws.iter_rows(), start=1):
        cells = [c.value for c in row]
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells):
            continue
        where = Location(source, number, sheet)
        bad = next((i for i, c in enumerate(row) if c.data_type in (_FORMULA, _ERROR)), None)
        if bad is not None:
            what = ("a formula: zeren reads values, not formulas; replace it by its value (paste as values)"
                    if row[bad].data_type == _FORMULA else "an error value of the spreadsheet")
            sink(Problem(where, what, field=(header[bad] if header is not None and bad < len(header) else None)
                         or f"(column {bad + 1})", value=show(cells[bad]), kind=k.name))
            if header is None:
                return
            continue
        if header is None:
            header = [str(v).strip() if v is not None else None for v in cells]
            while header and header[-1] is None:
                header.pop()
            if not check_header([h or "" for h in header], k, where, sink):
                return
            continue
        extra = [(i, v) for i, v in enumerate(cells) if i >= len(header)
                 and v is not None and not (isinstance(v, str) and not v.strip())]
        if extra:
            sink(Problem(where, "a value in a column without a header", field=f"(column {extra[0][0] + 1}, no header)",
                         value=show(extra[0][1]), kind=k.name))
            continue
        cells += [None] * (len(header) - len(cells))
        yield RawRow(k, where, {h: v for h, v in zip(header, cells, strict=False) if h is not None})
    if header is None:
        sink(Problem(Location(source, sheet=sheet), "empty sheet: no header row", kind=k.name))
