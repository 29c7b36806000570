"""P1: ``zeren load`` against a raw batched ``UNWIND $rows MERGE`` of the same rows."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from zeren.graph.confidential import Protector, digest_name, encrypted_name, has_pseudonym, pseudonym_name
from zeren.graph.model import LOAD_ORDER, Field, NodeKind, RelKind, kind
from zeren.loaders.readers import input_fields
from zeren.loaders.writer import merge_ref_query, merge_rel_query, node_upsert_query

from .data import csv_rows
from .processes import PeakSampler
from .stores import Backend, _store


def _raw_value(f: Field, v: str, protector: Protector, out: dict[str, Any]) -> None:
    if v == "":
        v = None  # type: ignore[assignment]
    if f.confidential:
        enc, dig = encrypted_name(f.name), digest_name(f.name)
        out[enc] = protector.encrypt(v) if v is not None else None
        out[dig] = protector.digest(v) if v is not None else None
        if has_pseudonym(f):
            out[pseudonym_name(f.name)] = protector.pseudonym(v) if v is not None else None
        return
    if v is None:
        out[f.name] = None
    elif f.type == "int":
        out[f.name] = int(v)
    elif f.type == "bool":
        out[f.name] = v.strip().lower() == "true"
    elif f.type in ("list", "enumlist"):
        out[f.name] = [x for x in v.split(";") if x] or None
    else:
        out[f.name] = v


def raw_queries(k: NodeKind | RelKind) -> dict[str, str]:
    """The raw baseline's queries for a kind: the loader's plain batched
    ``UNWIND $rows MERGE`` per kind, per reference and per relationship
    (``loaders/writer.py``), not its combined node-and-references query nor
    its stale-relationship and existing-id checks. One builder of Cypher text,
    from the declared model with checked identifiers; every value a parameter."""
    if isinstance(k, RelKind):
        return {"rel": merge_rel_query(k.name)}
    return {"node": node_upsert_query(k.name), **{f.name: merge_ref_query(k.name, f.name) for f in k.refs}}


def _flush_raw(backend: Backend, graph: str, k: NodeKind | RelKind, qs: dict[str, str],
               rows: list[dict[str, Any]], deferred: list[dict[str, Any]]) -> None:
    """Write one batch of the raw baseline: the nodes (or relationships), then
    each ref's relationships; references to the same kind wait in ``deferred``
    until every node of the kind exists."""
    if isinstance(k, RelKind):
        backend.write(graph, qs["rel"], {"rows": rows})
        return
    backend.write(graph, qs["node"], {"rows": rows})
    for f in k.refs:
        pairs = [{"id": r["id"], f.name: r[f.name]} for r in rows if r[f.name] is not None]
        if f.ref == k.name:
            deferred.extend({"f": f.name, **p} for p in pairs)
        elif pairs:
            backend.write(graph, qs[f.name], {"rows": pairs})


def raw_load(backend: Backend, folder: Path, graph: str, protector: Protector, batch: int = 10_000) -> dict[str, Any]:
    """Write the CSVs with plain batched UNWIND MERGE (no validation), the same
    nodes, properties and relationships as the loader; returns rows and seconds."""
    from zeren.graph.schema import UNKEYED, setup_schema
    from zeren.graph.store import open_store

    backend.fresh(graph)
    with _store(backend, graph, open_store) as store:
        setup_schema(store)  # the same indexes as the loader's graph, outside the timing
        # and the keys the loader does without: the baseline MERGEs every kind on its key
        for name in UNKEYED:
            store.ensure_unique(name, "id")
    started = time.perf_counter()
    rows_total = 0
    per_kind: dict[str, float] = {}
    for name in LOAD_ORDER:
        k = kind(name)
        t0 = time.perf_counter()
        fields = input_fields(k)
        qs = raw_queries(k)
        deferred: list[dict[str, Any]] = []  # self references, after every node of the kind
        buf: list[dict[str, Any]] = []

        for raw in csv_rows(folder, k):
            row: dict[str, Any] = {}
            for f in fields:
                _raw_value(f, raw.get(f.name, ""), protector, row)
            buf.append(row)
            rows_total += 1
            if len(buf) >= batch:
                _flush_raw(backend, graph, k, qs, buf, deferred)
                buf = []
        if buf:
            _flush_raw(backend, graph, k, qs, buf, deferred)
        if isinstance(k, NodeKind):
            for f in k.refs:
                if f.ref == k.name:
                    pairs = [d for d in deferred if d["f"] == f.name]
                    for i in range(0, len(pairs), batch):
                        backend.write(graph, qs[f.name], {"rows": pairs[i:i + batch]})
        per_kind[name] = time.perf_counter() - t0
    seconds = time.perf_counter() - started
    return {"rows": rows_total, "seconds": seconds, "rows_per_s": rows_total / seconds, "per_kind_s": per_kind}


def zeren_load(backend: Backend, folder: Path, graph: str, python: str | None = None) -> dict[str, Any]:
    """``zeren load DIR`` end to end in a subprocess; wall time and peak RSS.
    ``python``: the interpreter of another installation of zeren (the code
    before a change, measured beside the current one)."""
    backend.fresh(graph)
    env = {**os.environ, **backend.env(graph)}
    cmd = [python or sys.executable, "-m", "zeren.cli", "load", str(folder)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = PeakSampler(proc.pid)
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    peak.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"zeren load failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    return {"seconds": seconds, "peak_rss": peak.peak, "output_tail": out.decode()[-2500:]}


def _since(before: int | None, after: int | None) -> int | None:
    return after - before if before is not None and after is not None else None


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median rows/s (the lower one of the middle two for an even count)."""
    return sorted(runs, key=lambda r: r["rows_per_s"])[(len(runs) - 1) // 2]


def load_repeats(given: list[int], index: int) -> int:
    """The P1 pairs for the scale at ``index`` (ascending order): its own N, or the last one given."""
    return given[min(index, len(given) - 1)]
