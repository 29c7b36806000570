"""Full-text search over matters (id, title), persons (name), institutions
(name) and territories (name, division code), backed by the store's own
full-text index, never a scan.

Chinese has no spaces, and a search for two characters of a name ("渝中" in
"中共重庆市渝中区委员会") must find it. Measured on FalkorDB 4.16 (RediSearch
underneath): an index with ``language: 'chinese'`` cuts names into dictionary
words and finds "渝中区" but not "渝中", "重庆" or "锦江". So every searched
node carries one derived property, ``search_text``: its id and words in lower
case, and every pair of adjacent Chinese characters of its name (character
bigrams, what Lucene's CJK analyzer does). A query is cut the same way and
every one of its terms must match; a single Chinese character is a prefix of a
bigram. Both stores index that property, so they answer the same matches:

- FalkorDB: one full-text index per label (``db.idx.fulltext.createNodeIndex``,
  queried with ``db.idx.fulltext.queryNodes(label, text)``);
- Neo4j: one full-text index over the four labels with the ``whitespace``
  analyzer (the bigrams are already cut; Neo4j's ``cjk`` analyzer would cut
  them again, from the joined text), queried with
  ``db.index.fulltext.queryNodes``.

The property is derived data: the loader clears it on every node it changes,
and :func:`refresh` writes it after every load on the nodes without one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .store.base import GraphStore, ident

PROPERTY = "search_text"
NEO4J_INDEX = "zeren_search"

# Kind (as GraphQL names it) -> label and the properties searched.
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "MATTER": ("PetitionMatter", ("id", "title")),
    "PERSON": ("Person", ("id", "name")),
    "INSTITUTION": ("Institution", ("id", "name")),
    "TERRITORY": ("Territory", ("id", "name")),
}

LABELS = frozenset(label for label, _ in KINDS.values())

# CJK ideographs (basic block and extension A, compatibility ideographs).
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_HAN}]+|[A-Za-z0-9]+")
_IS_HAN = re.compile(rf"[{_HAN}]")
MAX_QUERY_CHARS = 100


def terms(text: str) -> list[str]:
    """The index terms of ``text``: lower-case words of letters and digits, and
    the bigrams of each run of Chinese characters (a lone character as itself)."""
    out: list[str] = []
    for run in _RUN.findall(text or ""):
        if _IS_HAN.match(run):
            out.extend([run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)])
        else:
            out.append(run.lower())
    return out


def search_text(values: Iterable[str | None]) -> str:
    """The ``search_text`` of a node from its searched properties (distinct
    terms, in first-seen order)."""
    seen: dict[str, None] = {}
    for v in values:
        for t in terms(v or ""):
            seen.setdefault(t, None)
    return " ".join(seen)


class SearchError(ValueError):
    """A search text that cannot be searched (empty of words, too long)."""


def query_text(text: str) -> str:
    """The full-text query of ``text``: every term required, a lone Chinese
    character and the last word as prefixes. Terms hold only letters, digits
    and Chinese characters, so nothing needs escaping in either store's syntax."""
    if len(text) > MAX_QUERY_CHARS:
        raise SearchError(f"the search text is {len(text)} characters long; at most {MAX_QUERY_CHARS}")
    ts = terms(text)
    if not ts:
        raise SearchError("the search text has no letters, digits or Chinese characters to search for")
    out = []
    for i, t in enumerate(ts):
        lone_han = len(t) == 1 and _IS_HAN.match(t)
        last_word = i == len(ts) - 1 and not _IS_HAN.match(t) and len(t) >= 2
        out.append(f"{t}*" if lone_han or last_word else t)
    return " AND ".join(out)


def falkordb_query_text(text: str) -> str:
    """RediSearch intersects terms separated by spaces (it has no AND keyword)."""
    return query_text(text).replace(" AND ", " ")


def ensure_index(store: GraphStore) -> None:
    """Create the full-text index(es) on ``search_text`` (idempotent)."""
    if store.dialect == "neo4j":
        labels = "|".join(ident(label) for label, _ in KINDS.values())
        store.write(f"CREATE FULLTEXT INDEX {NEO4J_INDEX} IF NOT EXISTS FOR (n:{labels}) ON EACH [n.{PROPERTY}] "
                    "OPTIONS {indexConfig: {`fulltext.analyzer`: 'whitespace'}}")
        return
    existing = {i["label"] for i in store.read("CALL db.indexes() YIELD label, types RETURN label, types")
                if PROPERTY in (i.get("types") or {}) and "FULLTEXT" in i["types"][PROPERTY]}
    for label, _ in KINDS.values():
        if label not in existing:
            store.write("CALL db.idx.fulltext.createNodeIndex($label, $prop)", {"label": label, "prop": PROPERTY})


@dataclass
class RefreshSummary:
    written: int = 0


def refresh(store: GraphStore, batch_size: int = 10_000) -> RefreshSummary:
    """Write ``search_text`` on every searched node without one: new nodes, and
    nodes the loader changed (it clears their search text). Pages through them
    without an order or an offset (a node written no longer matches), so its
    cost is one scan of each label when nothing changed; idempotent."""
    summary = RefreshSummary()
    for label, props in KINDS.values():
        fields = ", ".join(f"n.{p} AS {p}" for p in props)
        while True:
            rows = store.read(f"MATCH (n:{label}) WHERE n.{PROPERTY} IS NULL RETURN {fields} LIMIT $limit",
                              {"limit": batch_size})
            if not rows:
                break
            store.write(f"UNWIND $rows AS r MATCH (n:{label} {{id: r.id}}) SET n.{PROPERTY} = r.text",
                        {"rows": [{"id": r["id"], "text": search_text(r.get(p) for p in props)} for r in rows]})
            summary.written += len(rows)
            if len(rows) < batch_size:
                break
    return summary
