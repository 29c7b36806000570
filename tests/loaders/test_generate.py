"""The synthetic dataset generator: deterministic, in the loader's format, consistent, linear in the scale,
and streaming (memory does not grow with the scale)."""

from __future__ import annotations

import csv
import hashlib
import itertools
import re
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from zeren.graph.model import ENUMS, NodeKind, kind, loadable_kinds
from zeren.config import Settings
from zeren.graph.store import GraphStore
from zeren.loaders.generate import (COLUMNS, LAYOUT, TOWNSHIP_LAYOUT, Plan, Sink, Unit, cli_generate, covering,
                                    generate, header, places)

SMALL = 0.002
Rows = dict[str, list[dict[str, str]]]


def _read(folder: Path) -> Rows:
    out = {}
    for k in loadable_kinds():
        with open(folder / f"{k.file}.csv", encoding="utf-8", newline="") as f:
            out[k.file] = list(csv.DictReader(f))
    return out


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.csv"))}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen-small")
    generate(out, SMALL, seed=7)
    return out


@pytest.fixture(scope="module")
def rows(small: Path) -> Rows:
    return _read(small)


def _day(s: str) -> date:
    return date.fromisoformat(s)


# --------------------------------------------------------------------------- determinism

def test_the_same_seed_gives_byte_identical_files(small: Path, tmp_path: Path) -> None:
    generate(tmp_path, SMALL, seed=7)
    assert _digest(tmp_path) == _digest(small)


def test_a_different_seed_gives_different_files(small: Path, tmp_path: Path) -> None:
    generate(tmp_path, SMALL, seed=8)
    a, b = _digest(small), _digest(tmp_path)
    assert a["matters.csv"] != b["matters.csv"] and a["persons.csv"] != b["persons.csv"]


# --------------------------------------------------------------------------- the loader's format

def test_every_loadable_kind_has_a_file_with_the_models_header(small: Path) -> None:
    for k in loadable_kinds():
        with open(small / f"{k.file}.csv", encoding="utf-8", newline="") as f:
            assert next(csv.reader(f)) == header(k), k.file
        required = [fl.name for fl in (k.fields if isinstance(k, NodeKind) else k.all_fields) if fl.required]
        assert set(required) <= set(header(k))


# Fields the generator leaves empty on purpose, and why.
LEFT_EMPTY = {
    ("steps", "note"): "free text a handler writes; nothing in the rules reads it",
    ("vertical_lines", "valid_to"): "the generated vertical lines are all still in force",
}


def test_the_generator_fills_every_field_of_the_model(rows: Rows) -> None:
    """A field added to the model is written empty until the generator fills it
    (the columns come from the model, so only the values can show it): every
    field has a value in some row, but for the ones left empty on purpose."""
    empty = {(k.file, c) for k in loadable_kinds() for c in header(k)
             if not any(r[c] for r in rows[k.file])}
    assert empty == set(LEFT_EMPTY)


