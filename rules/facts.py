"""Facts the rules need, fetched from the graph in a bounded number of named
queries, as typed in-memory records (zeren.graph.records). The rules never
query the store themselves, so a counterfactual is the same rules over
changed facts.

This is the one place where the rows of the store become records: every node
and relationship the rules read is a record of its kind, and every row of a
query that is not one kind's fields (a handling step with its unit and staff,
a seat, a case-holding) is a dataclass here."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from zeren import queries
from zeren.graph.records import (
    AccountabilityMeasure,
    Assessment,
    CadreInspection,
    Consultation,
    Decision,
    Division,
    Failure,
    HandlingStep,
    Holds,
    HoldsCase,
    Institution,
    InstitutionKind,
    InvolvedIn,
    LeaderActivity,
    MeasureKind,
    ParticipatedIn,
    Person,
    PetitionMatter,
    Post,
    PostRole,
    RiskAssessment,
    Subject,
    Territory,
    VerticalLine,
)
from zeren.graph.store.base import GraphStore

Props = dict[str, Any]

K = InstitutionKind
# Organs of a territory that the standing rules look at besides working departments.
TERRITORY_ORGANS = [K.PARTY_COMMITTEE, K.GOVERNMENT, K.PETITION_DEPARTMENT, K.COURT, K.PROCURATORATE,
                    K.DISPATCHED_AGENCY]


class NotFound(LookupError):
    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"no {kind} with id {key!r}")
        self.kind, self.key = kind, key


@dataclass
class Seat:
    """A leadership-team post on the as-of date, with its holder (if any) and
    the divisions of duties valid then."""

    post: Post
    person: Person | None
    tenure: Holds | None
    divisions: list[Division]

    @property
    def role(self) -> PostRole:
        return self.post.role

    def covers(self, subject: str | None, institution_ids: set[str]) -> Division | None:
        """The division of duties covering a subject or one of the institutions,
        if any: one covering the subject before one covering an institution,
        the lowest id first, so that the answer does not depend on the order
        the store returns them in (a bulk-imported store returns another)."""
        ordered = sorted(self.divisions, key=lambda d: d.id)
        for d in ordered:
            if subject and subject in (d.subjects or ()):
                return d
        for d in ordered:
            if d.institution and d.institution in institution_ids:
                return d
        return None


@dataclass
class VerticalPath:
    nodes: list[Institution]
    links: list[VerticalLine]

    def valid_on(self, on: date) -> bool:
        return all(_valid(link, on) for link in self.links)


@dataclass(frozen=True, slots=True)
class Step:
    """A handling step of a matter, with the unit that acted and the staff member (if recorded)."""

    step: HandlingStep
    institution: Institution
    staff: Person | None

    @staticmethod
    def of(row: Props) -> Step:
        return Step(HandlingStep.of(row["step"]), Institution.of(row["institution"]), Person.maybe(row["staff"]))


@dataclass(frozen=True, slots=True)
class CaseHolding:
    """A leader holding a matter (包案), with the post recorded for it and that post's institution."""

    person: Person
    holding: HoldsCase
    post: Post | None
    institution: Institution | None

    @staticmethod
    def of(row: Props) -> CaseHolding:
        return CaseHolding(Person.of(row["person"]), HoldsCase.of(row["holding"]), Post.maybe(row["post"]),
                           Institution.maybe(row["institution"]))


@dataclass
class MatterFacts:
    matter: PetitionMatter
    chain: list[Territory]  # the matter's territory first, then its ancestors
    institutions: dict[str, list[Institution]]  # territory id -> candidate institutions
    teams: dict[str, list[Seat]] = field(default_factory=dict)  # institution id -> seats on as_of
    vertical: dict[str, list[VerticalPath]] = field(default_factory=dict)  # institution id -> paths up
    steps: list[Step] = field(default_factory=list)
    case_holders: list[CaseHolding] = field(default_factory=list)
    # territory id -> its id and its ancestors' (nearest first), for every
    # territory of an institution the rules may reach: the rule sets that bind
    # an institution are those of its own territory (Chongqing art. 2).
    territory_chains: dict[str, list[str]] = field(default_factory=dict)
    row: Props = field(default_factory=dict)  # the matter's stored properties

    def territories(self) -> set[str]:
        """The codes of every territory on the chains held."""
        return {c for chain in self.territory_chains.values() for c in chain}


