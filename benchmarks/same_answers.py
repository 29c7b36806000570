"""The answers a store gives, as one JSON text: to check that two stores of
the same data, loaded by two versions of zeren (one changing how the graph
is stored), answer every question alike.

Usage, on a store loaded by ``zeren load`` (``ZEREN_DATA_DIR`` / ``ZEREN_GRAPH``
as for any command), run by the version of zeren that loaded it::

    python benchmarks/same_answers.py [--every N] [--counties N] > answers.json

and compare the two files byte for byte (``cmp old.json new.json``). The
answers, each in a fixed order:

* the traces of the matters (every ``N``-th by id, 500 by default: 200 at
  SF 0.01), their ``matter_steps`` and their ``steps_by_matter`` rows, each
  step as the record the product makes of it (``HandlingStep.of``: a
  reference the map names as null and one it leaves out are the same record);
* an ad hoc "which steps, by whom, when" query over the relationships, for
  the same matters;
* the cadre duties (the leaders' own activities, ``person_duties``) of every
  ``N``-th leader with an activity;
* the compliance of the first ``--counties`` county-level territories (by
  code, 3 by default) for 2019, duty by duty with its facts, and their
  statuses alone (``compliance_statuses``, the statuses' own queries);
* a full-text search for the first matter's title and the first person's name.

Prints to standard error how many answers of each part there were and how
many seconds each part took (the same questions of two stores, for a first
look at what a change costs the queries; run each more than once).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Any

from zeren import queries
from zeren.api.gql.search import find
from zeren.config import Settings
from zeren.graph.records import HandlingStep
from zeren.graph.store import open_store
from zeren.graph.store.base import GraphStore
from zeren.rules.engine import Engine

STEPS_BY_WHOM = ("UNWIND $ids AS id\n"
                 "MATCH (m:PetitionMatter {id: id})<-[:STEP_OF]-(s:HandlingStep)-[:BY_INSTITUTION]->(i:Institution)\n"
                 "OPTIONAL MATCH (s)-[:BY_STAFF]->(p:Person)\n"
                 "RETURN m.id AS matter, s.id AS step, s.kind AS kind, s.on AS on, i.name AS institution, "
                 "p.name AS staff ORDER BY matter, on, step")


def plain(v: Any) -> Any:
    """A value of an answer as JSON-ready data."""
    if hasattr(v, "as_dict"):
        return plain(v.as_dict())
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return plain(dataclasses.asdict(v))
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset)):
        return [plain(x) for x in (sorted(v, key=str) if isinstance(v, (set, frozenset)) else v)]
    if isinstance(v, Enum):
        return v.value
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    return v


def every(store: GraphStore, query: str, n: int) -> list[str]:
    ids = [r["id"] for r in store.read(query)]
    return ids[::n]


def answers(store: GraphStore, n: int, counties: int) -> tuple[dict[str, Any], dict[str, float]]:
    """The answers, and the seconds each part of them took."""
    engine = Engine(store)
    matters = every(store, "MATCH (m:PetitionMatter) RETURN m.id AS id ORDER BY id", n)
    leaders = every(store, "MATCH (p:Person)<-[:BY_LEADER]-(:LeaderActivity) RETURN DISTINCT p.id AS id ORDER BY id",
                    n)
    territories = [r["id"] for r in store.read("MATCH (t:Territory) WHERE t.level = 'COUNTY' RETURN t.id AS id "
                                                "ORDER BY id LIMIT $n", {"n": counties})]
    title = store.read("MATCH (m:PetitionMatter) RETURN m.title AS t ORDER BY m.id LIMIT 1")[0]["t"]
    name = store.read("MATCH (p:Person) RETURN p.name AS t ORDER BY p.id LIMIT 1")[0]["t"]
    parts: dict[str, Callable[[], Any]] = {
        "traces": lambda: {m: engine.trace(m) for m in matters},
        "matter_steps": lambda: {m: [{**r, "step": HandlingStep.of(r["step"])}
                                     for r in queries.run(store, "matter_steps", {"matter": m})] for m in matters},
        "steps_by_matter": lambda: [{**r, "step": HandlingStep.of(r["step"])}
                                    for r in queries.run(store, "steps_by_matter", {"ids": matters})],
        "steps_by_whom": lambda: store.read(STEPS_BY_WHOM, {"ids": matters}),
        "cadre_duties": lambda: {p: engine.cadre_duties(p) for p in leaders},
        "compliance_2019": lambda: {t: engine.compliance(t, 2019) for t in territories},
        "compliance_statuses_2019": lambda: {t: engine.compliance_statuses(t, 2019) for t in territories},
        "search": lambda: {text: find(store, text)[0] for text in (title, name)},
    }
    out: dict[str, Any] = {"matters": matters}
    seconds: dict[str, float] = {}
    for part, answer in parts.items():
        started = time.perf_counter()
        out[part] = answer()
        seconds[part] = round(time.perf_counter() - started, 2)
    return plain(out), seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--every", type=int, default=500, help="every N-th matter and leader, by id (default 500)")
    ap.add_argument("--counties", type=int, default=3, help="county-level territories whose compliance to answer")
    args = ap.parse_args(argv)
    with open_store(Settings()) as store:
        out, seconds = answers(store, args.every, args.counties)
    print(json.dumps(out, ensure_ascii=False, sort_keys=True, indent=0))
    print(json.dumps({"answers": {k: len(v) for k, v in out.items()}, "seconds": seconds}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