def test_an_optional_field_the_generator_does_not_know_is_written_empty(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(COLUMNS, "persons", ("id", "name", "birth_year"))
    sink = Sink(tmp_path)
    sink.write("persons", ("N1", "王伟", 1970))
    sink.close()
    assert (tmp_path / "persons.csv").read_text(encoding="utf-8") == "id,name,gender,birth_year\nN1,王伟,,1970\n"
    monkeypatch.setitem(COLUMNS, "persons", ("id", "gender"))  # the required name is missing
    with pytest.raises(RuntimeError):
        Sink(tmp_path)


def test_a_row_given_by_field_name_is_written_in_the_models_order_and_a_wrong_one_is_refused(
        tmp_path: Path) -> None:
    sink = Sink(tmp_path)
    sink.record("persons", birth_year=1970, id="N1", name="王伟")
    with pytest.raises(RuntimeError, match=r"persons\(\) got an unexpected keyword argument 'age'"):
        sink.record("persons", id="N2", name="李娜", age=50)
    with pytest.raises(RuntimeError, match=r"persons\(\) missing 1 required keyword-only argument: 'name'"):
        sink.record("persons", id="N3")
    sink.close()
    assert (tmp_path / "persons.csv").read_text(encoding="utf-8") == "id,name,gender,birth_year\nN1,王伟,,1970\n"


def test_every_kind_gets_rows(rows: Rows) -> None:
    assert all(rows[k.file] for k in loadable_kinds()), [k.file for k in loadable_kinds() if not rows[k.file]]


def test_ids_are_unique_within_each_file(rows: Rows) -> None:
    for file, rs in rows.items():
        ids = [r["id"] for r in rs]
        assert len(ids) == len(set(ids)), file


def test_values_have_the_declared_types(rows: Rows) -> None:
    for k in loadable_kinds():
        fields = k.fields if isinstance(k, NodeKind) else k.all_fields
        for r in rows[k.file]:
            for fl in fields:
                v = r[fl.name]
                if not v:
                    assert not fl.required, (k.file, r["id"], fl.name)
                    continue
                assert len(v) <= fl.max_length or fl.type in ("int", "bool", "date"), (k.file, fl.name)
                if fl.type == "enum":
                    assert v in ENUMS[fl.enum], (k.file, fl.name, v)  # type: ignore[index]
                elif fl.type == "enumlist":
                    assert all(x in ENUMS[fl.enum] for x in v.split(";")), (k.file, fl.name, v)  # type: ignore[index]
                elif fl.type == "date":
                    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) and _day(v), (k.file, fl.name, v)
                elif fl.type == "bool":
                    assert v in ("true", "false"), (k.file, fl.name, v)
                elif fl.type == "int":
                    int(v)


def test_every_reference_resolves_within_the_output(rows: Rows) -> None:
    keys = {k.name: {r["id"] for r in rows[k.file]} for k in loadable_kinds() if isinstance(k, NodeKind)}
    for k in loadable_kinds():
        fields = k.refs if isinstance(k, NodeKind) else (k.source, k.target)
        for r in rows[k.file]:
            for fl in fields:
                if r[fl.name]:
                    assert r[fl.name] in keys[fl.ref], (k.file, r["id"], fl.name, r[fl.name])  # type: ignore[index]
    # the post keys recorded on case-holdings, participations and involvements name posts too
    for file in ("case_holdings", "decision_participants", "failure_people"):
        assert {r["post"] for r in rows[file]} <= keys["Post"], file


# --------------------------------------------------------------------------- the rules the loader checks

def test_validity_intervals_do_not_end_before_they_start(rows: Rows) -> None:
    _assert_intervals(rows)


def _assert_intervals(rows: Rows) -> None:
    for file in ("tenures", "divisions", "vertical_lines", "case_holdings"):
        for r in rows[file]:
            assert not r["valid_to"] or r["valid_to"] >= r["valid_from"], (file, r["id"])


def test_every_holder_of_a_post_starts_before_leaving_it_whatever_the_seed() -> None:
    """Promotions move a holder up on a day chosen before the lower post's own history is drawn; that
    history must still start before the day (checked on many territories, without writing them)."""
    for seed in range(60):
        for place in itertools.islice(places(Plan.for_scale(0.0002), seed), 5):
            for seat in Unit(place, seed).seats:
                spans = [seat.interval(k) for k in range(len(seat.persons))]
                assert all(start <= end for start, end in spans), (seed, seat.posts)
                assert all(a[1] + 1 == b[0] for a, b in itertools.pairwise(spans)), (seed, seat.posts)


def test_no_two_people_hold_a_non_staff_post_at_the_same_time(rows: Rows) -> None:
    assert _assert_single_holders(rows) > 0, "some staff posts are shared for a while (allowed for STAFF only)"


