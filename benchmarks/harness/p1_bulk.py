"""P1 anchor: FalkorDB's own bulk loader (``falkordb-bulk-insert`` of the
``falkordb-bulk-loader`` package: ``GRAPH.BULK``, which builds a new graph
from binary batches without Cypher) on the same CSVs, converted to its format.

Timed end to end: the conversion of the CSVs into its files (one node file per
kind, one relationship file per reference field and per relationship kind, the
header typed from the declared model; values typed and confidential fields
encrypted as the raw baseline does them, the search text written with the
nodes), then the loader as a subprocess. The indexes and unique keys of
``zeren.graph.schema`` are created afterwards and timed apart: the bulk loader
only creates a new graph, so they cannot exist before it runs. No validation,
no load record, dates as ISO text (the loader has no date type)."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from zeren.graph import search
from zeren.graph.confidential import Protector
from zeren.graph.model import LOAD_ORDER, Field, NodeKind, RelKind, kind
from zeren.loaders.readers import input_fields

from .data import csv_rows
from .p1_load import _raw_value
from .stores import FalkorBackend, _store

# The bulk loader's property type of each field type (any other: a string).
BULK_TYPES = {"int": "INT", "bool": "BOOL", "list": "ARRAY", "enumlist": "ARRAY"}


def _cell(v: Any) -> str:
    if v is None:
        return ""  # no property
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return repr(v)  # the loader reads arrays as Python literals
    return str(v)


def _columns(k: NodeKind | RelKind) -> list[tuple[str, str]]:
    """(header, row key) of every property column of a kind's file."""
    out: list[tuple[str, str]] = []
    skip = {k.key} | ({k.source.name, k.target.name} if isinstance(k, RelKind) else set())
    for f in input_fields(k):
        if f.name in skip:
            continue
        if f.confidential:
            probe: dict[str, Any] = {}
            _raw_value(f, "", None, probe)  # type: ignore[arg-type]  # the stored names (no value: no protector)
            out += [(f"{n}:STRING", n) for n in probe]
        else:
            out.append((f"{f.name}:{BULK_TYPES.get(f.type, 'STRING')}", f.name))
    return out


def convert(folder: Path, out: Path, protector: Protector) -> tuple[list[str], int]:
    """Write the bulk loader's files of the CSVs in ``folder`` into ``out``;
    its arguments naming them (``-N label file``, ``-R type file``) and the rows read."""
    out.mkdir(parents=True, exist_ok=True)
    args: list[str] = []
    handles: dict[Path, Any] = {}
    writers: dict[Path, Any] = {}

    def writer(name: str, header: list[str], flag: str, label: str) -> Any:
        path = out / name
        if path not in writers:
            fh = handles[path] = path.open("w", encoding="utf-8", newline="")
            writers[path] = csv.writer(fh, lineterminator="\n")
            writers[path].writerow(header)
            args.extend([flag, label, str(path)])
        return writers[path]

    rows = 0
    try:
        for name in LOAD_ORDER:
            k = kind(name)
            fields: list[Field] = input_fields(k)
            cols = _columns(k)
            if isinstance(k, RelKind):
                w = writer(f"rel-{k.name}.csv", [f":START_ID({k.source.ref})", f":END_ID({k.target.ref})",
                                                 f"{k.key}:STRING", *(h for h, _ in cols)], "-R", k.name)
                for raw in csv_rows(folder, k):
                    row: dict[str, Any] = {}
                    for f in fields:
                        _raw_value(f, raw.get(f.name, ""), protector, row)
                    w.writerow([row[k.source.name], row[k.target.name], row[k.key], *(_cell(row[c]) for _, c in cols)])
                    rows += 1
                continue
            searched = next((props for label, props in search.KINDS.values() if label == k.name), None)
            header = [f"{k.key}:ID({k.name})", *(h for h, _ in cols)]
            if searched is not None:
                header.append(f"{search.PROPERTY}:STRING")
            w = writer(f"node-{k.name}.csv", header, "-N", k.name)
            refs = [(f, writer(f"ref-{k.name}-{f.name}.csv", [f":START_ID({k.name})", f":END_ID({f.ref})"], "-R",
                               f.rel or "")) for f in k.refs]
            for raw in csv_rows(folder, k):
                row = {}
                for f in fields:
                    _raw_value(f, raw.get(f.name, ""), protector, row)
                cells = [row[k.key], *(_cell(row[c]) for _, c in cols)]
                if searched is not None:
                    cells.append(search.search_text(row.get(n) for n in searched))
                w.writerow(cells)
                for f, rw in refs:
                    if row[f.name] is not None:
                        rw.writerow([row[k.key], row[f.name]])
                rows += 1
    finally:
        for fh in handles.values():
            fh.close()
    return args, rows


_INSERT = ("import os, sys; from falkordb_bulk_loader.bulk_insert import bulk_insert; "
           "bulk_insert.main(sys.argv[1:] + ['-u', os.environ['BULK_SERVER_URL']], prog_name='falkordb-bulk-insert')")


def bulk_load(backend: FalkorBackend, folder: Path, graph: str, protector: Protector, work: Path) -> dict[str, Any]:
    """The anchor end to end into a new graph: conversion, then the bulk
    loader; then the schema, timed apart. Rows/s are of the end-to-end time."""
    from zeren.graph.schema import setup_schema
    from zeren.graph.store import open_store

    backend.drop(graph)
    files = work / "bulk-files"
    shutil.rmtree(files, ignore_errors=True)
    started = time.perf_counter()
    args, rows = convert(folder, files, protector)
    converted = time.perf_counter() - started
    # The loader's own command, its server URL (with the password) from the environment.
    cmd = [sys.executable, "-c", _INSERT, graph, "-d", "-q", "0", "-x", "none", *args]
    proc = subprocess.run(cmd, env={**os.environ, "BULK_SERVER_URL": backend.url()}, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"falkordb-bulk-insert failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    t0 = time.perf_counter()
    with _store(backend, graph, open_store) as store:
        setup_schema(store)
    schema = time.perf_counter() - t0
    shutil.rmtree(files, ignore_errors=True)
    return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds, "conversion_s": converted,
            "insert_s": seconds - converted, "insert_rows_per_s": rows / (seconds - converted),
            "schema_s": schema}
