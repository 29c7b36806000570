"""The named queries are written once for both engines: the same world loaded
into the embedded FalkorDB and into Neo4j gives the same
findings, citations and recommendations."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from worlds import TODAY, world_for, write_world
from zeren.config import Settings
from zeren.graph.store import GraphStore
from zeren.loaders.load import load_path
from zeren.rules.engine import Engine
from zeren.rules.findings import Evaluation

QUESTIONS = [("trace", "M-LAND", None), ("trace", "M-TOWN", None), ("trace", "M-TAX", None), ("trace", "M-LIT", None),
             ("trace", "M-ENV", None), ("trace", "M-BETWEEN", "2017-02-01"), ("trace", "M-SC", None),
             ("account", "F-COLL", None), ("account", "F-IND", "2019-07-01"), ("account", "F-SC", None)]


def _summary(ev: Evaluation) -> tuple[object, ...]:
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


def _ask(engine: Engine, how: str, key: str, as_of: str | None) -> Evaluation:
    return engine.trace(key, as_of=as_of) if how == "trace" else engine.account(key, as_of=as_of)


@pytest.fixture
def both(store: GraphStore, settings: Settings, neo4j_store: GraphStore) -> tuple[Engine, Engine]:
    folder = write_world(world_for({}), Path(tempfile.mkdtemp(prefix="zeren-both-")))
    for s in (store, neo4j_store):
        load_path(folder, s, settings=settings)
    return Engine(store, today=TODAY), Engine(neo4j_store, today=TODAY)


def test_the_engine_answers_the_same_on_both_engines(both: tuple[Engine, Engine]) -> None:
    falkor, neo = both
    for how, key, as_of in QUESTIONS:
        expected = _summary(_ask(falkor, how, key, as_of))
        assert expected[1], f"{how} {key} found nothing: the comparison would be empty"
        assert _summary(_ask(neo, how, key, as_of)) == expected, (how, key)