def _assert_single_holders(rows: Rows) -> int:
    """Asserts that no non-staff post has overlapping tenures; returns the overlaps on staff posts."""
    role = {r["id"]: r["role"] for r in rows["posts"]}
    by_post: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in rows["tenures"]:
        by_post[r["post"]].append((r["valid_from"], r["valid_to"] or "9999-12-31"))
    assert len(by_post) == len(role), "every post is held"
    concurrent_staff = 0
    for post, spans in by_post.items():
        spans.sort()
        overlaps = sum(1 for (_, end), (start, _) in itertools.pairwise(spans) if start <= end)
        if role[post] == "STAFF":
            concurrent_staff += overlaps
        else:
            assert overlaps == 0, post
    return concurrent_staff


def test_a_person_holds_posts_together_only_as_one_seat(rows: Rows) -> None:
    """A person's overlapping tenures are concurrent posts (兼任: deputy party secretary and head of
    government ...) held over the very same interval; otherwise a person moves from post to post."""
    spans: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in rows["tenures"]:
        spans[r["person"]].append((r["valid_from"], r["valid_to"] or "9999-12-31"))
    movers = 0
    for person, ss in spans.items():
        ss.sort()
        for a, b in itertools.pairwise(ss):
            assert a == b or a[1] < b[0], person
        movers += len(set(ss)) > 1
    assert movers > 0, "some people are promoted or moved"


def test_every_team_has_exactly_one_principal(rows: Rows) -> None:
    principals = Counter(r["team"] for r in rows["posts"] if r["role"] == "PRINCIPAL")
    assert set(principals) == {r["id"] for r in rows["teams"]}
    assert set(principals.values()) == {1}
    assert all(not r["team"] for r in rows["posts"] if r["role"] == "STAFF")


def test_territory_codes_are_well_formed_and_nest_without_cycles(rows: Rows) -> None:
    shape = {"NATION": r"000000", "PROVINCE": r"\d{2}0000", "PREFECTURE": r"\d{4}00", "COUNTY": r"\d{6}",
             "TOWNSHIP": r"\d{9}000"}
    parent_level = {"PROVINCE": "NATION", "PREFECTURE": "PROVINCE", "COUNTY": "PREFECTURE", "TOWNSHIP": "COUNTY"}
    level = {r["id"]: r["level"] for r in rows["territories"]}
    for r in rows["territories"]:
        assert re.fullmatch(shape[r["level"]], r["id"]), r["id"]
        if r["level"] == "NATION":
            assert not r["parent"]
            continue
        assert level[r["parent"]] == parent_level[r["level"]]
        prefix = {"PROVINCE": 0, "PREFECTURE": 2, "COUNTY": 4, "TOWNSHIP": 6}[r["level"]]
        assert r["id"][:prefix] == r["parent"][:prefix]
    parent = {r["id"]: r["parent"] for r in rows["institutions"]}
    for start in parent:
        seen, at = set(), start
        while at:
            assert at not in seen, f"cycle through {start}"
            seen.add(at)
            at = parent[at]


# --------------------------------------------------------------------------- the domain

def test_each_territory_has_its_organs_and_a_tax_line_up_to_the_nation(rows: Rows) -> None:
    kinds: dict[str, set[str]] = defaultdict(set)
    for r in rows["institutions"]:
        kinds[r["territory"]].add(r["kind"])
    core = {"PARTY_COMMITTEE", "GOVERNMENT", "PEOPLES_CONGRESS", "CPPCC", "COURT", "PROCURATORATE",
            "PETITION_DEPARTMENT", "WORKING_DEPARTMENT"}
    for t in rows["territories"]:
        if t["level"] == "TOWNSHIP":
            assert {"PARTY_COMMITTEE", "GOVERNMENT"} <= kinds[t["id"]] and not {"COURT", "CPPCC"} & kinds[t["id"]]
        else:
            assert core <= kinds[t["id"]], t["id"]
    upper = {r["lower"]: r["upper"] for r in rows["vertical_lines"]}
    system = {r["id"]: r["system"] for r in rows["institutions"]}
    assert all(r["system"] == "TAX" for r in rows["vertical_lines"])
    for lower in upper:
        chain = [lower]
        while chain[-1] in upper:
            chain.append(upper[chain[-1]])
        assert chain[-1] == "I000000-08" and all(system[i] == "TAX" for i in chain)


