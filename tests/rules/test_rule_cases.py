"""Rule cases as data: each file in tests/rules/cases is named by the sentence it
proves. A case loads the small world of tests/rules/world.json (a district of
Chongqing with a township, the municipality, the tax system up to the nation,
and a district of Chengdu), applies its own patch, asks one question and
states what the answer must and must not contain.

Case keys
---------
patch / remove : rows to add or replace (by id) / ids to drop, per input file
ask            : {"trace": M, "failure"?: F, "as_of"?: D} | {"account": F, "as_of"?: D}
                 | {"counterfactual": {"failure"|"matter": ..., "changes": [...]}}
                 | {"honours": {"year": Y, "territory"?: T}} | {"cadre": P}
                 | {"compliance": {"territory": T, "year": Y}}
expect         : rule_sets, findings, absent, gaps, no_gaps, recommendations,
                 recommendations_absent, added, removed, honours, raises, measures;
                 for compliance: duties, duties_absent, gaps
A duty pattern (compliance, chapters 2-3) matches on unit, scope, duty, status,
basis, rule_sets, fact (an id among the facts shown), period_from,
note_contains, not_formalised_contains.
A finding pattern matches on kind, person, post, institution, rule, basis
("DOC:article:paragraph:item", empty parts for none), rule_sets (the rule
sets in force for the institution the finding is about, base first),
failure, matter, territory (ids), as_of, note_contains, exception_contains,
chain (node ids that must appear in order); a recommendation pattern also on
measure, decided_by, proposed_by, proposed_by_basis, options, year, reason_contains.
An honours entry may name its year and territory ([code, name]).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from backends import neo4j_settings
from worlds import HERE, TODAY, world_for, write_world

from zeren.config import Settings
from zeren.graph.store import GraphStore
from zeren.loaders.load import load_path
from zeren.rules.engine import Change, Engine, EngineError, NotFound
from zeren.rules.findings import Evaluation, Finding, Recommendation
from zeren.rules.organisation import Organisation


def _world_key(case: dict[str, Any]) -> str:
    return json.dumps({k: case.get(k) for k in ("patch", "remove")}, sort_keys=True)


# Grouped by the world they load (then by name): Neo4j loads each world once.
CASES = sorted((HERE / "cases").glob("*.json"),
               key=lambda p: (_world_key(json.loads(p.read_text(encoding="utf-8"))), p.name))


def _basis(p: Any) -> str:
    return f"{p.document}:{p.article}:{p.paragraph or ''}:{p.item or ''}"


def _matches(f: Finding | Recommendation, pat: dict[str, Any]) -> bool:
    for k, v in pat.items():
        if k == "kind" and getattr(f, "kind", None) != v:
            return False
        if k == "measure" and getattr(f, "measure", None) != v:
            return False
        if k in ("person", "post", "institution", "decided_by", "proposed_by", "territory", "failure", "matter"):
            ref = getattr(f, k)
            if (ref.id if ref else None) != v:
                return False
        if k == "rule" and getattr(f, "rule", None) != v:
            return False
        if k == "basis" and _basis(f.basis) != v:
            return False
        if k == "proposed_by_basis" and (_basis(f.proposed_by_basis) if f.proposed_by_basis else None) != v:  # type: ignore[union-attr]
            return False
        if k == "note_contains" and v not in (getattr(f, "note", "") or ""):
            return False
        if k == "reason_contains" and v not in (getattr(f, "reason", "") or ""):
            return False
        if k == "exception_contains" and v not in (getattr(f, "exception", "") or ""):
            return False
        if k == "options" and sorted(getattr(f, "options", [])) != sorted(v):
            return False
        if k == "rule_sets" and list(getattr(f, "rule_sets", ())) != v:
            return False
        if k == "year" and getattr(f, "year", None) != v:
            return False
        if k == "as_of" and getattr(f, "as_of", None) != date.fromisoformat(v):
            return False
        if k == "chain":
            ids = [n.id for n in f.chain.nodes]  # type: ignore[union-attr]
            pos = 0
            for want in v:
                if want not in ids[pos:]:
                    return False
                pos = ids.index(want, pos) + 1
    return True


def _check_evaluation(ev: Evaluation, exp: dict[str, Any]) -> None:
    shown = "\n".join(f"  {f.kind} {f.person and f.person.id} {f.post and f.post.id} "
                      f"{f.institution and f.institution.id} {_basis(f.basis)} {f.note} {f.exception}"
                      for f in ev.findings)
    gaps = "\n".join(f"  {g.what}: {g.reason}" for g in ev.gaps)
    recs = "\n".join(f"  {r.measure} {r.person and r.person.id} {r.institution and r.institution.id} "
                     f"{_basis(r.basis)} {r.reason}" for r in ev.recommendations)
    if "rule_sets" in exp:
        assert ev.rule_sets == exp["rule_sets"], f"rule sets {ev.rule_sets}"
    for pat in exp.get("findings", []):
        assert any(_matches(f, pat) for f in ev.findings), f"no finding matches {pat}; findings:\n{shown}"
    for pat in exp.get("absent", []):
        assert not any(_matches(f, pat) for f in ev.findings), f"a finding matches {pat}; findings:\n{shown}"
    for text in exp.get("gaps", []):
        assert any(text in f"{g.what}: {g.reason}" for g in ev.gaps), f"no gap mentions {text!r}; gaps:\n{gaps}"
    for text in exp.get("no_gaps", []):
        assert not any(text in f"{g.what}: {g.reason}" for g in ev.gaps), f"a gap mentions {text!r}:\n{gaps}"
    if exp.get("no_findings"):
        assert not ev.findings, f"expected no findings:\n{shown}"
    for pat in exp.get("recommendations", []):
        assert any(_matches(r, pat) for r in ev.recommendations), f"no recommendation matches {pat}:\n{recs}"
    for pat in exp.get("recommendations_absent", []):
        assert not any(_matches(r, pat) for r in ev.recommendations), f"a recommendation matches {pat}:\n{recs}"
    for m in exp.get("measures", []):
        got = {r.measure.id: r.rectification for r in ev.recorded_measures}
        assert got.get(m["id"]) == m["rectification"], f"measure statuses {got}"


@pytest.fixture(scope="module", params=["embedded", "neo4j"])
def engine_for(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, data_dir: Path,
               _embedded_server: GraphStore):
    """Loads a case's world into a fresh graph, on each store in turn. On the
    embedded store every world has a graph of its own, kept for the cases that
    share it; Neo4j has one graph, loaded again when the world changes (the
    cases run grouped by world, so each is loaded once)."""
    from zeren.graph.store import open_store

    opened: list[GraphStore] = []
    cache: dict[str, Engine] = {}
    on_neo4j = request.param == "neo4j"
    on_server = neo4j_settings(request.getfixturevalue("neo4j_server"), data_dir) if on_neo4j else None

    def make(case: dict[str, Any], name: str) -> Engine:
        key = _world_key(case)
        if key in cache:
            return cache[key]
        if on_server is not None:
            cache.clear()
            settings = on_server
            store = opened[0] if opened else open_store(settings)
        else:
            settings = Settings(graph="embedded", data_dir=data_dir, graph_name=f"rules_{len(cache)}")
            store = open_store(settings)
        store.clear()
        if store not in opened:
            opened.append(store)
        folder = write_world(world_for(case), tmp_path_factory.mktemp("world"))
        load_path(folder, store, settings=settings)
        cache[key] = Engine(store, today=TODAY)
        return cache[key]

    yield make
    for s in opened:
        s.clear()
        s.close()


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_rule_case(path: Path, engine_for) -> None:  # type: ignore[no-untyped-def]
    case = json.loads(path.read_text(encoding="utf-8"))
    engine: Engine = engine_for(case, path.stem)
    ask, exp = case["ask"], case["expect"]
    if "raises" in exp:
        errors = {"NotFound": NotFound, "EngineError": EngineError}
        with pytest.raises(errors[exp["raises"]["type"]]) as info:
            _ask(engine, ask)
        assert exp["raises"]["message_contains"] in str(info.value)
        return
    result = _ask(engine, ask)
    if "counterfactual" in ask:
        for pat in exp.get("added", []):
            assert any(_matches(f, pat) for f in result.added), f"not added: {pat}"
        for pat in exp.get("removed", []):
            assert any(_matches(f, pat) for f in result.removed), f"not removed: {pat}"
        for pat in exp.get("recommendations_added", []):
            assert any(_matches(r, pat) for r in result.recommendations_added), f"not added: {pat}"
        for pat in exp.get("recommendations_removed", []):
            assert any(_matches(r, pat) for r in result.recommendations_removed), f"not removed: {pat}"
        _check_evaluation(result.after, exp.get("after", {}))
        return
    if "honours" in ask:
        got = {(e.role, e.id) for e in result}
        want = {(e["role"], e["id"]) for e in exp["honours"]}
        assert got == want
        entries = {(e.role, e.id): e for e in result}
        for e in exp["honours"]:
            if "year" in e:
                assert entries[(e["role"], e["id"])].year == e["year"], entries
            if "territory" in e:
                t = entries[(e["role"], e["id"])].territory
                assert (t.id, t.name) == tuple(e["territory"]), entries
        return
    if "compliance" in ask:
        _check_compliance(result, exp)
        return
    if "cadre" in ask:
        for pat in exp.get("findings", []):
            assert any(_matches(f, pat) for f in result.findings), f"no finding matches {pat}"
        for pat in exp.get("absent", []):
            assert not any(_matches(f, pat) for f in result.findings), f"a finding matches {pat}"
        for pat in exp.get("recommendations", []):
            assert any(_matches(r, pat) for r in result.recommendations), f"no recommendation matches {pat}"
        got = {m.measure.id: m.rectification for m in result.measures}
        for m in exp.get("measures", []):
            assert got.get(m["id"]) == m["rectification"], got
        assert len(result.tenures) == exp.get("tenures", len(result.tenures))
        if "basis" in exp:
            assert sorted(_basis(b) for b in result.basis) == sorted(exp["basis"])
        for a in exp.get("assessments", []):
            assert any((x.post, x.assessment.id) == tuple(a) for x in result.assessments), result.assessments
        for i in exp.get("inspections", []):
            got = {x.inspection.id: x.heard_before.id if x.heard_before else None for x in result.inspections}
            assert got.get(i["id"], "absent") == i["heard_before"], got
        for a in exp.get("activities", []):
            assert a in {x.id for x in result.activities}, result.activities
        for m in exp.get("case_holdings", []):
            assert m in {x.matter for x in result.case_holdings}, result.case_holdings
        return
    _check_evaluation(result, exp)


def _duty_matches(unit: Any, d: Any, pat: dict[str, Any]) -> bool:
    got = {"unit": unit.id, "scope": unit.scope, "duty": d.duty, "status": d.status, "basis": _basis(d.basis),
           "rule_sets": list(d.rule_sets), "period_from": d.period[0].isoformat()}
    for k, v in pat.items():
        if k in got and got[k] != v:
            return False
        if k == "fact" and v not in {f.id for f in d.facts}:
            return False
        if k == "note_contains" and v not in d.note:
            return False
        if k == "not_formalised_contains" and v not in d.not_formalised:
            return False
    return True


def _check_compliance(report: Any, exp: dict[str, Any]) -> None:
    pairs = [(u, d) for u in report.units for d in u.duties]
    shown = "\n".join(f"  {u.scope} {u.id} {d.duty} {d.status} {_basis(d.basis)} {d.note}" for u, d in pairs)
    for pat in exp.get("duties", []):
        assert any(_duty_matches(u, d, pat) for u, d in pairs), f"no duty matches {pat}; duties:\n{shown}"
    for pat in exp.get("duties_absent", []):
        assert not any(_duty_matches(u, d, pat) for u, d in pairs), f"a duty matches {pat}; duties:\n{shown}"
    gaps = "\n".join(f"  {g.what}: {g.reason}" for g in report.gaps)
    for text in exp.get("gaps", []):
        assert any(text in f"{g.what}: {g.reason}" for g in report.gaps), f"no gap mentions {text!r}:\n{gaps}"
    if "rule_sets" in exp:
        assert report.rule_sets == exp["rule_sets"], report.rule_sets


TRACES = [p for p in CASES if "trace" in json.loads(p.read_text(encoding="utf-8"))["ask"]]


def _answer(engine: Engine, matter: str, ask: dict[str, Any]) -> Any:
    """A trace's whole answer, or the error it gives."""
    try:
        return engine.trace(matter, as_of=ask.get("as_of"), failure_id=ask.get("failure")).as_dict()
    except (NotFound, EngineError) as e:
        return type(e).__name__, str(e)