@dataclass
class Involvement:
    person: Person
    link: InvolvedIn | ParticipatedIn
    source: str  # INVOLVED or PARTICIPATED
    post: Post | None = None  # the post recorded on the link


@dataclass
class FailureFacts:
    failure: Failure
    unit: Institution
    territory: Territory
    chain: list[Territory]
    matter: PetitionMatter | None
    decision: Decision | None
    involved: list[Involvement]
    participants: list[Involvement]
    unit_team: list[Seat]
    measures: list[AccountabilityMeasure]  # recorded for this failure
    organs: dict[str, list[Institution]]  # territory id -> organs (the deciding organ, the petition department)
    vertical: list[VerticalPath]
    parent: Institution | None = None  # the unit's parent organ
    risk_assessments: list[RiskAssessment] = field(default_factory=list)  # of the decision (Chongqing art. 4 ¶1)

    def clone(self) -> FailureFacts:
        return copy.deepcopy(self)


def _valid(link: VerticalLine, on: date) -> bool:
    return link.valid_from <= on and (link.valid_to is None or link.valid_to >= on)


def nearest(facts: MatterFacts, keep: Callable[[Institution], bool]) -> tuple[int, list[Institution]]:
    """The institutions ``keep`` accepts at the matter's territory or, where it
    has none, at the nearest level up that has some: (depth, institutions);
    (-1, []) when no level has any."""
    for depth, t in enumerate(facts.chain):
        found = [i for i in facts.institutions.get(t.id, []) if keep(i)]
        if found:
            return depth, found
    return -1, []


def of_kind(kind: InstitutionKind) -> Callable[[Institution], bool]:
    return lambda i: i.kind == kind


def covers(subject: Subject) -> Callable[[Institution], bool]:
    """A working department whose remit (职权范围) covers the subject."""
    return lambda i: i.kind == InstitutionKind.WORKING_DEPARTMENT and subject in (i.remit or ())


@dataclass
class Opening:
    """What a trace reads first: the matter (its stored properties and its
    record), its chain of territories (its own first), the candidate
    institutions of each, and the rows of its handling steps and case-holdings."""

    row: Props
    matter: PetitionMatter
    chain: list[Territory]
    institutions: dict[str, list[Institution]]
    step_rows: list[Props]
    holder_rows: list[Props]


def given(matter_id: str, matter_rows: list[Props] | None) -> list[Props] | None:
    """The rows of the ``matter`` query a caller gave, when they are this matter's."""
    return matter_rows if matter_rows and matter_rows[0]["matter"]["id"] == matter_id else None


