"""Facts the rules need, fetched from the graph in a bounded number of named
queries, as plain in-memory records. The rules never query the store
themselves, so a counterfactual is the same rules over changed facts."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from zeren import queries
from zeren.graph.store.base import GraphStore

Props = dict[str, Any]

# Organs of a territory that the standing rules look at besides working departments.
TERRITORY_ORGANS = ["PARTY_COMMITTEE", "GOVERNMENT", "PETITION_DEPARTMENT", "COURT", "PROCURATORATE",
                    "DISPATCHED_AGENCY"]


class NotFound(LookupError):
    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"no {kind} with id {key!r}")
        self.kind, self.key = kind, key


@dataclass
class Seat:
    """A leadership-team post on the as-of date, with its holder (if any) and
    the divisions of duties valid then."""

    post: Props
    person: Props | None
    tenure: Props | None
    divisions: list[Props]

    @property
    def role(self) -> str:
        return str(self.post.get("role"))

    def covers(self, subject: str | None, institution_ids: set[str]) -> Props | None:
        """The division of duties covering a subject or one of the institutions,
        if any: one covering the subject before one covering an institution,
        the lowest id first, so that the answer does not depend on the order
        the store returns them in (a bulk-imported store returns another)."""
        ordered = sorted(self.divisions, key=lambda d: str(d.get("id")))
        for d in ordered:
            if subject and subject in (d.get("subjects") or []):
                return d
        for d in ordered:
            if d.get("institution") and d["institution"] in institution_ids:
                return d
        return None


@dataclass
class VerticalPath:
    nodes: list[Props]
    links: list[Props]

    def valid_on(self, on: date) -> bool:
        return all(_valid(link, on) for link in self.links)


@dataclass
class MatterFacts:
    matter: Props
    chain: list[Props]  # the matter's territory first, then its ancestors
    institutions: dict[str, list[Props]]  # territory id -> candidate institutions
    teams: dict[str, list[Seat]] = field(default_factory=dict)  # institution id -> seats on as_of
    vertical: dict[str, list[VerticalPath]] = field(default_factory=dict)  # institution id -> paths up
    steps: list[dict[str, Props | None]] = field(default_factory=list)
    case_holders: list[dict[str, Props | None]] = field(default_factory=list)
    # territory id -> its id and its ancestors' (nearest first), for every
    # territory of an institution the rules may reach: the rule sets that bind
    # an institution are those of its own territory (Chongqing art. 2).
    territory_chains: dict[str, list[str]] = field(default_factory=dict)

    def territories(self) -> set[str]:
        """The codes of every territory on the chains held."""
        return {c for chain in self.territory_chains.values() for c in chain}


@dataclass
class Involvement:
    person: Props
    link: Props  # INVOLVED_IN or PARTICIPATED_IN properties
    source: str  # INVOLVED or PARTICIPATED
    post: Props | None = None  # the post recorded on the link


@dataclass
class FailureFacts:
    failure: Props
    unit: Props
    territory: Props
    chain: list[Props]
    matter: Props | None
    decision: Props | None
    involved: list[Involvement]
    participants: list[Involvement]
    unit_team: list[Seat]
    measures: list[Props]  # recorded for this failure
    organs: dict[str, list[Props]]  # territory id -> organs (the deciding organ, the petition department)
    vertical: list[VerticalPath]
    parent: Props | None = None  # the unit's parent organ
    risk_assessments: list[Props] = field(default_factory=list)  # of the decision (Chongqing art. 4 ¶1)

    def clone(self) -> FailureFacts:
        return copy.deepcopy(self)


def _valid(props: Props, on: date) -> bool:
    start, end = props.get("valid_from"), props.get("valid_to")
    return (start is None or start <= on) and (end is None or end >= on)


def nearest(facts: MatterFacts, keep: Callable[[Props], bool]) -> tuple[int, list[Props]]:
    """The institutions ``keep`` accepts at the matter's territory or, where it
    has none, at the nearest level up that has some: (depth, institutions);
    (-1, []) when no level has any."""
    for depth, t in enumerate(facts.chain):
        found = [i for i in facts.institutions.get(t["id"], []) if keep(i)]
        if found:
            return depth, found
    return -1, []


def of_kind(kind: str) -> Callable[[Props], bool]:
    return lambda i: i.get("kind") == kind


def covers(subject: str) -> Callable[[Props], bool]:
    """A working department whose remit (职权范围) covers the subject."""
    return lambda i: i.get("kind") == "WORKING_DEPARTMENT" and subject in (i.get("remit") or [])


def fetch_matter(store: GraphStore, matter_id: str, as_of: date | None,
                 matter_rows: list[Props] | None = None) -> tuple[MatterFacts, date]:
    """The facts for a matter on ``as_of`` (default: the date it was received), and that date.

    ``matter_rows``: the rows of the ``matter`` query for this matter, when the
    caller has already read them (the API reads the matter before its trace)."""
    rows = matter_rows if matter_rows and matter_rows[0]["matter"]["id"] == matter_id else \
        queries.run(store, "matter", {"matter": matter_id})
    if not rows:
        raise NotFound("petition matter", matter_id)
    matter = rows[0]["matter"]
    as_of = as_of or matter["received_on"]
    chain = [r["territory"] for r in rows]
    # Three queries that need only the matter go together: one round trip on
    # an engine that pipelines (FalkorDB), instead of three.
    inst_rows, steps, case_holders = queries.run_many(store, [
        ("institutions_in", {"territories": [t["id"] for t in chain], "kinds": TERRITORY_ORGANS,
                             "subject": matter.get("subject")}),
        ("matter_steps", {"matter": matter_id}),
        ("case_holders", {"matter": matter_id}),
    ])
    institutions: dict[str, list[Props]] = {t["id"]: [] for t in chain}
    for r in inst_rows:
        institutions[r["territory"]].append(r["institution"])
    facts = MatterFacts(matter, chain, institutions)
    ids = [t["id"] for t in chain]
    facts.territory_chains = {t: ids[i:] for i, t in enumerate(ids)}
    # Only the teams the rules reach are read: the nearest party committee and
    # government, the competent departments and the departments above them in
    # a vertical line (not every organ on the chain of territories).
    dept_ids = [d["id"] for d in nearest(facts, covers(str(matter.get("subject"))))[1]]
    if dept_ids:
        for r in queries.run(store, "vertical_line_up", {"institutions": dept_ids}):
            facts.vertical.setdefault(r["institution"], []).append(VerticalPath(r["nodes"], r["links"]))
    team_ids = set(dept_ids)
    for kind in ("PARTY_COMMITTEE", "GOVERNMENT"):
        team_ids.update(i["id"] for i in nearest(facts, of_kind(kind))[1])
    for paths in facts.vertical.values():
        for p in paths:
            team_ids.update(n["id"] for n in p.nodes)
    facts.steps, facts.case_holders = steps, case_holders
    # Institutions off the matter's chain of territories (a department up a
    # vertical line, a unit elsewhere that took a step, a case-holder's unit):
    # their territories' chains are read with the teams, in the same round trip.
    reached = [n for paths in facts.vertical.values() for p in paths for n in p.nodes]
    reached += [s["institution"] for s in steps if s.get("institution")]
    reached += [h["institution"] for h in case_holders if h.get("institution")]
    elsewhere = sorted({str(i["territory"]) for i in reached if i.get("territory")} - set(facts.territory_chains))
    team_rows, chain_rows = queries.run_many(store, [
        teams_query(sorted(team_ids), as_of),
        ("territory_chains", {"territories": elsewhere}),
    ])
    facts.teams = teams_from_rows(sorted(team_ids), team_rows)
    for r in chain_rows:
        facts.territory_chains.setdefault(r["territory"], []).append(r["ancestor"])
    return facts, as_of


def teams_query(institution_ids: list[str], as_of: date) -> tuple[str, Props]:
    return "teams_as_of", {"institutions": institution_ids, "as_of": as_of.isoformat()}


def fetch_teams(store: GraphStore, institution_ids: list[str], as_of: date) -> dict[str, list[Seat]]:
    if not institution_ids:
        return {}
    name, params = teams_query(institution_ids, as_of)
    return teams_from_rows(institution_ids, queries.run(store, name, params))


def teams_from_rows(institution_ids: list[str], rows: list[Props]) -> dict[str, list[Seat]]:
    teams: dict[str, list[Seat]] = {i: [] for i in institution_ids}
    for r in rows:
        teams[r["institution"]].append(Seat(r["post"], r["person"], r["tenure"], r["divisions"] or []))
    for seats in teams.values():
        seats.sort(key=lambda s: (s.post.get("rank") or 99, s.post["id"]))
    return teams


def fetch_failure(store: GraphStore, failure_id: str, act_date: date | None = None) -> FailureFacts:
    rows = queries.run(store, "failure", {"failure": failure_id})
    if not rows:
        raise NotFound("failure", failure_id)
    r = rows[0]
    failure, unit, territory = r["failure"], r["unit"], r["territory"]
    on = act_date or failure["act_date"]
    chain = [t["territory"] for t in queries.run(store, "territory_chain", {"territory": territory["id"]})]
    involved: list[Involvement] = []
    participants: list[Involvement] = []
    decision = r["decision"]
    for p in queries.run(store, "failure_people", {"failure": failure_id,
                                                    "decision": decision["id"] if decision else None}):
        (involved if p["source"] == "INVOLVED" else participants).append(
            Involvement(p["person"], p["link"], p["source"], p.get("post")))
    organs_rows = queries.run(store, "institutions_in", {
        "territories": [t["id"] for t in chain], "kinds": ["PARTY_COMMITTEE", "GOVERNMENT", "PETITION_DEPARTMENT"],
        "subject": None})
    organs: dict[str, list[Props]] = {t["id"]: [] for t in chain}
    for o in organs_rows:
        organs[o["territory"]].append(o["institution"])
    vertical = [VerticalPath(v["nodes"], v["links"])
                for v in queries.run(store, "vertical_line_up", {"institutions": [unit["id"]]})]
    team = fetch_teams(store, [unit["id"]], on)[unit["id"]]
    measures = [m["measure"] for m in queries.run(store, "failure_measures", {"failures": [failure_id]})]
    return FailureFacts(failure, unit, territory, chain, r["matter"], decision, involved, participants, team,
                        measures, organs, vertical, r.get("parent"), r.get("risk_assessments") or [])
