"""A territory's organisation: institutions, teams, posts, their holders over time and divisions of duties."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .common import END, FIRST_TENURE, LAST_INITIAL, OPEN, START, TAX_LINE_FROM, _rng, iso
from .layout import (_COVER, BUREAU, COURT, GOV_DEPARTMENTS, GOV_SLOT, PARTY_DEPARTMENTS, PETITION_SLOT, RANK, SHARED,
                     TOWNSHIP_AGENCY_OF, TOWNSHIP_LAYOUT, TOWNSHIP_SHARED, Slot, _head, inst_id, layout, post_id, team_id)
from .sink import Sink
from .world import Place

# --------------------------------------------------------------------------- people

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华文建国红玲斌宇浩凯鹏辉健俊峰晨雪琳婷欣海波林龙阳志忠"
TERMS = {"PRINCIPAL": (7 * 365, 15 * 365), "DEPUTY": (8 * 365, 16 * 365), "MEMBER": (8 * 365, 18 * 365),
         "STAFF": (20 * 365, 45 * 365)}  # length of a holder's time in a post, in days
PROMOTION = 0.6  # share of leaders' handovers filled from a lower post of the same territory
SECONDMENT = 0.3  # share of petition staff posts with a second, concurrent holder for a while


def _person_row(rng: random.Random, pid: str, role: str) -> dict[str, object]:
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    lo, hi = (1956, 1980) if role != "STAFF" else (1960, 1998)
    return {"id": pid, "name": name, "gender": "F" if rng.random() < 0.3 else "M", "birth_year": rng.randint(lo, hi)}


@dataclass
class Seat:
    """Posts held together by one person at a time, and the succession of their holders."""

    posts: list[str]
    role: str  # role of the first (party) post
    slot: int
    start: int = 0
    handovers: list[int] = field(default_factory=list)
    forced: list[int] = field(default_factory=list)  # days the holder leaves, promoted to an earlier seat
    sources: dict[int, int] = field(default_factory=dict)  # handover day -> index of the seat promoted from
    persons: list[str] = field(default_factory=list)

    def interval(self, k: int) -> tuple[int, int]:
        start = self.start if k == 0 else self.handovers[k - 1]
        end = self.handovers[k] - 1 if k < len(self.handovers) else OPEN
        return start, end

    def holder_at(self, day: int) -> str:
        k = sum(1 for d in self.handovers if d <= day)
        return self.persons[k]


@dataclass(frozen=True)
class PostInfo:
    slot: int
    role: str
    title: str


# --------------------------------------------------------------------------- a territory

class Duties:
    """Divisions of duties being drawn up: post -> [(institution in charge of, subjects)]."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.posts: dict[str, list[tuple[str, tuple[str, ...]]]] = {}

    def give(self, post: str, slot: int | None, subjects: tuple[str, ...], code: str | None = None) -> None:
        self.posts.setdefault(post, []).append((inst_id(code or self.code, slot) if slot else "", subjects))