class Reads:
    """Where ``fetch_matter`` reads the organisation (territories, institutions,
    teams, vertical lines): the store, one named query each. The matter's own
    rows (steps, case-holdings) always come from the store; a subclass
    (zeren.rules.organisation) holds the organisation in memory instead. Both
    give every list in the same order, so the answers are the same."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store

    def first(self, matter_id: str, matter_rows: list[Props] | None) -> Opening:
        """The matter, its chain of territories, the candidate institutions of
        each, and the rows of ``matter_steps`` and ``case_holders``: the rows of
        the ``matter`` query (unless given), then one round trip on an engine
        that pipelines (FalkorDB) for the rest."""
        rows = given(matter_id, matter_rows) or queries.run(self.store, "matter", {"matter": matter_id})
        if not rows:
            raise NotFound("petition matter", matter_id)
        matter = PetitionMatter.of(rows[0]["matter"])
        chain = [Territory.of(r["territory"]) for r in rows]
        ids = [t.id for t in chain]
        inst_rows, step_rows, holder_rows = queries.run_many(self.store, [
            ("institutions_in", {"territories": ids, "kinds": [str(k) for k in TERRITORY_ORGANS],
                                 "subject": str(matter.subject)}),
            ("matter_steps", {"matter": matter_id}),
            ("case_holders", {"matter": matter_id}),
        ])
        institutions: dict[str, list[Institution]] = {t: [] for t in ids}
        for r in inst_rows:
            institutions[r["territory"]].append(Institution.of(r["institution"]))
        for found in institutions.values():
            found.sort(key=by_id)
        return Opening(rows[0]["matter"], matter, chain, institutions, step_rows, holder_rows)

    def vertical(self, institution_ids: list[str]) -> dict[str, list[VerticalPath]]:
        """The paths up the vertical lines of each institution (those with none are left out)."""
        out: dict[str, list[VerticalPath]] = {}
        if institution_ids:
            for r in queries.run(self.store, "vertical_line_up", {"institutions": institution_ids}):
                out.setdefault(r["institution"], []).append(vertical_path(r))
        for paths in out.values():
            paths.sort(key=path_order)
        return out

    def teams_and_chains(self, institution_ids: list[str], territories: list[str], as_of: date
                         ) -> tuple[dict[str, list[Seat]], dict[str, list[str]]]:
        """The teams of the institutions on ``as_of``, and the chain of each
        territory (itself, then its ancestors): one round trip."""
        team_rows, chain_rows = queries.run_many(self.store, [
            teams_query(institution_ids, as_of), ("territory_chains", {"territories": territories})])
        chains: dict[str, list[str]] = {}
        for r in chain_rows:
            chains.setdefault(r["territory"], []).append(r["ancestor"])
        return teams_from_rows(institution_ids, team_rows), chains

    def failure(self, failure_id: str) -> tuple[list[Props], list[Props]]:
        """The rows of ``failure`` and ``failure_measures`` for a failure (one
        round trip on an engine that pipelines)."""
        failure_rows, measure_rows = queries.run_many(self.store, [
            ("failure", {"failure": failure_id}), ("failure_measures", {"failures": [failure_id]})])
        return failure_rows, measure_rows

    def ancestry(self, territory: str) -> list[Territory]:
        """A territory and its ancestors, nearest first (``territory_chain``)."""
        return [Territory.of(r["territory"]) for r in queries.run(self.store, "territory_chain",
                                                                  {"territory": territory})]

    def organs(self, territories: list[str], kinds: list[InstitutionKind]) -> dict[str, list[Institution]]:
        """The institutions of ``kinds`` of each territory, by key."""
        found: dict[str, list[Institution]] = {t: [] for t in territories}
        for r in queries.run(self.store, "institutions_in", {"territories": territories, "subject": None,
                                                              "kinds": [str(k) for k in kinds]}):
            found[r["territory"]].append(Institution.of(r["institution"]))
        for insts in found.values():
            insts.sort(key=by_id)
        return found

    def team(self, institution: str, as_of: date) -> list[Seat]:
        """The team of an institution on ``as_of``."""
        return fetch_teams(self.store, [institution], as_of)[institution]


def by_id(x: Institution | Division) -> str:
    return x.id


def path_order(p: VerticalPath) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Paths up a vertical line in one order whatever the store's: by their institutions, then their lines."""
    return tuple(n.id for n in p.nodes), tuple(x.id for x in p.links)


def seat_order(s: Seat) -> tuple[int, str, str]:
    """Seats by rank, post and tenure (two holders of a post on one date: the tenure's key decides)."""
    return s.post.rank or 99, s.post.id, s.tenure.id if s.tenure else ""


