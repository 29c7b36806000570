"""The regulations written into the graph: Document > Chapter > Article >
Paragraph > Item, each node with the relationship to its parent declared in
``zeren.graph.model``. The texts, their declaration and their parser are
``zeren.law``; this module only writes what it parses."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from zeren.graph.model import NODES
from zeren.graph.store.base import GraphStore
from zeren.law.text import Document, parsed


_LEVELS: tuple[tuple[str, str | None], ...] = (
    ("Document", None), ("Chapter", "document"), ("Article", "chapter"), ("Paragraph", "article"),
    ("Item", "paragraph"),
)


def _merge_query(label: str, ref: str | None) -> str:
    """Batched MERGE of one label, with the relationship to its parent.
    ``in_force`` is sent as an ISO string and stored as a date."""
    if ref is None:
        return (f"UNWIND $rows AS row MERGE (n:{label} {{id: row.id}}) "
                "SET n += row.props, n.in_force = date(row.in_force)")
    f = NODES[label].field(ref)
    return (f"UNWIND $rows AS row MATCH (p:{f.ref} {{id: row.props.{ref}}}) "
            f"MERGE (n:{label} {{id: row.id}}) SET n += row.props MERGE (n)-[:{f.rel}]->(p)")


def _document_rows(docs: Iterable[Document]) -> Iterator[dict[str, Any]]:
    for d in docs:
        props = {"title": d.title, "short": d.short, "issued_by": d.issued_by, "jurisdiction": d.jurisdiction,
                 "text": d.text}
        yield {"id": d.id, "in_force": d.in_force.isoformat(), "props": props}


def _rows(docs: Iterable[Document]) -> dict[str, list[dict[str, Any]]]:
    """Rows per label; every row below Document carries ``document`` too."""
    rows: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in _LEVELS}
    rows["Document"] = list(_document_rows(docs))
    for d in docs:
        for c in d.chapters:
            rows["Chapter"].append({"id": c.id, "props": {"number": c.number, "title": c.title, "document": d.id}})
            for a in c.articles:
                rows["Article"].append({"id": a.id, "props": {"number": a.number, "text": a.text, "chapter": c.id,
                                                              "document": d.id}})
                for p in a.paragraphs:
                    rows["Paragraph"].append({"id": p.id, "props": {"number": p.number, "text": p.text,
                                                                    "article": a.id, "document": d.id}})
                    rows["Item"].extend({"id": i.id, "props": {"number": i.number, "text": i.text,
                                                               "paragraph": p.id, "document": d.id}}
                                        for i in p.items)
    return rows


def load_regulations(store: GraphStore, documents: Iterable[Document] | None = None) -> dict[str, int]:
    """Write the regulations (by default the shipped ones) into the graph:
    every node with its declared relationship to its parent. Idempotent (MERGE
    on ``id``). Returns the number of nodes written per label."""
    docs = list(documents) if documents is not None else list(parsed())
    for label, _ in _LEVELS:
        store.ensure_unique(label, NODES[label].key)
    rows = _rows(docs)
    for label, ref in _LEVELS:
        store.write_batches(_merge_query(label, ref), rows[label])
    return {label: len(rows[label]) for label, _ in _LEVELS}
