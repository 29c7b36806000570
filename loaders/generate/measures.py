"""The accountability measures for a failure."""

from __future__ import annotations

import random

from .common import END, _year, iso
from .layout import inst_id, organisation_department
from .organisation import Unit
from .sink import Sink

ORGANISATIONAL = ("SUSPENSION", "POST_ADJUSTMENT", "ORDERED_RESIGNATION", "DEMOTION", "REMOVAL")
CIRCULATED = 0.85  # measures sent to the organisation department of the deciding organ's level


class Measures:
    """The accountability measures for one failure, on the ladder of art. 13-16 (and Chongqing art. 12)."""

    def __init__(self, sink: Sink, rng: random.Random, fid: str, unit: Unit, slot: int, reported: int,
                 circulate: random.Random) -> None:
        self.sink, self.rng, self.fid, self.unit, self.slot = sink, rng, fid, unit, slot
        self.circulate = circulate  # draws whether and when each measure is circulated (Chongqing art. 18)
        self.decided = reported + rng.randint(10, 60)
        self.k = 0

    def write(self, gravity: str, targets: list[tuple[Unit, str, str]], disciplinary: bool,
              suspect: tuple[str, str] | None, against_institution: bool) -> None:
        """``suspect``: the (person, post) suspected of a crime, referred to be handled under the law."""
        if self.decided > END:
            return
        for i, (unit, post, person) in enumerate(targets):
            kind = self._kind(gravity if i == 0 else "MINOR")
            self._person(kind, unit, post, person, self.decided)
        unit, post, person = targets[0]
        if disciplinary:
            self._person("DISCIPLINARY_SANCTION", unit, post, person, self.decided)
        if suspect:
            self._person("LEGAL_REFERRAL", unit, suspect[1], suspect[0], self.decided)
        if against_institution and self.rng.random() < 0.15:
            kind = "WRITTEN_SELF_EXAMINATION" if gravity == "MINOR" else "CIRCULATED_CRITICISM"
            self._institution(kind, self.decided)

    def _kind(self, gravity: str) -> str:
        if gravity == "MINOR":
            return "NOTICE"
        if gravity == "SERIOUS":
            return "ADMONISHMENT"
        return self.rng.choice(ORGANISATIONAL)

    def _emit(self, kind: str, person: str, post: str, institution: str, decided_by: str, day: int,
              deadline: int | None = None, rectified: int | None = None) -> None:
        self.k += 1
        aid = f"{self.fid}-A{self.k}"
        self.sink.record("measures", id=aid, kind=kind, failure=self.fid, person=person, post=post,
                         institution=institution, decided_by=decided_by, decided_on=iso(day),
                         deadline=iso(deadline) if deadline else "",
                         rectified_on=iso(rectified) if rectified and rectified <= END else "")
        if self.circulate.random() < CIRCULATED and (sent := day + self.circulate.randint(3, 30)) <= END:
            self.sink.record("circulations", id=f"{aid}-N", measure=aid, to=organisation_department(decided_by),
                             on=iso(sent))

    def _person(self, kind: str, unit: Unit, post: str, person: str, day: int) -> None:
        """A measure against a person; a notice or admonishment sets a deadline to rectify; an unrectified
        notice escalates to admonishment (art. 14), and an admonishment costs the unit its honours (art. 14)."""
        rng = self.rng
        if kind not in ("NOTICE", "ADMONISHMENT"):
            self._emit(kind, person, post, "", unit.manager(post), day)
            return
        deadline = day + rng.randint(30, 90)
        rectified = day + rng.randint(10, deadline - day + 30) if rng.random() < 0.9 else None
        self._emit(kind, person, post, "", unit.manager(post), day, deadline, rectified)
        if kind == "ADMONISHMENT":
            self._honours(day)
        elif rectified is None and rng.random() < 0.6 and (later := deadline + rng.randint(5, 40)) <= END:
            self._person("ADMONISHMENT", unit, post, person, later)

    def _honours(self, day: int) -> None:
        key = (inst_id(self.unit.code, self.slot), _year(day))
        if key not in self.unit.honours:
            self.unit.honours.add(key)
            self._institution("HONOURS_DISQUALIFICATION", day)

    def _institution(self, kind: str, day: int) -> None:
        self._emit(kind, "", "", inst_id(self.unit.code, self.slot), self.unit.party_committee(), day)
