"""The first load of a large input into an empty Neo4j database through Neo4j's
own bulk importer (``neo4j-admin database import full``).

``zeren load`` writes through Cypher transactions, which costs Neo4j about
3,400 rows/s (hours for a national dataset). Neo4j's importer writes the store
files directly from CSV files, but only into a database that does not exist
yet, with the server stopped. This module is that route:

1. the input is read and validated exactly as ``zeren load`` does it
   (:func:`zeren.loaders.validate.validate_source`: nothing is imported unless
   all of it is valid; errors name file, line and field);
2. meanwhile other processes read it again (a folder of CSV files directly,
   shared out by file, one process per core; each file hashed against the
   checksums the load record takes before validation begins: a file changed
   since stops the load) and write the importer's CSV files: one node file per kind and one relationship file
   per reference field and per relationship kind, headers in the importer's format with ids, labels,
   types and property types taken from the declared model
   (``zeren.graph.model``); the derived search text is written with the nodes,
   confidential fields as ciphertext, digest and pseudonym, and a
   ``LoadRecord`` node records the load, as ``zeren load`` leaves them;
3. the importer runs from a Neo4j installation's jars (``NEO4J_HOME/lib``)
   into ``NEO4J_HOME/data``;
4. once the server serves the database, :func:`finish` creates the schema of
   ``zeren.graph.schema`` (``zeren setup-schema``).

The graph is the one ``zeren load`` writes into an empty database: the same
labels, relationship types, properties and values (tests compare the traces).
Reloads and incremental loads afterwards go through ``zeren load``.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
import traceback
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from zeren.graph import search
from zeren.graph.confidential import Protector
from zeren.graph.model import NODES, Field, NodeKind, RelKind, kind_for_file
from zeren.graph.schema import setup_schema
from zeren.config import Settings
from zeren.graph.store.base import GraphStore

from .load import file_checksums, load_time, source_name
from .readers import Kind, input_fields, source_files
from .validate import Dataset, InputChanged, Invalid, ValidationFailed, convert, validate_source
from .writer import ProtectorMissing, protect, _stored_names, ident, prepare_row

# Array values are joined with a character validation refuses in any value.
ARRAY_DELIMITER = "\x1f"
# The importer's property type of each field type (an absent one is a string).
NEO4J_TYPES: dict[str, str] = {"int": "long", "bool": "boolean", "date": "date", "list": "string[]",
                               "enumlist": "string[]"}
ADMIN_TOOL = "org.neo4j.cli.AdminTool"

__all__ = ["BulkError", "BulkSummary", "DatabaseNotEmpty", "FileWriters", "ImportFiles", "add_load_record",
           "bulk_load", "cli_bulk_load", "file_groups", "finish", "import_cells", "import_command",
           "write_import_files"]


class BulkError(RuntimeError):
    """The bulk route could not run (no Java, no Neo4j jars, the importer failed)."""


class DatabaseNotEmpty(BulkError):
    """The target database already exists: the importer only creates a new one."""


# --------------------------------------------------------------------------- CSV files

@dataclass
class ImportFiles:
    """The importer's input: (label, file) of nodes, (type, file) of relationships."""

    folder: Path
    nodes: list[tuple[str, Path]] = field(default_factory=list)
    relationships: list[tuple[str, Path]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    multiline: bool = False  # a text value holds a line break: the importer must parse quoted line breaks


def _column(name: str, f: Field | None) -> str:
    """The header of a property column: ``name:type`` (a string needs no type)."""
    t = NEO4J_TYPES.get(f.type) if f is not None and not f.confidential else None
    return f"{ident(name)}:{t}" if t else ident(name)


def _cell(v: Any) -> Any:
    if v is None:
        return ""  # an empty, unquoted cell: no property
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return ARRAY_DELIMITER.join(v)
    if isinstance(v, date):
        return v.isoformat()
    return v


def node_columns(k: NodeKind) -> list[tuple[str, str]]:
    """(header, parameter name) of each column of a node kind's file: the key
    as the importer's id in the kind's own id space, every field held as a
    property (a confidential one as its stored names), and the search text."""
    out = [(f"{ident(k.key)}:ID({ident(k.name)})", k.key), *_property_columns(k.property_fields, k.key)]
    if k.name in search.LABELS:
        out.append((ident(search.PROPERTY), search.PROPERTY))
    return out


def rel_columns(r: RelKind) -> list[tuple[str, str]]:
    """(header, parameter name) of each column of a relationship kind's file."""
    return [(f":START_ID({ident(r.source.ref)})", r.source.name), (f":END_ID({ident(r.target.ref)})", r.target.name),
            (ident(r.key), r.key), *_property_columns(r.fields, r.key)]


def _property_columns(fields: Iterable[Field], key: str) -> list[tuple[str, str]]:
    """(header, parameter name) of every field but the key; a confidential
    one as its stored names (ciphertext, digest, pseudonym)."""
    out: list[tuple[str, str]] = []
    for f in fields:
        if f.name == key:
            continue
        if f.confidential:
            out += [(_column(n, None), n) for n in _stored_names(f)]
        else:
            out.append((_column(f.name, f), f.name))
    return out


# gzip's fastest level: the importer's files take under a quarter of the space
# (0.23 at SF 0.01: 42 MiB against 188; SF 1's are 21 GiB as text) for up to a
# third more of the writer's CPU, and the importer reads them no slower
# (docs/benchmarks-neo4j.md).
GZIP_LEVEL = 1


class _Files:
    """Open CSV writers, one per file, created on first use; gzip-compressed
    (``NAME.csv.gz``, which the importer reads as it is) when ``compress``."""

    def __init__(self, folder: Path, compress: bool = False) -> None:
        self.folder = folder
        self.compress = compress
        self.handles: dict[str, Any] = {}
        self.writers: dict[str, Any] = {}

    def path(self, name: str) -> Path:
        return self.folder / (f"{name}.gz" if self.compress else name)

    def writer(self, name: str, header: list[str]) -> Any:
        w = self.writers.get(name)
        if w is None:
            path = self.path(name)
            fh = (gzip.open(path, "wt", compresslevel=GZIP_LEVEL, encoding="utf-8", newline="") if self.compress
                  else open(path, "w", encoding="utf-8", newline=""))  # noqa: SIM115 - closed in close()
            self.handles[name] = fh
            w = self.writers[name] = csv.writer(fh, lineterminator="\n")
            w.writerow(header)
        return w

    def close(self) -> None:
        for fh in self.handles.values():
            fh.close()


class _LazyProtector:
    """The protector, made on the first confidential value (the key file is
    not created for an input without one, as with ``zeren load``)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.protector: Protector | None = None

    def prepare(self, k: Kind, row: dict[str, Any]) -> dict[str, Any]:
        try:
            return prepare_row(k, row, self.protector)
        except ProtectorMissing:
            self.protector = Protector.from_settings(self.settings)
            return prepare_row(k, row, self.protector)

    def protected(self, f: Field, v: str | None) -> dict[str, Any]:
        """The stored names and values of one confidential value."""
        if v is not None and self.protector is None:
            self.protector = Protector.from_settings(self.settings)
        return protect(f, v, self.protector)


def _node_rows(k: NodeKind, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Prepared rows of a node kind with their search text."""
    searched = next((props for label, props in search.KINDS.values() if label == k.name), None)
    for p in rows:
        if searched is not None:
            p[search.PROPERTY] = search.search_text(p.get(n) for n in searched)
        yield p


# --------------------------------------------------------------------------- CSV input read again

# A folder of CSV files is read again by the files' writer without the
# validator's machinery (line numbers, problems, typed values turned back into
# text): every file is hashed as it is read and must be the file of the load
# record's checksums, the bytes the validator was given, or the load stops
# (InputChanged); the cells of those bytes are valid, so each is only put in
# the form the validator gives it (trimmed; an integer or a boolean in its one
# spelling; lists and confidential values through the validator's own
# conversion). Profiled at SF 0.01: conversion, the row dictionaries and dates
# turned back into text were two thirds of the writer's time.

_TRIM, _AS_IS, _INTEGER, _BOOLEAN, _CONVERTED, _CONFIDENTIAL = range(6)
_CODES = {"string": _TRIM, "ref": _TRIM, "enum": _TRIM, "date": _TRIM, "datetime": _TRIM, "text": _AS_IS,
          "int": _INTEGER, "bool": _BOOLEAN}


def _converted(f: Field, v: str) -> Any:
    """A cell through the validator's conversion (dates as ISO text)."""
    try:
        c = convert(f, v)
    except Invalid as e:
        raise InputChanged(f"{f.name}: {e}") from None
    return c.isoformat() if isinstance(c, date) else c


class _Hashing(io.RawIOBase):
    """A binary file read through SHA-256."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = self.raw.readinto(b)
        if n:
            self.sha.update(memoryview(b)[:n])
        return n


def _csv_rows(path: Path, k: Kind, protector: _LazyProtector, checksum: str | None) -> Iterator[dict[str, Any]]:
    """The rows of a validated CSV file, each value as the importer's cell
    (``_cell`` of ``prepare_row``'s value), read again; InputChanged when the
    file is not the one of ``checksum`` ("name:sha256")."""
    plan: list[tuple[str, int, int, Field]] = []
    with path.open("rb") as raw:
        hashing = _Hashing(raw)
        text = io.TextIOWrapper(io.BufferedReader(hashing, 1 << 20), encoding="utf-8-sig", newline="")
        header: list[str] | None = None
        try:
            for cells in csv.reader(text, strict=True):
                if not cells or (not cells[0].strip() and all(not c.strip() for c in cells)):
                    continue  # a blank line, as the validator skips it
                if header is None:
                    header = [c.strip() for c in cells]
                    at = {name: i for i, name in enumerate(header)}
                    plan = [(f.name, at.get(f.name, -1),
                             _CONFIDENTIAL if f.confidential else _CODES.get(f.type, _CONVERTED), f)
                            for f in input_fields(k)]
                    continue
                if len(cells) != len(header):
                    raise InputChanged(f"a row of {len(cells)} cells under a header of {len(header)}")
                p: dict[str, Any] = {}
                for name, i, code, f in plan:
                    v = cells[i] if i >= 0 else ""
                    if code == _CONFIDENTIAL:
                        p.update((n, _cell(x)) for n, x in
                                 protector.protected(f, _converted(f, v) if v else None).items())
                    elif not v or v.isspace():
                        p[name] = ""
                    elif code == _TRIM:
                        p[name] = v.strip()
                    elif code == _AS_IS:
                        p[name] = v
                    elif code == _INTEGER:
                        p[name] = str(int(v))
                    elif code == _BOOLEAN:
                        p[name] = "true" if v.strip().lower() == "true" else "false"
                    else:
                        p[name] = _cell(_converted(f, v))
                yield p
        except (csv.Error, UnicodeDecodeError, ValueError) as e:
            raise InputChanged(f"{path.name} no longer reads as validated: {e}") from None
        text.read()  # to the end, so the hash covers the whole file
    if checksum is not None and f"{path.name}:{hashing.sha.hexdigest()}" != checksum:
        raise InputChanged(f"{path.name} changed after it was validated; run the load again")


def _dataset_kinds(dataset: Dataset, protector: _LazyProtector) -> Iterator[tuple[Kind, Iterator[dict[str, Any]]]]:
    """Each kind of a validated input in load order with its rows as the
    importer's cells, through the validator's reading."""
    for k, rows in dataset.rows():
        yield k, ({n: _cell(v) for n, v in protector.prepare(k, row).items()} for row in rows)


def _csv_folder(source: Path) -> list[Path] | None:
    """The files of a source that is a folder of CSV files (read again
    directly, in parts), or None for any other input."""
    paths = source_files(source) if source.is_dir() else []
    if not paths or any(p.suffix.lower() != ".csv" for p in paths):
        return None
    return paths


def _prepared_kinds(source: Path, protector: _LazyProtector, checksums: list[str] | None,
                    only: frozenset[str] | None = None) -> Iterator[tuple[Kind, Iterator[dict[str, Any]]]]:
    """Each kind of a validated input in load order (of ``only``'s names, when
    given) with its rows as the importer's cells: a folder of CSV files read
    again directly, any other input through the validator's reading."""
    paths = _csv_folder(source)
    if paths is None:
        for k, rows in _dataset_kinds(Dataset(source, {}), protector):
            if only is None or k.name in only:
                yield k, rows
        return
    by_name = {c.split(":", 1)[0]: c for c in checksums or []}
    for p in paths:
        k = kind_for_file(p.stem)
        if k is not None and (only is None or k.name in only):  # (a source's files are all of known kinds)
            yield k, _csv_rows(p, k, protector, by_name.get(p.name))


def file_groups(source: Path, parts: int) -> list[frozenset[str] | None]:
    """The kinds of a folder of CSV files in at most ``parts`` groups of about
    the same bytes (the largest file first, each to the lightest group), to be
    written by as many processes; the kinds with a confidential field in one
    group, so that only one process may create the key that encrypts them.
    ``[None]`` (one process, every kind) for any other input or one part."""
    paths = _csv_folder(source)
    kinds = [(p.stat().st_size, k) for p in paths or () if (k := kind_for_file(p.stem)) is not None]
    if paths is None or parts <= 1 or len(kinds) <= 1:
        return [None]
    secret = [(n, k) for n, k in kinds if any(f.confidential for f in k.fields)]
    items = [(n, frozenset([k.name])) for n, k in kinds if (n, k) not in secret]
    if secret:
        items.append((sum(n for n, _ in secret), frozenset(k.name for _, k in secret)))
    groups: list[tuple[int, frozenset[str]]] = [(0, frozenset())] * min(parts, len(items))
    for n, names in sorted(items, key=lambda i: -i[0]):
        i = min(range(len(groups)), key=lambda j: groups[j][0])
        groups[i] = (groups[i][0] + n, groups[i][1] | names)
    return [g for _, g in groups]


def write_import_files(dataset: Dataset | Path, folder: Path, settings: Settings,
                       record: dict[str, Any], *, compress: bool = False, only: frozenset[str] | None = None,
                       load_record: bool = True) -> ImportFiles:
    """Write the importer's CSV files of a validated input (a validated
    :class:`Dataset`, or the source's path) into ``folder``; ``record`` is the
    LoadRecord node's row, whose file checksums the input is read against.
    ``compress``: gzip each file (``NAME.csv.gz``). ``only``: the names of the
    kinds to write (of a source's path), the others left to another process;
    ``load_record``: write the LoadRecord node too (else :func:`add_load_record`
    does, once every part is written)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = ImportFiles(folder)
    files = _Files(folder, compress)
    protector = _LazyProtector(settings)
    kinds = (_dataset_kinds(dataset, protector) if isinstance(dataset, Dataset)
             else _prepared_kinds(dataset, protector, record.get("files"), only))
    try:
        for k, rows in kinds:
            n = 0
            if isinstance(k, RelKind):
                cols = rel_columns(k)
                name = f"rel-{k.name}.csv"
                w = files.writer(name, [h for h, _ in cols])
                for p in rows:
                    w.writerow([p[c] for _, c in cols])
                    n += 1
                out.relationships.append((k.name, files.path(name)))
            else:
                cols = node_columns(k)
                refs = list(k.refs)
                name = f"node-{k.name}.csv"
                w = files.writer(name, [h for h, _ in cols])
                ref_writers = [(f, files.writer(f"ref-{k.name}-{f.name}.csv",
                                                [f":START_ID({ident(k.name)})", f":END_ID({ident(f.ref)})"]))
                               for f in refs]
                texts = [f.name for f in k.fields if f.type == "text" and not f.confidential]
                for p in _node_rows(k, rows):
                    w.writerow([p[c] for _, c in cols])
                    for f, rw in ref_writers:
                        if p[f.name]:
                            rw.writerow([p[k.key], p[f.name]])
                    if not out.multiline and any("\n" in p[t] or "\r" in p[t] for t in texts):
                        out.multiline = True
                    n += 1
                out.nodes.append((k.name, files.path(name)))
                out.relationships += [(ident(f.rel), files.path(f"ref-{k.name}-{f.name}.csv")) for f in refs]
            out.rows[k.name] = n
        if load_record:
            _write_load_record(files, out, record)
    finally:
        files.close()
    return out


def _write_load_record(files: _Files, out: ImportFiles, record: dict[str, Any]) -> None:
    record = {**record, "finished_at": load_time(),
              "counts": json.dumps({name: {"rows": n, "created": n, "updated": 0} for name, n in out.rows.items()},
                                   sort_keys=True)}
    lk = NODES["LoadRecord"]
    cols = node_columns(lk)
    files.writer("node-LoadRecord.csv", [h for h, _ in cols]).writerow([_cell(record.get(c)) for _, c in cols])
    out.nodes.append((lk.name, files.path("node-LoadRecord.csv")))


def add_load_record(parts: list[ImportFiles], record: dict[str, Any], *, compress: bool = False) -> ImportFiles:
    """The files of parts written apart (``load_record=False``) as one set,
    with the LoadRecord node of all their rows."""
    out = ImportFiles(parts[0].folder)
    for part in parts:
        out.nodes += part.nodes
        out.relationships += part.relationships
        out.rows.update(part.rows)
        out.multiline = out.multiline or part.multiline
    files = _Files(out.folder, compress)
    try:
        _write_load_record(files, out, record)
    finally:
        files.close()
    return out


def import_cells(folder: Path) -> dict[str, list[list[str]]]:
    """The cells of every importer file in ``folder`` (plain or gzipped, named
    as plain) but the load record's, ciphertexts (randomised) left out: two
    ways of writing the same input compare equal (the tests and
    ``benchmarks/bulk_files.py``)."""
    out: dict[str, list[list[str]]] = {}
    for p in sorted(folder.iterdir()):
        name = p.name.removesuffix(".gz")
        if name == "node-LoadRecord.csv":
            continue
        with (gzip.open(p, "rt", encoding="utf-8", newline="") if p.suffix == ".gz"
              else p.open(encoding="utf-8", newline="")) as fh:
            rows = list(csv.reader(fh))
        keep = [i for i, h in enumerate(rows[0]) if not h.split(":")[0].endswith("_enc")]
        out[name] = [[r[i] for i in keep] for r in rows]
    return out


# --------------------------------------------------------------------------- the importer

def java_command() -> str:
    home = os.environ.get("JAVA_HOME")
    java = Path(home) / "bin" / "java" if home else None
    found = str(java) if java and java.exists() else shutil.which("java")
    if found is None:
        raise BulkError("Java is not installed: Neo4j 5's importer needs Java 17 or 21")
    return found


def database_folder(neo4j_home: Path, database: str) -> Path:
    return neo4j_home / "data" / "databases" / database


def check_empty(neo4j_home: Path, database: str) -> None:
    """Refuse a database that already exists (the importer would not write it,
    and a bulk load is for an empty database only)."""
    db = database_folder(neo4j_home, database)
    if db.exists() and any(db.iterdir()):
        raise DatabaseNotEmpty(
            f"database {database!r} already exists in {db}: the bulk route only creates a new, empty database. "
            "Load into it with 'zeren load' (without --bulk), or stop the server and remove the database first")


def available_memory_mb(meminfo: Path = Path("/proc/meminfo")) -> int | None:
    """The memory the system can give a new process without swapping
    (``MemAvailable``: free memory and the page cache it may drop), or None
    where that is not known."""
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def off_heap_mb(heap_mb: int, available_mb: int | None) -> int | None:
    """The importer's off-heap memory: 90% of what is available less the heap
    (at least 256 MiB), or None (the importer's own default) when unknown.
    Its default is 90% of *free* memory, which the page cache filled by
    writing its files leaves small: 214 MiB free on a 24 GiB machine before
    SF 1's import, which needed 1.6 GiB."""
    if available_mb is None:
        return None
    return max(256, int(available_mb * 0.9) - heap_mb)


def import_command(files: ImportFiles, neo4j_home: Path, database: str, *, lib: Path | None = None,
                   heap_mb: int = 2048, available_mb: int | None = None) -> list[str]:
    """``neo4j-admin database import full`` of the files, run by Java from the
    installation's jars (``NEO4J_HOME/lib``, or ``lib``); ``available_mb``: the
    memory available (default: the system's, :func:`available_memory_mb`)."""
    jars = (lib or neo4j_home / "lib").resolve()
    if not any(jars.glob("neo4j-import-tool-*.jar")):
        raise BulkError(f"no neo4j-import-tool jar in {jars}: give the lib folder of a Neo4j 5 installation")
    # The database first: a name after --relationships would be read as one more file of it.
    cmd = [java_command(), f"-Xmx{heap_mb}m", "-cp", f"{jars}/*", ADMIN_TOOL, "database", "import", "full", database,
           f"--array-delimiter={ARRAY_DELIMITER}", "--id-type=string", "--bad-tolerance=0",
           "--skip-bad-relationships=false", "--skip-duplicate-nodes=false", "--high-parallel-io=on",
           f"--multiline-fields={'true' if files.multiline else 'false'}", "--overwrite-destination=false"]
    if (off_heap := off_heap_mb(heap_mb, available_mb if available_mb is not None else available_memory_mb())):
        cmd.append(f"--max-off-heap-memory={off_heap}m")
    cmd += [f"--nodes={label}={path}" for label, path in files.nodes]
    cmd += [f"--relationships={rel}={path}" for rel, path in files.relationships]
    return cmd


def run_import(cmd: list[str], neo4j_home: Path, log: Path) -> float:
    """Run the importer; its report goes to ``log``. Seconds taken."""
    env = {**os.environ, "NEO4J_HOME": str(neo4j_home.resolve()), "NEO4J_CONF": str((neo4j_home / "conf").resolve())}
    (neo4j_home / "conf").mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(log, "wb") as out:
        done = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=neo4j_home, check=False)
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:]
        raise BulkError(f"the importer failed (exit {done.returncode}); its report is in {log}:\n{tail}")
    return time.perf_counter() - started


# --------------------------------------------------------------------------- the whole route

@dataclass
class BulkSummary:
    database: str
    rows: dict[str, int]
    validation_seconds: float
    files_seconds: float
    import_seconds: float
    seconds: float

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


# The processes writing the importer's files of a folder of CSV files, each a
# share of its files, beside the validation: one per core. One writer was a
# floor whatever the cores (SF 1's files: 25 minutes of one core, the
# validation done in 14); on two cores, where the validation's processes share
# them, two writers took as long as one at SF 0.1 (docs/benchmarks-neo4j.md).
WRITERS = os.cpu_count() or 1


def _write_files_child(conn: Any, source: Path, folder: Path, settings: Settings, record: dict[str, Any],
                       compress: bool, only: frozenset[str] | None) -> None:
    """In a writing process: write the files of the kinds ``only``, send back
    (files, seconds) or the error."""
    started = time.perf_counter()
    try:
        files = write_import_files(source, folder, settings, record, compress=compress, only=only,
                                   load_record=False)
        conn.send(("ok", files, time.perf_counter() - started))
    except InputChanged as e:
        conn.send(("changed", str(e), 0.0))
    except Exception:
        conn.send(("error", traceback.format_exc(limit=5), 0.0))
    finally:
        conn.close()


class FileWriters:
    """The processes writing the importer's files of a validated source into
    ``folder`` (``writers`` of them, default ``WRITERS``: a folder of CSV
    files shared out by file, :func:`file_groups`), started at once, so that
    the caller may validate meanwhile."""

    def __init__(self, source: Path, folder: Path, settings: Settings, record: dict[str, Any], *,
                 compress: bool = False, writers: int | None = None) -> None:
        self.record, self.compress = record, compress
        ctx = multiprocessing.get_context("fork")
        self.children: list[tuple[Any, Any]] = []  # (process, the parent's end of its pipe)
        for only in file_groups(source, writers or WRITERS):
            parent_end, child_end = ctx.Pipe(duplex=False)
            child = ctx.Process(target=_write_files_child,
                                args=(child_end, source, folder, settings, record, compress, only), daemon=True)
            child.start()
            child_end.close()
            self.children.append((child, parent_end))

    def result(self) -> tuple[ImportFiles, float]:
        """The files, with the LoadRecord node of all their rows, and the
        seconds the longest process took; InputChanged or BulkError if one failed."""
        parts: list[ImportFiles] = []
        seconds = 0.0
        for child, parent_end in self.children:
            status, payload, took = parent_end.recv()
            child.join()
            if status == "changed":
                raise InputChanged(payload)
            if status != "ok":
                raise BulkError(f"writing the importer's files failed:\n{payload}")
            parts.append(payload)
            seconds = max(seconds, took)
        return add_load_record(parts, self.record, compress=self.compress), seconds

    def stop(self) -> None:
        """Every process ended (killed if still writing)."""
        for child, parent_end in self.children:
            parent_end.close()
            if child.is_alive():
                child.kill()
            child.join()


def bulk_load(path: Path | str, neo4j_home: Path | str, *, settings: Settings, database: str = "neo4j",
              lib: Path | None = None, max_errors: int = 50, heap_mb: int = 2048,
              keep_files: bool = False, compress: bool = False, writers: int | None = None) -> BulkSummary:
    """Validate ``path`` and import it as the new database ``database`` of the
    Neo4j installation at ``neo4j_home`` (its server stopped); ``compress``:
    the importer's files gzipped (under a quarter of the disk space);
    ``writers``: the processes writing them beside the validation (default
    ``WRITERS``; a folder of CSV files is shared out by file). Raises
    :class:`ValidationFailed` (nothing imported) when the input is invalid,
    :class:`DatabaseNotEmpty` when the database exists."""
    source, home = Path(path), Path(neo4j_home)
    check_empty(home, database)
    t0 = time.perf_counter()
    folder = home / "import" / f"zeren-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    record = {"id": uuid.uuid4().hex, "source": source_name(source), "started_at": load_time(),
              "files": file_checksums(source) or None}
    writing = FileWriters(source, folder, settings, record, compress=compress, writers=writers)
    try:
        try:
            dataset = validate_source(source, None, max_errors=max_errors, lookup_chunk=settings.batch_size)
        except ValidationFailed:
            writing.stop()
            raise
        validated = time.perf_counter() - t0
        del dataset
        files, files_seconds = writing.result()
        cmd = import_command(files, home, database, lib=lib, heap_mb=heap_mb)
        imported = run_import(cmd, home, home / "import" / f"{folder.name}.log")
    finally:
        writing.stop()
        if not keep_files:
            shutil.rmtree(folder, ignore_errors=True)
    return BulkSummary(database, files.rows, validated, files_seconds, imported, time.perf_counter() - t0)


