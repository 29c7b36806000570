"""Another province's rules are data plus the existing rule units: registering
a (fictitious) Sichuan overlay changes what is cited and which rules exist in
Sichuan, without touching the engine, and leaves Chongqing as it was."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from worlds import TODAY, world_for, write_world
from zeren.config import Settings
from zeren.graph.store import GraphStore, open_store
from zeren.loaders.load import load_path
from zeren.rules.engine import Engine
from zeren.law import CHONGQING, NATIONAL, Provision, RuleSet

FICTITIOUS = RuleSet(
    id="SC-TEST", name_en="fictitious Sichuan rules", name_zh="《四川省（虚构）实施细则》", jurisdiction="510000",
    in_force=date(2019, 1, 1), overlay_of="CN-2016",
    provisions={"OVERALL": Provision("SC-TEST", 3), "CASE_HOLDING": Provision("SC-TEST", 5, 1),
                "DUE_DILIGENCE": Provision("SC-TEST", 9, 2)},
)


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory, data_dir: Path, _embedded_server: GraphStore):
    settings = Settings(graph="embedded", data_dir=data_dir, graph_name="overlay_world")
    store = open_store(settings)
    store.clear()
    case = {"patch": {"case_holdings": [{"id": "CH-SC", "person": "PER-WHHEAD", "matter": "M-SC",
                                         "valid_from": "2020-04-02"}],
                      "failure_people": [{"id": "FP-SC", "person": "PER-S4", "failure": "F-SC",
                                          "role": "STAFF_IN_CHARGE", "due_diligence": True}]}}
    load_path(write_world(world_for(case), tmp_path_factory.mktemp("overlay")), store, settings=settings)
    registry = {r.id: r for r in (NATIONAL, CHONGQING, FICTITIOUS)}
    yield Engine(store, today=TODAY), Engine(store, registry=registry, today=TODAY)
    store.clear()
    store.close()


def test_a_registered_overlay_is_cited_in_its_province(engines) -> None:  # type: ignore[no-untyped-def]
    _, with_overlay = engines
    ev = with_overlay.trace("M-SC", as_of="2020-04-05")
    assert ev.rule_sets == ["CN-2016", "SC-TEST"]
    overall = [f for f in ev.findings if f.kind == "OVERALL"]
    assert overall and all(f.basis.document == "SC-TEST" and f.basis.article == 3 for f in overall)
    competent = next(f for f in ev.findings if f.kind == "COMPETENT")
    assert competent.basis == Provision("CN-2016", 5, 1), "rules the overlay does not restate keep the base citation"


def test_an_overlay_adds_the_rules_it_states(engines) -> None:  # type: ignore[no-untyped-def]
    plain, with_overlay = engines
    assert not [f for f in plain.trace("M-SC", as_of="2020-04-05").findings if f.kind == "CASE_HOLDING"]
    held = [f for f in with_overlay.trace("M-SC", as_of="2020-04-05").findings if f.kind == "CASE_HOLDING"]
    assert [(f.person.id, f.basis.document) for f in held if f.person] == [("PER-WHHEAD", "SC-TEST")]
    exempt = [f for f in with_overlay.account("F-SC").findings if f.kind == "EXEMPT"]
    assert [(f.person.id, f.basis.document) for f in exempt if f.person] == [("PER-S4", "SC-TEST")]
    assert not [f for f in plain.account("F-SC").findings if f.kind == "EXEMPT"]


def test_an_overlay_does_not_apply_before_its_date_or_elsewhere(engines) -> None:  # type: ignore[no-untyped-def]
    _, with_overlay = engines
    assert with_overlay.trace("M-SC", as_of="2018-12-31").rule_sets == ["CN-2016"]
    assert with_overlay.trace("M-LAND").rule_sets == ["CN-2016", "CQ-2017"]


def test_an_overlay_of_an_unknown_base_is_refused() -> None:
    from zeren.law import register

    with pytest.raises(ValueError, match="overlays unknown rule set"):
        register(RuleSet(id="X", name_en="x", name_zh="x", jurisdiction="510000", in_force=date(2020, 1, 1),
                         provisions={}, overlay_of="NOPE"))