@pytest.mark.parametrize("path", TRACES, ids=[p.stem for p in TRACES])
def test_rule_case_world_is_traced_the_same_with_the_organisation_held(path: Path, engine_for) -> None:  # type: ignore[no-untyped-def]
    """The case's trace, and every matter of its world on the case's date,
    answered by an engine holding the organisation in memory (as it fills,
    then from what it holds) exactly as by one reading it from the store."""
    case = json.loads(path.read_text(encoding="utf-8"))
    engine: Engine = engine_for(case, path.stem)
    held = Engine(engine.store, today=TODAY, organisation=Organisation(engine.store))
    ask = case["ask"]
    matters = [ask["trace"]] + sorted({m["id"] for m in world_for(case)["matters"]} - {ask["trace"]})
    for i, matter in enumerate(matters):
        question = ask if i == 0 else {"as_of": ask.get("as_of")}
        expected = _answer(engine, matter, question)
        assert _answer(held, matter, question) == expected, matter
        assert _answer(held, matter, question) == expected, (matter, "from what is held")


def _ask(engine: Engine, ask: dict[str, Any]) -> Any:
    if "trace" in ask:
        return engine.trace(ask["trace"], as_of=ask.get("as_of"), failure_id=ask.get("failure"))
    if "account" in ask:
        return engine.account(ask["account"], as_of=ask.get("as_of"))
    if "counterfactual" in ask:
        c = ask["counterfactual"]
        changes = [Change(**x) for x in c["changes"]]
        return engine.counterfactual(failure_id=c.get("failure"), matter_id=c.get("matter"), changes=changes,
                                     as_of=c.get("as_of"))
    if "honours" in ask:
        return engine.honours_roll(ask["honours"]["year"], ask["honours"].get("territory"))
    if "cadre" in ask:
        return engine.cadre_record(ask["cadre"])
    if "compliance" in ask:
        return engine.compliance(ask["compliance"]["territory"], ask["compliance"]["year"])
    raise AssertionError(f"unknown question {ask}")