def finish(store: GraphStore) -> None:
    """Once the server serves the imported database: its schema (the unique
    keys, indexes and full-text index of ``zeren.graph.schema``), waiting until
    the indexes are online."""
    setup_schema(store)
    if store.dialect != "neo4j":
        return
    while store.read("SHOW INDEXES YIELD state WHERE state <> 'ONLINE' RETURN count(*) AS n")[0]["n"]:
        if failed := store.read("SHOW INDEXES YIELD name, state WHERE state = 'FAILED' RETURN name"):
            raise BulkError(f"index {failed[0]['name']} failed to build; see the server's log")
        time.sleep(1)


# --------------------------------------------------------------------------- command line

def cli_bulk_load(path: Path, neo4j_home: Path, settings: Settings, *, lib: Path | None = None,
                  max_errors: int = 50, compress: bool = False) -> int:
    """``zeren load --bulk NEO4J_HOME``: 0 when imported, 2 when the input is
    invalid (nothing imported), 1 when the database exists or the importer fails."""
    database = settings.neo4j_database or "neo4j"
    try:
        summary = bulk_load(path, neo4j_home, settings=settings, database=database, lib=lib, max_errors=max_errors,
                            compress=compress)
    except ValidationFailed as e:
        print(e.report(), file=sys.stderr)
        return 2
    except (BulkError, InputChanged, OSError) as e:
        print(f"bulk load failed: {e}", file=sys.stderr)
        return 1
    print(f"Imported {summary.total_rows:,} rows of {path.name} into database {database!r} of {neo4j_home} in "
          f"{summary.seconds:.1f} s (validation {summary.validation_seconds:.1f} s, files "
          f"{summary.files_seconds:.1f} s, importer {summary.import_seconds:.1f} s).\n"
          "Start the server, then create the schema with 'zeren setup-schema'.")
    return 0