def fetch_matter(store: GraphStore, matter_id: str, as_of: date | None,
                 matter_rows: list[Props] | None = None, reads: Reads | None = None) -> tuple[MatterFacts, date]:
    """The facts for a matter on ``as_of`` (default: the date it was received), and that date.

    ``matter_rows``: the rows of the ``matter`` query for this matter, when the
    caller has already read them (the API reads the matter before its trace).
    ``reads``: where the organisation is read (default: the store)."""
    reads = reads or Reads(store)
    first = reads.first(matter_id, matter_rows)
    matter, chain = first.matter, first.chain
    as_of = as_of or matter.received_on
    facts = MatterFacts(matter, chain, first.institutions, row=first.row)
    ids = [t.id for t in chain]
    facts.territory_chains = {t: ids[i:] for i, t in enumerate(ids)}
    # Only the teams the rules reach are read: the nearest party committee and
    # government, the competent departments and the departments above them in
    # a vertical line (not every organ on the chain of territories).
    dept_ids = [d.id for d in nearest(facts, covers(matter.subject))[1]]
    facts.vertical = reads.vertical(dept_ids)
    team_ids = set(dept_ids)
    for kind in (InstitutionKind.PARTY_COMMITTEE, InstitutionKind.GOVERNMENT):
        team_ids.update(i.id for i in nearest(facts, of_kind(kind))[1])
    for paths in facts.vertical.values():
        for p in paths:
            team_ids.update(n.id for n in p.nodes)
    facts.steps = [Step.of(r) for r in first.step_rows]
    facts.case_holders = [CaseHolding.of(r) for r in first.holder_rows]
    # Institutions off the matter's chain of territories (a department up a
    # vertical line, a unit elsewhere that took a step, a case-holder's unit):
    # their territories' chains are read with the teams, in the same round trip.
    reached = [n for paths in facts.vertical.values() for p in paths for n in p.nodes]
    reached += [s.institution for s in facts.steps]
    reached += [h.institution for h in facts.case_holders if h.institution]
    elsewhere = sorted({i.territory for i in reached} - set(facts.territory_chains))
    facts.teams, chains = reads.teams_and_chains(sorted(team_ids), elsewhere, as_of)
    for t, up in chains.items():
        facts.territory_chains.setdefault(t, up)
    return facts, as_of


def vertical_path(row: Props) -> VerticalPath:
    """A row of ``vertical_line_up``: the institutions from the lower one up, and the lines between them."""
    return VerticalPath([Institution.of(n) for n in row["nodes"]], [VerticalLine.of(x) for x in row["links"]])


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
        teams[r["institution"]].append(Seat(Post.of(r["post"]), Person.maybe(r["person"]), Holds.maybe(r["tenure"]),
                                            sorted((Division.of(d) for d in r["divisions"] or []), key=by_id)))
    for seats in teams.values():
        seats.sort(key=seat_order)
    return teams


def fetch_failure(store: GraphStore, failure_id: str, act_date: date | None = None,
                  reads: Reads | None = None) -> FailureFacts:
    """The facts for a failure's accountability, on its act date (or ``act_date``).
    ``reads``: where the organisation is read (default: the store)."""
    reads = reads or Reads(store)
    rows, measure_rows = reads.failure(failure_id)
    if not rows:
        raise NotFound("failure", failure_id)
    r = rows[0]
    failure, unit, territory = Failure.of(r["failure"]), Institution.of(r["unit"]), Territory.of(r["territory"])
    on = act_date or failure.act_date
    chain = reads.ancestry(territory.id)
    involved: list[Involvement] = []
    participants: list[Involvement] = []
    decision = Decision.maybe(r["decision"])
    for p in queries.run(store, "failure_people", {"failure": failure_id,
                                                    "decision": decision.id if decision else None}):
        if p["source"] == "INVOLVED":
            involved.append(Involvement(Person.of(p["person"]), InvolvedIn.of(p["link"]), p["source"],
                                        Post.maybe(p.get("post"))))
        else:
            participants.append(Involvement(Person.of(p["person"]), ParticipatedIn.of(p["link"]), p["source"],
                                            Post.maybe(p.get("post"))))
    organs = reads.organs([t.id for t in chain], [K.PARTY_COMMITTEE, K.GOVERNMENT, K.PETITION_DEPARTMENT])
    vertical = reads.vertical([unit.id]).get(unit.id, [])
    team = reads.team(unit.id, on)
    measures = [AccountabilityMeasure.of(m["measure"]) for m in measure_rows]
    return FailureFacts(failure, unit, territory, chain, PetitionMatter.maybe(r["matter"]), decision, involved,
                        participants, team, measures, organs, vertical, Institution.maybe(r.get("parent")),
                        [RiskAssessment.of(a) for a in r.get("risk_assessments") or []])


# --------------------------------------------------------------------------- people and units

