"""The statuses of a compliance answer counted in the store
(``Engine.compliance_statuses``, zeren.rules.compliance_status) are those of
the full answer with its facts (``Engine.compliance``): the same units, duties,
statuses, provisions, periods, rule sets and gaps, on the sample dataset and on
every world of the compliance rule cases, on both stores; and one territory's
own units (``below=False``) answer as they do inside the answer for the
territory above them; with the instructed and collective matters counted
either way (from the territories' handling steps, or from the nation's
instructions and collective matters). Only the
national bureau's assessment of the provinces
is left to its full rule: every other duty the worlds show is counted, so the
comparison tests its counting rule."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from worlds import HERE, TODAY, world_for, write_world
from zeren.config import Settings
from zeren.graph.store import GraphStore
from zeren.loaders.load import load_path
from zeren.rules import compliance_status
from zeren.rules.compliance import Report
from zeren.rules.engine import Engine

CASES = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((HERE / "cases").glob("*.json"))]
COMPLIANCE = [c for c in CASES if "compliance" in c["ask"] and "raises" not in c["expect"]]
REFUSED = [c for c in CASES if "compliance" in c["ask"] and "raises" in c["expect"]]
YEARS = (2016, 2017, 2019, 2021, 2023)


@pytest.fixture
def store(any_store: GraphStore) -> GraphStore:
    return any_store


def statuses(report: Report) -> list[Any]:
    """What the two answers share, unit by unit and duty by duty, in their order."""
    return [(u.scope, u.id, u.name, u.territory.id, u.kind, u.note, u.rule_sets,
             [(d.duty, d.status, d.basis, d.period, d.rule_sets) for d in u.duties]) for u in report.units]


def assert_same(engine: Engine, territory: str, year: int, below: bool = True) -> Report:
    full = engine.compliance(territory, year, below=below)
    counted = engine.compliance_statuses(territory, year, below=below)
    assert statuses(counted) == statuses(full), (territory, year, below)
    assert (counted.territory, counted.year, counted.rule_sets) == (full.territory, full.year, full.rule_sets)
    assert [(g.what, g.reason) for g in counted.gaps] == [(g.what, g.reason) for g in full.gaps]
    assert counted.counts() == full.counts()
    # Both paths of the instructed and collective matters' counts (from the territories' handling steps, or from
    # the nation's instructions and collective matters, chosen by the territories' share) give the same statuses.
    for wide in (False, True):
        forced = compliance_status.statuses(engine.store, territory, int(year), dict(engine.registry), below=below,
                                            wide=wide)
        assert statuses(forced) == statuses(full), (territory, year, below, wide)
    return full


def _load(store: GraphStore, folder: Path, data_dir: Path) -> Engine:
    store.clear()
    load_path(folder, store, settings=Settings(data_dir=data_dir, graph="embedded"))
    return Engine(store, today=TODAY)


def test_the_statuses_counted_in_the_store_are_those_of_the_full_answer_on_every_compliance_case_world(
        store: GraphStore, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    in_full: set[str] = set()  # the duties left to their full rules
    answer_in_full = compliance_status._answer_in_full

    def spy(store: GraphStore, report: Report, *args: Any) -> None:
        in_full.update(d[2] for u in report.units for d in u.duties if isinstance(d, tuple))
        answer_in_full(store, report, *args)

    monkeypatch.setattr(compliance_status, "_answer_in_full", spy)
    worlds: dict[str, list[dict[str, Any]]] = {}
    for case in COMPLIANCE:
        worlds.setdefault(json.dumps([case.get("patch"), case.get("remove")], sort_keys=True), []).append(case)
    statuses_seen: set[str] = set()
    duties_seen: dict[str, set[str]] = {}
    for n, cases in enumerate(worlds.values()):
        engine = _load(store, write_world(world_for(cases[0]), tmp_path / f"w{n}"), data_dir)
        asked = {(c["ask"]["compliance"]["territory"], c["ask"]["compliance"]["year"]) for c in cases}
        for territory, year in sorted(asked | {("000000", y) for y in YEARS}):
            full = assert_same(engine, territory, year)
            statuses_seen |= {d.status for u in full.units for d in u.duties}
            for d in (d for u in full.units for d in u.duties):
                duties_seen.setdefault(d.duty, set()).add(d.status)
    assert statuses_seen == {"MET", "UNMET", "UNKNOWN"}, "the worlds should show every status"
    assert "PROVINCIAL_ASSESSMENT" in duties_seen, "a duty answered by its full rule should be compared too"
    assert in_full == {"PROVINCIAL_ASSESSMENT"}, "every other duty should be answered from the counts"
    # The staff's reports (Chongqing art. 8 (二), (四)) are counted and show what their rules can answer.
    assert duties_seen["STAFF_HANDLING_REPORT"] == {"MET", "UNMET", "UNKNOWN"}
    assert duties_seen["STAFF_LEADER_REPORT"] == {"MET", "UNKNOWN"}
    # So are the collective matters (art. 8 (三)), counted either way above.
    assert duties_seen["STAFF_INCIDENT_REPORT"] == {"MET", "UNMET", "UNKNOWN"}


def test_the_statuses_counted_in_the_store_are_those_of_the_full_answer_on_the_sample_dataset(
        store: GraphStore, data_dir: Path) -> None:
    with resources.as_file(resources.files("zeren.data") / "sample") as folder:
        engine = _load(store, folder, data_dir)
    for territory in ("000000", "500000", "500103", "510000"):
        for year in YEARS:
            assert_same(engine, territory, year)


def test_a_territorys_own_units_answer_as_inside_the_answer_for_the_territory_above(
        store: GraphStore, data_dir: Path) -> None:
    with resources.as_file(resources.files("zeren.data") / "sample") as folder:
        engine = _load(store, folder, data_dir)
    whole = engine.compliance("000000", 2019)
    for territory in ("000000", "500103"):
        own = assert_same(engine, territory, 2019, below=False)
        assert own.units and {u.territory.id for u in own.units} == {territory}
        inside = [u for u in whole.units if u.territory.id == territory]
        assert [(u.id, [d.as_dict() for d in u.duties]) for u in own.units] == \
               [(u.id, [d.as_dict() for d in u.duties]) for u in inside]


@pytest.mark.parametrize("case", REFUSED, ids=[c["ask"]["compliance"]["territory"] for c in REFUSED])
def test_the_statuses_refuse_what_the_full_answer_refuses_with_the_same_reason(
        store: GraphStore, data_dir: Path, tmp_path: Path, case: dict[str, Any]) -> None:
    engine = _load(store, write_world(world_for(case), tmp_path / "w"), data_dir)
    ask = case["ask"]["compliance"]
    errors = []
    for answer in (engine.compliance, engine.compliance_statuses):
        with pytest.raises(Exception) as info:
            answer(ask["territory"], ask["year"])
        errors.append((type(info.value), str(info.value)))
    assert errors[0] == errors[1]
    assert case["expect"]["raises"]["message_contains"] in errors[0][1]
