"""The rule cases' small world (tests/rules/world.json) and its variants:
one case's patch applied, written as the JSON Lines files `zeren load` reads.
The rule cases, the CLI, the API and the engine-on-both-stores tests share it,
and the summary by which two stores' answers are compared."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from zeren.rules.findings import Evaluation

HERE = Path(__file__).resolve().parent / "rules"
WORLD = json.loads((HERE / "world.json").read_text(encoding="utf-8"))
TODAY = date(2026, 11, 21)


def world_for(case: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    world = {k: [dict(r) for r in v] for k, v in WORLD.items()}
    for file, ids in case.get("remove", {}).items():
        world[file] = [r for r in world.get(file, []) if r["id"] not in set(ids)]
    for file, rows in case.get("patch", {}).items():
        by_id = {r["id"]: r for r in world.get(file, [])}
        for r in rows:
            by_id[r["id"]] = r
        world[file] = list(by_id.values())
    return world


def write_world(world: dict[str, list[dict[str, Any]]], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for file, rows in world.items():
        if not rows:  # a file with every row removed is no file (an empty one is refused)
            continue
        with (folder / f"{file}.jsonl").open("w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return folder


def evaluation_summary(ev: Evaluation) -> tuple[object, ...]:
    """What two answers to the same question must share, store against store:
    rule sets, findings with their bases and chains, recommendations, gaps and
    recorded measures, each in a stable order."""
    findings = sorted(str((f.kind, f.person and f.person.id, f.post and f.post.id, f.institution and f.institution.id,
                           f.basis.document, f.basis.article, f.basis.paragraph, f.basis.item,
                           tuple(n.id for n in f.chain.nodes))) for f in ev.findings)
    recs = sorted(str((r.measure, r.person and r.person.id, r.institution and r.institution.id, r.basis.article))
                  for r in ev.recommendations)
    gaps = sorted((g.what, g.reason) for g in ev.gaps)
    # A map's key order is not defined in Cypher, and FalkorDB's depends on
    # how the node was written (created with its properties, or merged and
    # set): compare key by key.
    return ev.rule_sets, findings, recs, gaps, sorted(str(sorted(m.as_dict().items())) for m in ev.recorded_measures)
