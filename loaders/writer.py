"""Idempotent writes of validated rows, with Cypher built from the declared model.

Labels, relationship types and property names come from ``zeren.graph.model``
only, never from input text; values always travel as parameters, in batches
(``UNWIND $rows AS row``). A node already in the graph is merged (MERGE on the
key, SET of every field, removal of what the row no longer says) unless it
already holds exactly what its row says; one that is not in the graph is
created with its fields, which leaves the same graph for less of the store's
work. Either way a load stopped half-way converges when run again.
The queries use only Cypher that FalkorDB and Neo4j both run.

Graph shape:

* a node kind: ``(n:<Kind> {id})`` with every field as a property (dates as
  native dates, lists as lists); a field absent from the row is removed; a ref
  field is kept as a property (the target's id) *and* becomes a relationship
  ``(n)-[:<field.rel>]->(target)``, the stale one deleted when the ref changes
  (of a kind declared ``ref_properties=False``, the relationship only: the
  loader reads which node a reference points to across it);
* a relationship kind: ``(source)-[:<Kind> {id, ...fields}]->(target)``, a
  relationship with the same id between other endpoints deleted first;
* a confidential field ``f``: ``f_enc``, ``f_digest`` and, for identities,
  ``f_pseudonym`` (see ``zeren.graph.confidential``); never ``f`` itself. The
  ciphertext is replaced only when the digest changes, so a reload of the same
  data leaves the graph byte-identical.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, TypeVar

import hashlib

import numpy as np

from zeren.graph import search
from zeren.graph.confidential import Protector, digest_name, encrypted_name, has_pseudonym, pseudonym_name
from zeren.graph.model import Field, NodeKind, RelKind, kind
from zeren.graph.schema import UNKEYED, keyed
from zeren.graph.store.base import ConstraintViolation, GraphStore, batched, ident

from .readers import Kind, input_fields
from .validate import look_up

# The parameter that carries the store's own id of a node of a kind FalkorDB
# keeps no key index for (found by ``KeyTable``): the node is updated by that id.
NID = "_nid"
BatchCallback = Callable[[str, int], None]
T = TypeVar("T")


# --------------------------------------------------------------------------- query text

def _value(f: Field) -> str:
    return f"date(row.{ident(f.name)})" if f.type == "date" else f"row.{ident(f.name)}"


def _set_clauses(var: str, fields: Iterable[Field]) -> str:
    """``SET`` clauses for the fields: plain fields set (null removes them);
    a confidential field's ciphertext kept when its digest is unchanged. The
    digest is set in a second clause, after the comparison has read the old one."""
    plain: list[str] = []
    after: list[str] = []
    for f in fields:
        if not f.confidential:
            plain.append(f"{var}.{ident(f.name)} = {_value(f)}")
            continue
        enc, dig = ident(encrypted_name(f.name)), ident(digest_name(f.name))
        plain.append(f"{var}.{ident(f.name)} = null")  # never plain text, whatever was there before
        plain.append(f"{var}.{enc} = CASE WHEN row.{dig} IS NULL THEN null "
                     f"WHEN row.{dig} = {var}.{dig} THEN {var}.{enc} ELSE row.{enc} END")
        after.append(f"{var}.{dig} = row.{dig}")
        if has_pseudonym(f):
            after.append(f"{var}.{ident(pseudonym_name(f.name))} = row.{ident(pseudonym_name(f.name))}")
    clauses = [f"SET {', '.join(plain)}"] if plain else []
    if after:
        clauses.append(f"SET {', '.join(after)}")
    return "\n".join(clauses)


def _dropped_refs(var: str, k: NodeKind) -> str:
    """For a kind whose references are relationships only: a ``SET`` that
    removes the properties a load by an older zeren kept beside them."""
    if k.ref_properties or not k.refs:
        return ""
    return "\nSET " + ", ".join(f"{var}.{ident(f.name)} = null" for f in k.refs)


# What a stored node's reference is held as, beside its properties, where the
# kind keeps no property for it: the ids of the targets across the relationship
# (read by ``stored_nodes_query``), under a name no property can have.
REF_HELD = "->"


def held_name(k: NodeKind, f: Field) -> str:
    """The name, in a stored node's dict, of what holds ref ``f``."""
    return f.name if k.ref_properties else REF_HELD + f.name


