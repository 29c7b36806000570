"""The organisation held in memory for the traces (zeren.rules.organisation):
a trace, and a failure's accountability, answer exactly as ones that read the
organisation from the store, on both stores, on the rule world and the bundled
sample, and a load that changes a tenure or a division shows in the next trace."""

from __future__ import annotations

import csv
import tempfile
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from worlds import TODAY, WORLD, world_for, write_world
from zeren import queries
from zeren.config import Settings
from zeren.graph.store import GraphStore
from zeren.loaders.load import load_path
from zeren.rules.engine import Change, Engine
from zeren.rules.organisation import Organisation


@pytest.fixture
def store(any_store: GraphStore) -> GraphStore:
    return any_store


def _engines(store: GraphStore) -> tuple[Engine, Engine]:
    return Engine(store, today=TODAY), Engine(store, today=TODAY, organisation=Organisation(store))


def _same_traces(store: GraphStore, matters: list[tuple[str, date]]) -> int:
    """Each matter traced on the date received, on a later date and on an
    earlier one, by an engine reading the store and by one holding the
    organisation (twice: as it fills, then from what it holds). The number of
    findings compared."""
    plain, held = _engines(store)
    compared = 0
    for key, received in matters:
        for on in (None, min(TODAY, date(received.year + 2, received.month, 1)), date(received.year - 1, 1, 1)):
            expected = plain.trace(key, as_of=on).as_dict()
            assert held.trace(key, as_of=on).as_dict() == expected, (key, on)
            assert held.trace(key, as_of=on).as_dict() == expected, (key, on, "from what is held")
            rows = queries.run(store, "matter", {"matter": key})
            assert held.trace(key, as_of=on, matter_rows=rows).as_dict() == expected, (key, on, "the matter given")
            for engine in (plain, held):
                row, ev = engine.matter_and_trace(key, on)
                assert (row, ev.as_dict()) == (rows[0]["matter"], expected), (key, on, "with the matter")
            compared += len(expected["findings"])
    return compared


def _same_accountability(store: GraphStore, failures: list[tuple[str, date]]) -> int:
    """Each failure held to account (measures as of today, as of its act date,
    and a day before the act), a counterfactual of an earlier act date, and
    the trace of its matter with it, by an engine reading the store and by one
    holding the organisation (twice: as it fills, then from what it holds).
    The number of findings compared."""
    plain, held = _engines(store)
    compared = 0
    for key, act in failures:
        for on in (None, act, date(act.year - 1, act.month, 1)):
            expected = plain.account(key, as_of=on).as_dict()
            assert held.account(key, as_of=on).as_dict() == expected, (key, on)
            assert held.account(key, as_of=on).as_dict() == expected, (key, on, "from what is held")
            compared += len(expected["findings"])
        earlier = [Change("act_date", date(act.year - 3, 1, 1).isoformat())]
        assert (held.counterfactual(failure_id=key, changes=earlier).as_dict()
                == plain.counterfactual(failure_id=key, changes=earlier).as_dict()), (key, "an earlier act")
        matter = queries.run(store, "failure", {"failure": key})[0]["matter"]
        if matter:
            assert (held.trace(matter["id"], failure_id=key).as_dict()
                    == plain.trace(matter["id"], failure_id=key).as_dict()), (key, "with its matter")
    return compared


SAMPLE_FILES = {"matters": "matters.csv", "failures": "failures.csv"}


def _loaded(store: GraphStore, settings: Settings, world: str, kind: str, day: str) -> list[tuple[str, date]]:
    """The world loaded (the rule world or the bundled sample); the key and
    the date ``day`` of each of its ``kind`` (matters, failures)."""
    if world == "rule world":
        load_path(write_world(world_for({}), Path(tempfile.mkdtemp(prefix="zeren-org-"))), store, settings=settings)
        return [(x["id"], date.fromisoformat(x[day])) for x in WORLD[kind]]
    with resources.as_file(resources.files("zeren.data") / "sample") as folder:
        load_path(folder, store, settings=settings)
        with (folder / SAMPLE_FILES[kind]).open(encoding="utf-8") as fh:
            found = [(r["id"], date.fromisoformat(r[day])) for r in csv.DictReader(fh)]
    assert found
    return found


@pytest.mark.parametrize("world", ["rule world", "bundled sample"])
def test_every_failure_of_the_world_is_held_to_account_the_same_with_the_organisation_held(
        store: GraphStore, settings: Settings, world: str) -> None:
    failures = _loaded(store, settings, world, "failures", "act_date")
    assert _same_accountability(store, failures) > 0, "no finding: the comparison would be empty"