def test_every_subject_has_a_competent_department_at_every_level_above_the_township() -> None:
    subjects = set(ENUMS["Subject"].values)
    assert set(covering("COUNTY")) == subjects
    assert {s.no for s in LAYOUT} == set(range(1, len(LAYOUT) + 1))
    assert {s.no for s in TOWNSHIP_LAYOUT} == set(range(1, len(TOWNSHIP_LAYOUT) + 1))


def _held(rows: Rows) -> dict[tuple[str, str], list[tuple[str, str]]]:
    held: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for r in rows["tenures"]:
        held[(r["person"], r["post"])].append((r["valid_from"], r["valid_to"] or "9999-12-31"))
    return held


def _holds(held: dict[tuple[str, str], list[tuple[str, str]]], person: str, post: str, day: str) -> bool:
    return any(start <= day <= end for start, end in held[(person, post)])


def test_people_named_in_decisions_failures_and_measures_held_their_post_at_the_time(rows: Rows) -> None:
    held = _held(rows)
    decided = {r["id"]: r["on"] for r in rows["decisions"]}
    for r in rows["decision_participants"]:
        assert _holds(held, r["person"], r["post"], decided[r["decision"]]), r["id"]
    acted = {r["id"]: r["act_date"] for r in rows["failures"]}
    stance = {(r["decision"], r["person"]): r["stance"] for r in rows["decision_participants"]}
    decision = {r["id"]: r["decision"] for r in rows["failures"]}
    for r in rows["failure_people"]:
        assert _holds(held, r["person"], r["post"], acted[r["failure"]]), r["id"]
        if r["role"] == "PARTICIPANT":  # present at the decision, with the stance taken there
            assert r["stance"] == stance[(decision[r["failure"]], r["person"])] != "ABSENT", r["id"]
    for r in rows["measures"]:
        if r["person"]:
            assert _holds(held, r["person"], r["post"], acted[r["failure"]]), r["id"]
        else:
            assert r["institution"] and not r["post"], r["id"]
    for r in rows["case_holdings"]:
        assert _holds(held, r["person"], r["post"], r["valid_from"]), r["id"]


def test_steps_are_taken_by_staff_of_the_acting_institution_between_receipt_and_the_snapshot(rows: Rows) -> None:
    held = _held(rows)
    staff_posts: dict[str, list[str]] = defaultdict(list)
    institution = {r["id"]: r["institution"] for r in rows["posts"] if r["role"] == "STAFF"}
    for person, post in held:
        if post in institution:
            staff_posts[person].append(post)
    received = {r["id"]: r["received_on"] for r in rows["matters"]}
    for r in rows["steps"]:
        assert received[r["matter"]] <= r["on"] <= "2024-12-31", r["id"]
        assert any(institution[p] == r["institution"] and _holds(held, r["staff"], p, r["on"])
                   for p in staff_posts[r["staff"]]), r["id"]
    assert {r["kind"] for r in rows["steps"]} == set(ENUMS["StepKind"].values)


def test_chongqing_only_failure_items_appear_only_under_the_chongqing_rules(rows: Rows) -> None:
    national = {"DECISION_ERROR", "HANDLING_BREACH", "MASS_DISCIPLINE", "COLLECTIVE_INCIDENT",
                "PROPOSALS_NEGLECTED", "OTHER"}
    territory = {r["id"]: r["territory"] for r in rows["matters"]}
    for r in rows["failures"]:
        if r["item"] not in national:
            assert territory[r["matter"]].startswith("50") and r["act_date"] >= "2017-05-23", r["id"]
    assert any(r["item"] not in national for r in rows["failures"])


