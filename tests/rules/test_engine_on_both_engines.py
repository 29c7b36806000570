"""The named queries are written once for both engines: the same world loaded
into the embedded FalkorDB and into Neo4j gives the same
findings, citations and recommendations."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from worlds import TODAY, evaluation_summary, world_for, write_world
from zeren.config import Settings
from zeren.graph.store import GraphStore
from zeren.loaders.load import load_path
from zeren.rules.engine import Engine
from zeren.rules.findings import Evaluation

QUESTIONS = [("trace", "M-LAND", None), ("trace", "M-TOWN", None), ("trace", "M-TAX", None), ("trace", "M-LIT", None),
             ("trace", "M-ENV", None), ("trace", "M-BETWEEN", "2017-02-01"), ("trace", "M-SC", None),
             ("account", "F-COLL", None), ("account", "F-IND", "2019-07-01"), ("account", "F-SC", None)]


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
        expected = evaluation_summary(_ask(falkor, how, key, as_of))
        assert expected[1], f"{how} {key} found nothing: the comparison would be empty"
        assert evaluation_summary(_ask(neo, how, key, as_of)) == expected, (how, key)