class Unit:
    """One territory's institutions, posts, holders and divisions; bounded by the layout, not by the scale."""

    def __init__(self, place: Place, seed: int) -> None:
        self.seed = seed
        self.place = place
        self.code = place.code
        self.level = place.level
        self.slots = {s.no: s for s in layout(place.level)}
        self.petition = PETITION_SLOT.get(place.level, 7)
        self.gov = GOV_SLOT.get(place.level, 3)
        self.cover = _COVER["TOWNSHIP" if place.level == "TOWNSHIP" else "OTHER"]
        self.rng = _rng(seed, place.code, "org")
        self.posts: dict[str, PostInfo] = {}
        self.by_role: dict[tuple[int, str], list[str]] = {}  # (slot, role) -> post ids
        self.holders: dict[str, list[tuple[int, int, str]]] = {}  # post -> [(start, end, person)]
        self.in_charge: dict[tuple[int, str], str] = {}  # (slot, subject) -> deputy post directly in charge
        self.honours: set[tuple[str, int]] = set()  # (institution, year) already disqualified
        self.seats: list[Seat] = []
        self._build_posts()
        self._build_seats()
        self.duties = self._divisions()

    # ---- structure
    def _build_posts(self) -> None:
        head = _head(self.place)
        for s in self.slots.values():
            deputies, members, staff = s.team
            k = 0
            for role, n in (("PRINCIPAL", 1), ("DEPUTY", deputies), ("MEMBER", members), ("STAFF", staff)):
                word = s.titles[RANK[role]].format(b=self._bureau(), g=head)
                for _ in range(n):
                    k += 1
                    pid = post_id(self.code, s.no, k)
                    self.posts[pid] = PostInfo(s.no, role, f"{self.inst_name(s)}{word}")
                    self.by_role.setdefault((s.no, role), []).append(pid)

    def _build_seats(self) -> None:
        shared = TOWNSHIP_SHARED if self.level == "TOWNSHIP" else SHARED
        grouped: dict[str, list[str]] = {}
        for group in shared:
            pids = [self.by_role[(slot, role)][i] for slot, role, i in group]
            grouped[pids[0]] = pids
            for p in pids[1:]:
                grouped[p] = []
        for pid, info in self.posts.items():
            posts = grouped.get(pid, [pid])
            if posts:
                self.seats.append(Seat(posts, info.role, info.slot))
        for i, seat in enumerate(self.seats):
            self._timeline(i, seat)
        for seat in reversed(self.seats):
            self._resolve(seat)
        for seat in self.seats:
            for pid in seat.posts:
                self.holders[pid] = [(*seat.interval(k), p) for k, p in enumerate(seat.persons)]

    def _timeline(self, i: int, seat: Seat) -> None:
        """Start of the first holder, handover days, and which handovers promote a lower post's holder."""
        rng = self.rng
        latest = min([LAST_INITIAL, *(f - 60 for f in seat.forced)])  # before anyone leaves it for promotion
        seat.start = rng.randint(min(FIRST_TENURE, latest), latest)
        lo, hi = TERMS[seat.role]
        days, t = [], seat.start
        while (t := t + rng.randint(lo, hi)) <= END:
            days.append(t)
        days = [d for d in days if all(abs(d - f) > 60 for f in seat.forced)]
        seat.handovers = sorted(days + seat.forced)
        if seat.role not in ("PRINCIPAL", "DEPUTY"):
            return
        for d in seat.handovers:
            if rng.random() < PROMOTION:
                j = self._promotion_source(i, seat, d)
                if j is not None:
                    seat.sources[d] = j
                    self.seats[j].forced.append(d)

    def _promotion_source(self, i: int, seat: Seat, day: int) -> int | None:
        """A later (less senior) seat whose holder can move up on ``day``: the next role down in the same
        institution, or a post of the same or a higher role in another institution. A seat gives up its
        holder to a promotion at most once."""
        n = len(self.seats)
        if i + 1 >= n:
            return None
        for _ in range(4):
            j = self.rng.randrange(i + 1, n)
            cand = self.seats[j]
            up = RANK[cand.role] - RANK[seat.role]
            if not cand.forced and (up == 1 if cand.slot == seat.slot else up <= 0):
                return j
        return None

    def _resolve(self, seat: Seat) -> None:
        """Holders of each interval: a new person, or the holder of the seat promoted from (already resolved)."""
        seat.persons = []
        for k in range(len(seat.handovers) + 1):
            j = seat.sources.get(seat.handovers[k - 1]) if k else None
            if j is None:
                seat.persons.append(f"N{seat.posts[0][1:]}-{k + 1}")
            else:
                seat.persons.append(self.seats[j].holder_at(seat.handovers[k - 1] - 1))

    def _bureau(self) -> str:
        if self.level == "PROVINCE" and self.place.name.endswith("市"):
            return "局"
        return BUREAU[self.level]

    def inst_name(self, s: Slot) -> str:
        if self.level == "NATION":
            return s.nation
        parent = self.place.parent
        return s.name.format(t=self.place.name, c=parent.name if parent else "", b=self._bureau(),
                             court=COURT.get(self.level, ""))

    def parent_inst(self, s: Slot) -> str:
        ref = s.nation_parent if self.level == "NATION" else s.parent
        if ref is None:
            return ""
        where, slot = ref
        if where == "own":
            return inst_id(self.code, slot)
        return inst_id(self.place.parent.code, slot) if self.place.parent else ""

    # ---- look-ups used while writing matters
    def holder(self, post: str, day: int) -> str:
        for start, end, person in self.holders[post]:
            if start <= day <= end:
                return person
        return ""

    def tenure_end(self, post: str, day: int) -> int:
        for start, end, _ in self.holders[post]:
            if start <= day <= end:
                return end
        return day

    def principal(self, slot: int) -> str:
        return self.by_role[(slot, "PRINCIPAL")][0]

    def team_posts(self, slot: int) -> list[str]:
        return [p for role in ("PRINCIPAL", "DEPUTY", "MEMBER") for p in self.by_role.get((slot, role), ())]

    def staff(self, slot: int) -> list[str]:
        return self.by_role[(slot, "STAFF")]

    def leaders(self) -> list[str]:
        """Posts of the territory's leaders who may hold a case (包案): party and government principals and deputies."""
        return [p for slot in (1, self.gov) for role in ("PRINCIPAL", "DEPUTY") for p in self.by_role.get((slot, role), ())]

    def manager(self, post: str) -> str:
        """The organ with management authority over the holder of a post: the institution itself for staff,
        otherwise the party committee of the territory (of the county, for township cadres)."""
        info = self.posts[post]
        if info.role == "STAFF":
            return inst_id(self.code, info.slot)
        return self.party_committee()

    def party_committee(self) -> str:
        if self.level == "TOWNSHIP" and self.place.parent:
            return inst_id(self.place.parent.code, 1)
        return inst_id(self.code, 1)

    # ---- rows
    def write(self, sink: Sink, seed: int) -> None:
        p = self.place
        sink.record("territories", id=p.code, name=p.name, name_en=p.name_en, level=p.level,
                    parent=p.parent.code if p.parent else "")
        for s in self.slots.values():
            iid = inst_id(self.code, s.no)
            name = self.inst_name(s)
            sink.record("institutions", id=iid, name=name, kind=s.kind, level=self.level, territory=self.code,
                        parent=self.parent_inst(s), remit=";".join(s.remit), system=s.system)
            sink.record("teams", id=team_id(self.code, s.no), name=f"{name}领导班子", institution=iid)
            if s.system and self.level != "NATION" and p.parent:
                sink.record("vertical_lines", id=f"VL{self.code}-{s.no:02d}", lower=iid,
                            upper=inst_id(p.parent.code, s.no), system=s.system, valid_from=TAX_LINE_FROM, valid_to="")
        for pid, info in self.posts.items():
            team = "" if info.role == "STAFF" else team_id(self.code, info.slot)
            rank = "" if info.role == "STAFF" else self.team_posts(info.slot).index(pid) + 1
            sink.record("posts", id=pid, title=info.title, role=info.role, institution=inst_id(self.code, info.slot),
                        team=team, rank=rank)
        self._write_people(sink, seed)
        self._write_divisions(sink)

    def _write_people(self, sink: Sink, seed: int) -> None:
        rng = _rng(seed, self.code, "people")
        for seat in self.seats:
            for k, person in enumerate(seat.persons):
                if person == f"N{seat.posts[0][1:]}-{k + 1}":
                    sink.record("persons", **_person_row(rng, person, seat.role))
                start, end = seat.interval(k)
                for pid in seat.posts:
                    sink.record("tenures", id=f"H{pid[1:]}-{k + 1}", person=person, post=pid, valid_from=iso(start),
                                valid_to="" if end == OPEN else iso(end))
            if seat.role == "STAFF" and seat.slot == self.petition and rng.random() < SECONDMENT:
                pid = seat.posts[0]
                start = rng.randint(START, END - 400)
                person = f"N{pid[1:]}-x1"
                sink.record("persons", **_person_row(rng, person, "STAFF"))
                sink.record("tenures", id=f"H{pid[1:]}-x1", person=person, post=pid, valid_from=iso(start),
                            valid_to=iso(start + rng.randint(90, 365)))

    def _divisions(self) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
        """Post -> [(institution in charge of, subjects)] for deputies (and party members heading a department)."""
        duties = Duties(self.code)
        self._department_deputies(duties)
        self._leaders_in_charge(duties, _rng(self.seed, self.code, "divisions"))
        return duties.posts

    def _department_deputies(self, duties: Duties) -> None:
        """Deputies of a department split its remit; a county bureau's last deputy is in charge of the township
        agencies it dispatches."""
        for (slot, role), posts in self.by_role.items():
            if role != "DEPUTY" or slot in (1, self.gov):
                continue
            remit = self.slots[slot].remit
            for i, post in enumerate(posts):
                share = remit[i::len(posts)]
                if share:
                    duties.give(post, None, share)
                    for subject in share:
                        self.in_charge[(slot, subject)] = post
            agency = TOWNSHIP_AGENCY_OF.get(slot) if self.level == "COUNTY" else None
            if agency:
                for child in self.place.child_codes:
                    duties.give(posts[-1], agency, TOWNSHIP_LAYOUT[agency - 1].remit, child)

    def _leaders_in_charge(self, duties: Duties, rng: random.Random) -> None:
        """The deputy heads of government share the government's departments; the last deputy party secretary
        takes the party departments; party standing committee members the departments they head."""
        departments: tuple[int, ...] = (4, 5, 6, 7, 8) if self.level == "TOWNSHIP" else GOV_DEPARTMENTS
        party_departments: tuple[int, ...] = (3,) if self.level == "TOWNSHIP" else PARTY_DEPARTMENTS
        if self.level != "TOWNSHIP":
            for (pslot, prole, i), (slot, role, _) in SHARED:
                if pslot == 1 and prole == "MEMBER" and role == "PRINCIPAL":
                    duties.give(self.by_role[(1, "MEMBER")][i], slot, self.slots[slot].remit)
        gov_deputies = self.by_role[(self.gov, "DEPUTY")]
        order = list(departments)
        rng.shuffle(order)
        for i, slot in enumerate(order):
            self._charge(duties, gov_deputies[i % len(gov_deputies)], self.gov, slot)
        for slot in party_departments:
            self._charge(duties, self.by_role[(1, "DEPUTY")][-1], 1, slot)

    def _charge(self, duties: Duties, deputy: str, team_slot: int, slot: int) -> None:
        """A deputy of the party committee or government is in charge of a department and of its subjects."""
        remit = self.slots[slot].remit
        duties.give(deputy, slot, remit)
        for subject in remit:
            self.in_charge.setdefault((team_slot, subject), deputy)

    def _write_divisions(self, sink: Sink) -> None:
        for post, duties in self.duties.items():
            for k, (start, end, _) in enumerate(self.holders[post]):
                for j, (inst, subjects) in enumerate(duties):
                    sink.record("divisions", id=f"DIV{post[1:]}-{k + 1}-{j + 1}", post=post,
                                subjects=";".join(subjects), institution=inst, valid_from=iso(start),
                                valid_to="" if end == OPEN else iso(end))
