"""The API through a real HTTP client against the running service, across
roles, on each store in turn: the embedded FalkorDB and Neo4j."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from api_server import PETITIONER, Live
from zeren.api import security
from zeren.api.roles import PERMISSIONS, refusal


def gql(client: httpx.Client, live: Live, role: str, query: str, variables: dict[str, Any] | None = None,
        status: int = 200) -> dict[str, Any]:
    r = client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=live.auth(role))
    assert r.status_code == status, r.text
    return r.json()  # type: ignore[no-any-return]


# ----------------------------------------------------------------------------- service and authentication

def test_health_answers_without_a_token(client: httpx.Client) -> None:
    r = client.get("/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


@pytest.mark.parametrize("headers,needle", [
    ({}, "authentication required"),
    ({"Authorization": "Bearer zrn_000000000000_" + "x" * 43}, "invalid, revoked or expired token"),
    ({"Authorization": "Basic dXNlcjpwYXNz"}, "malformed Authorization header"),
    ({"Authorization": "Bearer"}, "malformed Authorization header"),
    ({"Authorization": ("Bearer " + "é" * 2000).encode("utf-8")}, "invalid, revoked or expired token"),
])
def test_every_route_but_health_needs_a_valid_token(client: httpx.Client, headers: dict[str, Any], needle: str) -> None:
    for method, path in (("POST", "/graphql"), ("GET", "/graphql"), ("POST", "/cypher")):
        r = client.request(method, path, json={"query": "{ __typename }"}, headers=headers)
        assert r.status_code == 401, (path, r.text)
        assert needle in r.json()["detail"]
        assert "Bearer" in r.headers["www-authenticate"]


def test_a_revoked_token_is_refused(client: httpx.Client, live: Live) -> None:
    token_id, token = live.services.tokens.issue("short-lived", "investigator")
    ok = client.post("/graphql", json={"query": "{ __typename }"}, headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    live.services.tokens.revoke(token_id)
    r = client.post("/graphql", json={"query": "{ __typename }"}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


def test_the_schema_prints_with_descriptions(live: Live) -> None:
    from zeren.api.gql.schema import build_schema

    sdl = str(build_schema(live.settings))
    assert "type Query" in sdl and "honoursDisqualified" in sdl and "主要领导责任" in sdl


# ----------------------------------------------------------------------------- queries

MATTER = """query($id: ID!, $asOf: Date) { matter(id: $id) { id title subject territory { id name level }
  steps { kind institution staff on }
  responsibility(asOf: $asOf) { asOf ruleSets
    findings { kind kindLabel { en zh } person { id name } post { id name } institution { id }
               basis { document article paragraph item label labelZh text }
               chain { nodes { label id } relationships { type start end } } }
    gaps { what reason } }
  failures { id item accountability { findings { kind person { id } basis { label } }
             recommendations { measure person { id } basis { label } decidedBy { id } }
             recordedMeasures { id rectification } } } } }"""


def test_a_matter_shows_standing_and_accountability_findings_with_basis_and_chain(client: httpx.Client,
                                                                                  live: Live) -> None:
    data = gql(client, live, "investigator", MATTER, {"id": "M-LAND"})["data"]["matter"]
    assert data["territory"]["name"] == "渝中区" and [s["kind"] for s in data["steps"]][0] == "RECEIVE"
    resp = data["responsibility"]
    assert resp["ruleSets"] == ["CN-2016", "CQ-2017"] and resp["asOf"] == "2019-03-10"
    overall = [f for f in resp["findings"] if f["kind"] == "OVERALL" and f["person"]["id"] == "PER-A"]
    assert overall and overall[0]["basis"]["labelZh"].endswith("第七条")
    assert "负总责" in overall[0]["basis"]["text"]
    assert [n["id"] for n in overall[0]["chain"]["nodes"]] == ["M-LAND", "500103", "YZ-GOV", "P-YZGOV-HEAD", "PER-A"]
    assert overall[0]["chain"]["relationships"][0] == {"type": "ARISES_IN", "start": "M-LAND", "end": "500103"}
    coll = next(f for f in data["failures"] if f["id"] == "F-COLL")["accountability"]
    assert {"kind": "EXEMPT", "person": {"id": "PER-D"}, "basis": {"label": "Chongqing rules art. 11 ¶2"}} in coll["findings"]
    assert any(r["measure"] == "ADMONISHMENT" and r["decidedBy"] == {"id": "CQ-PC"} for r in coll["recommendations"])


def test_a_matter_traced_as_of_another_date_names_the_holder_then(client: httpx.Client, live: Live) -> None:
    data = gql(client, live, "investigator", MATTER, {"id": "M-LAND", "asOf": "2019-08-01"})["data"]["matter"]
    people = {f["person"]["id"] for f in data["responsibility"]["findings"] if f["kind"] == "OVERALL" and f["person"]}
    assert "PER-B" in people and "PER-A" not in people


MATTERS = """query($f: MatterFilter, $first: Int!, $after: String) { matters(filter: $f, first: $first, after: $after) {
  edges { cursor node { id receivedOn territory { id } } } pageInfo { hasNextPage endCursor } } }"""


def test_matters_filter_by_territory_including_descendants(client: httpx.Client, live: Live) -> None:
    page = gql(client, live, "investigator", MATTERS, {"f": {"territory": "500103"}, "first": 200})["data"]["matters"]
    ids = {e["node"]["id"] for e in page["edges"]}
    assert {"M-LAND", "M-TOWN", "M-X000"} <= ids and "M-SC" not in ids
    sc = gql(client, live, "investigator", MATTERS, {"f": {"territory": "510000"}, "first": 10})["data"]["matters"]
    assert [e["node"]["id"] for e in sc["edges"]] == ["M-SC"]


@pytest.mark.parametrize("flt,expected", [
    ({"subject": "LITIGATION"}, {"M-LIT"}),
    ({"channel": "PHONE"}, {"M-ENV"}),
    ({"form": "COLLECTIVE"}, {"M-LAND"}),
    ({"receivedFrom": "2016-01-01", "receivedTo": "2017-01-31"}, {"M-OLD", "M-BETWEEN"}),
    ({"hasFailure": True}, {"M-LAND", "M-SC", "M-X000"}),
])
def test_matters_filters(client: httpx.Client, live: Live, flt: dict[str, Any], expected: set[str]) -> None:
    page = gql(client, live, "investigator", MATTERS, {"f": flt, "first": 100})["data"]["matters"]
    assert {e["node"]["id"] for e in page["edges"]} == expected


def test_matters_cursor_pages_cover_everything_once_newest_first(client: httpx.Client, live: Live) -> None:
    seen: list[str] = []
    dates: list[str] = []
    after = None
    while True:
        page = gql(client, live, "investigator", MATTERS, {"first": 7, "after": after})["data"]["matters"]
        seen += [e["node"]["id"] for e in page["edges"]]
        dates += [e["node"]["receivedOn"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 69
    assert dates == sorted(dates, reverse=True)


def test_a_page_of_fifty_matters_takes_a_bounded_number_of_store_round_trips(client: httpx.Client, live: Live) -> None:
    q = """{ matters(first: 50) { edges { node { id territory { name } steps { kind } failures { id } } } } }"""
    before = live.services.store.round_trips.count
    data = gql(client, live, "investigator", q)["data"]["matters"]["edges"]
    used = live.services.store.round_trips.count - before
    assert len(data) == 50 and all(e["node"]["territory"] for e in data)
    assert used <= 4, f"{used} queries for a page of 50 (one for the page, one per DataLoader)"


def test_a_trace_over_graphql_reads_the_matter_once(client: httpx.Client, live: Live) -> None:
    q = '{ matter(id: "M-LAND") { id responsibility { findings { kind } } } }'
    before = live.services.store.round_trips.count
    gql(client, live, "investigator", q)
    over_graphql = live.services.store.round_trips.count - before
    before = live.services.store.round_trips.count
    live.services.engine.trace("M-LAND")
    engine_alone = live.services.store.round_trips.count - before
    # The engine starts from the rows the `matter` field read, instead of reading them again.
    assert over_graphql == engine_alone, (over_graphql, engine_alone)


INSTITUTION = """query($id: ID!, $on: Date) { institution(id: $id) { name kind remit system territory { id }
  parent { id } subInstitutions { id } petitionDepartment { id }
  team(asOf: $on) { postId role holder { id } divisions { subjects } }
  verticalUp(asOf: $on) { institution { id } levels system } verticalDown(asOf: $on) { institution { id } levels } } }"""


def test_an_institution_shows_its_team_at_a_date_line_sub_institutions_and_petition_department(
        client: httpx.Client, live: Live) -> None:
    gov = gql(client, live, "investigator", INSTITUTION, {"id": "YZ-GOV", "on": "2019-03-10"})["data"]["institution"]
    head = next(s for s in gov["team"] if s["role"] == "PRINCIPAL")
    assert head["holder"] == {"id": "PER-A"}
    assert {"id": "YZ-LAND"} in gov["subInstitutions"] and gov["petitionDepartment"] == {"id": "YZ-PET"}
    later = gql(client, live, "investigator", INSTITUTION, {"id": "YZ-GOV", "on": "2020-01-01"})["data"]["institution"]
    assert next(s for s in later["team"] if s["role"] == "PRINCIPAL")["holder"] == {"id": "PER-B"}
    tax = gql(client, live, "investigator", INSTITUTION, {"id": "YZ-TAX", "on": "2020-01-01"})["data"]["institution"]
    assert [(v["institution"]["id"], v["levels"]) for v in tax["verticalUp"]] == [("CQ-TAX", 1), ("N-TAX", 2)]
    top = gql(client, live, "investigator", INSTITUTION, {"id": "N-TAX", "on": "2020-01-01"})["data"]["institution"]
    assert {(v["institution"]["id"], v["levels"]) for v in top["verticalDown"]} == {("CQ-TAX", 1), ("YZ-TAX", 2)}


def test_personnel_see_a_cadre_record_with_rectification_status(client: httpx.Client, live: Live) -> None:
    q = """{ person(id: "PER-S1") { name tenures { post { id } }
            record { findings { kind basis { label } } measures { id rectification } basis { label } } } }"""
    p = gql(client, live, "personnel", q)["data"]["person"]
    assert p["tenures"] == [{"post": {"id": "P-YZPET-STAFF"}}]
    assert {"kind": "DIRECT", "basis": {"label": "Chongqing rules art. 11 ¶2"}} in p["record"]["findings"]
    assert {"id": "AM-1", "rectification": "NOT_RECTIFIED_BY_DEADLINE"} in p["record"]["measures"]


def test_honours_provision_and_counterfactual(client: httpx.Client, live: Live) -> None:
    prov = gql(client, live, "investigator", '{ provision(document: "CQ-2017", article: 11, paragraph: 1, item: 8) '
               '{ labelZh text } }')["data"]["provision"]
    assert prov["labelZh"].endswith("第（八）项") and "打击、报复、陷害" in prov["text"]
    cf = gql(client, live, "investigator", """{ counterfactual(failure: "F-COLL",
        changes: [{stance: OPPOSED_OVERRULED, person: "PER-E"}]) { changes removed { kind person { id } }
        added { kind person { id } } } }""")["data"]["counterfactual"]
    assert {"kind": "IMPORTANT_LEADERSHIP", "person": {"id": "PER-E"}} in cf["removed"]
    assert {"kind": "EXEMPT", "person": {"id": "PER-E"}} in cf["added"]
    honours = gql(client, live, "personnel", "{ honoursDisqualified(year: 2019) { role id } }")
    assert honours["data"]["honoursDisqualified"] == []


def test_an_answer_says_which_rule_sets_applied_to_which_finding(client: httpx.Client, live: Live) -> None:
    q = """{ matter(id: "M-TAX") { responsibility { ruleSets judgedOn { part on }
             findings { kind institution { id } ruleSets basis { document article paragraph } matter { id } } } } }"""
    resp = gql(client, live, "investigator", q)["data"]["matter"]["responsibility"]
    assert resp["ruleSets"] == ["CN-2016", "CQ-2017"] and resp["judgedOn"] == [{"part": "STANDING", "on": "2020-10-10"}]
    by = {(f["kind"], f["institution"]["id"]): f for f in resp["findings"] if f["institution"]}
    top = by[("SYSTEM", "N-TAX")]
    assert top["ruleSets"] == ["CN-2016"] and top["basis"] == {"document": "CN-2016", "article": 5, "paragraph": 2}
    assert by[("COMPETENT", "YZ-TAX")]["ruleSets"] == ["CN-2016", "CQ-2017"]
    assert all(f["matter"] == {"id": "M-TAX"} for f in resp["findings"])


def test_accountability_shows_its_dates_proposer_circulation_and_the_year_and_region_of_honours(
        client: httpx.Client, live: Live) -> None:
    q = """{ failure(id: "F-COLL", asOf: "2019-09-02") { judgedOn { part on }
             findings { kind person { id } failure { id } matter { id } }
             recommendations { measure person { id } proposedBy { id } proposedByBasis { label } territory { id name }
                               year failure { id } } } }"""
    ev = gql(client, live, "investigator", q)["data"]["failure"]
    assert ev["judgedOn"] == [{"part": "ACCOUNTABILITY", "on": "2019-03-01"}, {"part": "MEASURES", "on": "2019-09-02"}]
    assert {"kind": "MAIN_LEADERSHIP", "person": {"id": "PER-A"}, "failure": {"id": "F-COLL"},
            "matter": {"id": "M-LAND"}} in ev["findings"]
    recs = ev["recommendations"]
    head = next(r for r in recs if r["measure"] == "ADMONISHMENT" and r["person"] == {"id": "PER-A"})
    assert head["proposedBy"] == {"id": "YZ-PET"} and head["proposedByBasis"] == {"label": "Chongqing rules art. 17 ¶2"}
    assert any(r["measure"] == "PERSONNEL_CIRCULATION" and r["person"] == {"id": "PER-A"} for r in recs)
    region = next(r for r in recs if r["measure"] == "HONOURS_DISQUALIFICATION" and r["territory"])
    assert region["territory"] == {"id": "500103", "name": "渝中区"} and region["year"] is None
    assert all(r["failure"] == {"id": "F-COLL"} for r in recs)


def test_the_honours_roll_names_its_year_and_the_region_as_a_territory(client: httpx.Client, live: Live) -> None:
    q = "{ honoursDisqualified(year: 2021) { role id name year territory { id name level } } }"
    roll = gql(client, live, "personnel", q)["data"]["honoursDisqualified"]
    assert {"role": "region", "id": "500103", "name": "渝中区", "year": 2021,
            "territory": {"id": "500103", "name": "渝中区", "level": "COUNTY"}} in roll
    assert {(e["role"], e["id"], e["year"]) for e in roll} == {("region", "500103", 2021),
                                                               ("department", "YZ-PET", 2021)}


COMPLIANCE = """query($t: ID!, $y: Int!) { compliance(territory: $t, year: $y) { year met unmet unknown
  units { scope id duties { duty status note notFormalised periodFrom periodTo
    basis { document article paragraph item label text } facts { label id text on } } } } }"""


@pytest.mark.parametrize("role", sorted(r for r, caps in PERMISSIONS.items() if "compliance" in caps))
def test_compliance_shows_a_regions_duties_met_unmet_and_unknown_with_provision_and_facts(
        client: httpx.Client, live: Live, role: str) -> None:
    body = gql(client, live, role, COMPLIANCE, {"t": "500103", "y": 2019})
    assert "errors" not in body, body
    report = body["data"]["compliance"]
    region = next(u for u in report["units"] if u["scope"] == "REGION" and u["id"] == "500103")
    duties = {d["duty"]: d for d in region["duties"]}
    met, unmet, unknown = duties["RISK_ASSESSMENT"], duties["CADRE_CONSULTATION"], duties["SUPERVISION_CIRCULATED"]
    assert (met["status"], unmet["status"], unknown["status"]) == ("MET", "UNMET", "UNKNOWN")
    # each rests on its Chongqing provision, quoted
    assert (met["basis"]["document"], met["basis"]["article"], met["basis"]["paragraph"]) == ("CQ-2017", 4, 1)
    assert "社会稳定风险评估" in met["basis"]["text"]
    assert (unmet["basis"]["article"], unmet["basis"]["paragraph"]) == (10, 2) and "听取信访部门意见" in unmet["basis"]["text"]
    assert unknown["basis"]["article"] == 9 and "通报督查情况" in unknown["basis"]["text"]
    # met: the major decision and its risk assessment before it
    assert [(f["label"], f["id"]) for f in met["facts"]] == [("Decision", "D-2")]
    assert "risk assessment" in met["facts"][0]["text"] and met["facts"][0]["on"].startswith("2019-")
    # unmet: the inspection without the petition department heard, and the ledger that makes it a failure
    assert {f["id"] for f in unmet["facts"]} == {"CI-1", "CI-2"} and all(f["label"] == "CadreInspection"
                                                                        for f in unmet["facts"])
    assert "CI-2 without the petition department heard" in unmet["note"] and "L-YZGOV-2019" in unmet["note"]
    # unknown: no supervision of the year to have circulated, never shown as met
    assert unknown["facts"] == [] and "appropriate" in unknown["notFormalised"]
    assert (met["periodFrom"], met["periodTo"]) == ("2019-01-01", "2019-12-31")
    assert report["met"] and report["unmet"] and report["unknown"] and report["year"] == 2019


COMPLIANCE_STATUSES = """query($t: ID!, $y: Int!, $below: Boolean) {
  compliance(territory: $t, year: $y, below: $below) { met unmet unknown
    units { scope id met unmet unknown duties { duty status periodFrom basis { document article } } } } }"""


def test_compliance_without_facts_gives_each_unit_the_statuses_and_counts_of_the_full_answer(
        client: httpx.Client, live: Live) -> None:
    full = gql(client, live, "investigator", COMPLIANCE, {"t": "500000", "y": 2019})["data"]["compliance"]
    body = gql(client, live, "investigator", COMPLIANCE_STATUSES, {"t": "500000", "y": 2019})
    assert "errors" not in body, body
    counted = body["data"]["compliance"]
    assert [(u["scope"], u["id"], [(d["duty"], d["status"], d["periodFrom"], d["basis"]["document"],
                                     d["basis"]["article"]) for d in u["duties"]]) for u in counted["units"]] == \
           [(u["scope"], u["id"], [(d["duty"], d["status"], d["periodFrom"], d["basis"]["document"],
                                     d["basis"]["article"]) for d in u["duties"]]) for u in full["units"]]
    assert (counted["met"], counted["unmet"], counted["unknown"]) == (full["met"], full["unmet"], full["unknown"])
    for u in counted["units"]:
        assert (u["met"], u["unmet"], u["unknown"]) == tuple(
            sum(d["status"] == s for d in u["duties"]) for s in ("MET", "UNMET", "UNKNOWN"))
    assert sum(u["unmet"] for u in counted["units"]) == counted["unmet"] > 0


def test_compliance_below_false_answers_only_the_territorys_own_units_with_their_facts(
        client: httpx.Client, live: Live) -> None:
    query = COMPLIANCE.replace("$y: Int!)", "$y: Int!, $below: Boolean)").replace(
        "year: $y)", "year: $y, below: $below)")
    whole = gql(client, live, "investigator", query, {"t": "500000", "y": 2019})["data"]["compliance"]
    own = gql(client, live, "investigator", query, {"t": "500103", "y": 2019, "below": False})
    assert "errors" not in own, own
    units = own["data"]["compliance"]["units"]
    assert units and units == [u for u in whole["units"] if u["id"] in {x["id"] for x in units}]
    assert any(u["scope"] == "REGION" and u["id"] == "500103" for u in units)
    assert {u["id"] for u in units} < {u["id"] for u in whole["units"]}


@pytest.mark.parametrize("role", sorted(r for r, caps in PERMISSIONS.items() if "compliance" not in caps))
def test_compliance_is_refused_to_a_role_the_roles_table_does_not_allow(client: httpx.Client, live: Live,
                                                                        role: str) -> None:
    body = gql(client, live, role, COMPLIANCE, {"t": "500103", "y": 2019})
    assert body["data"] is None
    assert [e["message"] for e in body["errors"]] == [refusal(role, "compliance")]


# ----------------------------------------------------------------------------- confidentiality

PROTECTED = '{ matter(id: "M-LAND") { id petitionerPseudonym petitioner accusation } }'


@pytest.mark.parametrize("role", ["investigator", "personnel", "analyst", "admin"])
def test_only_the_petition_bureau_sees_the_petitioner(client: httpx.Client, live: Live, role: str) -> None:
    body = gql(client, live, role, PROTECTED)
    assert PETITIONER not in str(body) and "反映" not in str(body)
    assert body["data"]["matter"]["petitioner"] is None and body["data"]["matter"]["accusation"] is None
    assert body["data"]["matter"]["petitionerPseudonym"], "the pseudonym stays visible for counting"
    denied = {tuple(e["path"]) for e in body["errors"] if "petition_bureau" in e["message"]}
    assert denied == {("matter", "petitioner"), ("matter", "accusation")}


def test_the_petition_bureau_reads_the_petitioner_and_every_read_is_audited(client: httpx.Client, live: Live) -> None:
    before = len(live.services.audit.query(matter_id="M-LAND"))
    m = gql(client, live, "petition_bureau", PROTECTED)["data"]["matter"]
    assert m["petitioner"] == PETITIONER and m["accusation"].startswith("反映")
    assert len(m["petitionerPseudonym"]) == 64
    rows = live.services.audit.query(matter_id="M-LAND")
    assert len(rows) == before + 2
    assert {(r["role"], r["field"]) for r in rows[:2]} == {("petition_bureau", "petitioner"),
                                                            ("petition_bureau", "accusation")}
    log = gql(client, live, "admin", '{ auditLog(matter: "M-LAND") { role field matter } }')["data"]["auditLog"]
    assert {"role": "petition_bureau", "field": "petitioner", "matter": "M-LAND"} in log
    denied = gql(client, live, "investigator", '{ auditLog { field } }')
    assert "admin" in denied["errors"][0]["message"]


@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
def test_a_protected_read_that_cannot_be_audited_is_refused_with_503_and_not_served(
        client: httpx.Client, live: Live, monkeypatch: pytest.MonkeyPatch, accept: str) -> None:
    before = len(live.services.audit.query(matter_id="M-LAND"))

    @contextmanager
    def disk_fails(self: object) -> Iterator[sqlite3.Connection]:
        raise sqlite3.OperationalError("disk I/O error")
        yield  # pragma: no cover

    monkeypatch.setattr(security._Database, "transaction", disk_fails)
    r = client.post("/graphql", json={"query": PROTECTED}, headers={**live.auth("petition_bureau"), "Accept": accept})
    monkeypatch.undo()
    assert r.status_code == 503, r.text
    assert PETITIONER not in r.text and "反映" not in r.text
    body = r.json()
    assert body["data"]["matter"]["petitioner"] is None and body["data"]["matter"]["accusation"] is None
    messages = {tuple(e["path"]): e["message"] for e in body["errors"]}
    assert set(messages) == {("matter", "petitioner"), ("matter", "accusation")}
    assert all("could not be written (disk I/O error)" in m and "not served" in m for m in messages.values())
    assert len(live.services.audit.query(matter_id="M-LAND")) == before
    # Once the log can be written again, the same read is served and audited.
    assert gql(client, live, "petition_bureau", PROTECTED)["data"]["matter"]["petitioner"] == PETITIONER
    assert len(live.services.audit.query(matter_id="M-LAND")) == before + 2


def test_repeat_petitioners_share_a_pseudonym(client: httpx.Client, live: Live) -> None:
    q = '{ matters(filter: {subject: HOUSING}, first: 100) { edges { node { petitionerPseudonym } } } }'
    edges = gql(client, live, "investigator", q)["data"]["matters"]["edges"]
    assert len({e["node"]["petitionerPseudonym"] for e in edges}) == 7


def test_analysts_cypher_sees_only_ciphertext_and_pseudonyms(client: httpx.Client, live: Live) -> None:
    r = client.post("/cypher", json={"query": "MATCH (m:PetitionMatter {id: $id}) RETURN m", "parameters": {"id": "M-LAND"}},
                    headers=live.auth("analyst"))
    assert r.status_code == 200, r.text
    node = r.json()["rows"][0][0]
    assert PETITIONER not in r.text and "反映区规划" not in r.text
    assert node["petitioner_enc"] and node["petitioner_pseudonym"] and "petitioner" not in node


# ----------------------------------------------------------------------------- ad hoc Cypher

def _graph_fingerprint(live: Live) -> tuple[Any, ...]:
    rows = live.services.store.read("MATCH (n) RETURN count(n) AS n")
    rels = live.services.store.read("MATCH ()-[r]->() RETURN count(r) AS r")
    land = live.services.store.read("MATCH (m:PetitionMatter {id: 'M-LAND'}) RETURN m.title AS t")
    return rows[0]["n"], rels[0]["r"], land[0]["t"]


def test_analysts_run_read_only_cypher_with_columns_and_rows(client: httpx.Client, live: Live) -> None:
    r = client.post("/cypher", json={"query": "MATCH (t:Territory {id: '500103'}) RETURN t.name AS name, t.level"},
                    headers=live.auth("analyst"))
    assert r.status_code == 200
    assert r.json()["columns"] == ["name", "t.level"] and r.json()["rows"] == [["渝中区", "COUNTY"]]


@pytest.mark.parametrize("role", ["investigator", "personnel", "petition_bureau"])
def test_cypher_is_for_analysts_and_admins_only(client: httpx.Client, live: Live, role: str) -> None:
    r = client.post("/cypher", json={"query": "RETURN 1"}, headers=live.auth(role))
    assert r.status_code == 403 and "analyst" in r.json()["detail"]


WRITES = [
    "CREATE (n:Hacked {x: 1})",
    "create (n:Hacked)",
    "MERGE (n:Hacked {x: 1}) RETURN n",
    "MATCH (m:PetitionMatter {id: 'M-LAND'}) SET m.title = 'x'",
    "MATCH (m:PetitionMatter {id: 'M-LAND'}) SET m += {title: 'x'} RETURN m",
    "MATCH (m:PetitionMatter {id: 'M-LAND'}) REMOVE m.title",
    "MATCH (m:PetitionMatter {id: 'M-LAND'}) DELETE m",
    "MATCH (n) DETACH DELETE n",
    "MATCH (m:PetitionMatter) WITH m LIMIT 1 CREATE (m)-[:HACKED]->(:Hacked) RETURN m",
    "MATCH (m:PetitionMatter) RETURN m.id UNION CREATE (x:Hacked) RETURN 'x'",
    "UNWIND [1, 2] AS i CREATE (:Hacked {i: i})",
    "MATCH (m:PetitionMatter) FOREACH (x IN [1] | SET m.title = 'x')",
    "CALL { CREATE (h:Hacked) RETURN h } RETURN h",
    "CREATE INDEX FOR (n:Hacked) ON (n.x)",
    "DROP INDEX FOR (n:PetitionMatter) ON (n.received_on)",
    "CALL db.idx.fulltext.createNodeIndex('PetitionMatter', 'title')",
    "CALL db.idx.fulltext.drop('PetitionMatter')",
]


@pytest.mark.parametrize("query", WRITES)
def test_every_write_or_admin_attempt_is_refused_and_the_graph_is_unchanged(client: httpx.Client, live: Live,
                                                                             query: str) -> None:
    before = _graph_fingerprint(live)
    r = client.post("/cypher", json={"query": query}, headers=live.auth("admin"))
    assert r.status_code in (400, 403), r.text
    assert _graph_fingerprint(live) == before
    assert not live.services.store.read("MATCH (h:Hacked) RETURN count(h) AS c")[0]["c"]


def test_cypher_syntax_error_timeout_row_cap_and_size_are_clear(client: httpx.Client, live: Live) -> None:
    bad = client.post("/cypher", json={"query": "MATCH (n RETURN n"}, headers=live.auth("analyst"))
    assert bad.status_code == 400 and "not valid Cypher" in bad.json()["detail"]
    slow = client.post("/cypher", json={"query": "MATCH (a), (b), (c) WITH a, b, c WHERE id(a) + id(b) + id(c) "
                                                 "% 7 = 3 RETURN count(*)"},
                       headers=live.auth("analyst"))
    assert slow.status_code == 504 and "time limit of 300 ms" in slow.json()["detail"]
    many = client.post("/cypher", json={"query": "UNWIND range(1, 1000) AS x RETURN x"}, headers=live.auth("analyst"))
    assert many.status_code == 200 and many.json()["truncated"] and len(many.json()["rows"]) == 100
    huge = client.post("/cypher", json={"query": "RETURN 1 " + " " * 5000}, headers=live.auth("analyst"))
    assert huge.status_code == 413
    assert client.get("/health").json()["status"] == "ok"


# ----------------------------------------------------------------------------- bad input

def test_unknown_ids_give_a_clear_error(client: httpx.Client, live: Live) -> None:
    body = gql(client, live, "investigator", '{ matter(id: "M-NOPE") { id } }')
    assert body["errors"][0]["message"] == "no petition matter with id 'M-NOPE'"
    body = gql(client, live, "investigator", '{ institution(id: "I-NOPE") { id } }')
    assert "no institution with id 'I-NOPE'" in body["errors"][0]["message"]


def test_malformed_graphql_and_wrong_variable_types_are_rejected_clearly(client: httpx.Client, live: Live) -> None:
    r = client.post("/graphql", json={"query": "{ matter(id: "}, headers=live.auth("investigator"))
    assert r.status_code == 200 and "Syntax Error" in r.json()["errors"][0]["message"]  # application/json: 200
    r = client.post("/graphql", json={"query": "query($y: Int!) { honoursDisqualified(year: $y) { id } }",
                                      "variables": {"y": "twenty"}}, headers=live.auth("investigator"))
    assert "Int cannot represent" in r.text
    bad_date = gql(client, live, "investigator", '{ matter(id: "M-LAND") { responsibility(asOf: "2019-02-30") { asOf } } }')
    assert "errors" in bad_date


def test_depth_alias_and_size_limits_refuse_abusive_queries(client: httpx.Client, live: Live) -> None:
    aliases = "{ " + " ".join(f"a{i}: provision(document: \"CN-2016\", article: 1) {{ label }}" for i in range(40)) + " }"
    assert "aliases" in str(gql(client, live, "investigator", aliases, status=200)).lower()
    deep = "{ matter(id: \"M-LAND\") { " + "responsibility { findings { chain { nodes { id } } } } " + "} }"
    assert "data" in gql(client, live, "investigator", deep)
    huge = "{ " + " ".join("__typename" for _ in range(5000)) + " }"
    assert "token" in str(gql(client, live, "investigator", huge, status=200)).lower()
    assert client.get("/health").json()["status"] == "ok"


ANSWER = "{ asOf ruleSets findings { kind person { id } post { id } basis { label } } gaps { what reason } }"


@pytest.mark.parametrize("as_of", [None, "2020-01-01", "2019-06-01"])
def test_a_matter_asked_with_its_responsibility_answers_as_the_field_asked_through_a_fragment(
        client: httpx.Client, live: Live, as_of: str | None) -> None:
    """The resolver of ``matter`` traces the responsibility the query asks
    directly (one call off the event loop); asked through a fragment, the
    field traces itself: both answer the same, on the default date, on a date
    given by a variable and on a date written in the query."""
    arg = f'(asOf: "{as_of}")' if as_of else ""
    direct = gql(client, live, "investigator", f'{{ matter(id: "M-LAND") {{ id responsibility{arg} {ANSWER} }} }}')
    by_variable = gql(client, live, "investigator",
                      f"query($d: Date) {{ matter(id: \"M-LAND\") {{ id responsibility(asOf: $d) {ANSWER} }} }}",
                      {"d": as_of})
    fragment = gql(client, live, "investigator", f'{{ matter(id: "M-LAND") {{ id ...R }} }} '
                                                 f"fragment R on Matter {{ responsibility{arg} {ANSWER} }}")
    assert "errors" not in fragment and fragment["data"]["matter"]["responsibility"]["findings"]
    assert direct == by_variable == fragment


def test_a_refused_responsibility_asked_with_its_matter_gives_the_error_of_the_field_asked_on_its_own(
        client: httpx.Client, live: Live) -> None:
    direct = gql(client, live, "investigator",
                 '{ matter(id: "M-LAND") { id responsibility(asOf: "2999-01-01") { asOf } } }')
    fragment = gql(client, live, "investigator", '{ matter(id: "M-LAND") { id ...R } } '
                                                 'fragment R on Matter { responsibility(asOf: "2999-01-01") { asOf } }')
    assert "is in the future" in direct["errors"][0]["message"]
    assert direct["errors"][0]["path"] == ["matter", "responsibility"]
    assert direct.get("data") == fragment.get("data")
    assert [(e["message"], e["path"]) for e in direct["errors"]] == \
        [(e["message"], e["path"]) for e in fragment["errors"]]


def test_future_as_of_is_refused_in_words(client: httpx.Client, live: Live) -> None:
    body = gql(client, live, "investigator", '{ matter(id: "M-LAND") { responsibility(asOf: "2999-01-01") { asOf } } }')
    assert "is in the future" in body["errors"][0]["message"]


def test_internal_errors_are_masked(client: httpx.Client, live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("secret detail /var/lib/whatever")

    monkeypatch.setattr(live.services.engine, "trace", boom)
    monkeypatch.setattr(live.services.engine, "matter_and_trace", boom)
    body = gql(client, live, "investigator", '{ matter(id: "M-LAND") { responsibility { asOf } } }')
    assert "secret detail" not in str(body) and "internal error" in body["errors"][0]["message"]


def test_responses_are_utf8_json_that_reads_without_escapes(client: httpx.Client, live: Live) -> None:
    r = client.post("/graphql", json={"query": '{ matter(id: "M-LAND") { territory { name } } }'},
                    headers=live.auth("investigator"))
    assert "渝中区".encode() in r.content and "charset=utf-8" in r.headers["content-type"]


def test_objects_built_at_start_up_are_kept_out_of_the_collectors_generations(client: httpx.Client,
                                                                               live: Live) -> None:
    # The served app runs in this process: its lifespan froze what start-up built
    # (schema, routes, rule sets), so a full collection in a request skips it.
    import gc

    assert client.get("/health").status_code == 200
    assert gc.get_freeze_count() > 10_000
    assert gc.get_threshold()[0] >= 10_000
