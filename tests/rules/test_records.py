"""The typed records and enumerations of zeren.graph.records: generated from the
declared model, current with it, and strict about names."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from enum import StrEnum
from pathlib import Path

import pytest

from zeren.graph import model, records, typed
from zeren.graph.records import Holds, Institution, InstitutionKind, InvolvedIn, PetitionMatter, Stance, Subject
from zeren.config import Settings
from zeren.graph.store import GraphStore
from zeren.graph.typed import RecordError
from zeren.loaders.load import load_path
from zeren.rules.facts import fetch_failure, fetch_matter

MATTER = {"id": "M-1", "title": "wages owed", "subject": "LABOUR", "territory": "500101", "channel": "VISIT",
          "form": "INDIVIDUAL", "received_on": date(2020, 5, 6), "headcount": 3}


def test_the_generated_records_module_is_current_with_the_model() -> None:
    assert typed.OUT.read_text(encoding="utf-8") == typed.source(), \
        "graph/records.py does not match graph/model.py: run python -m zeren.graph.typed"
    assert typed.main(["--check"]) == 0


def test_the_check_fails_when_the_model_declares_a_code_the_records_module_lacks(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    subject = model.ENUMS["Subject"]
    grown = dataclasses.replace(subject, values={**subject.values, "MINING": model.Label("mining", "矿产")})
    monkeypatch.setitem(model.ENUMS, "Subject", grown)
    monkeypatch.setattr(typed, "OUT", tmp_path / "records.py")
    (tmp_path / "records.py").write_text(Path(records.__file__).read_text(encoding="utf-8"), encoding="utf-8")
    assert typed.main(["--check"]) == 1
    assert 'MINING = "MINING"' in typed.source()


def test_each_enumeration_has_the_models_codes_in_order() -> None:
    assert list(records.ENUMS) == list(model.ENUMS)
    for name, e in model.ENUMS.items():
        enum = records.ENUMS[name]
        assert issubclass(enum, StrEnum)
        assert [m.value for m in enum] == list(e.values), name
        assert [m.name for m in enum] == list(e.values), name


def test_an_enumeration_member_equals_its_code_as_text() -> None:
    assert Subject.LABOUR == "LABOUR"
    assert f"{Stance.ABSENT}" == "ABSENT"
    assert json.dumps([InstitutionKind.COURT]) == '["COURT"]'


def test_each_kind_has_a_record_with_exactly_its_fields_and_its_key() -> None:
    kinds: list[model.NodeKind | model.RelKind] = [*model.NODES.values(), *model.RELS.values()]
    assert list(records.RECORDS) == [k.name for k in kinds]
    for k in kinds:
        cls = records.RECORDS[k.name]
        declared = {f.name for f in (k.all_fields if isinstance(k, model.RelKind) else k.fields)} | {k.key}
        assert {f.name for f in dataclasses.fields(cls)} == declared, k.name
        assert cls.KIND == k.name


def test_a_misspelt_field_is_an_error_not_none() -> None:
    m = PetitionMatter.of(MATTER)
    with pytest.raises(AttributeError):
        m.titel  # type: ignore[attr-defined]  # noqa: B018


def test_a_record_is_read_by_attribute_never_by_key() -> None:
    m = PetitionMatter.of(MATTER)
    with pytest.raises(TypeError):
        m["title"]  # type: ignore[index]  # noqa: B018
    with pytest.raises(AttributeError):
        m.get("title")  # type: ignore[attr-defined]


def test_a_row_with_a_property_the_model_does_not_declare_is_refused_naming_the_kind_and_the_property() -> None:
    with pytest.raises(RecordError, match=r"PetitionMatter has no field 'titel'"):
        PetitionMatter.of({**MATTER, "titel": "wages owed"})


def test_a_row_without_a_required_field_is_refused_naming_the_kind() -> None:
    with pytest.raises(RecordError, match=r"PetitionMatter 'M-1'.*received_on"):
        PetitionMatter.of({k: v for k, v in MATTER.items() if k != "received_on"})


def test_a_code_outside_its_enumeration_is_refused() -> None:
    with pytest.raises(RecordError, match=r"PetitionMatter.subject: 'WAGES' is not a code"):
        PetitionMatter.of({**MATTER, "subject": "WAGES"})


def test_enumeration_fields_are_read_as_members_and_lists_as_tuples() -> None:
    i = Institution.of({"id": "I-1", "name": "labour bureau", "kind": "WORKING_DEPARTMENT", "level": "COUNTY",
                        "territory": "500101", "remit": ["LABOUR", "SOCIAL_INSURANCE"]})
    assert i.kind is InstitutionKind.WORKING_DEPARTMENT
    assert i.remit == (Subject.LABOUR, Subject.SOCIAL_INSURANCE)


def test_the_stores_derived_properties_are_left_out_of_a_record() -> None:
    m = PetitionMatter.of({**MATTER, "search_text": "m-1 wages owed", "petitioner_enc": "gAAA",
                           "petitioner_digest": "d", "petitioner_pseudonym": "p"})
    assert m.as_dict() == MATTER
    assert m.petitioner is None


def test_a_record_gives_the_row_it_was_made_from_as_a_dict() -> None:
    m = PetitionMatter.of(MATTER)
    assert m.as_dict() == MATTER
    assert m.closed_on is None and "closed_on" not in m.as_dict()  # a field without a value is absent, as in the row


def test_a_relationships_ends_are_optional_on_its_record() -> None:
    link = InvolvedIn.of({"id": "FP-1", "role": "PARTICIPANT", "stance": "ABSENT"})
    assert link.person is None and link.stance is Stance.ABSENT
    assert Holds.of({"id": "H-1", "valid_from": date(2019, 1, 1)}).valid_to is None


def test_a_record_is_frozen_and_changed_only_by_a_copy() -> None:
    m = PetitionMatter.of(MATTER)
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.title = "other"  # type: ignore[misc]
    assert dataclasses.replace(m, title="other").title == "other" and m.title == "wages owed"


def test_the_facts_the_rules_read_are_records_of_their_kinds(store: GraphStore, settings: Settings,
                                                             tmp_path: Path) -> None:
    world = json.loads((Path(__file__).parent / "world.json").read_text(encoding="utf-8"))
    for file, rows in world.items():
        if rows:
            (tmp_path / f"{file}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                                    encoding="utf-8")
    load_path(tmp_path, store, settings=settings)
    matter, _ = fetch_matter(store, "M-TAX", None)
    assert isinstance(matter.matter, PetitionMatter) and isinstance(matter.matter.subject, Subject)
    assert all(isinstance(t, records.Territory) for t in matter.chain)
    assert all(isinstance(i, Institution) for level in matter.institutions.values() for i in level)
    seats = [s for team in matter.teams.values() for s in team]
    assert seats and all(isinstance(s.post, records.Post) and isinstance(s.role, records.PostRole) for s in seats)
    assert all(isinstance(d, records.Division) for s in seats for d in s.divisions)
    paths = [p for ps in matter.vertical.values() for p in ps]
    assert paths and all(isinstance(x, records.VerticalLine) for p in paths for x in p.links)
    land, _ = fetch_matter(store, "M-LAND", None)
    assert land.steps and all(isinstance(s.step, records.HandlingStep) and isinstance(s.institution, Institution)
                              for s in land.steps)
    assert land.case_holders and all(isinstance(h.holding, records.HoldsCase) for h in land.case_holders)
    failure = fetch_failure(store, "F-COLL")
    assert isinstance(failure.failure, records.Failure) and isinstance(failure.failure.scope, records.FailureScope)
    assert failure.participants and all(isinstance(p.link, records.ParticipatedIn) for p in failure.participants)
    assert all(isinstance(m, records.AccountabilityMeasure) for m in failure.measures)