def test_a_failure_held_to_account_from_the_organisation_held_takes_two_round_trips(
        store: GraphStore, settings: Settings) -> None:
    load_path(write_world(world_for({}), Path(tempfile.mkdtemp(prefix="zeren-org-"))), store, settings=settings)
    _, held = _engines(store)
    held.account("F-COLL")  # fills what it reaches
    before = store.round_trips.count
    held.account("F-COLL")
    # the failure, its measures and the loads finished together; then its people (on FalkorDB: one round
    # trip each; Neo4j counts the three queries of the first, sent in one transaction)
    assert store.round_trips.count - before == (2 if store.dialect == "falkordb" else 4)


@pytest.mark.parametrize("world", ["rule world", "bundled sample"])
def test_every_matter_of_the_world_is_traced_the_same_with_the_organisation_held(
        store: GraphStore, settings: Settings, world: str) -> None:
    matters = _loaded(store, settings, world, "matters", "received_on")
    assert _same_traces(store, matters) > 0, "no finding: the comparison would be empty"


def _people(ev: dict[str, Any]) -> set[tuple[str, str]]:
    """(person, post) of each finding that names a person."""
    return {(f["person"]["id"], f["post"]["id"]) for f in ev["findings"] if f.get("person") and f.get("post")}


# On 2019-03-10 (M-LAND received) the district government's head is PER-A and
# its deputy in charge of land PER-C; the load below makes them PER-B and PER-D.
HEAD_A, HEAD_B = ("PER-A", "P-YZGOV-HEAD"), ("PER-B", "P-YZGOV-HEAD")
DEPUTY_C, DEPUTY_D = ("PER-C", "P-YZGOV-DEP1"), ("PER-D", "P-YZGOV-DEP2")
CHANGED = {"patch": {
    "tenures": [
        {"id": "TEN-HEAD-A", "person": "PER-A", "post": "P-YZGOV-HEAD", "valid_from": "2015-01-01",
         "valid_to": "2019-01-31"},
        {"id": "TEN-HEAD-B", "person": "PER-B", "post": "P-YZGOV-HEAD", "valid_from": "2019-02-01"}],
    "divisions": [
        {"id": "DIV-YZ-DEP1", "post": "P-YZGOV-DEP1", "subjects": ["LAND", "NATURAL_RESOURCES"],
         "institution": "YZ-LAND", "valid_from": "2015-01-01", "valid_to": "2018-12-31"},
        {"id": "DIV-YZ-DEP2-LAND", "post": "P-YZGOV-DEP2", "subjects": ["LAND"], "institution": "YZ-LAND",
         "valid_from": "2019-01-01"}]}}


def test_a_load_that_changes_a_tenure_and_a_division_shows_in_the_next_trace(
        store: GraphStore, settings: Settings) -> None:
    load_path(write_world(world_for({}), Path(tempfile.mkdtemp(prefix="zeren-org-"))), store, settings=settings)
    plain, held = _engines(store)
    before = held.trace("M-LAND").as_dict()
    assert {HEAD_A, DEPUTY_C} <= _people(before), _people(before)
    load_path(write_world(world_for(CHANGED), Path(tempfile.mkdtemp(prefix="zeren-org-"))), store, settings=settings)
    after = held.trace("M-LAND").as_dict()
    assert after == plain.trace("M-LAND").as_dict()
    assert {HEAD_B, DEPUTY_D} <= _people(after), _people(after)
    assert not {HEAD_A, DEPUTY_C} & _people(after), _people(after)


def test_the_organisation_held_is_emptied_when_a_load_finishes(store: GraphStore, settings: Settings) -> None:
    folder = write_world(world_for({}), Path(tempfile.mkdtemp(prefix="zeren-org-")))
    load_path(folder, store, settings=settings)
    organisation = Organisation(store)
    engine = Engine(store, today=TODAY, organisation=organisation)
    engine.trace("M-LAND")
    filled = organisation.snapshot
    assert filled.size()["posts"] > 0
    engine.trace("M-TAX")
    assert organisation.snapshot is filled, "a trace with no load in between keeps what is held"
    load_path(folder, store, settings=settings)
    engine.trace("M-TAX")
    assert organisation.snapshot is not filled
    fresh = Organisation(store)
    Engine(store, today=TODAY, organisation=fresh).trace("M-TAX")
    assert organisation.snapshot.size() == fresh.snapshot.size() != filled.size(), "only M-TAX's, read again"


def test_past_its_limit_of_posts_the_organisation_held_starts_afresh_and_answers_the_same(
        store: GraphStore, settings: Settings) -> None:
    load_path(write_world(world_for({}), Path(tempfile.mkdtemp(prefix="zeren-org-"))), store, settings=settings)
    plain = Engine(store, today=TODAY)
    organisation = Organisation(store, max_posts=3)
    held = Engine(store, today=TODAY, organisation=organisation)
    held.trace("M-LAND")
    filled = organisation.snapshot
    assert filled.posts > 3
    assert held.trace("M-TAX").as_dict() == plain.trace("M-TAX").as_dict()
    assert organisation.snapshot is not filled
    assert organisation.snapshot.generation == filled.generation
