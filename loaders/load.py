"""Validated, idempotent loads of a folder (or workbook) of input files.

``load_path`` validates the whole input first (nothing is written when any
error is found), sets up the schema, then writes every kind in the model's
``LOAD_ORDER`` and records the load as a ``LoadRecord`` node (written when the
writes start, completed with ``finished_at`` and the counts at the end: a
record without ``finished_at`` is a load that stopped half-way; running it
again converges).

The input is read twice: validation keeps only ids and what the checks across
rows need, and the writer streams the rows again in batches: memory holds
ids, not rows (about 180 MB in the client for 670,000 rows).

Asked to (``skip_unchanged``; ``zeren load`` does unless ``--force``), a load
whose files are, name for name and SHA-256 for SHA-256, those of the last
load, which finished and which no load started after, validates and writes
nothing: the graph already holds exactly those rows.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from zeren import queries
from zeren.graph.confidential import ConfidentialKeyError, Protector
from zeren.graph.model import NODES, kind
from zeren.graph import search
from zeren.graph.schema import setup_schema
from zeren.config import Settings
from zeren.graph.store.base import GraphStore, StoreError

from .readers import source_files
from .validate import Dataset, InputChanged, ValidationFailed, validate_source
from .writer import GraphWriter

Progress = Callable[[str, int, int], None]  # kind name, rows written so far, rows of the kind

__all__ = ["KindSummary", "LoadSummary", "Progress", "ValidationFailed", "cli_load", "cli_sample", "load_path"]


@dataclass
class KindSummary:
    kind: str
    file: str
    rows: int
    created: int
    seconds: float

    @property
    def updated(self) -> int:
        return self.rows - self.created

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


@dataclass
class LoadSummary:
    load_id: str
    source: str
    kinds: list[KindSummary] = field(default_factory=list)
    validation_seconds: float = 0.0
    seconds: float = 0.0
    unchanged: bool = False  # skipped: the files are those of the last load, ``load_id``

    def __getitem__(self, name: str) -> KindSummary:
        for k in self.kinds:
            if k.kind == name:
                return k
        raise KeyError(name)

    @property
    def rows(self) -> int:
        return sum(k.rows for k in self.kinds)

    def counts(self) -> dict[str, dict[str, int]]:
        return {k.kind: {"rows": k.rows, "created": k.created, "updated": k.updated} for k in self.kinds}


def file_checksums(path: Path) -> list[str]:
    """``name:sha256`` of every data file of the source."""
    out = []
    for f in source_files(path):
        h = hashlib.sha256()
        with f.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        out.append(f"{f.name}:{h.hexdigest()}")
    return out


def load_time() -> str:
    """Now, as a load record writes it (UTC, ISO 8601, to the microsecond)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")  # orders loads started in one second


class _Record:
    """The LoadRecord of one load, written through the same model-driven writer."""

    def __init__(self, store: GraphStore, source: Path, files: list[str]) -> None:
        self.writer = GraphWriter(store)
        self.row: dict[str, Any] = {"id": uuid.uuid4().hex, "source": source_name(source),
                                    "started_at": load_time(), "files": files or None}

    def start(self) -> None:
        self.writer.write(NODES["LoadRecord"], [self.row])

    def finish(self, summary: LoadSummary) -> None:
        self.row.update(finished_at=load_time(), counts=json.dumps(summary.counts(), sort_keys=True))
        self.writer.write(NODES["LoadRecord"], [self.row])


def source_name(source: Path) -> str:
    return source.resolve().name or str(source)


def unchanged_since(store: GraphStore, source: Path, files: list[str]) -> dict[str, Any] | None:
    """The last load (its LoadRecord's id, source, started_at, finished_at, files) when it finished, read a
    source of the same name, and its files' names and SHA-256 are ``files``; None otherwise, and when two
    loads started in the same second (which was last is not known)."""
    rows = queries.run(store, "last_loads")
    if not rows or not files:
        return None
    last = rows[0]
    if len(rows) > 1 and rows[1]["started_at"] == last["started_at"]:
        return None
    same = last["source"] == source_name(source) and sorted(last["files"] or []) == sorted(files)
    return last if same and last["finished_at"] else None


def load_settings(settings: Settings) -> Settings:
    """The settings a load opens the store with: each of its queries (a batch
    of rows, a look-up of ids) may take up to the server's ceiling
    (``max_timeout_ms``), where the default for people's queries (10 s) stopped
    a load half-way on a busy machine."""
    return settings.model_copy(update={"query_timeout_ms": settings.max_timeout_ms})


def _protector(dataset: Dataset, settings: Settings) -> Protector | None:
    """A protector only when the input carries confidential values (the key
    file is not created for inputs without them)."""
    return Protector.from_settings(settings) if dataset.confidential else None


