"""Petition matters and what follows them: steps, case holdings, team decisions and failures."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from zeren.graph.model import ENUMS

from .common import CQ_IN_FORCE, END, OPEN, START, YEARS, _pick, _rng, _year, iso
from .layout import inst_id, team_id
from .measures import Measures
from .organisation import Unit
from .sink import Sink

def _labels(enum: str) -> dict[str, str]:
    return {code: label.zh for code, label in ENUMS[enum].values.items()}


SUBJECT_ZH, CHANNEL_ZH, ITEM_ZH = _labels("Subject"), _labels("Channel"), _labels("FailureItem")
SUBJECT_WEIGHTS = {
    "LAND": 12, "HOUSING": 12, "LABOUR": 10, "SOCIAL_INSURANCE": 8, "AGRICULTURE": 7, "ENVIRONMENT": 6,
    "EDUCATION": 5, "HEALTH": 5, "CIVIL_AFFAIRS": 6, "PUBLIC_SECURITY": 6, "TAXATION": 2, "MARKET": 4,
    "TRANSPORT": 3, "NATURAL_RESOURCES": 4, "ENTERPRISE": 3, "DISCIPLINE": 4, "LITIGATION": 7,
}
SUBJECTS = tuple(SUBJECT_WEIGHTS)
SUBJECT_CUM = tuple(sum(list(SUBJECT_WEIGHTS.values())[: i + 1]) for i in range(len(SUBJECTS)))
CHANNELS = ("LETTER", "VISIT", "ONLINE", "PHONE")
# Online petitions grow from a quarter to about 60% over 2016-2024, at the expense of visits and letters.
CHANNEL_CUM = {y: tuple(sum(w[: i + 1]) for i in range(4)) for y, w in (
    (y, (0.25 - 0.015 * (y - 2016), 0.35 - 0.02 * (y - 2016), 0.25 + 0.045 * (y - 2016), 0.15 - 0.01 * (y - 2016)))
    for y in YEARS)}

COLLECTIVE = 0.06  # share of collective matters
TOWNSHIP_RECEIVES = 0.7  # township matters received by the township (else by the county petition bureau)
TOWNSHIP_HANDLES = 0.8  # township matters handled in the township when a township unit covers the subject
ASSIGN = 0.3  # assigned (交办) rather than transferred (转送)
OVERSEE = 0.25  # overseen by the petition department one level up
UNCLOSED = 0.04
CLOSE_STEP = 0.2  # matters whose closing is recorded as a step of its own
ACCUSED = 0.12  # matters naming an accused unit; 40% of those also an accused person
CASE_HOLDING = {False: 0.0055, True: 0.085}  # by collective
DECISION = {False: 0.012, True: 0.10}  # team decisions on a matter, by collective
FAILURE = 0.0085  # before the failures that would be reported after the snapshot date are dropped
FAILURE_COLLECTIVE = 0.35
GRAVITY = (("MINOR", 0.84), ("SERIOUS", 0.12), ("ESPECIALLY_SERIOUS", 0.04))
DISCIPLINARY = {"MINOR": 0.0, "SERIOUS": 0.08, "ESPECIALLY_SERIOUS": 0.5}
STANCES = (("ABSENT", 0.06), ("OPPOSED_OVERRULED", 0.04), ("AGREED", 0.90))
# Chapters 2-3 on matters: whether a team decision is major (empty: not recorded), by collective.
MAJOR = {False: (("true", 0.12), ("false", 0.80), ("", 0.08)), True: (("true", 0.45), ("false", 0.47), ("", 0.08))}
RISK_ASSESSED, RISK_LATE = 0.85, 0.04  # major decisions assessed before; only after (the rest: not at all)
RISK_LEVELS = (("LOW", 0.7), ("MEDIUM", 0.25), ("HIGH", 0.05))
STAFF_REPORTED = 0.8  # collective matters reported by the staff member who received them
MATTER_SUPERVISED = 0.15  # collective matters supervised by the receiving petition department
COORDINATED = 0.3  # collective matters coordinated by a leader of the territory
LEADER_REPORTED = 0.6  # collective matters the receiving staff report to a leader of the territory (Chongqing 8 (四))
INSTRUCTED = (0.03, 0.35)  # matters a leader of the territory instructs (批办) before handling: individual, collective
HANDLING_REPORTED = 0.8  # instructed matters whose handling the handling staff report to the leader (Chongqing 8 (二))

# Failure items by scope; the Chongqing-only items appear only where and when the Chongqing rules apply.
ITEMS_NATIONAL = {
    "COLLECTIVE": (("DECISION_ERROR", 50), ("COLLECTIVE_INCIDENT", 25), ("PROPOSALS_NEGLECTED", 15), ("OTHER", 10)),
    "INDIVIDUAL": (("HANDLING_BREACH", 45), ("MASS_DISCIPLINE", 35), ("OTHER", 20)),
}
ITEMS_CHONGQING = {
    "COLLECTIVE": ITEMS_NATIONAL["COLLECTIVE"] + (("RISK_ASSESSMENT_OMITTED", 15),),
    "INDIVIDUAL": ITEMS_NATIONAL["INDIVIDUAL"] + (("PROCESSING_BREACH", 20), ("EXTREME_INCIDENT", 3),
                                                 ("FALSIFICATION", 7), ("CONCEALMENT", 5)),
}


@dataclass(frozen=True)
class Step:
    kind: str
    unit: Unit
    slot: int
    day: int
    to_institution: str = ""
    due: str = ""


@dataclass
class Acted:
    """A step as written: who acted, in which post."""

    step: Step
    post: str
    person: str


class MatterWriter:
    """Writes a territory's matters with their steps, case-holdings, decisions, failures and measures."""

    def __init__(self, sink: Sink, seed: int) -> None:
        self.sink = sink
        self.seed = seed
        self.extra = random.Random()  # chapters 2-3 records on matters: a draw of their own, so that the
        # matters, steps, decisions and measures are the same with or without them
        self.reports = random.Random()  # leaders' instructions and staff reports on matters: another draw, so that
        # the records above stay the same with or without these

    def write(self, unit: Unit, upper: Unit | None, count: int) -> None:
        rng = _rng(self.seed, unit.code, "matters")
        self.extra = _rng(self.seed, unit.code, "matter-duties")
        self.reports = _rng(self.seed, unit.code, "matter-reports")
        pool = max(1, int(count * 0.6))
        for n in range(1, count + 1):
            self._matter(rng, unit, upper, f"M{unit.code}-{n:06d}", pool)
        if unit.level != "TOWNSHIP":
            self._annual_decisions(_rng(self.seed, unit.code, "annual"), unit)

    # ---- the matter and its handling
    def _matter(self, rng: random.Random, unit: Unit, upper: Unit | None, mid: str, pool: int) -> None:
        received = rng.randint(START, END)
        subject = rng.choices(SUBJECTS, cum_weights=SUBJECT_CUM)[0]
        channel = rng.choices(CHANNELS, cum_weights=CHANNEL_CUM[_year(received)])[0]
        collective = rng.random() < COLLECTIVE
        headcount = rng.randint(5, 120) if collective else rng.choice((1, 1, 1, 1, 2, 3))
        competent = self._competent(rng, unit, upper, subject)
        steps, closed = self._plan_steps(rng, unit, upper, competent, received, subject)
        acted = self._write_steps(rng, mid, steps)
        if collective:
            self._collective(unit, mid, acted[0])
        self._reports(unit, mid, acted, collective)
        title = f"关于{SUBJECT_ZH[subject]}问题的{'集体' if collective else ''}{CHANNEL_ZH[channel]}"
        accused_inst, accused_person = self._accused(rng, unit, competent, received)
        petitioner = self._petitioner(rng, unit, pool)
        accusation = f"揭发控告材料（{mid}）：反映{SUBJECT_ZH[subject]}问题中的违纪违法线索" if accused_inst else ""
        self.sink.record("matters", id=mid, title=title, subject=subject, territory=unit.code, channel=channel,
                         form="COLLECTIVE" if collective else "INDIVIDUAL", headcount=headcount,
                         received_on=iso(received), closed_on=iso(closed) if closed else "",
                         litigation_related="true" if subject == "LITIGATION" else "false",
                         accused_institution=accused_inst, accused_person=accused_person,
                         summary=f"{headcount}人反映{SUBJECT_ZH[subject]}方面的问题", petitioner=petitioner,
                         accusation=accusation)
        if rng.random() < CASE_HOLDING[collective]:
            self._case_holding(rng, unit, competent, mid, received, closed)
        failing = rng.random() < FAILURE
        scope = "COLLECTIVE" if failing and rng.random() < FAILURE_COLLECTIVE else "INDIVIDUAL"
        decision = None
        if rng.random() < DECISION[collective] or (failing and scope == "COLLECTIVE"):
            decision = self._decision(rng, unit, competent, mid, title, received, collective)
        if failing:
            self._failure(rng, unit, mid, title, subject, scope, decision, acted, bool(accused_inst))

    def _competent(self, rng: random.Random, unit: Unit, upper: Unit | None, subject: str) -> tuple[Unit, int]:
        """The department whose remit covers the subject: in the township if one of its units covers it
        (mostly), else in the county."""
        slots = unit.cover.get(subject)
        if unit.level == "TOWNSHIP" and upper is not None and (not slots or rng.random() >= TOWNSHIP_HANDLES):
            return upper, rng.choice(upper.cover[subject])
        assert slots, f"no department covers {subject}"
        return unit, rng.choice(slots)

    def _plan_steps(self, rng: random.Random, unit: Unit, upper: Unit | None, competent: tuple[Unit, int],
                    received: int, subject: str) -> tuple[list[Step], int | None]:
        """Receive, assign or transfer, handle, perhaps oversee, reply and close; nothing after the snapshot."""
        recv = unit if unit.level != "TOWNSHIP" or upper is None or rng.random() < TOWNSHIP_RECEIVES else upper
        cu, cslot = competent
        sent = received + rng.randint(1, 15)
        kind = "TRANSFER" if subject == "LITIGATION" or rng.random() >= ASSIGN else "ASSIGN"
        handled = sent + rng.randint(5, 40)
        steps = [Step("RECEIVE", recv, recv.petition, received),
                 Step(kind, recv, recv.petition, sent, inst_id(cu.code, cslot), iso(sent + 60)),
                 Step("HANDLE", cu, cslot, handled)]
        if rng.random() < OVERSEE:
            over = upper or unit
            steps.append(Step("OVERSEE", over, over.petition, rng.randint(sent + 1, handled)))
        closed: int | None = None if rng.random() < UNCLOSED else handled + rng.randint(3, 30)
        if closed is not None and closed <= END:
            steps.append(Step("REPLY", cu, cslot, closed))
            if rng.random() < CLOSE_STEP:
                steps.append(Step("CLOSE", recv, recv.petition, closed))
        else:
            closed = None
        return [s for s in steps if s.day <= END], closed

    def _write_steps(self, rng: random.Random, mid: str, steps: list[Step]) -> list[Acted]:
        acted = []
        for k, s in enumerate(steps, 1):
            post = rng.choice(s.unit.staff(s.slot))
            person = s.unit.holder(post, s.day)
            self.sink.record("steps", id=f"{mid}-S{k}", matter=mid, kind=s.kind,
                             institution=inst_id(s.unit.code, s.slot), staff=person, to_institution=s.to_institution,
                             on=iso(s.day), due=s.due, note="")
            acted.append(Acted(s, post, person))
        return acted

    def _accused(self, rng: random.Random, unit: Unit, competent: tuple[Unit, int], day: int) -> tuple[str, str]:
        if rng.random() >= ACCUSED:
            return "", ""
        au, aslot = competent if rng.random() < 0.5 else (unit, rng.choice(list(unit.slots)))
        person = ""
        if rng.random() < 0.4:
            person = au.holder(rng.choice(au.team_posts(aslot) + au.staff(aslot)), day)
        return inst_id(au.code, aslot), person

    def _petitioner(self, rng: random.Random, unit: Unit, pool: int) -> str:
        """Synthetic petitioner identity; a skewed draw from a pool makes repeat petitioners, and a quarter of
        a county's petitioners come from its townships (going one level up)."""
        if unit.place.child_codes and unit.level == "COUNTY" and rng.random() < 0.25:
            return f"petitioner-{rng.choice(unit.place.child_codes)}-{int(100 * rng.random() ** 2):05d}"
        return f"petitioner-{unit.code}-{int(pool * rng.random() ** 2):05d}"

    def _case_holding(self, rng: random.Random, unit: Unit, competent: tuple[Unit, int], mid: str,
                      received: int, closed: int | None) -> None:
        """A leader personally holds the matter (包案), from a few days after receipt until closed
        (or until the leader leaves the post)."""
        cu, cslot = competent
        owner, post = (cu, cu.principal(cslot)) if rng.random() < 0.3 else (unit, rng.choice(unit.leaders()))
        start = received + rng.randint(1, 5)
        if start > END:
            return
        end = min(closed or OPEN, owner.tenure_end(post, start))
        self.sink.record("case_holdings", id=f"{mid}-C", person=owner.holder(post, start), matter=mid, post=post,
                         valid_from=iso(start), valid_to="" if end == OPEN else iso(end))

    # ---- team decisions
    def _decision(self, rng: random.Random, unit: Unit, competent: tuple[Unit, int], mid: str, title: str,
                  received: int, collective: bool) -> tuple[str, Unit, int, int, list[tuple[str, str, str]]] | None:
        x = rng.random()
        du, dslot = competent if x < 0.6 else (unit, unit.gov) if x < 0.85 else (unit, 1)
        day = received + rng.randint(3, 30)
        if day > END:
            return None
        did = f"{mid}-D"
        major = _pick(self.extra, MAJOR[collective])
        self.sink.record("decisions", id=did, title=f"研究{title}的处理意见", team=team_id(du.code, dslot), on=iso(day),
                         matter=mid, major=major)
        if major == "true":
            self._risk_assessment(did, inst_id(du.code, dslot), day)
        return did, du, dslot, day, self._participants(rng, did, du, dslot, day)

    # ---- chapters 2-3 on matters (drawn from ``self.extra``)
    def _risk_assessment(self, did: str, by: str, day: int) -> None:
        """Most major decisions are assessed for social-stability risk before they are taken; a few only after."""
        x = self.extra.random()
        if x >= RISK_ASSESSED + RISK_LATE:
            return
        on = day - self.extra.randint(3, 25) if x < RISK_ASSESSED else day + self.extra.randint(1, 20)
        if on <= END:
            self.sink.record("risk_assessments", id=f"{did}-RA", decision=did, by=by, on=iso(on),
                             result=_pick(self.extra, RISK_LEVELS))

    def _collective(self, unit: Unit, mid: str, received: Acted) -> None:
        """A collective matter: mostly reported by the staff member who received it, sometimes supervised by the
        petition department and coordinated by a leader of the territory."""
        rng, step = self.extra, received.step
        day = step.day + rng.randint(0, 3)
        if rng.random() < STAFF_REPORTED and day <= END and received.person:
            self.sink.record("staff_reports", id=f"{mid}-R", kind="INCIDENT_REPORT", person=received.person,
                             institution=inst_id(step.unit.code, step.slot), matter=mid,
                             to_person=step.unit.holder(step.unit.principal(step.unit.petition), day), on=iso(day))
        if rng.random() < MATTER_SUPERVISED and (start := step.day + rng.randint(5, 30)) <= END:
            finish = start + rng.randint(10, 60)
            self.sink.record("supervisions", id=f"{mid}-SV", kind="MATTER", organ=inst_id(step.unit.code,
                             step.unit.petition), scope="REGION", territory=step.unit.code, matter=mid,
                             topic="重要信访事项督查", started_on=iso(start), finished_on=iso(finish) if finish <= END else "")
        if rng.random() < COORDINATED and (on := step.day + rng.randint(3, 40)) <= END:
            post = rng.choice(unit.leaders())
            self.sink.record("leader_activities", id=f"{mid}-LC", kind="COORDINATION", person=unit.holder(post, on),
                             post=post, on=iso(on), matter=mid, count=1, note="协调处理集体访事项")

    def _reports(self, unit: Unit, mid: str, acted: list[Acted], collective: bool) -> None:
        """Chongqing art. 8 (四) and (二): the receiving staff report most collective matters to a leader of the
        territory; a leader instructs (批办) some matters between receipt and handling, and the handling staff
        mostly report the handling back to that leader's post afterwards (drawn from ``self.reports``)."""
        rng, received = self.reports, acted[0]
        if collective and rng.random() < LEADER_REPORTED and received.person \
                and (day := received.step.day + rng.randint(0, 5)) <= END:
            self.sink.record("staff_reports", id=f"{mid}-LR", kind="LEADER_REPORT", person=received.person,
                             institution=inst_id(received.step.unit.code, received.step.slot), matter=mid,
                             to_person=unit.holder(rng.choice(unit.leaders()), day), on=iso(day))
        handled = next((a for a in acted if a.step.kind == "HANDLE"), None)
        if handled is None or rng.random() >= INSTRUCTED[collective]:
            return
        on = rng.randint(received.step.day, handled.step.day)
        post = rng.choice(unit.leaders())
        leader = unit.holder(post, on)
        if not leader:
            return
        self.sink.record("leader_activities", id=f"{mid}-LI", kind="READ_AND_INSTRUCT", person=leader, post=post,
                         on=iso(on), matter=mid, count=1, note="批示办理")
        if rng.random() < HANDLING_REPORTED and handled.person \
                and (day := handled.step.day + rng.randint(1, 20)) <= END:
            self.sink.record("staff_reports", id=f"{mid}-HR", kind="HANDLING_REPORT", person=handled.person,
                             institution=inst_id(handled.step.unit.code, handled.step.slot), matter=mid,
                             to_person=unit.holder(post, day), on=iso(day))  # the post's holder by then

    def _participants(self, rng: random.Random, did: str, unit: Unit, slot: int,
                      day: int) -> list[tuple[str, str, str]]:
        """Every team member at the date, with a stance; returns (person, post, stance)."""
        out = []
        for k, post in enumerate(unit.team_posts(slot), 1):
            person = unit.holder(post, day)
            stance = _pick(rng, STANCES)
            self.sink.record("decision_participants", id=f"{did}-P{k}", person=person, decision=did, stance=stance,
                             post=post)
            out.append((person, post, stance))
        return out

    def _annual_decisions(self, rng: random.Random, unit: Unit) -> None:
        """The party committee's yearly arrangement of petition work (no matter concerned)."""
        for year in YEARS:
            day = date(year, 1, 15).toordinal() + rng.randint(0, 75)
            did = f"DEC{unit.code}-{year}"
            self.sink.record("decisions", id=did, title=f"{year}年度信访工作责任制落实安排", team=team_id(unit.code, 1),
                             on=iso(day), matter="", major="false")
            self._participants(rng, did, unit, 1, day)

    # ---- failures and measures
    def _failure(self, rng: random.Random, unit: Unit, mid: str, title: str, subject: str, scope: str,
                 decision: tuple[str, Unit, int, int, list[tuple[str, str, str]]] | None, acted: list[Acted],
                 accused: bool) -> None:
        """A failure of the team (on its decision) or of the staff member who acted in a step."""
        if scope == "COLLECTIVE":
            if decision is None:
                return
            did, fu, fslot, act, parts = decision
            involved = [(person, post, "PARTICIPANT", stance) for person, post, stance in parts if stance != "ABSENT"]
        else:
            did = ""
            candidates = [a for a in acted if a.person and a.step.kind != "CLOSE"]
            if not candidates:
                return
            a = rng.choice(candidates)
            fu, fslot, act = a.step.unit, a.step.slot, a.step.day
            involved = [(a.person, a.post, "STAFF_IN_CHARGE", "")]
        reported = act + rng.randint(20, 300)
        if reported > END:
            return
        cq = unit.place.chongqing and act >= CQ_IN_FORCE
        items = (ITEMS_CHONGQING if cq else ITEMS_NATIONAL)[scope]
        if cq and accused and scope == "INDIVIDUAL":
            items = items + (("LEAK_TO_ACCUSED", 5),)
        item = _pick(rng, items)
        gravity = _pick(rng, GRAVITY)
        disciplinary = rng.random() < DISCIPLINARY[gravity]
        crime = gravity == "ESPECIALLY_SERIOUS" and rng.random() < 0.12
        # Art. 12 ¶2 is about the person suspected: the first person named who
        # did not oppose the wrong decision (the staff member, for an individual failure).
        suspect = next(((person, post) for person, post, _, stance in involved if stance != "OPPOSED_OVERRULED"),
                       None) if crime else None
        fid = f"{mid}-F1"
        # Every generated failure comes from handling its matter: found in daily petition work.
        self.sink.record("failures", id=fid, item=item, scope=scope, gravity=gravity, unit=inst_id(fu.code, fslot),
                         matter=mid, decision=did, act_date=iso(act), reported_on=iso(reported),
                         found_in_petition_work="true", acts=f"{ITEM_ZH[item]}（{title}）",
                         disciplinary="true" if disciplinary else "false",
                         suspected_crime="true" if suspect else "false")
        for k, (person, post, role, stance) in enumerate(involved, 1):
            diligent = ("true" if rng.random() < 0.2 else "false") if cq and role == "STAFF_IN_CHARGE" else ""
            suspected = "true" if suspect and suspect[0] == person else ""
            self.sink.record("failure_people", id=f"{fid}-I{k}", person=person, failure=fid, role=role, post=post,
                             stance=stance, due_diligence=diligent, suspected_crime=suspected)
        targets = [(fu, involved[0][1], involved[0][0])] if scope == "INDIVIDUAL" else []
        principal = fu.principal(fslot)
        if scope == "COLLECTIVE":
            targets.append((fu, principal, fu.holder(principal, act)))
        leader = fu.in_charge.get((fslot, subject))
        if leader and rng.random() < (0.15 if scope == "COLLECTIVE" else 0.02):
            targets.append((fu, leader, fu.holder(leader, act)))
        Measures(self.sink, rng, fid, fu, fslot, reported, self.extra).write(gravity, targets, disciplinary, suspect,
                                                                cq and scope == "COLLECTIVE")
