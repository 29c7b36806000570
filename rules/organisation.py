"""The organisation a trace reads besides the matter itself (the institutions
of each territory, the chains of territories, the vertical lines, and the
leadership posts with every tenure and division of duties they ever had),
held in the service's memory so that a trace asks the store only for the
matter, its handling steps and its case-holdings, and a failure's
accountability only for the failure, its people and its measures.

It fills as traces reach it (an institution's team is read once, for every
date; the dates a trace asks are chosen here, as ``teams_as_of`` chooses them
in the store), and it is dropped when a load finishes: every trace reads, in
the round trip that reads the matter's steps, how many loads have finished and
the key of the latest (``load_generation``, a few rows; an accountability in
the round trip that reads the failure); a change empties it.
A load that is still running shows once it has finished. Each process (each
service worker) holds its own, up to a number of posts (the setting
``organisation_cache_max_posts``): past it, the next trace starts afresh.

The lists it gives are in the order ``Reads`` gives them from the store (by
key), so a trace answers the same with it or without it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from zeren import queries
from zeren.graph.records import (Division, Holds, Institution, InstitutionKind, Person, PetitionMatter, Post, Subject,
                                 Territory)
from zeren.graph.store.base import GraphStore

from .facts import (TERRITORY_ORGANS, NotFound, Opening, Props, Reads, Seat, VerticalPath, by_id, given, path_order,
                    seat_order, vertical_path)

ORGANS = frozenset(TERRITORY_ORGANS)


def _valid(link: Holds | Division, on: date) -> bool:
    return link.valid_from <= on and (link.valid_to is None or link.valid_to >= on)


@dataclass(frozen=True, slots=True)
class TeamPost:
    """A leadership-team post with every tenure of it and every division of its duties."""

    post: Post
    held: tuple[tuple[Person, Holds], ...]
    divisions: tuple[Division, ...]

    def seats(self, on: date) -> list[Seat]:
        """The seats of the post on a date: one per tenure valid then, or one vacant seat."""
        divisions = [d for d in self.divisions if _valid(d, on)]
        seats = [Seat(self.post, person, tenure, divisions) for person, tenure in self.held if _valid(tenure, on)]
        return seats or [Seat(self.post, None, None, divisions)]


@dataclass
class Snapshot:
    """What has been read of the organisation since the load ``generation``."""

    generation: tuple[Any, ...] | None
    institutions: dict[str, tuple[Institution, ...]] = field(default_factory=dict)  # territory -> all of it, by key
    vertical: dict[str, list[VerticalPath]] = field(default_factory=dict)  # institution -> paths up ([]: none)
    teams: dict[str, tuple[TeamPost, ...]] = field(default_factory=dict)  # institution -> its team's posts
    chains: dict[str, list[str]] = field(default_factory=dict)  # territory -> itself and its ancestors
    territories: dict[str, tuple[Territory, ...]] = field(default_factory=dict)  # the same, as records
    # (territory, subject) -> the institutions of the territory a matter of the subject may reach
    candidates: dict[tuple[str, Subject], tuple[Institution, ...]] = field(default_factory=dict)
    posts: int = 0  # posts held in teams

    def size(self) -> dict[str, int]:
        """How much is held: territories, institutions, paths, posts, tenures, divisions, chains."""
        posts = [p for team in self.teams.values() for p in team]
        return {"territories": len(self.institutions),
                "institutions": sum(len(v) for v in self.institutions.values()),
                "vertical_paths": sum(len(v) for v in self.vertical.values()), "teams": len(self.teams),
                "posts": len(posts), "tenures": sum(len(p.held) for p in posts),
                "divisions": sum(len(p.divisions) for p in posts), "chains": len(self.chains)}


def candidates(snap: Snapshot, territory: str, subject: Subject) -> tuple[Institution, ...]:
    """The institutions of a territory that ``institutions_in`` gives for a
    matter of ``subject``: its organs, and the working departments whose remit
    covers the subject (kept per territory and subject once chosen)."""
    key = (territory, subject)
    found = snap.candidates.get(key)
    if found is None:
        found = snap.candidates[key] = tuple(i for i in snap.institutions[territory] if i.kind in ORGANS or (
            i.kind == InstitutionKind.WORKING_DEPARTMENT and subject in (i.remit or ())))
    return found


def generation(rows: list[Props]) -> tuple[Any, ...]:
    """The loads that finished, from the rows of ``load_generation``."""
    return (rows[0]["loads"], rows[0]["latest"]) if rows else (0, None)


class Organisation:
    """The organisation of one store, held for the traces of one process."""

    def __init__(self, store: GraphStore, max_posts: int | None = None) -> None:
        """``max_posts``: when more posts than this are held, the next trace
        starts from an empty snapshot (what traces reach is read again)."""
        self.store = store
        self.max_posts = max_posts
        self.snapshot = Snapshot(None)

    def reads(self) -> OrganisationReads:
        return OrganisationReads(self)

    def observe(self, rows: list[Props]) -> Snapshot:
        """The snapshot for the loads ``rows`` (of ``load_generation``) name: the
        one held, or a new empty one when a load has finished since. A trace
        keeps the snapshot it started with (another thread may replace it)."""
        snap = self.snapshot
        gen = generation(rows)
        if snap.generation != gen or (self.max_posts is not None and snap.posts > self.max_posts):
            snap = self.snapshot = Snapshot(gen)
        return snap

    def fill_institutions(self, snap: Snapshot, rows: list[Props], territories: list[str]) -> None:
        """Keep the rows of ``territory_institutions`` for ``territories`` (a territory without any: none)."""
        found: dict[str, list[Institution]] = {t: [] for t in territories}
        for r in rows:
            found[r["territory"]].append(Institution.of(r["institution"]))
        for t, insts in found.items():
            snap.institutions[t] = tuple(sorted(insts, key=by_id))

    def fill_vertical(self, snap: Snapshot, institution_ids: list[str]) -> None:
        found: dict[str, list[VerticalPath]] = {i: [] for i in institution_ids}
        for r in queries.run(self.store, "vertical_line_up", {"institutions": institution_ids}):
            found[r["institution"]].append(vertical_path(r))
        for i, paths in found.items():
            snap.vertical[i] = sorted(paths, key=path_order)

    def fill_teams_and_chains(self, snap: Snapshot, institution_ids: list[str], territories: list[str]) -> None:
        requests: list[tuple[str, Props | None]] = [("teams_all", {"institutions": institution_ids})]
        if territories:
            requests.append(("territory_chains", {"territories": territories}))
        team_rows, *more = queries.run_many(self.store, requests)
        chain_rows = more[0] if more else []
        teams: dict[str, list[TeamPost]] = {i: [] for i in institution_ids}
        for r in team_rows:
            held = tuple(sorted(((Person.of(h["person"]), Holds.of(h["tenure"])) for h in r["held"]),
                                key=lambda x: x[1].id))
            teams[r["institution"]].append(TeamPost(Post.of(r["post"]), held,
                                                    tuple(sorted(map(Division.of, r["divisions"]), key=by_id))))
        for i, posts in teams.items():
            snap.teams[i] = tuple(posts)
            snap.posts += len(posts)
        chains: dict[str, list[str]] = {t: [] for t in territories}
        for r in chain_rows:
            chains[r["territory"]].append(r["ancestor"])
        for t, up in chains.items():
            if up:  # a territory not in the graph has no chain (as from the store)
                snap.chains[t] = up


class OrganisationReads(Reads):
    """``Reads`` from the organisation held in memory: the store is asked only
    for what is not held yet, and for the matter's own rows."""

    def __init__(self, organisation: Organisation) -> None:
        super().__init__(organisation.store)
        self.organisation = organisation
        self.snap = organisation.snapshot

    def first(self, matter_id: str, matter_rows: list[Props] | None) -> Opening:
        """As ``Reads.first``, in one round trip when the organisation is held:
        the matter (unless its rows are given), its steps and case-holdings, and
        the loads finished (is what is held still the store's?); the chain of
        territories and their institutions from memory, or read once."""
        org = self.organisation
        rows = given(matter_id, matter_rows)
        requests: list[tuple[str, Props | None]] = [
            ("load_generation", None), ("matter_steps", {"matter": matter_id}), ("case_holders", {"matter": matter_id})]
        if rows is None:
            requests.append(("matter_territory", {"matter": matter_id}))
        gen_rows, step_rows, holder_rows, *more = queries.run_many(self.store, requests)
        snap = self.snap = org.observe(gen_rows)
        if rows is not None:
            row, chain = rows[0]["matter"], [Territory.of(r["territory"]) for r in rows]
        else:
            found = more[0]
            chain = list(self.chain(snap, found[0]["territory"])) if found else []
            if not chain:  # no such matter (`matter` gives no rows either)
                raise NotFound("petition matter", matter_id)
            row = found[0]["matter"]
        matter = PetitionMatter.of(row)
        ids = [t.id for t in chain]
        missing = [t for t in ids if t not in snap.institutions]
        if missing:
            org.fill_institutions(snap, queries.run(self.store, "territory_institutions", {"territories": missing}),
                                  missing)
        institutions = {t: list(candidates(snap, t, matter.subject)) for t in ids}
        return Opening(row, matter, chain, institutions, step_rows, holder_rows)

    def chain(self, snap: Snapshot, territory: str) -> tuple[Territory, ...]:
        """A territory and its ancestors, nearest first (``territory_chain``), held once read."""
        found = snap.territories.get(territory)
        if found is None:
            found = snap.territories[territory] = tuple(
                Territory.of(r["territory"]) for r in queries.run(self.store, "territory_chain", {"territory": territory}))
        return found

    def vertical(self, institution_ids: list[str]) -> dict[str, list[VerticalPath]]:
        snap = self.snap
        missing = [i for i in institution_ids if i not in snap.vertical]
        if missing:
            self.organisation.fill_vertical(snap, missing)
        return {i: list(snap.vertical[i]) for i in institution_ids if snap.vertical[i]}

    def teams_and_chains(self, institution_ids: list[str], territories: list[str], as_of: date
                         ) -> tuple[dict[str, list[Seat]], dict[str, list[str]]]:
        snap = self.snap
        missing_teams = [i for i in institution_ids if i not in snap.teams]
        missing_chains = [t for t in territories if t not in snap.chains]
        if missing_teams or missing_chains:
            self.organisation.fill_teams_and_chains(snap, missing_teams, missing_chains)
        teams = {i: seats_on(snap, i, as_of) for i in institution_ids}
        return teams, {t: list(snap.chains[t]) for t in territories if t in snap.chains}

    # A failure's accountability: its own rows from the store, the organisation from memory.
    def failure(self, failure_id: str) -> tuple[list[Props], list[Props]]:
        """As ``Reads.failure``, with the loads finished read in the same round
        trip (is what is held still the store's?)."""
        gen_rows, failure_rows, measure_rows = queries.run_many(self.store, [
            ("load_generation", None), ("failure", {"failure": failure_id}),
            ("failure_measures", {"failures": [failure_id]})])
        self.snap = self.organisation.observe(gen_rows)
        return failure_rows, measure_rows

    def ancestry(self, territory: str) -> list[Territory]:
        return list(self.chain(self.snap, territory))

    def organs(self, territories: list[str], kinds: list[InstitutionKind]) -> dict[str, list[Institution]]:
        snap = self.snap
        missing = [t for t in territories if t not in snap.institutions]
        if missing:
            self.organisation.fill_institutions(
                snap, queries.run(self.store, "territory_institutions", {"territories": missing}), missing)
        wanted = frozenset(kinds)
        return {t: [i for i in snap.institutions[t] if i.kind in wanted] for t in territories}

    def team(self, institution: str, as_of: date) -> list[Seat]:
        snap = self.snap
        if institution not in snap.teams:
            self.organisation.fill_teams_and_chains(snap, [institution], [])
        return seats_on(snap, institution, as_of)


def seats_on(snap: Snapshot, institution: str, as_of: date) -> list[Seat]:
    """The seats of an institution's team on ``as_of``, in ``Reads``' order."""
    seats = [s for p in snap.teams[institution] for s in p.seats(as_of)]
    seats.sort(key=seat_order)
    return seats