def load_path(path: Path | str, store: GraphStore, *, settings: Settings, max_errors: int = 50,
              progress: Progress | None = None, skip_unchanged: bool = False) -> LoadSummary:
    """Validate then load a folder of CSV/JSONL files or an .xlsx workbook.

    Raises :class:`ValidationFailed` (nothing written) when the input is
    invalid. ``progress(kind, done, total)`` is called when a kind starts and
    after each batch; an exception it raises stops the load (which converges
    when run again). With ``skip_unchanged``, files that are those of the last
    finished load are neither validated nor written (``summary.unchanged``)."""
    source = Path(path)
    t0 = time.perf_counter()
    files: list[str] | None = None
    if skip_unchanged and source.exists():  # (a source that is not there is the validator's to report)
        files = file_checksums(source)
        if last := unchanged_since(store, source, files):
            return LoadSummary(last["id"], last["source"], seconds=time.perf_counter() - t0, unchanged=True)
    dataset = validate_source(source, store, max_errors=max_errors, lookup_chunk=settings.batch_size)
    validated = time.perf_counter() - t0
    protector = _protector(dataset, settings)
    setup_schema(store)
    with store.bulk_writes():
        record = _Record(store, source, file_checksums(source) if files is None else files)
        record.start()
        summary = LoadSummary(record.row["id"], record.row["source"], validation_seconds=validated)
        done: dict[str, int] = {}

        def on_batch(name: str, n: int) -> None:
            done[name] = done.get(name, 0) + n
            if progress:
                progress(name, done[name], dataset.count(name))

        writer = GraphWriter(store, batch_size=settings.batch_size, protector=protector, on_batch=on_batch)
        for k, rows in dataset.rows():
            if progress:
                progress(k.name, 0, dataset.count(k.name))
            w = writer.write(k, rows)
            summary.kinds.append(KindSummary(k.name, k.file, w.rows, w.created, w.seconds))
        search.refresh(store, batch_size=settings.batch_size)  # the derived search text of what changed
        summary.seconds = time.perf_counter() - t0
        record.finish(summary)
    return summary


# --------------------------------------------------------------------------- command line

def _summary_table(summary: LoadSummary) -> Any:
    from rich.table import Table

    table = Table(title=f"Loaded {summary.source} (load {summary.load_id[:8]})")
    for col, just in (("file", "left"), ("kind", "left"), ("rows", "right"), ("created", "right"),
                      ("updated", "right"), ("seconds", "right"), ("rows/s", "right")):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for k in summary.kinds:
        table.add_row(k.file, k.kind, f"{k.rows:,}", f"{k.created:,}", f"{k.updated:,}", f"{k.seconds:.2f}",
                      f"{k.rows_per_second:,.0f}")
    rate = summary.rows / summary.seconds if summary.seconds else 0.0
    table.add_row("total", "", f"{summary.rows:,}", f"{sum(k.created for k in summary.kinds):,}",
                  f"{sum(k.updated for k in summary.kinds):,}", f"{summary.seconds:.2f}", f"{rate:,.0f}",
                  style="bold")
    table.caption = f"validation {summary.validation_seconds:.2f} s, total {summary.seconds:.2f} s"
    return table


def _load_with_progress(path: Path, store: GraphStore, settings: Settings, max_errors: int,
                        skip_unchanged: bool = False) -> LoadSummary:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=False) as bar:
        tasks: dict[str, Any] = {}

        def progress(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(kind(name).file, total=total)
            bar.update(tasks[name], completed=done)

        return load_path(path, store, settings=settings, max_errors=max_errors, progress=progress,
                         skip_unchanged=skip_unchanged)


def cli_load(path: Path | str, settings: Settings, max_errors: int = 50, force: bool = False) -> int:
    """``zeren load``: 0 when loaded (or unchanged since the last load, unless
    ``force``), 2 when the input is invalid (report on stderr, nothing
    written), 1 when the store or the secret key fails or the input changed
    during the load."""
    from rich.console import Console

    from zeren.graph.store import open_store

    console = Console()
    try:
        with open_store(load_settings(settings)) as store:
            console.print(f"Validating {Path(path).name} …")
            summary = _load_with_progress(Path(path), store, settings, max_errors, skip_unchanged=not force)
    except ValidationFailed as e:
        print(e.report(), file=sys.stderr)
        return 2
    except (StoreError, ConfidentialKeyError, InputChanged) as e:
        print(f"load failed: {e}", file=sys.stderr)
        return 1
    if summary.unchanged:
        console.print(f"Unchanged since load {summary.load_id[:8]} of {summary.source}: every file's name and "
                      f"SHA-256 are those of that load, which finished and is the last; nothing was validated or "
                      f"written ({summary.seconds:.2f} s). --force loads the files again.")
        return 0
    console.print(_summary_table(summary))
    return 0


def graph_counts(store: GraphStore) -> tuple[dict[str, int], dict[str, int]]:
    """Nodes per label and relationships per type in the graph."""
    nodes = store.read("MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS n ORDER BY label")
    rels = store.read("MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS n ORDER BY type")
    return {r["label"]: r["n"] for r in nodes}, {r["type"]: r["n"] for r in rels}


def cli_sample(settings: Settings) -> int:
    """``zeren sample``: load the regulations and the bundled sample data, then
    print what the graph holds."""
    from rich.console import Console
    from rich.table import Table

    from zeren.graph.store import open_store
    from zeren.loaders.regulations import load_regulations

    console = Console()
    try:
        with open_store(load_settings(settings)) as store:
            setup_schema(store)
            regulations = load_regulations(store)
            console.print("Regulations: " + ", ".join(f"{k} {v:,}" for k, v in regulations.items()))
            with resources.as_file(resources.files("zeren.data") / "sample") as folder:
                summary = _load_with_progress(folder, store, settings, 50)
            nodes, rels = graph_counts(store)
    except ValidationFailed as e:
        print("the bundled sample data is invalid:\n" + e.report(), file=sys.stderr)
        return 2
    except (StoreError, ConfidentialKeyError) as e:
        print(f"sample load failed: {e}", file=sys.stderr)
        return 1
    console.print(_summary_table(summary))
    table = Table(title="The graph now holds")
    table.add_column("nodes")
    table.add_column("count", justify="right")
    table.add_column("relationships")
    table.add_column("count", justify="right")
    n_items, r_items = list(nodes.items()), list(rels.items())
    for i in range(max(len(n_items), len(r_items))):
        n = n_items[i] if i < len(n_items) else ("", None)
        r = r_items[i] if i < len(r_items) else ("", None)
        table.add_row(n[0], f"{n[1]:,}" if n[1] is not None else "", r[0], f"{r[1]:,}" if r[1] is not None else "")
    console.print(table)
    return 0