def test_the_proportions_are_plausible(rows: Rows) -> None:
    matters = len(rows["matters"])
    failures = len(rows["failures"])
    assert 3 <= len(rows["steps"]) / matters <= 5
    assert 0.005 <= failures / matters <= 0.01
    assert 1.0 <= len(rows["measures"]) / failures <= 1.6
    assert 0.005 <= len(rows["case_holdings"]) / matters <= 0.02
    assert 0.03 <= sum(r["form"] == "COLLECTIVE" for r in rows["matters"]) / matters <= 0.1
    years = Counter(r["received_on"][:4] for r in rows["matters"])
    assert set(years) == {str(y) for y in range(2016, 2025)}
    petitioners = Counter(r["petitioner"] for r in rows["matters"])
    assert petitioners.most_common(1)[0][1] >= 5, "some petitioners come back"
    assert len(rows["persons"]) >= len(rows["posts"]) * 0.9


def test_both_exemptions_of_art_11_occur(rows: Rows) -> None:
    """Some people named in collective failures opposed and were overruled; some Chongqing staff in charge
    were diligent: the engine's exemptions have cases to work on."""
    named = Counter((r["role"], r["stance"], r["due_diligence"]) for r in rows["failure_people"])
    assert named[("PARTICIPANT", "OPPOSED_OVERRULED", "")] > 0
    assert named[("STAFF_IN_CHARGE", "", "true")] > 0


# --------------------------------------------------------------------------- chapters 2-3

def test_the_records_of_chapters_2_3_leave_gaps_of_each_kind(rows: Rows) -> None:
    """Most units keep ledgers, supervise, assess and receive every year, and most decisions, inspections and
    measures are followed up; some are not, so the compliance answer has unmet and unknown duties to show."""
    ledgers = Counter(r["institution"] for r in rows["ledgers"])
    assert 0 < min(ledgers.values()) < 9 == max(ledgers.values()), "some units keep no ledger some years"
    assert len(ledgers) < len(rows["institutions"]) or min(ledgers.values()) < 9
    complete = [set(r["duties"].split(";")) for r in rows["ledgers"]]
    assert any("SPECIAL_SUPERVISION" not in d for d in complete) and any("SPECIAL_SUPERVISION" in d for d in complete)
    regions = Counter(r["territory"] for r in rows["supervisions"] if r["kind"] == "SPECIAL" and r["scope"] == "REGION")
    assert set(regions) < {r["id"] for r in rows["territories"]} or min(regions.values()) < 9
    assert max(regions.values()) == 9, "most regions are supervised every year"
    assert {r["circulated"] for r in rows["supervisions"] if r["kind"] == "SPECIAL"} == {"true", "false", ""}
    assert {r["scope"] for r in rows["supervisions"]} == {"REGION", "DEPARTMENT", "SYSTEM"}
    assert {r["kind"] for r in rows["supervisions"]} == {"SPECIAL", "MATTER"}
    assert {r["used_in_appraisal"] for r in rows["assessments"]} == {"true", "false", ""}
    national = [r for r in rows["assessments"] if r["assessor"] == "I000000-07" and r["territory"] not in ("", "000000")]
    assert national and all(r["scope"] == "REGION" for r in national)
    for r in national:  # commendation for marked results, guidance where problems are many
        assert r["follow_up"] in {"", "NONE", {"EXCELLENT": "COMMENDATION", "FAIL": "GUIDANCE"}.get(r["result"])}
    heard = {r["inspection"]: r["on"] for r in rows["consultations"]}
    inspections = rows["cadre_inspections"]
    assert any(r["id"] not in heard for r in inspections)
    assert any(r["id"] in heard and heard[r["id"]] <= r["concluded_on"] for r in inspections)
    received = {(r["post"], r["on"][:4]) for r in rows["leader_activities"] if r["kind"] in ("RECEPTION", "VISIT_DOWN")}
    read = {(r["post"], r["on"][:4]) for r in rows["leader_activities"] if r["kind"] == "READ_AND_INSTRUCT"}
    assert read - received and received, "some leaders read letters but received no one in a year"
    assert {r["kind"] for r in rows["leader_activities"]} == set(ENUMS["LeaderActivityKind"].values)
    assessed = defaultdict(list)
    for r in rows["risk_assessments"]:
        assessed[r["decision"]].append(r["on"])
    major = [r for r in rows["decisions"] if r["major"] == "true"]
    assert {r["major"] for r in rows["decisions"]} == {"true", "false", ""}
    assert any(r["id"] not in assessed for r in major)
    assert any(min(assessed[r["id"]]) <= r["on"] for r in major if r["id"] in assessed)
    assert set(assessed) <= {r["id"] for r in major}
    circulated = {r["measure"] for r in rows["circulations"]}
    assert 0 < len(circulated) < len(rows["measures"])
    collective = {r["id"] for r in rows["matters"] if r["form"] == "COLLECTIVE"}
    reports = defaultdict(set)
    for r in rows["staff_reports"]:
        reports[r["kind"]].add(r["matter"])
    assert reports["INCIDENT_REPORT"] < collective, "most collective matters are reported, not all"
    assert reports["LEADER_REPORT"] < collective, "some collective matters are reported to a leader, not all"
    instructed = {r["matter"]: r["on"] for r in rows["leader_activities"]
                  if r["kind"] == "READ_AND_INSTRUCT" and r["matter"]}
    assert reports["HANDLING_REPORT"] < set(instructed), "most instructed matters are reported back, not all"
    handled = {r["matter"]: r["on"] for r in rows["steps"] if r["kind"] == "HANDLE"}
    assert all(instructed[m] <= handled[m] for m in instructed), "a leader instructs a matter before its handling"
    assert all(r["on"] > handled[r["matter"]] for r in rows["staff_reports"] if r["kind"] == "HANDLING_REPORT")


