"""The bundled sample dataset (data/sample/*.csv): its shape against the
declared model, the validation rules the loader enforces, and the content the
sample promises (see data/sample/README.md). Read with the csv module only; no
loader or graph is needed."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import date, timedelta
from importlib import resources

import pytest

from zeren.graph.model import ENUMS, ID, NODES, RelKind, loadable_kinds

SAMPLE = resources.files("zeren.data") / "sample"

NATIONAL_IN_FORCE = date(2016, 10, 8)
CHONGQING_IN_FORCE = date(2017, 5, 23)
FOREVER = date.max


def _read(stem: str) -> list[dict[str, str]]:
    with (SAMPLE / f"{stem}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _header(stem: str) -> list[str]:
    with (SAMPLE / f"{stem}.csv").open(encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh))


def _d(s: str) -> date | None:
    return date.fromisoformat(s) if s else None


def _until(s: str) -> date:
    return date.fromisoformat(s) if s else FOREVER


@pytest.fixture(scope="module")
def data() -> dict[str, list[dict[str, str]]]:
    return {k.file: _read(k.file) for k in loadable_kinds()}


@pytest.fixture(scope="module")
def by_id(data) -> dict[str, dict[str, dict[str, str]]]:
    return {stem: {r["id"]: r for r in rows} for stem, rows in data.items()}


def _chain(by_id, territory: str) -> list[str]:
    out = [territory]
    while by_id["territories"][out[-1]]["parent"]:
        out.append(by_id["territories"][out[-1]]["parent"])
    return out


def _in_chongqing(by_id, territory: str) -> bool:
    return "500000" in _chain(by_id, territory)


def _holds(data, person: str, post: str, on: date) -> bool:
    return any(t["person"] == person and t["post"] == post and _d(t["valid_from"]) <= on <= _until(t["valid_to"])
               for t in data["tenures"])


# --------------------------------------------------------------------------- shape and validation rules

def test_one_file_per_loadable_kind_with_the_declared_header() -> None:
    for k in loadable_kinds():
        fields = (ID, *k.all_fields) if isinstance(k, RelKind) else k.fields
        assert _header(k.file) == [f.name for f in fields], k.file


def test_ids_unique_and_required_fields_present(data) -> None:
    for k in loadable_kinds():
        rows = data[k.file]
        assert rows, k.file
        ids = Counter(r["id"] for r in rows)
        assert not [i for i, n in ids.items() if n > 1], k.file
        fields = (ID, *k.all_fields) if isinstance(k, RelKind) else k.fields
        for r in rows:
            for f in fields:
                if f.required:
                    assert r[f.name].strip(), f"{k.file} {r['id']}: {f.name} missing"


def test_values_have_their_declared_types(data) -> None:
    for k in loadable_kinds():
        fields = (ID, *k.all_fields) if isinstance(k, RelKind) else k.fields
        for r in data[k.file]:
            for f in fields:
                v = r[f.name]
                if not v:
                    continue
                where = f"{k.file} {r['id']} {f.name}={v!r}"
                assert len(v) <= f.max_length, where
                if f.type == "date":
                    date.fromisoformat(v)
                    assert len(v) == 10, where
                elif f.type == "bool":
                    assert v in ("true", "false"), where
                elif f.type == "int":
                    assert v.isdigit(), where
                elif f.type == "enum":
                    assert v in ENUMS[f.enum], where
                elif f.type == "enumlist":
                    assert all(x in ENUMS[f.enum] for x in v.split(";")), where


def test_every_ref_resolves(data, by_id) -> None:
    for k in loadable_kinds():
        fields = (ID, *k.all_fields) if isinstance(k, RelKind) else k.fields
        for f in fields:
            if f.type != "ref":
                continue
            target = NODES[f.ref].file
            for r in data[k.file]:
                if r[f.name]:
                    assert r[f.name] in by_id[target], f"{k.file} {r['id']}: {f.name}={r[f.name]}"
    # post keys kept as plain strings on relationships name posts too
    for stem in ("case_holdings", "decision_participants", "failure_people"):
        for r in data[stem]:
            assert r["post"] in by_id["posts"], f"{stem} {r['id']}: post {r['post']}"


def test_validity_intervals_are_ordered(data) -> None:
    for stem in ("tenures", "divisions", "vertical_lines", "case_holdings"):
        for r in data[stem]:
            if r["valid_to"]:
                assert r["valid_to"] >= r["valid_from"], f"{stem} {r['id']}"


@pytest.mark.parametrize("stem", ["territories", "institutions"])
def test_no_cycles_in_parents(by_id, stem) -> None:
    rows = by_id[stem]
    for start in rows:
        seen, cur = set(), start
        while cur:
            assert cur not in seen, f"{stem}: cycle through {cur}"
            seen.add(cur)
            cur = rows[cur]["parent"]


def test_territory_codes_and_levels(data, by_id) -> None:
    t = by_id["territories"]
    assert t["000000"]["level"] == "NATION" and t["000000"]["name"] == "中华人民共和国"
    assert t["500000"]["level"] == "PROVINCE" and t["500000"]["parent"] == "000000"
    for r in data["territories"]:
        assert r["id"].isdigit() and len(r["id"]) == (12 if r["level"] == "TOWNSHIP" else 6), r["id"]
        if r["level"] == "TOWNSHIP":
            assert r["id"].startswith(r["parent"]), r["id"]
    # Chongqing has no prefecture level: its districts and counties hang off the municipality
    assert all(r["parent"] == "500000" for r in data["territories"] if r["id"].startswith("50") and r["level"] == "COUNTY")
    assert t["510107"]["parent"] == "510100" and t["510100"]["level"] == "PREFECTURE"
    # an institution's level is its territory's level
    for i in data["institutions"]:
        assert i["level"] == t[i["territory"]]["level"], i["id"]


def test_at_most_one_principal_per_team_and_team_posts_ranked(data, by_id) -> None:
    principals = Counter(p["team"] for p in data["posts"] if p["role"] == "PRINCIPAL")
    assert all(n == 1 for n in principals.values())
    for p in data["posts"]:
        if p["team"]:
            assert p["role"] != "STAFF" and p["rank"], p["id"]
            assert by_id["teams"][p["team"]]["institution"] == p["institution"], p["id"]
        else:
            assert p["role"] == "STAFF", p["id"]


def test_no_overlapping_tenures_on_non_staff_posts(data, by_id) -> None:
    per_post = defaultdict(list)
    for t in data["tenures"]:
        if by_id["posts"][t["post"]]["role"] != "STAFF":
            per_post[t["post"]].append((_d(t["valid_from"]), _until(t["valid_to"])))
    for post, spans in per_post.items():
        spans.sort()
        for (_, end), (start, _) in zip(spans, spans[1:]):
            assert start > end, f"overlapping tenures on {post}"


# --------------------------------------------------------------------------- content: organisation

def test_chongqing_slice_has_districts_and_townships(data, by_id) -> None:
    counties = [r for r in data["territories"] if r["level"] == "COUNTY" and _in_chongqing(by_id, r["id"])]
    assert len(counties) >= 3
    townships = [r for r in data["territories"] if r["level"] == "TOWNSHIP" and _in_chongqing(by_id, r["id"])]
    assert len(townships) >= 3
    assert {"500103", "500106", "500101", "500229"} <= {r["id"] for r in counties}


def test_every_institution_kind_is_present(data, by_id) -> None:
    kinds_at = defaultdict(set)
    for i in data["institutions"]:
        kinds_at[i["kind"]].add(i["level"])
    for k in ("PARTY_COMMITTEE", "GOVERNMENT", "PEOPLES_CONGRESS", "CPPCC", "COURT", "PROCURATORATE",
              "PETITION_DEPARTMENT", "WORKING_DEPARTMENT"):
        assert {"PROVINCE", "COUNTY"} <= kinds_at[k], k
    for k in ENUMS["InstitutionKind"].values:
        assert k in kinds_at, k
    petition_cq = {i["territory"] for i in data["institutions"]
                   if i["kind"] == "PETITION_DEPARTMENT" and _in_chongqing(by_id, i["territory"])}
    assert "500000" in petition_cq and len(petition_cq) >= 4


def test_working_departments_and_remits(data, by_id) -> None:
    wd = [i for i in data["institutions"] if i["kind"] == "WORKING_DEPARTMENT" and i["remit"]]
    assert len(wd) >= 10
    assert len([i for i in wd if i["level"] == "COUNTY"]) >= 10
    assert len([i for i in wd if i["level"] == "PROVINCE"]) >= 5
    covered = defaultdict(set)  # territory -> subjects
    for i in wd:
        covered[i["territory"]].update(i["remit"].split(";"))
    everywhere = set().union(*covered.values())
    # a subject no working department anywhere covers
    assert set(ENUMS["Subject"].values) - everywhere - {"LITIGATION"}
    assert "DISCIPLINE" not in everywhere
    # a subject a district lacks while the municipality has it (nearest level up)
    assert "AGRICULTURE" not in covered["500103"] and "AGRICULTURE" in covered["500000"]
    assert "ENVIRONMENT" not in covered["500106"] and "ENVIRONMENT" in covered["500000"]


def test_tax_vertical_line_over_three_levels(data, by_id) -> None:
    lines = [v for v in data["vertical_lines"] if v["system"] == "TAX"]
    up = {v["lower"]: v["upper"] for v in lines}
    inst = by_id["institutions"]
    for v in lines:
        assert inst[v["lower"]]["system"] == inst[v["upper"]]["system"] == "TAX"
    chains = []
    for lower in up:
        chain = [lower]
        while chain[-1] in up:
            chain.append(up[chain[-1]])
        chains.append([inst[i]["level"] for i in chain])
    assert ["COUNTY", "PROVINCE", "NATION"] in chains


def test_state_owned_enterprise_and_teams(data, by_id) -> None:
    soe = [i for i in data["institutions"] if i["kind"] == "STATE_OWNED_ENTERPRISE"]
    assert soe
    team_insts = {t["institution"] for t in data["teams"]}
    assert any(i["id"] in team_insts for i in soe)
    kinds_with_team = {by_id["institutions"][i]["kind"] for i in team_insts}
    assert {"PARTY_COMMITTEE", "GOVERNMENT", "WORKING_DEPARTMENT", "PETITION_DEPARTMENT"} <= kinds_with_team
    roles = Counter(p["role"] for p in data["posts"])
    assert all(roles[r] for r in ENUMS["PostRole"].values)


def test_principal_replaced_mid_year(data, by_id) -> None:
    """A principal post with two successive tenures, the handover inside a year."""
    per_post = defaultdict(list)
    for t in data["tenures"]:
        if by_id["posts"][t["post"]]["role"] == "PRINCIPAL":
            per_post[t["post"]].append(t)
    found = []
    for post, ts in per_post.items():
        ts.sort(key=lambda t: t["valid_from"])
        for a, b in zip(ts, ts[1:]):
            if a["valid_to"] and _d(b["valid_from"]) == _d(a["valid_to"]) + timedelta(days=1) \
                    and 2 <= _d(b["valid_from"]).month <= 11:
                found.append((post, b["valid_from"]))
    assert ("P-500103-GOV-01", "2019-07-15") in found


def test_a_person_holds_two_posts_at_once(data) -> None:
    per_person = defaultdict(list)
    for t in data["tenures"]:
        per_person[t["person"]].append((_d(t["valid_from"]), _until(t["valid_to"]), t["post"]))
    concurrent = {p for p, spans in per_person.items()
                  for i, a in enumerate(spans) for b in spans[i + 1:]
                  if a[2] != b[2] and a[0] <= b[1] and b[0] <= a[1]}
    assert concurrent
    # the deputy district head who also heads the district public security bureau
    assert any(t["post"] == "P-500103-PSB-01" and t["person"] in concurrent for t in data["tenures"])


def test_a_division_of_duties_changes_mid_period(data) -> None:
    per_post = defaultdict(list)
    for d in data["divisions"]:
        assert d["subjects"] or d["institution"], d["id"]
        per_post[d["post"]].append(d)
    changed = [post for post, ds in per_post.items()
               for a in ds for b in ds
               if a["valid_to"] and _d(b["valid_from"]) == _d(a["valid_to"]) + timedelta(days=1)
               and set(a["subjects"].split(";")) != set(b["subjects"].split(";"))]
    assert "P-500103-GOV-04" in changed and "P-500103-GOV-02" in changed


# --------------------------------------------------------------------------- content: matters and handling

def test_chongqing_matters(data, by_id) -> None:
    cq = [m for m in data["matters"] if _in_chongqing(by_id, m["territory"])]
    assert len(cq) >= 40
    assert {m["channel"] for m in cq} == set(ENUMS["Channel"].values)
    assert {m["form"] for m in cq} == {"INDIVIDUAL", "COLLECTIVE"}
    assert all(int(m["headcount"]) >= 5 for m in cq if m["form"] == "COLLECTIVE")
    assert len({m["subject"] for m in cq}) >= 12
    received = [_d(m["received_on"]) for m in cq]
    assert min(received).year == 2015 and max(received).year == 2024
    assert len([d for d in received if d < NATIONAL_IN_FORCE]) >= 2
    assert len([d for d in received if NATIONAL_IN_FORCE <= d < CHONGQING_IN_FORCE]) >= 3
    lit = [m for m in cq if m["litigation_related"] == "true"]
    assert len(lit) >= 2 and all(m["subject"] == "LITIGATION" for m in lit)
    assert any(m["accused_institution"] for m in cq) and any(m["accused_person"] for m in cq)
    assert any(m["accusation"] for m in cq)
    assert all(m["summary"] and m["petitioner"] for m in data["matters"])
    for m in data["matters"]:
        if m["closed_on"]:
            assert m["closed_on"] >= m["received_on"], m["id"]


def test_repeat_petitioners(data) -> None:
    names = Counter(m["petitioner"] for m in data["matters"] if m["form"] == "INDIVIDUAL")
    assert len([n for n in names.values() if n >= 2]) >= 2


def test_handling_steps(data, by_id) -> None:
    steps = defaultdict(list)
    for s in data["steps"]:
        steps[s["matter"]].append(s)
    assert len(steps) >= 0.9 * len(data["matters"])
    kinds = Counter(s["kind"] for s in data["steps"])
    assert all(kinds[k] for k in ENUMS["StepKind"].values)
    for mid, ss in steps.items():
        ss.sort(key=lambda s: s["id"])
        assert ss[0]["kind"] == "RECEIVE" and ss[0]["on"] == by_id["matters"][mid]["received_on"], mid
        assert [s["on"] for s in ss] == sorted(s["on"] for s in ss), mid
        closed = by_id["matters"][mid]["closed_on"]
        if closed:
            assert ss[-1]["kind"] == "CLOSE" and ss[-1]["on"] == closed, mid
        for s in ss:
            if s["kind"] in ("ASSIGN", "TRANSFER"):
                assert s["to_institution"] and s["due"] >= s["on"], s["id"]
            if s["kind"] == "RECEIVE":
                assert by_id["institutions"][s["institution"]]["kind"] == "PETITION_DEPARTMENT", s["id"]


def test_step_staff_work_at_the_acting_unit_on_the_date(data, by_id) -> None:
    for s in data["steps"]:
        if not s["staff"]:
            continue
        on = _d(s["on"])
        assert any(t["person"] == s["staff"] and by_id["posts"][t["post"]]["institution"] == s["institution"]
                   and _d(t["valid_from"]) <= on <= _until(t["valid_to"]) for t in data["tenures"]), s["id"]


def test_litigation_matters_go_to_court(data, by_id) -> None:
    for m in data["matters"]:
        if m["litigation_related"] == "true":
            to = [s["to_institution"] for s in data["steps"] if s["matter"] == m["id"] and s["kind"] == "TRANSFER"]
            assert to and by_id["institutions"][to[0]]["kind"] == "COURT", m["id"]


def test_case_holdings_follow_the_holder(data, by_id) -> None:
    assert data["case_holdings"]
    for c in data["case_holdings"]:
        assert _holds(data, c["person"], c["post"], _d(c["valid_from"])), c["id"]
        assert _holds(data, c["person"], c["post"], _until(c["valid_to"])), c["id"]
    m12 = sorted((c for c in data["case_holdings"] if c["matter"] == "M-CQ-0012"), key=lambda c: c["valid_from"])
    assert len(m12) == 2 and m12[0]["person"] != m12[1]["person"]


# --------------------------------------------------------------------------- content: decisions, failures, measures

def test_decisions_and_an_overruled_dissent(data, by_id) -> None:
    stances = Counter(p["stance"] for p in data["decision_participants"])
    assert all(stances[s] for s in ENUMS["Stance"].values)
    for p in data["decision_participants"]:
        d = by_id["decisions"][p["decision"]]
        assert by_id["posts"][p["post"]]["team"] == d["team"], p["id"]
        assert _holds(data, p["person"], p["post"], _d(d["on"])), p["id"]


def test_failures(data, by_id) -> None:
    fs = data["failures"]
    assert len({f["item"] for f in fs}) >= 6
    assert {f["gravity"] for f in fs} == set(ENUMS["Gravity"].values)
    assert {f["scope"] for f in fs} == {"COLLECTIVE", "INDIVIDUAL"}
    assert any(f["scope"] == "COLLECTIVE" and f["decision"] for f in fs)
    assert any(f["disciplinary"] == "true" for f in fs) and any(f["suspected_crime"] == "true" for f in fs)
    cq = [f for f in fs if _in_chongqing(by_id, by_id["institutions"][f["unit"]]["territory"])]
    assert any(NATIONAL_IN_FORCE <= _d(f["act_date"]) < CHONGQING_IN_FORCE for f in cq)
    assert any(_d(f["act_date"]) < NATIONAL_IN_FORCE for f in cq)
    assert len({f["item"] for f in cq}) >= 6
    for f in fs:
        assert f["reported_on"] >= f["act_date"], f["id"]
        if f["decision"]:
            assert by_id["decisions"][f["decision"]]["on"] == f["act_date"], f["id"]


def test_failure_straddling_a_principal_handover(data, by_id) -> None:
    f = by_id["failures"]["F-CQ-014"]
    act, reported = _d(f["act_date"]), _d(f["reported_on"])
    head = [t for t in data["tenures"] if t["post"] == "P-500103-GOV-01"]
    at_act = [t["person"] for t in head if _d(t["valid_from"]) <= act <= _until(t["valid_to"])]
    at_report = [t["person"] for t in head if _d(t["valid_from"]) <= reported <= _until(t["valid_to"])]
    assert len(at_act) == len(at_report) == 1 and at_act != at_report


def test_failure_people(data, by_id) -> None:
    roles = Counter(p["role"] for p in data["failure_people"])
    assert all(roles[r] for r in ENUMS["InvolvementRole"].values)
    assert any(p["due_diligence"] == "true" and p["failure"].startswith("F-CQ") for p in data["failure_people"])
    for p in data["failure_people"]:
        f = by_id["failures"][p["failure"]]
        assert _holds(data, p["person"], p["post"], _d(f["act_date"])), p["id"]
    # The suspected crime of F-CQ-010 is recorded on the person suspected (art. 12 ¶2).
    assert [(p["failure"], p["person"]) for p in data["failure_people"] if p["suspected_crime"] == "true"] == [
        ("F-CQ-010", "PER-0091")]


def test_measures(data, by_id) -> None:
    ms = data["measures"]
    for m in ms:
        assert bool(m["person"]) != bool(m["institution"]), m["id"]
        f = by_id["failures"][m["failure"]]
        assert m["decided_on"] >= f["reported_on"], m["id"]
        if m["person"]:
            assert _holds(data, m["person"], m["post"], _d(f["act_date"])), m["id"]
    with_deadline = [m for m in ms if m["deadline"]]
    assert any(m["rectified_on"] and m["rectified_on"] <= m["deadline"] for m in with_deadline)
    assert any(m["rectified_on"] and m["rectified_on"] > m["deadline"] for m in with_deadline)
    assert any(not m["rectified_on"] for m in with_deadline)
    # escalation: a notice, then an admonishment of the same person for the same failure
    notices = {(m["person"], m["failure"]): m["decided_on"] for m in ms if m["kind"] == "NOTICE"}
    assert any(m["kind"] == "ADMONISHMENT" and (m["person"], m["failure"]) in notices
               and m["decided_on"] > notices[(m["person"], m["failure"])] for m in ms)
    # a measure against a Chongqing institution under Chongqing art. 12
    assert any(m["kind"] in ("WRITTEN_SELF_EXAMINATION", "CIRCULATED_CRITICISM") and m["institution"]
               and _in_chongqing(by_id, by_id["institutions"][m["institution"]]["territory"]) for m in ms)
    assert len({m["kind"] for m in ms}) >= 8


def test_sichuan_slice(data, by_id) -> None:
    sc = [m for m in data["matters"] if "510000" in _chain(by_id, m["territory"])]
    assert 5 <= len(sc) <= 8
    sc_fail = [f for f in data["failures"] if "510000" in _chain(by_id, by_id["institutions"][f["unit"]]["territory"])]
    assert sc_fail
    assert any(p["failure"] in {f["id"] for f in sc_fail} for p in data["failure_people"])
    assert any(m["failure"] in {f["id"] for f in sc_fail} for m in data["measures"])
    sc_teams = [t for t in data["teams"] if by_id["institutions"][t["institution"]]["territory"].startswith("51")]
    assert sc_teams


def test_the_facts_of_chapters_2_and_3_hold_a_met_and_an_unmet_case_on_purpose(data, by_id) -> None:
    inspections = by_id["cadre_inspections"]
    late = [c for c in data["consultations"] if c["on"] > inspections[c["inspection"]]["concluded_on"]]
    assert [c["id"] for c in late] == ["CON-0002"]
    ra = data["risk_assessments"][0]
    assert by_id["decisions"][ra["decision"]]["major"] == "true" and ra["on"] <= by_id["decisions"][ra["decision"]]["on"]
    assert {s["circulated"] for s in data["supervisions"] if s["kind"] == "SPECIAL"} == {"true", "false"}
