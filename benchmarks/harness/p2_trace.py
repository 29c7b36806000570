"""P2: one trace by the engine's named queries sent raw, and the timing of both sides."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from zeren import queries
from zeren.graph.records import Institution, InstitutionKind, PetitionMatter, Territory
from zeren.rules.facts import TERRITORY_ORGANS, MatterFacts, covers, nearest, of_kind

from .common import percentile


def raw_trace(read: Callable[[str, dict[str, Any]], list[dict[str, Any]]], dialect: str, matter_id: str) -> int:
    """The named queries the engine sends for one trace (``rules.facts.fetch_matter``),
    sent straight through the client; returns the number of round trips."""
    rows = read(queries.text("matter", dialect), {"matter": matter_id})
    matter = rows[0]["matter"]
    received = matter["received_on"]
    as_of = received.isoformat()[:10] if hasattr(received, "isoformat") else str(received)[:10]
    chain = [r["territory"] for r in rows]
    inst = read(queries.text("institutions_in", dialect),
                {"territories": [t["id"] for t in chain], "kinds": [str(k) for k in TERRITORY_ORGANS],
                 "subject": matter.get("subject")})
    trips = 2
    # The same choice of teams as the engine (rules.facts.fetch_matter), with its own functions
    # (which read records: the rows they look at are made records, as the engine does).
    facts = MatterFacts(PetitionMatter.of(matter), [Territory.of(t) for t in chain], {t["id"]: [] for t in chain})
    for r in inst:
        facts.institutions[r["territory"]].append(Institution.of(r["institution"]))
    depts = [d.id for d in nearest(facts, covers(facts.matter.subject))[1]]
    team_ids = set(depts)
    for organ in (InstitutionKind.PARTY_COMMITTEE, InstitutionKind.GOVERNMENT):
        team_ids.update(i.id for i in nearest(facts, of_kind(organ))[1])
    if depts:
        trips += 1
        for r in read(queries.text("vertical_line_up", dialect), {"institutions": depts}):
            team_ids.update(n["id"] for n in r["nodes"])
    read(queries.text("teams_as_of", dialect), {"institutions": sorted(team_ids), "as_of": as_of})
    read(queries.text("matter_steps", dialect), {"matter": matter_id})
    read(queries.text("case_holders", dialect), {"matter": matter_id})
    return trips + 3


def time_interleaved(ids: list[str], a: Callable[[str], Any], b: Callable[[str], Any],
                     clock: Callable[[], float] = time.perf_counter) -> tuple[list[float], list[float]]:
    """Time ``a`` and ``b`` on each id, one right after the other, ``a`` first
    on even positions and ``b`` first on odd ones; milliseconds per id, in the
    order of ``ids``, for each. A change in the machine's speed during the
    pass then falls on both sides alike, and neither side always runs on the
    store's caches as the other left them."""
    out_a: list[float] = []
    out_b: list[float] = []
    for i, mid in enumerate(ids):
        for fn, out in ((a, out_a), (b, out_b)) if i % 2 == 0 else ((b, out_b), (a, out_a)):
            t0 = clock()
            fn(mid)
            out.append((clock() - t0) * 1000)
    return out_a, out_b


def latency(ms: list[float]) -> dict[str, float]:
    return {"p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99), "mean_ms": statistics.fmean(ms),
            "max_ms": max(ms), "n": len(ms)}


def slowest(ids: list[str], ms: list[float], n: int = 5) -> list[tuple[str, float]]:
    """The ``n`` slowest matters of a timed pass (to see whether the tail is the data or the process)."""
    return sorted(zip(ids, ms), key=lambda x: -x[1])[:n]