def test_classification_lists_are_kept_by_most_chongqing_working_departments_from_some_date(rows: Rows) -> None:
    kind = {r["id"]: (r["kind"], r["territory"]) for r in rows["institutions"]}
    listed = {r["institution"] for r in rows["classification_lists"]}
    assert all(kind[i][0] == "WORKING_DEPARTMENT" and kind[i][1].startswith("50") for i in listed)
    chongqing = {i for i, (k, t) in kind.items() if k == "WORKING_DEPARTMENT" and t.startswith("50")}
    assert 0.5 * len(chongqing) < len(listed) < len(chongqing)
    assert all("2017-05-23" < r["valid_from"] <= "2024-12-31" for r in rows["classification_lists"])
    assert any(r["valid_to"] for r in rows["classification_lists"]), "some lists are revised"


def test_records_of_chapters_2_3_name_people_in_their_posts_at_the_time(rows: Rows) -> None:
    held = _held(rows)
    for r in rows["leader_activities"]:
        assert _holds(held, r["person"], r["post"], r["on"]), r["id"]
        assert r["on"] <= "2024-12-31"
    posts: dict[str, list[str]] = defaultdict(list)
    for person, post in held:
        posts[person].append(post)
    for r in rows["cadre_inspections"]:
        assert any(_holds(held, r["person"], p, r["started_on"]) for p in posts[r["person"]]), r["id"]
    # incident reports and reports to leaders by the receiving staff, reports of handling by the handling staff
    actor = {(r["matter"], r["institution"], r["kind"]): r["staff"] for r in rows["steps"]
             if r["kind"] in ("RECEIVE", "HANDLE")}
    for r in rows["staff_reports"]:
        step = "HANDLE" if r["kind"] == "HANDLING_REPORT" else "RECEIVE"
        assert actor[(r["matter"], r["institution"], step)] == r["person"], r["id"]
        if r["to_person"] and r["kind"] != "INCIDENT_REPORT":  # the leader reported to holds a leader's post
            assert any(_holds(held, r["to_person"], p, r["on"]) for p in posts[r["to_person"]]), r["id"]
    organ = {r["id"]: r["decided_by"] for r in rows["measures"]}
    org_kind = {r["id"]: (r["kind"], r["territory"]) for r in rows["institutions"]}
    for r in rows["circulations"]:  # to the organisation work of the deciding organ's own level
        assert org_kind[r["to"]][1] == org_kind[organ[r["measure"]]][1], r["id"]


