"""Schema set-up derived from the declared model: a unique key per node kind,
an index on every relationship kind's key and on fields the queries filter on.
Idempotent on both engines."""

from __future__ import annotations

from . import search
from .model import NODES, RELS
from .store.base import GraphStore

# Node fields the named queries look up or filter by, besides the keys.
INDEXED: tuple[tuple[str, str], ...] = (
    ("PetitionMatter", "received_on"),
    ("PetitionMatter", "subject"),
    ("Institution", "kind"),
    ("Failure", "act_date"),
    ("AccountabilityMeasure", "decided_on"),
)


def setup_schema(store: GraphStore) -> None:
    for k in NODES.values():
        store.ensure_unique(k.name, k.key)
    for r in RELS.values():
        store.ensure_rel_index(r.name, r.key)
    for label, prop in INDEXED:
        store.ensure_index(label, prop)
    search.ensure_index(store)