@dataclass(frozen=True)
class Tenure:
    """A post the person held, at its institution, and the tenure's dates."""

    post: Post
    institution: Institution
    tenure: Holds


@dataclass(frozen=True)
class CaseHeld:
    """A matter the cadre held (包案), with the matter's title."""

    holding: HoldsCase
    matter: str  # the matter's key
    title: str | None


@dataclass(frozen=True)
class AssessedPost:
    """A leadership post the person held, and the assessments of its unit
    (and, for a party committee or government, of its region)."""

    post: str  # the post's key
    institution: str  # the institution's key
    tenure: Holds
    assessments: list[Assessment]


@dataclass
class CadreFacts:
    """The facts of chapters 2-3 in a cadre record."""

    activities: list[LeaderActivity]
    inspections: list[tuple[CadreInspection, list[Consultation]]]
    assessed: list[AssessedPost]
    holdings: list[CaseHeld]


@dataclass(frozen=True)
class MeasureInYear:
    """A measure decided in a year, with its failure, the failure's unit, the
    unit's territory and parent organ."""

    measure: AccountabilityMeasure
    failure: Failure
    unit: Institution
    territory: Territory
    parent: Institution | None


def fetch_person(store: GraphStore, person_id: str) -> tuple[Person, list[Tenure], list[str]]:
    """A person, the posts held (earliest first) and the failures the person may
    answer for: of a unit whose leadership post the person held on the act's
    date, naming the person, or with a measure against the person."""
    rows = queries.run(store, "person", {"person": person_id})
    if not rows:
        raise NotFound("person", person_id)
    person, tenures = person_from_rows(rows)
    failures = queries.run(store, "person_failures", {"person": person_id})
    return person, tenures, sorted({r["failure"] for r in failures})


def person_from_rows(rows: list[Props]) -> tuple[Person, list[Tenure]]:
    """The rows of the ``person`` query: the person, and the posts held (earliest first)."""
    return Person.of(rows[0]["person"]), [Tenure(Post.of(r["post"]), Institution.of(r["institution"]),
                                                 Holds.of(r["tenure"])) for r in rows if r["tenure"]]


def fetch_cadre(store: GraphStore, person_id: str) -> CadreFacts:
    acts, inspections, assessed, holdings = queries.run_many(store, [
        (name, {"person": person_id}) for name in
        ("person_duties", "person_inspections", "person_assessments", "person_case_holdings")])
    return CadreFacts(
        activities=[LeaderActivity.of(r["activity"]) for r in acts],
        inspections=[(CadreInspection.of(r["inspection"]), [Consultation.of(c) for c in r["consultations"]])
                     for r in inspections],
        assessed=[AssessedPost(r["post"], r["institution"], Holds.of(r["tenure"]),
                               [Assessment.of(a) for a in [*r["own"], *r["region"]]]) for r in assessed],
        holdings=[CaseHeld(HoldsCase.of(r["holding"]), r["matter"], r["title"]) for r in holdings])


def fetch_measures_in_year(store: GraphStore, year: int, kinds: list[MeasureKind]) -> list[MeasureInYear]:
    rows = queries.run(store, "measures_in_year", {"from": f"{year:04d}-01-01", "to": f"{year:04d}-12-31",
                                                   "kinds": [str(k) for k in kinds]})
    return [MeasureInYear(AccountabilityMeasure.of(r["measure"]), Failure.of(r["failure"]), Institution.of(r["unit"]),
                          Territory.of(r["territory"]), Institution.maybe(r["parent"])) for r in rows]


def territory_chain(store: GraphStore, territory_id: str) -> list[str]:
    """The codes of a territory and its ancestors, nearest first."""
    return [r["territory"]["id"] for r in queries.run(store, "territory_chain", {"territory": territory_id})]


def failure_matter(store: GraphStore, failure_id: str) -> PetitionMatter | None:
    """The matter a failure is recorded on (None: it names none)."""
    rows = queries.run(store, "failure", {"failure": failure_id})
    if not rows:
        raise NotFound("failure", failure_id)
    return PetitionMatter.maybe(rows[0]["matter"])