# --------------------------------------------------------------------------- scale

def test_the_plan_at_scale_one_is_national() -> None:
    plan = Plan.for_scale(1)
    assert plan.territories == {"NATION": 1, "PROVINCE": 34, "PREFECTURE": 333, "COUNTY": 2843, "TOWNSHIP": 38602}
    assert sum(plan.matters.values()) == 10_000_000
    institutions = len(LAYOUT) * (1 + 34 + 333 + 2843) + len(TOWNSHIP_LAYOUT) * 38602
    assert 400_000 <= institutions <= 480_000


def test_a_tiny_scale_still_has_one_territory_of_each_level() -> None:
    assert Plan.for_scale(0.00001).territories == {lv: 1 for lv in ("NATION", "PROVINCE", "PREFECTURE", "COUNTY",
                                                                      "TOWNSHIP")}


def test_a_scale_beyond_the_room_in_the_codes_is_refused() -> None:
    with pytest.raises(ValueError):
        Plan.for_scale(5)
    with pytest.raises(ValueError):
        Plan.for_scale(0)


def test_counts_scale_linearly_between_two_small_scales(rows: Rows, tmp_path: Path) -> None:
    counts = generate(tmp_path, SMALL / 2, seed=7)
    assert counts["matters"] * 2 == pytest.approx(len(rows["matters"]), abs=2)
    for file in ("steps", "decisions", "failures"):
        assert 1.6 <= len(rows[file]) / counts[file] <= 2.4, file
    for file in ("institutions", "posts", "persons"):  # the one province and prefecture do not halve
        assert 1.3 <= len(rows[file]) / counts[file] <= 2.2, file


