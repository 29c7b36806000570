"""Schema set-up derived from the declared model: a unique key per node kind
(but for ``UNKEYED`` kinds on FalkorDB), an index on every relationship kind's
key and on fields the queries filter on. Idempotent on both engines."""

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


# Node kinds FalkorDB keeps no key index for: the loaded kinds that no
# reference points to. Their nodes are reached from another node (a handling
# step from its matter, a leader's activity from the leader, a ledger from its
# unit), never looked up by their own key, but by the loader. Measured at
# SF 0.01 (docs/benchmarks.md, store memory): a key's index costs 260-290
# bytes a node; those of the handling steps (110 MiB) and the leader
# activities (62 MiB) alone were a quarter of the store's memory. The loader
# finds the nodes of these kinds already in the graph by a scan of their keys
# instead (``zeren.loaders.writer.KeyTable``). Neo4j keeps every key's index.
_TARGETS = ({f.ref for k in NODES.values() for f in k.refs}
            | {f.ref for r in RELS.values() for f in (r.source, r.target)})
UNKEYED: frozenset[str] = frozenset(k.name for k in NODES.values() if k.loadable and k.name not in _TARGETS)


def keyed(store: GraphStore, name: str) -> bool:
    """Whether the store keeps a unique index on the key of node kind ``name``."""
    return store.dialect != "falkordb" or name not in UNKEYED


def setup_schema(store: GraphStore) -> None:
    for k in NODES.values():
        if keyed(store, k.name):
            store.ensure_unique(k.name, k.key)
        else:
            store.drop_unique(k.name, k.key)  # a store set up before the kind was unkeyed
    for r in RELS.values():
        store.ensure_rel_index(r.name, r.key)
    for label, prop in INDEXED:
        store.ensure_index(label, prop)
    search.ensure_index(store)
