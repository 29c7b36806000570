"""The yearly records of chapters 2-3 of the rules (ledgers, supervisions, assessments, inspections, ...)."""

from __future__ import annotations

import random
from datetime import date

from .common import CQ_IN_FORCE, END, YEARS, _pick, _rng, iso
from .layout import ORGANISATION_SLOT, Slot, inst_id
from .organisation import Unit
from .sink import Sink

# --------------------------------------------------------------------------- chapters 2-3: yearly records

REGION_DUTIES = ("SPECIAL_SUPERVISION", "SUPERVISION_CIRCULATED", "ASSESSMENT", "ASSESSMENT_USED",
                 "CADRE_CONSULTATION", "STAFF_INCIDENT_REPORT", "STAFF_HANDLING_REPORT", "ACCOUNTABILITY_CIRCULATED")
LEADER_DUTIES = ("LEADER_READING", "LEADER_RECEPTION", "RISK_ASSESSMENT")
DEPARTMENT_DUTIES = ("SPECIAL_SUPERVISION", "SUPERVISION_CIRCULATED", "ASSESSMENT", "ASSESSMENT_USED",
                     "LEADER_READING", "LEADER_RECEPTION", "RISK_ASSESSMENT", "STAFF_INCIDENT_REPORT",
                     "STAFF_HANDLING_REPORT")
PETITION_DUTIES = REGION_DUTIES + tuple(d for d in DEPARTMENT_DUTIES if d not in REGION_DUTIES)
LEDGER = {"PETITION": 0.7, "GOVERNMENT": 0.6, "DEPARTMENT": 0.5}  # units keeping a ledger in a year
LEDGER_WHOLE = 0.8  # ledgers held complete for every duty of the unit (else one or two are left out)
SUPERVISED = {"REGION": 0.85, "DEPARTMENT": 0.75, "SYSTEM": 0.8}  # a special supervision in a year
ASSESSED = {"REGION": 0.85, "DEPARTMENT": 0.7, "SYSTEM": 0.75}  # an assessment covering the year
PROVINCE_ASSESSED = 0.9  # the national bureau's yearly assessment of a province
CIRCULATION = (("true", 0.7), ("false", 0.15), ("", 0.15))  # supervision findings circulated; empty: not recorded
RESULTS = (("EXCELLENT", 0.2), ("GOOD", 0.45), ("PASS", 0.3), ("FAIL", 0.05))
USED = (("true", 0.8), ("false", 0.08), ("", 0.12))  # results used in the comprehensive appraisal
INSPECTIONS = (0, 3)  # cadre inspections a year by an organisation department
HEARD, HEARD_LATE = 0.8, 0.05  # inspections hearing the petition department before they conclude; only after
READ, RECEIVED, VISITED_DOWN = 0.95, 0.85, 0.3  # leaders with letters read / receptions in a year; visits down
LISTED, LIST_REVISED = 0.85, 0.3  # Chongqing working departments with a classification list; revised later
LIST_FROM, LIST_BY = CQ_IN_FORCE + 30, date(2020, 12, 31).toordinal()