def _stored_refs(k: NodeKind, var: str = "n") -> str:
    """A column ``refs``: a map of each ref to the ids of the nodes its
    relationship points to, for a kind whose references are relationships
    only (nothing for the others). The targets are unlabelled (the type names
    the target's kind): FalkorDB scans a label's nodes for every row of a
    pattern comprehension whose target is labelled (measured: 1.4 s for 10
    handling steps, 2 ms unlabelled)."""
    if k.ref_properties or not k.refs:
        return ""
    refs = ", ".join(f"{ident(f.name)}: [({var})-[:{ident(f.rel)}]->(t) | t.id]" for f in k.refs)
    return f", {{{refs}}} AS refs"


def _stored(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored node's properties, with what its relationships-only references
    point to under ``held_name``: the target's id, a list of ids if there are
    several (never a row's value), absent if none."""
    node = dict(row["node"])
    for name, ids in (row.get("refs") or {}).items():
        if ids:
            node[REF_HELD + name] = ids[0] if len(ids) == 1 else ids
    return node


def _by_nid(k: NodeKind) -> str:
    """Find a node of an unkeyed kind by the store's own id (``row._nid``),
    checked to still hold the row's key. (Projected first: FalkorDB seeks a
    node by an id from ``WITH``, but scans for one read from ``row``.)"""
    key = ident(k.key)
    return f"WITH row, row.{NID} AS nid\nMATCH (n) WHERE id(n) = nid AND n.{key} = row.{key}"


@cache
def node_upsert_query(name: str, by_nid: bool = False) -> str:
    """MERGE the nodes of a kind on their key and set every field; or, for a
    kind without a key index (``by_nid``), find them by the store's own id."""
    k = kind(name)
    assert isinstance(k, NodeKind)
    key = ident(k.key)
    fields = [f for f in k.property_fields if f.name != k.key]
    # A node merged has changed: its derived search text is cleared, to be written again after the load.
    derived = f"\nSET n.{search.PROPERTY} = null" if k.name in search.LABELS else ""
    find = _by_nid(k) if by_nid else f"MERGE (n:{ident(k.name)} {{{key}: row.{key}}})"
    return f"UNWIND $rows AS row\n{find}\n" + _set_clauses("n", fields) + _dropped_refs("n", k) + derived


@cache
def node_with_refs_query(name: str, by_nid: bool = False) -> str:
    """MERGE the nodes of a kind, set every field and MERGE the relationship
    of each ref to another kind, in one query: one pass over the rows instead
    of one query per ref, each finding the node again by its key (measured at
    SF 0.01: a quarter less store time for the handling steps' four refs). A
    ref without a value, or to no node, adds no relationship."""
    return "\n".join([node_upsert_query(name, by_nid), *_ref_clauses(name, "MERGE")])


@cache
def node_create_query(name: str) -> str:
    """CREATE nodes of a kind that are not in the graph yet, every field in
    the node's property map (a null value sets nothing), and the relationship
    of each ref to another kind. The same graph as ``node_with_refs_query``
    for a node that did not exist, without looking up the key per row or
    updating the node just created: FalkorDB's CPU for a first load of
    SF 0.01 fell from 44-54 s to 26-27 s."""
    k = kind(name)
    assert isinstance(k, NodeKind)
    props = ", ".join(f"{ident(p)}: {value}" for p, value in _create_properties(k))
    return "\n".join([f"UNWIND $rows AS row\nCREATE (n:{ident(k.name)} {{{props}}})",
                      *_ref_clauses(name, "CREATE")])


def _stored_names(f: Field) -> list[str]:
    """The properties a confidential field is stored as: ciphertext, digest
    and, for identities, pseudonym (never the field itself)."""
    return [encrypted_name(f.name), digest_name(f.name)] + ([pseudonym_name(f.name)] if has_pseudonym(f) else [])


def _create_properties(k: NodeKind) -> list[tuple[str, str]]:
    """(property, value) of a new node: every field; a confidential one as its
    ciphertext, digest and pseudonym, never as plain text."""
    out: list[tuple[str, str]] = []
    for f in k.property_fields:
        if not f.confidential:
            out.append((f.name, _value(f)))
            continue
        out += [(n, f"row.{ident(n)}") for n in _stored_names(f)]
    return out


def _ref_clauses(name: str, verb: str) -> list[str]:
    """For each ref to another kind: find the target by its key and ``verb``
    (MERGE or CREATE) the relationship when there is one."""
    k = kind(name)
    assert isinstance(k, NodeKind)
    out = []
    for i, f in enumerate(f for f in k.refs if f.ref != k.name):
        t = f"t{i}"
        out.append(f"WITH n, row\nOPTIONAL MATCH ({t}:{ident(f.ref)} {{id: row.{ident(f.name)}}})\n"
                   f"FOREACH (_ IN CASE WHEN {t} IS NULL THEN [] ELSE [1] END | {verb} (n)-[:{ident(f.rel)}]->({t}))")
    return out


@cache
def stale_ref_query(name: str, field: str, by_nid: bool = False) -> str:
    """Delete the relationship of a ref field that no longer points where the
    row says (the node found by the store's own id for ``by_nid``)."""
    k = kind(name)
    assert isinstance(k, NodeKind)
    f = k.field(field)
    key = ident(k.key)
    find = (f"{_by_nid(k)}\nWITH n, row\nMATCH (n)" if by_nid
            else f"MATCH (n:{ident(k.name)} {{{key}: row.{key}}})")
    return (f"UNWIND $rows AS row\n"
            f"{find}-[r:{ident(f.rel)}]->(t:{ident(f.ref)})\n"
            f"WHERE row.{ident(f.name)} IS NULL OR t.id <> row.{ident(f.name)}\n"
            f"DELETE r")


@cache
def merge_ref_query(name: str, field: str) -> str:
    """MERGE the relationship of a ref field to its target."""
    k = kind(name)
    f = k.field(field)
    key = ident(k.key)
    return (f"UNWIND $rows AS row\nWITH row WHERE row.{ident(f.name)} IS NOT NULL\n"
            f"MATCH (n:{ident(k.name)} {{{key}: row.{key}}})\n"
            f"MATCH (t:{ident(f.ref)} {{id: row.{ident(f.name)}}})\n"
            f"MERGE (n)-[:{ident(f.rel)}]->(t)")


@cache
def stale_rel_query(name: str) -> str:
    """Delete a first-class relationship whose id now joins other endpoints.

    The endpoints are deliberately unlabelled and the key is matched in WHERE:
    FalkorDB then starts from the relationship index; with labelled endpoints
    it scans every source node for every row (measured: a timeout at 38,000
    tenures)."""
    r = kind(name)
    assert isinstance(r, RelKind)
    s, t, key = r.source, r.target, ident(r.key)
    return (f"UNWIND $rows AS row\n"
            f"MATCH (a)-[r:{ident(r.name)}]->(b)\n"
            f"WHERE r.{key} = row.{key} AND (a.id <> row.{ident(s.name)} OR b.id <> row.{ident(t.name)})\n"
            f"DELETE r")


@cache
def merge_rel_query(name: str) -> str:
    """MERGE a first-class relationship on its id between its endpoints; set its fields."""
    r = kind(name)
    assert isinstance(r, RelKind)
    s, t, key = r.source, r.target, ident(r.key)
    return (f"UNWIND $rows AS row\n"
            f"MATCH (a:{ident(s.ref)} {{id: row.{ident(s.name)}}})\n"
            f"MATCH (b:{ident(t.ref)} {{id: row.{ident(t.name)}}})\n"
            f"MERGE (a)-[r:{ident(r.name)} {{{key}: row.{key}}}]->(b)\n"
            + _set_clauses("r", r.fields))


@cache
def stored_nodes_query(name: str) -> str:
    """The key and every property of each of the given nodes already in the
    graph (and, of a kind whose references are relationships only, where they point)."""
    k = kind(name)
    assert isinstance(k, NodeKind)
    key = ident(k.key)
    return (f"MATCH (n:{ident(k.name)}) WHERE n.{key} IN $ids "
            f"RETURN n.{key} AS key, properties(n) AS node{_stored_refs(k)}")


@cache
def any_node_query(name: str) -> str:
    """One node of a kind, if the graph holds any."""
    k = kind(name)
    assert isinstance(k, NodeKind)
    return f"MATCH (n:{ident(k.name)}) RETURN n.{ident(k.key)} AS key LIMIT 1"


def stored_nodes(store: GraphStore, k: NodeKind, ids: Iterable[str], chunk: int = 10_000) -> dict[str, dict[str, Any]]:
    """{key: properties} of the nodes among ``ids`` already in the graph."""
    return {r["key"]: _stored(r) for r in look_up(store, stored_nodes_query(k.name), ids, chunk)}


@cache
def key_scan_query(name: str) -> str:
    """A page of the keys of a kind's nodes, with the store's own ids, in the order of those ids."""
    k = kind(name)
    assert isinstance(k, NodeKind)
    return (f"MATCH (n:{ident(k.name)}) WHERE id(n) > $after "
            f"RETURN id(n) AS nid, n.{ident(k.key)} AS key ORDER BY nid LIMIT $limit")


@cache
def nodes_by_nid_query(name: str) -> str:
    """The nodes of the given store ids that still hold the given keys, as ``stored_nodes_query``."""
    k = kind(name)
    assert isinstance(k, NodeKind)
    key = ident(k.key)
    return (f"UNWIND $ids AS pair WITH pair, pair[0] AS nid\nMATCH (n) WHERE id(n) = nid AND n.{key} = pair[1]\n"
            f"RETURN n.{key} AS key, id(n) AS nid, properties(n) AS node{_stored_refs(k)}")


def _hashes(keys: Iterable[str]) -> np.ndarray:
    return np.fromiter((int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little", signed=True)
                        for key in keys), dtype=np.int64)


class KeyTable:
    """The keys of one kind's nodes in the graph, for a kind the store keeps
    no key index for (``zeren.graph.schema.UNKEYED``): read by one scan of the
    kind, in pages, and held as sorted 64-bit hashes of the keys beside the
    nodes' store ids (16 bytes a node). ``stored`` finds the nodes of given
    keys by those ids; a node is taken only if it still holds its key, so a
    collision of hashes (or a node deleted since the scan) finds nothing
    rather than a wrong node. A load writes a kind's ids once each (validation
    refuses duplicates), so the nodes it creates after the scan need no entry."""

    def __init__(self, hashes: np.ndarray, nids: np.ndarray) -> None:
        order = np.argsort(hashes, kind="stable")
        self._hashes, self._nids = hashes[order], nids[order]

    def __len__(self) -> int:
        return len(self._hashes)

    @classmethod
    def scan(cls, store: GraphStore, k: NodeKind, page: int = 200_000) -> KeyTable:
        hashes: list[np.ndarray] = []
        nids: list[np.ndarray] = []
        after = -1
        while True:
            rows = store.read(key_scan_query(k.name), {"after": after, "limit": page})
            hashes.append(_hashes(r["key"] for r in rows))
            nids.append(np.fromiter((r["nid"] for r in rows), dtype=np.int64, count=len(rows)))
            if len(rows) < page:
                break
            after = rows[-1]["nid"]
        return cls(np.concatenate(hashes), np.concatenate(nids))

    def stored(self, store: GraphStore, k: NodeKind,
               keys: Sequence[str]) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
        """{key: properties} and {key: store id} of the nodes among ``keys`` in the graph."""
        if not keys or not len(self._hashes):
            return {}, {}
        h = _hashes(keys)
        at = np.minimum(np.searchsorted(self._hashes, h), len(self._hashes) - 1)
        hit = self._hashes[at] == h
        pairs = [[int(nid), key] for key, nid, found in zip(keys, self._nids[at], hit) if found]
        props: dict[str, dict[str, Any]] = {}
        nids: dict[str, int] = {}
        for part in batched(pairs, 10_000):
            for r in store.read(nodes_by_nid_query(k.name), {"ids": part}):
                props[r["key"]], nids[r["key"]] = _stored(r), r["nid"]
        return props, nids


def holds_row(k: NodeKind, node: Mapping[str, Any], row: Mapping[str, Any]) -> bool:
    """Whether a stored node already holds exactly what merging ``row`` (its
    parameters, from ``prepare_row``) would write: the same properties, no
    more and no fewer; a confidential field by its digest and pseudonym (the
    ciphertext is kept when the digest is unchanged, and is present exactly
    when the digest is); a reference held by relationships only, by the
    target those point to (``held_name``)."""
    expected: set[str] = set()
    for f in k.fields:
        if f.confidential:
            enc, *compared = _stored_names(f)  # the ciphertext is randomised: compared by its digest
            for n in compared:
                if row[n] is not None:
                    expected.add(n)
                    if node.get(n) != row[n]:
                        return False
            if row[digest_name(f.name)] is not None:
                expected.add(enc)
            continue
        v = row[f.name]
        if v is None:
            continue
        name = held_name(k, f) if f.type == "ref" else f.name
        expected.add(name)
        stored = node.get(name)
        if f.type == "date" and isinstance(stored, date):
            stored = stored.isoformat()
        if type(stored) is not type(v) or stored != v:
            return False
    # Derived properties (the search text, written after the load) are not the row's.
    return set(node) - {search.PROPERTY} == expected


def queries_for(k: Kind) -> list[str]:
    """Every query the writer sends for a kind (for review and tests)."""
    if isinstance(k, RelKind):
        return [stale_rel_query(k.name), merge_rel_query(k.name)]
    out = [any_node_query(k.name), stored_nodes_query(k.name), node_with_refs_query(k.name), node_create_query(k.name)]
    for f in k.refs:
        out.append(stale_ref_query(k.name, f.name))
        if f.ref == k.name:
            out.append(merge_ref_query(k.name, f.name))
    if k.name in UNKEYED:
        out += [nodes_by_nid_query(k.name), node_with_refs_query(k.name, True)]
        out += [stale_ref_query(k.name, f.name, True) for f in k.refs]
    return out


# --------------------------------------------------------------------------- parameters

class ProtectorMissing(RuntimeError):
    """Confidential values were given but no protector to encrypt them."""


def prepare_row(k: Kind, row: Mapping[str, Any], protector: Protector | None) -> dict[str, Any]:
    """The parameters of one row: every field (``None`` when absent), dates as
    ISO strings, confidential fields as ciphertext, digest and pseudonym."""
    out: dict[str, Any] = {}
    for f in input_fields(k):
        v = row.get(f.name)
        if f.confidential:
            out.update(protect(f, v, protector))
        elif isinstance(v, date):
            out[f.name] = v.isoformat()
        else:
            out[f.name] = v
    return out


def protect(f: Field, v: str | None, protector: Protector | None) -> dict[str, Any]:
    if v is None:
        return dict.fromkeys(_stored_names(f))
    if protector is None:
        raise ProtectorMissing(f"a value for the confidential field {f.name} needs a protector")
    out = {encrypted_name(f.name): protector.encrypt(v), digest_name(f.name): protector.digest(v)}
    if has_pseudonym(f):
        out[pseudonym_name(f.name)] = protector.pseudonym(v)
    return out


# --------------------------------------------------------------------------- reading ahead

_END = object()


class ReadAhead:
    """The items of an iterable, produced by a thread of their own up to
    ``depth`` items ahead of the one being used.

    A load's batches are read, converted and prepared in Python while the
    store, another process, writes the previous batch: the thread that waits
    for the store's reply releases the interpreter's lock, and the two no
    longer take turns (at SF 0.01 each was about half of the wall time). The
    items keep their order; an error raised while producing one is raised
    where that item would have been used; closing the iterator (or leaving it
    by an error) stops the thread and waits for it."""

    def __init__(self, items: Iterable[T], depth: int = 1) -> None:
        self._queue: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, args=(iter(items),), name="zeren-read-ahead",
                                        daemon=True)
        self._thread.start()

    def _produce(self, items: Iterator[Any]) -> None:
        try:
            for item in items:
                if not self._put((True, item)):
                    return
        except BaseException as e:  # raised in the consumer, in order
            self._put((False, e))
            return
        self._put((True, _END))

    def _put(self, entry: tuple[bool, Any]) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[Any]:
        try:
            while True:
                ok, item = self._queue.get()
                if not ok:
                    raise item
                if item is _END:
                    return
                yield item
        finally:
            self.close()

    def close(self) -> None:
        """Stop the producing thread (after the item it is producing) and wait for it."""
        self._stop.set()
        self._thread.join()


# --------------------------------------------------------------------------- writing

@dataclass
class KindWritten:
    kind: str
    rows: int
    created: int
    seconds: float


class GraphWriter:
    """Writes the rows of one kind at a time, streaming them in batches.
    ``on_batch(kind, rows)`` is called after each batch (with its references)
    is written."""

    def __init__(self, store: GraphStore, *, batch_size: int = 10_000, protector: Protector | None = None,
                 on_batch: BatchCallback | None = None) -> None:
        self.store = store
        self.batch_size = batch_size
        self.protector = protector
        self.on_batch = on_batch
        # Kinds the graph held no node of when their writing began: their
        # batches are not looked up (see ``_node_batch``).
        self._absent: set[str] = set()
        # The keys in the graph of the kind being written, if the store keeps no index of them.
        self._keys: dict[str, KeyTable] = {}

    def write(self, k: Kind, rows: Iterable[Mapping[str, Any]]) -> KindWritten:
        started = time.perf_counter()
        if isinstance(k, NodeKind) and not self.store.read(any_node_query(k.name)):
            self._absent.add(k.name)
        elif isinstance(k, NodeKind) and not keyed(self.store, k.name):
            self._keys[k.name] = KeyTable.scan(self.store, k)
        params = (prepare_row(k, row, self.protector) for row in rows)
        total = created = 0
        deferred: list[tuple[dict[str, Any], bool]] = []  # same-kind references, with "node existed before"
        # The next batch is read and prepared while this one is written; the
        # writes themselves stay in this thread, in order, as before.
        ahead = ReadAhead(batched(params, self.batch_size))
        try:
            for chunk in ahead:
                if isinstance(k, RelKind):
                    created += self._rel_batch(k, chunk)
                else:
                    created += self._node_batch(k, chunk, deferred)
                total += len(chunk)
                if self.on_batch:
                    self.on_batch(k.name, len(chunk))
        finally:
            ahead.close()
        if isinstance(k, NodeKind):
            # A parent may come in a later batch than its child: same-kind
            # references are written once every node of the kind exists.
            for f in _self_refs(k):
                self._write_ref(k, f, [p for p, _ in deferred], {p[k.key] for p, existed in deferred if existed})
        self._absent.discard(k.name)
        self._keys.pop(k.name, None)
        return KindWritten(k.name, total, created, time.perf_counter() - started)

    def _node_batch(self, k: NodeKind, chunk: list[Mapping[str, Any]],
                    deferred: list[tuple[dict[str, Any], bool]]) -> int:
        """Nodes not in the graph are created; nodes in it that do not hold
        their row yet are merged (their moved references deleted first); the
        others are left as they are. Should another writer create one of the
        new ones after the look-up, the store's unique key refuses the whole
        CREATE (nothing of it is written) and those rows are merged instead.

        A kind the graph held no node of when its writing began is not looked
        up: its ids are unique in the input (validation refuses duplicates),
        so none of them can be in the graph but for another writer's, which
        the unique key refuses as above (the kind is looked up from then on).
        A first load sends one query per batch instead of two.

        A kind without a key index (``UNKEYED``) is looked up in its
        ``KeyTable``, and the nodes that changed are updated by their store ids."""
        nids: dict[str, int] = {}
        if k.name in self._absent:
            stored: dict[str, dict[str, Any]] = {}
        elif k.name in self._keys:
            stored, nids = self._keys[k.name].stored(self.store, k, [p[k.key] for p in chunk])
        else:
            stored = stored_nodes(self.store, k, [p[k.key] for p in chunk])
        new = [p for p in chunk if p[k.key] not in stored]
        changed = [p for p in chunk if p[k.key] in stored and not holds_row(k, stored[p[k.key]], p)]
        if k.name in self._keys:
            # No unique key refuses another writer's nodes here: loads of an
            # unkeyed kind are not to run at the same time.
            created = self._update_by_nid(k, changed, stored, nids)
            if new:
                created += self.store.write(node_create_query(k.name), {"rows": new}).nodes_created
            return created
        created = self._merge_nodes(k, changed, stored)
        if new:
            try:
                created += self.store.write(node_create_query(k.name), {"rows": new}).nodes_created
            except ConstraintViolation:
                self._absent.discard(k.name)
                stored.update(stored_nodes(self.store, k, [p[k.key] for p in new]))
                created += self._merge_nodes(k, new, stored)
        own = _self_refs(k)
        if own:
            deferred += [({k.key: p[k.key], **{f.name: p[f.name] for f in own}}, p[k.key] in stored) for p in chunk]
        return created

    def _update_by_nid(self, k: NodeKind, rows: list[Mapping[str, Any]], stored: dict[str, dict[str, Any]],
                       nids: dict[str, int]) -> int:
        """``_merge_nodes`` for an unkeyed kind (which has no reference to its
        own kind): the nodes found by their store ids."""
        if not rows:
            return 0
        rows = [{**p, NID: nids[p[k.key]]} for p in rows]
        for f in k.refs:
            moved = [p for p in rows if stored[p[k.key]].get(held_name(k, f)) != p[f.name]]
            for part in batched([{k.key: p[k.key], NID: p[NID], f.name: p[f.name]} for p in moved], self.batch_size):
                self.store.write(stale_ref_query(k.name, f.name, True), {"rows": part})
        self.store.write(node_with_refs_query(k.name, True), {"rows": rows})
        return 0

    def _merge_nodes(self, k: NodeKind, rows: list[Mapping[str, Any]], stored: dict[str, dict[str, Any]]) -> int:
        """MERGE nodes that are, or may be, in the graph. The relationship of a
        reference to another kind is written in the same query as the
        property that holds its target's id, so where the stored property
        already says what the row says, the relationship does too and there is
        nothing stale to delete (of a kind without ref properties, the stored
        node says where its relationship points); only the references that
        moved get the deletion query."""
        if not rows:
            return 0
        for f in k.refs:
            if f.ref != k.name:
                moved = [p for p in rows
                         if p[k.key] in stored and stored[p[k.key]].get(held_name(k, f)) != p[f.name]]
                self._delete_stale(k, f, moved)
        return self.store.write(node_with_refs_query(k.name), {"rows": rows}).nodes_created

    def _write_ref(self, k: NodeKind, f: Field, rows: Sequence[Mapping[str, Any]], existed: set[str]) -> None:
        """Delete the stale relationship of a same-kind ref, then MERGE the
        current one. Only nodes that existed before this load can hold a stale
        one. (The property is written with the node, the relationship here,
        later: a load stopped in between leaves them apart, so every existing
        node is checked.) Only rows with a value get a relationship."""
        self._delete_stale(k, f, [p for p in rows if p[k.key] in existed])
        key = k.key
        current = [{key: p[key], f.name: p[f.name]} for p in rows if p[f.name] is not None]
        for part in batched(current, self.batch_size):
            self.store.write(merge_ref_query(k.name, f.name), {"rows": part})

    def _delete_stale(self, k: NodeKind, f: Field, rows: Sequence[Mapping[str, Any]]) -> None:
        """Delete the relationship of a ref that no longer points where the row says."""
        key = k.key
        stale_rows = [{key: p[key], f.name: p[f.name]} for p in rows]
        for part in batched(stale_rows, self.batch_size):
            self.store.write(stale_ref_query(k.name, f.name), {"rows": part})

    def _rel_batch(self, k: RelKind, chunk: list[Mapping[str, Any]]) -> int:
        moved = self.store.write(stale_rel_query(k.name), {"rows": chunk}).relationships_deleted
        return self.store.write(merge_rel_query(k.name), {"rows": chunk}).relationships_created - moved


def _self_refs(k: NodeKind) -> list[Field]:
    return [f for f in k.refs if f.ref == k.name]