_MEASURE = """
import resource, subprocess, sys
subprocess.run([sys.executable, "-c",
    "import sys; from pathlib import Path; from zeren.loaders.generate import generate; "
    "generate(Path(sys.argv[1]), float(sys.argv[2]))", sys.argv[1], sys.argv[2]], check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def _peak_kib(out: Path, scale: float) -> int:
    """Peak resident memory of one generator run, measured by a parent of its own."""
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(out), str(scale)], check=True,
                          capture_output=True, text=True)
    return int(done.stdout.split()[-1])


def test_peak_memory_does_not_grow_with_the_scale(tmp_path: Path) -> None:
    small = _peak_kib(tmp_path / "a", 0.001)
    large = _peak_kib(tmp_path / "b", 0.005)  # five times the rows
    assert large < 1.5 * small + 4096, (small, large)


# --------------------------------------------------------------------------- the command

def test_the_command_writes_the_files_and_prints_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_generate(tmp_path, scale=0.0005, seed=3) == 0
    printed = capsys.readouterr().out
    assert "matters.csv" in printed and "total" in printed
    assert {p.stem for p in tmp_path.glob("*.csv")} == {k.file for k in loadable_kinds()}


def test_the_command_refuses_an_impossible_scale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_generate(tmp_path, scale=50, seed=3) == 2
    assert "error" in capsys.readouterr().err


# --------------------------------------------------------------------------- the loader accepts it

@dataclass
class Loaded:
    counts: dict[str, int]
    loaded: dict[str, int]
    store: GraphStore


@pytest.fixture(scope="module")
def country(tmp_path_factory: pytest.TempPathFactory, data_dir: Path,
            _embedded_server: GraphStore) -> Iterator[Loaded]:
    """A tiny generated country loaded into a graph of its own."""
    from zeren.graph.store import open_store
    from zeren.loaders.load import load_path

    folder = tmp_path_factory.mktemp("gen-load")
    settings = Settings(graph="embedded", data_dir=data_dir, graph_name="generated_country")
    store = open_store(settings)
    store.clear()
    counts = generate(folder, 0.0005, seed=11)
    summary = load_path(folder, store, settings=settings)
    yield Loaded(counts, {kind(k.kind).file: k.rows for k in summary.kinds}, store)
    store.clear()
    store.close()


def test_the_loader_loads_a_generated_country_without_validation_errors(country: Loaded) -> None:
    assert country.loaded == country.counts
    people = country.store.read("MATCH (:Person)-[h:HOLDS]->(:Post) RETURN count(h) AS n")
    assert people[0]["n"] == country.counts["tenures"]


def test_compliance_on_a_generated_country_finds_duties_met_unmet_and_unknown(country: Loaded) -> None:
    """The gaps are of both kinds: records missing where a ledger is held complete (unmet) and where none is
    (unknown), for the duties owed every year; and the national bureau's assessment of the provinces is judged."""
    from zeren.rules.compliance import MET, UNKNOWN, UNMET
    from zeren.rules.engine import Engine

    statuses: dict[str, set[str]] = defaultdict(set)
    engine = Engine(country.store, today=date(2025, 6, 30))
    for year in (2018, 2019, 2023):
        report = engine.compliance("000000", year)
        for unit in report.units:
            for d in unit.duties:
                statuses[d.duty].add(d.status)
                if d.status == UNMET and d.duty not in ("SUPERVISION_CIRCULATED", "ASSESSMENT_USED"):
                    assert "ledger" in d.note, (unit.id, d.duty, d.note)
        assert all(report.counts().values()), report.counts()
    for duty in ("SPECIAL_SUPERVISION", "SUPERVISION_CIRCULATED", "ASSESSMENT", "ASSESSMENT_USED", "LEADER_READING",
                 "LEADER_RECEPTION", "STAFF_INCIDENT_REPORT", "CLASSIFICATION_LIST"):
        assert statuses[duty] == {MET, UNMET, UNKNOWN}, (duty, statuses[duty])
    for duty in ("CADRE_CONSULTATION", "ACCOUNTABILITY_CIRCULATED", "RISK_ASSESSMENT",  # few items a year
                 "STAFF_HANDLING_REPORT"):
        assert {MET, UNKNOWN} <= statuses[duty], (duty, statuses[duty])
    for duty in ("MATTER_SUPERVISION", "LEADER_COORDINATION", "CASE_HOLDING",  # left to people: never unmet
                 "STAFF_LEADER_REPORT"):
        assert statuses[duty] == {MET, UNKNOWN}, (duty, statuses[duty])
    assert statuses["PROVINCIAL_ASSESSMENT"], "the nation answers for its assessment of the provinces"


def test_a_suspected_crime_names_the_person_suspected_and_only_that_person_is_referred(rows: Rows) -> None:
    """Art. 12 ¶2 is about the person suspected: the failure's flag follows the person's, and the
    referral under the law is of that person."""
    suspected = {(r["failure"], r["person"]) for r in rows["failure_people"] if r["suspected_crime"] == "true"}
    assert suspected, "some failures are suspected crimes"
    assert {f for f, _ in suspected} == {r["id"] for r in rows["failures"] if r["suspected_crime"] == "true"}
    referred = {(r["failure"], r["person"]) for r in rows["measures"] if r["kind"] == "LEGAL_REFERRAL"}
    assert referred and referred <= suspected