class RecordWriter:
    """A territory's records of chapters 2-3 for every year: ledgers, special supervisions, assessments, cadre
    inspections and consultations, leaders' letters read and receptions, classification lists (records about
    matters, decisions and measures are written with them, by ``MatterWriter``). Each territory draws from its
    own generator, so the rest of the dataset does not change with these."""

    def __init__(self, sink: Sink, seed: int) -> None:
        self.sink, self.seed = sink, seed

    def write(self, unit: Unit) -> None:
        rng = _rng(self.seed, unit.code, "duties")
        region = {1, unit.gov}
        departments = [s for s in unit.slots.values() if s.no not in region]
        system = unit.level in ("NATION", "PROVINCE", "PREFECTURE") and bool(unit.place.child_codes)
        for year in YEARS:
            first, last = date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()
            self._region(rng, unit, year, first, last)
            for s in departments:
                self._department(rng, unit, s, year, first, last, system and bool(s.system))
            if unit.level != "TOWNSHIP":
                self._inspections(rng, unit, year, first, last)
            if unit.level == "NATION":
                self._provinces(rng, unit, year, first, last)
            self._leaders(rng, unit, year, first, last)
        if unit.place.chongqing:
            for s in departments:
                if s.kind == "WORKING_DEPARTMENT":
                    self._lists(rng, inst_id(unit.code, s.no))

    def _ledger(self, rng: random.Random, iid: str, year: int, duties: tuple[str, ...]) -> None:
        kept = list(duties)
        if rng.random() >= LEDGER_WHOLE:
            for _ in range(rng.randint(1, 2)):
                kept.remove(rng.choice(kept))
        self.sink.record("ledgers", id=f"LG{iid[1:]}-{year}", institution=iid, year=year, duties=";".join(kept))

    def _supervision(self, rng: random.Random, sid: str, organ: str, scope: str, first: int, last: int,
                     topic: str, **target: str) -> None:
        start = rng.randint(first + 30, last - 60)
        finish = start + rng.randint(10, 40)
        circulated = _pick(rng, CIRCULATION)
        on = finish + rng.randint(5, 20) if circulated == "true" else None
        self.sink.record("supervisions", id=sid, kind="SPECIAL", organ=organ, scope=scope, topic=topic,
                         started_on=iso(start), finished_on=iso(finish), circulated=circulated,
                         circulated_on=iso(on) if on and on <= END else "", **target)

    def _assessment(self, rng: random.Random, aid: str, assessor: str, scope: str, first: int, last: int,
                    **target: str) -> None:
        self.sink.record("assessments", id=aid, assessor=assessor, scope=scope, period_from=iso(first),
                         period_to=iso(last), on=iso(last - rng.randint(0, 20)), result=_pick(rng, RESULTS),
                         used_in_appraisal=_pick(rng, USED), **target)

    def _region(self, rng: random.Random, unit: Unit, year: int, first: int, last: int) -> None:
        petition, gov = inst_id(unit.code, unit.petition), inst_id(unit.code, unit.gov)
        if rng.random() < LEDGER["PETITION"]:  # the region's ledger, and its own as a department
            self._ledger(rng, petition, year, PETITION_DUTIES + (("PROVINCIAL_ASSESSMENT",)
                                                                 if unit.level == "NATION" else ()))
        if rng.random() < LEDGER["GOVERNMENT"]:
            self._ledger(rng, gov, year, LEADER_DUTIES)
        if rng.random() < SUPERVISED["REGION"]:
            organ = inst_id(unit.code, rng.choice((1, unit.gov, unit.petition)))
            self._supervision(rng, f"SV{unit.code}-{year}", organ, "REGION", first, last,
                              f"{year}年度信访工作责任制落实情况专项督查", territory=unit.code)
        if rng.random() < ASSESSED["REGION"]:
            self._assessment(rng, f"AS{unit.code}-{year}", inst_id(unit.code, 1), "REGION", first, last,
                             territory=unit.code)

    def _department(self, rng: random.Random, unit: Unit, s: Slot, year: int, first: int, last: int,
                    system: bool) -> None:
        iid = inst_id(unit.code, s.no)
        if s.no != unit.petition and rng.random() < LEDGER["DEPARTMENT"]:
            listed = unit.place.chongqing and s.kind == "WORKING_DEPARTMENT"
            self._ledger(rng, iid, year, DEPARTMENT_DUTIES + (("CLASSIFICATION_LIST",) if listed else ()))
        if rng.random() < SUPERVISED["DEPARTMENT"]:
            self._supervision(rng, f"SV{iid[1:]}-{year}", iid, "DEPARTMENT", first, last, "本部门信访工作专项督查",
                              institution=iid)
        if rng.random() < ASSESSED["DEPARTMENT"]:
            self._assessment(rng, f"AS{iid[1:]}-{year}", iid, "DEPARTMENT", first, last, institution=iid)
        if system:
            if rng.random() < SUPERVISED["SYSTEM"]:
                self._supervision(rng, f"SV{iid[1:]}-{year}-S", iid, "SYSTEM", first, last, "本系统信访工作专项督查",
                                  institution=iid)
            if rng.random() < ASSESSED["SYSTEM"]:
                self._assessment(rng, f"AS{iid[1:]}-{year}-S", iid, "SYSTEM", first, last, institution=iid)

    def _provinces(self, rng: random.Random, unit: Unit, year: int, first: int, last: int) -> None:
        """The national petition bureau's yearly assessment of each province-level unit (national art. 10 ¶3):
        commendation for excellent results, strengthened guidance for a fail, sometimes no follow-up recorded."""
        bureau = inst_id(unit.code, unit.petition)
        for code in unit.place.child_codes:
            if rng.random() >= PROVINCE_ASSESSED:
                continue
            result = _pick(rng, RESULTS)
            follow = {"EXCELLENT": "COMMENDATION", "FAIL": "GUIDANCE"}.get(result, "NONE")
            self.sink.record("assessments", id=f"AS{bureau[1:]}-{code}-{year}", assessor=bureau, scope="REGION",
                             territory=code, period_from=iso(first), period_to=iso(last),
                             on=iso(min(END, last + rng.randint(20, 60))), result=result,
                             used_in_appraisal=_pick(rng, USED), follow_up=follow if rng.random() < 0.9 else "")

    def _inspections(self, rng: random.Random, unit: Unit, year: int, first: int, last: int) -> None:
        """Cadre inspections by the organisation department, of a department's deputy for its principal post;
        most hear the petition department before they conclude."""
        by, petition = inst_id(unit.code, ORGANISATION_SLOT), inst_id(unit.code, unit.petition)
        slots = [s.no for s in unit.slots.values() if unit.by_role.get((s.no, "DEPUTY"))]
        for k in range(1, rng.randint(*INSPECTIONS) + 1):
            slot = rng.choice(slots)
            start = rng.randint(first, last - 50)
            end = start + rng.randint(15, 45)
            cid = f"CI{unit.code}-{year}-{k}"
            self.sink.record("cadre_inspections", id=cid, by=by,
                             person=unit.holder(rng.choice(unit.by_role[(slot, "DEPUTY")]), start),
                             post=unit.principal(slot), purpose="拟提拔任用", started_on=iso(start),
                             concluded_on=iso(end))
            x = rng.random()
            if x < HEARD + HEARD_LATE:
                on = rng.randint(start, end) if x < HEARD else end + rng.randint(3, 20)
                self.sink.record("consultations", id=f"{cid}-H", inspection=cid, petition_department=petition,
                                 on=iso(on), opinion="未发现该同志存在信访工作方面的问题")

    def _leaders(self, rng: random.Random, unit: Unit, year: int, first: int, last: int) -> None:
        """Each holder of a leadership-team post in the year: letters read and instructed, and receptions of
        visitors (visits down too, under the Chongqing rules), with dates and counts; some have none."""
        visits_down = unit.place.chongqing and last >= CQ_IN_FORCE
        for s in unit.slots.values():
            for post in unit.team_posts(s.no):
                for k, (start, end, person) in enumerate(unit.holders[post], 1):
                    lo, hi = max(start, first), min(end, last)
                    if lo > hi:
                        continue
                    key = f"LA{post[1:]}-{year}-{k}"
                    if rng.random() < READ:
                        self.sink.record("leader_activities", id=f"{key}R", kind="READ_AND_INSTRUCT", person=person,
                                         post=post, on=iso(rng.randint(lo, hi)), count=rng.randint(3, 60))
                    if rng.random() < RECEIVED:
                        kind = "VISIT_DOWN" if visits_down and rng.random() < VISITED_DOWN else "RECEPTION"
                        self.sink.record("leader_activities", id=f"{key}V", kind=kind, person=person, post=post,
                                         on=iso(rng.randint(lo, hi)), count=rng.randint(1, 30))

    def _lists(self, rng: random.Random, iid: str) -> None:
        """A Chongqing working department's list for classified handling of petitions, from some date after the
        Chongqing rules took effect, sometimes revised."""
        if rng.random() >= LISTED:
            return
        start = rng.randint(LIST_FROM, LIST_BY)
        revised = rng.randint(start + 365, END) if rng.random() < LIST_REVISED and start + 365 < END else None
        self.sink.record("classification_lists", id=f"CL{iid[1:]}-1", institution=iid, title="依法分类处理信访诉求清单",
                         valid_from=iso(start), valid_to=iso(revised - 1) if revised else "")
        if revised:
            self.sink.record("classification_lists", id=f"CL{iid[1:]}-2", institution=iid,
                             title="依法分类处理信访诉求清单（修订）", valid_from=iso(revised))