def test_every_deciding_article_is_exercised_by_some_case() -> None:
    """Each rule key of both rule sets that decides a finding or a measure is named by a case's expectations."""
    from zeren.law import CHONGQING, NATIONAL

    cited: set[str] = set()
    for p in CASES:
        text = p.read_text(encoding="utf-8")
        cited.update(x for x in [*NATIONAL.provisions.values(), *CHONGQING.provisions.values()]
                     if f'"{_basis(x)}"' in text)  # type: ignore[arg-type]
    deciding = {"SUBJECT", "OVERALL", "MAIN_LEADERSHIP", "COMPETENT", "SYSTEM", "COORDINATION", "LITIGATION_ROUTE",
                "HANDLING", "CASE_HOLDING", "COLLECTIVE_ALLOCATION", "INDIVIDUAL_ALLOCATION", "DISSENT_EXEMPTION",
                "DUE_DILIGENCE", "NOTICE", "ADMONISHMENT", "HONOURS", "ORGANISATIONAL", "DISCIPLINE", "CRIME",
                "INSTITUTION_MEASURES", "FAILURE", "PROPOSAL", "PERSONNEL_USE",
                # chapters 2-3 (zeren.rules.compliance)
                "RISK_ASSESSMENT", "CLASSIFICATION_LIST", "LEADER_READING", "LEADER_RECEPTION", "LEADER_VISIT_DOWN",
                "LEADER_COORDINATION", "STAFF_INCIDENT_REPORT", "STAFF_HANDLING_REPORT", "STAFF_LEADER_REPORT",
                "SPECIAL_SUPERVISION", "SUPERVISION_CIRCULATED",
                "MATTER_SUPERVISION", "ASSESSMENT", "ASSESSMENT_USED", "CADRE_CONSULTATION", "PROVINCIAL_ASSESSMENT",
                "ACCOUNTABILITY_CIRCULATED"}
    texts = "".join(p.read_text(encoding="utf-8") for p in CASES)
    missing = [f"{rs.id} {key}" for rs in (NATIONAL, CHONGQING) for key, prov in rs.provisions.items()
               if key in deciding and prov not in cited
               and not (key == "FAILURE" and f'"{_basis(prov).rstrip(":")}:' in texts)]
    assert not missing, f"no case names the provision of: {missing}"


@pytest.mark.parametrize("matter", ["M-LAND", "M-TAX", "M-TOWN", "M-LIT"])
def test_a_whole_trace_takes_a_bounded_number_of_queries(engine_for, matter: str) -> None:  # type: ignore[no-untyped-def]
    engine: Engine = engine_for({}, "bounded")
    before = engine.store.round_trips.count
    ev = engine.trace(matter)
    assert ev.findings
    # matter; institutions, steps and case-holders together; vertical lines; teams and territories together:
    # FalkorDB takes the queries sent together in one round trip, Neo4j one by one (7 queries).
    assert engine.store.round_trips.count - before <= (4 if engine.store.dialect == "falkordb" else 7)
    before = engine.store.round_trips.count
    engine.account("F-COLL")
    assert engine.store.round_trips.count - before <= 7
