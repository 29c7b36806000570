"""Accountability measures as recommendations: the ladder of art. 12-16 from the
failure's gravity and the measures already taken for it, honours
disqualification (art. 14), Chongqing's measures against institutions (art.
12), and the organ with management authority that decides."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

from zeren.graph.records import AccountabilityMeasure, Gravity, Institution, InvolvedIn, PostRole
from zeren.graph.records import InstitutionKind as K
from zeren.graph.records import MeasureKind as M
from zeren.graph.records import ResponsibilityKind as R
from zeren.law import Applicable, Provision

from .accountability import AccountContext
from .facts import Involvement
from .findings import Finding, Recommendation, Ref
from .units import RuleBook

RESPONSIBLE = {R.MAIN_LEADERSHIP, R.IMPORTANT_LEADERSHIP, R.DIRECT, R.LEADERSHIP}
ORGANISATIONAL = [M.SUSPENSION, M.POST_ADJUSTMENT, M.ORDERED_RESIGNATION, M.DEMOTION, M.REMOVAL]
# The steps of the ladder: a measure, or the group of organisational measures (art. 15).
LEVEL = {M.NOTICE: 1, M.ADMONISHMENT: 2, "ORGANISATIONAL": 3}
TERRITORY_LEVEL_ORGANS = {K.PARTY_COMMITTEE, K.GOVERNMENT, K.PEOPLES_CONGRESS, K.CPPCC, K.COURT, K.PROCURATORATE}


@dataclass(frozen=True)
class Rectification:
    """Status of a measure's rectification on a date."""

    status: str  # NOT_YET_DECIDED, NO_DEADLINE, PENDING, RECTIFIED, RECTIFIED_LATE, NOT_RECTIFIED_BY_DEADLINE
    deadline: date | None
    rectified_on: date | None


def taken_by(m: AccountabilityMeasure, on: date) -> bool:
    """A recorded measure counts as taken on ``on`` only when decided by then."""
    return m.decided_on <= on


def rectification(m: AccountabilityMeasure, on: date) -> Rectification:
    deadline, done = m.deadline, m.rectified_on
    if not taken_by(m, on):
        return Rectification("NOT_YET_DECIDED", deadline, None)
    if done is not None and done > on:
        done = None  # not yet done on the evaluation date
    if deadline is None:
        return Rectification("RECTIFIED" if done else "NO_DEADLINE", None, done)
    if done is not None:
        return Rectification("RECTIFIED" if done <= deadline else "RECTIFIED_LATE", deadline, done)
    return Rectification("NOT_RECTIFIED_BY_DEADLINE" if on > deadline else "PENDING", deadline, None)


def _i(i: Institution) -> Ref:
    return Ref("Institution", i.id, i.name)


def _level_of(kind: M) -> int:
    if kind in ORGANISATIONAL:
        return LEVEL["ORGANISATIONAL"]
    return LEVEL.get(kind, 0)


# --------------------------------------------------------------------------- the ladder
# Art. 13-15 as a book of rule units over one person: the step the failure's
# gravity gives, and the escalations (exceptions to the lower step) when a
# notice or an admonishment already taken was not rectified. The highest step
# yielded is recommended; of equal steps, the first (gravity before escalation).


@dataclass(frozen=True)
class Rung:
    """One person's place on the ladder on a date."""

    ctx: AccountContext
    person: str
    on: date

    @property
    def gravity(self) -> Gravity:
        return self.ctx.failure.gravity

    def taken(self, kind: M) -> list[AccountabilityMeasure]:
        """The person's measures of ``kind`` decided by the date, in record order."""
        return [m for m in self.ctx.facts.measures
                if m.person == self.person and m.kind == kind and taken_by(m, self.on)]

    def unrectified(self, kind: M, *, late_counts: bool) -> list[AccountabilityMeasure]:
        """Measures of ``kind`` taken whose rectification target was not met by the deadline."""
        statuses = {"NOT_RECTIFIED_BY_DEADLINE", "RECTIFIED_LATE"} if late_counts else {"NOT_RECTIFIED_BY_DEADLINE"}
        return [m for m in self.taken(kind) if rectification(m, self.on).status in statuses]


@dataclass(frozen=True)
class Step:
    """A step of the ladder: the measure, its rule key, the recorded measures that led there."""

    measure: str  # a key of LEVEL
    key: str
    why: tuple[AccountabilityMeasure, ...] = ()


GRAVITY: dict[Gravity, str] = {Gravity.MINOR: M.NOTICE, Gravity.SERIOUS: M.ADMONISHMENT,
                               Gravity.ESPECIALLY_SERIOUS: "ORGANISATIONAL"}

rungs: RuleBook[Rung] = RuleBook()


def _gravity(step: str) -> Callable[[Rung], bool]:
    return lambda r: GRAVITY[r.gravity] == step


@rungs.rule("NOTICE", when=_gravity(M.NOTICE))
def notice(r: Rung) -> Iterator[Step]:
    """National art. 13: "对具有本办法第十一条所列情形、情节较轻的，由有管理权限的党政机关对相关责任人进行通报，限期整改";
    Chongqing art. 13: "对具有本细则第十一条所列情形、情节较轻的"."""
    yield Step(M.NOTICE, "NOTICE")


@rungs.rule("ADMONISHMENT", when=_gravity(M.ADMONISHMENT))
def admonishment(r: Rung) -> Iterator[Step]:
    """National art. 14: "具有本办法第十一条所列情形且危害严重以及影响重大的，由有管理权限的党政机关对相关责任人进行诫勉，督促限期整改";
    Chongqing art. 14: "具有本细则第十一条所列情形且危害严重以及影响重大的"."""
    yield Step(M.ADMONISHMENT, "ADMONISHMENT")


@rungs.rule("ORGANISATIONAL", when=_gravity("ORGANISATIONAL"))
def organisational(r: Rung) -> Iterator[Step]:
    """National art. 15: "有本办法第十一条所列情形且危害特别严重以及影响特别重大的，由有管理权限的党政机关对相关责任人采取停职检查、调整职务、责令辞职、降职、免职等组织调整或者组织处理措施";
    Chongqing art. 15: "有本细则第十一条所列情形且危害特别严重以及影响特别重大的"."""
    yield Step("ORGANISATIONAL", "ORGANISATIONAL")


def _late_counts(r: Rung) -> bool:
    return r.ctx.app.stated_by("ADMONISHMENT").notice_escalates_when_late


@rungs.exception("ADMONISHMENT", to="NOTICE", when=lambda r: bool(r.unrectified(M.NOTICE, late_counts=_late_counts(r))),
                 label="art. 14: a notice not rectified")
def after_notice(r: Rung) -> Iterator[Step]:
    """National art. 14: "对受到通报后仍未按期完成整改目标"; Chongqing art. 14: "对受到通报后仍未完成整改目标".

    National: late rectification escalates; Chongqing: only no rectification."""
    for m in r.unrectified(M.NOTICE, late_counts=_late_counts(r)):
        yield Step(M.ADMONISHMENT, "ADMONISHMENT", (m,))


@rungs.exception("ORGANISATIONAL", to="ADMONISHMENT",
                 when=lambda r: bool(r.unrectified(M.ADMONISHMENT, late_counts=True)),
                 label="art. 15: an admonishment not rectified")
def after_admonishment(r: Rung) -> Iterator[Step]:
    """Art. 15: "对受到诫勉后仍未按期完成整改目标"."""
    for m in r.unrectified(M.ADMONISHMENT, late_counts=True):
        yield Step("ORGANISATIONAL", "ORGANISATIONAL", (m,))


def ladder(ctx: AccountContext, person_id: str, on: date) -> tuple[str, str, list[AccountabilityMeasure]]:
    """The step of the ladder for one person: (NOTICE | ADMONISHMENT |
    ORGANISATIONAL, rule key, the recorded measures that led there)."""
    rung = Rung(ctx, person_id, on)
    if rung.gravity not in GRAVITY:
        raise KeyError(f"gravity {rung.gravity} is none of {', '.join(GRAVITY)} (art. 13-15)")
    best: Step | None = None
    for s in rungs.evaluate(rung, ctx.app):
        if isinstance(s, Step) and (best is None or LEVEL[s.measure] > LEVEL[best.measure]):
            best = s
    assert best is not None, "a gravity always gives a step"
    return best.measure, best.key, list(best.why)


def deciding_organ(ctx: AccountContext, role: PostRole | None) -> tuple[Ref | None, str]:
    """The organ with management authority over the holder of a post of ``role`` (None: no post known).

    Not formalised: the data does not record cadre-management authority; zeren
    applies the usual rule "下管一级" — staff by their own unit; leaders of a
    department by the party committee of its territory; leaders of a
    territory's own organs by the party committee one level up; leaders of a
    vertically managed department by the department above it in its system."""
    unit = ctx.unit
    note = ("not formalised: management authority follows the usual cadre-management rule (下管一级), "
            "as the data does not record it; confirm with the organisation department")
    if role is None or role == PostRole.STAFF:
        return _i(unit), note
    for path in ctx.facts.vertical:
        if path.valid_on(ctx.as_of) and len(path.nodes) >= 2:
            return _i(path.nodes[1]), note
    depth = 1 if unit.kind in TERRITORY_LEVEL_ORGANS else 0
    for t in ctx.facts.chain[depth:]:
        pcs = [o for o in ctx.facts.organs.get(t.id, []) if o.kind == K.PARTY_COMMITTEE]
        if pcs:
            return _i(pcs[0]), note
    return None, note + "; no party committee found above the unit"


def recommend(ctx: AccountContext, findings: list[Finding], on: date) -> list[Recommendation]:
    out: list[Recommendation] = []
    app, f = ctx.app, ctx.failure
    # Art. 14's loss of honours is "本年度", the year of the admonishment it
    # follows: of each recorded one decided by ``on``; None for one recommended
    # and not yet decided.
    honours_years: set[int | None] = {m.decided_on.year for m in ctx.facts.measures
                                      if m.kind == M.ADMONISHMENT and taken_by(m, on)}
    posts = {s.post.id: s.post for s in ctx.facts.unit_team}
    seen: set[str] = set()
    for fd in findings:
        if fd.kind not in RESPONSIBLE or fd.person is None or fd.person.id in seen:
            continue
        seen.add(fd.person.id)
        step, key, why = ladder(ctx, fd.person.id, on)
        post = posts.get(fd.post.id) if fd.post else None
        organ, organ_note = deciding_organ(ctx, post.role if post else PostRole.STAFF if fd.kind == R.DIRECT else None)
        reason = _reason(ctx, step, why, on)
        taken = [m for m in ctx.facts.measures if m.person == fd.person.id and taken_by(m, on)
                 and _level_of(m.kind) >= LEVEL[step]]
        if taken:
            reason += f"; already taken: {', '.join(f'{m.kind} on {m.decided_on.isoformat()}' for m in taken)}"
        out.append(Recommendation(
            measure=step, basis=app.cite(key), reason=reason, person=fd.person,
            options=ORGANISATIONAL if step == "ORGANISATIONAL" else [step],
            decided_by=organ, decided_by_basis=_organ_basis(app, key), not_formalised=organ_note + LADDER_NOTE))
        if step == M.ADMONISHMENT and not any(m.kind == M.ADMONISHMENT for m in taken):
            honours_years.add(None)
        if f.disciplinary:
            general = app.has("DECIDING_ORGAN")  # Chongqing art. 17 ¶1 covers every measure; art. 16 names no organ
            out.append(Recommendation(M.DISCIPLINARY_SANCTION, app.cite("DISCIPLINE"),
                                      "the failure warrants party or government discipline (may be combined, art. 12 ¶1)",
                                      person=fd.person, decided_by=organ if general else None,
                                      decided_by_basis=app.cite("DECIDING_ORGAN") if general else None))
    out.extend(_referrals(ctx))
    # The loss of honours follows an admonishment: one recommended on the
    # evidence of ``on``, or one recorded and decided by then (not a later one).
    for year in sorted(honours_years, key=lambda y: y or 9999):
        out.extend(_honours(ctx, year))
    if app.has("INSTITUTION_MEASURES"):
        out.extend(_institution_measures(ctx))
    _name_the_proposer(ctx, out)
    if app.has("PERSONNEL_USE"):
        out.extend(_circulation(ctx, [r for r in out if r.measure in LEVEL and r.person]))
    for r in out:
        r.failure = ctx.failure_ref()
    return out


# Measures the organ with management authority decides on a proposal (Chongqing art. 17).
PROPOSED = {*LEVEL, M.DISCIPLINARY_SANCTION, M.WRITTEN_SELF_EXAMINATION, M.CIRCULATED_CRITICISM}

# Recommendations that are not a MeasureKind of the model: a group of measures, a step that follows.
GROUPS = {"ORGANISATIONAL": ("organisational adjustment or handling (art. 15)", "组织调整或者组织处理"),
          "PERSONNEL_CIRCULATION": ("circulated to the organisation and personnel departments at the same level "
                                    "(Chongqing art. 18)", "向同级组织、人事部门通报")}


def found_in_petition_work(ctx: AccountContext) -> tuple[bool, str]:
    """Whether the failure was found in daily petition work (Chongqing art. 17
    ¶2 "在日常信访工作中发现"), and the note when it is not recorded but taken."""
    recorded = ctx.failure.found_in_petition_work
    if recorded is not None:
        return bool(recorded), ""
    if ctx.facts.matter is None:
        return False, ""
    return True, ("not formalised: the failure record does not say how the failure was found; recorded on a "
                  "petition matter, it is taken as found in daily petition work")


def petition_department(ctx: AccountContext) -> Institution | None:
    """The petition department that investigates a failure of the unit: the
    one of the unit's territory or the nearest level up; for a failure of that
    petition department itself, the one of the level above.

    Not formalised: Chongqing art. 17 ¶2 says "由信访部门…进行调查核实" without
    saying which; zeren takes the one that coordinates the unit's region
    (Chongqing art. 6 "协调、指导和监督本地区的信访工作"), and never the unit itself."""
    for t in ctx.facts.chain:
        found = [o for o in ctx.facts.organs.get(t.id, [])
                 if o.kind == K.PETITION_DEPARTMENT and o.id != ctx.unit.id]
        if found:
            return found[0]
    return None


PROPOSER_NOTE = ("not formalised: which petition department investigates is not said by the text; zeren names the "
                 "one of the unit's region (the level above for a petition department's own failure)")


def _name_the_proposer(ctx: AccountContext, recs: list[Recommendation]) -> None:
    """Chongqing art. 17 ¶2: "对在日常信访工作中发现的应当追究信访工作责任的情形，由信访部门按照
    《信访条例》等规定进行调查核实，对需要实行信访工作责任追究的，向具有管理权限的党政机关提出建议" —
    the petition department investigates and proposes; the organ with
    management authority decides (art. 17 ¶1)."""
    if not ctx.app.has("PROPOSAL"):
        return
    found, note = found_in_petition_work(ctx)
    dept = petition_department(ctx) if found else None
    if dept is None:
        return
    for r in recs:
        if r.measure in PROPOSED:
            r.proposed_by = _i(dept)
            r.proposed_by_basis = ctx.app.cite("PROPOSAL")
            r.not_formalised = "; ".join(x for x in (r.not_formalised, note, PROPOSER_NOTE) if x)


def _circulation(ctx: AccountContext, person_recs: list[Recommendation]) -> list[Recommendation]:
    """Chongqing art. 18: "有关责任追究情况应当向同级组织、人事部门通报，组织、人事部门应当将被追究信访工作
    责任人员的有关情况，作为业绩评定、奖励处罚、选拔任用的重要依据" — what follows the decision."""
    out = []
    for r in person_recs:
        level = f"at the level of {r.decided_by.name}" if r.decided_by else "at the level of the deciding organ"
        out.append(Recommendation(
            "PERSONNEL_CIRCULATION", ctx.app.cite("PERSONNEL_USE"),
            f"once decided, the accountability of {r.person.name if r.person else ''} is circulated to the "
            f"organisation and personnel departments {level} (同级组织、人事部门), which weigh it in performance "
            "appraisal, rewards and penalties, selection and appointment",
            person=r.person, decided_by=r.decided_by, decided_by_basis=ctx.app.cite("PERSONNEL_USE"),
            not_formalised="not formalised: 同级 is read as the level of the organ that decides the measure"))
    return out


def suspects(ctx: AccountContext) -> list[Involvement]:
    """The people the failure record names as suspected of a crime, once each."""
    out: dict[str, Involvement] = {}
    for i in ctx.facts.involved:
        if isinstance(i.link, InvolvedIn) and i.link.suspected_crime is True:
            out.setdefault(i.person.id, i)
    return list(out.values())


def unnamed_suspicion(ctx: AccountContext) -> bool:
    """The failure is flagged as a suspected crime, but no one is named as suspected (older records)."""
    return bool(ctx.failure.suspected_crime) and not suspects(ctx)


UNNAMED_SUSPICION = ("the failure record flags a suspected crime (涉嫌违法犯罪) but does not say who is suspected; "
                     "art. 12 ¶2 is about the person suspected, so no one is referred by name")


def _referrals(ctx: AccountContext) -> list[Recommendation]:
    """Art. 12 ¶2: "涉嫌违法犯罪的，按照国家有关法律规定处理" — about the person suspected:
    only the people recorded as suspected are referred, not every leader who
    bears responsibility for the failure."""
    basis = ctx.app.cite("CRIME")
    if unnamed_suspicion(ctx):
        return [Recommendation(M.LEGAL_REFERRAL, basis, UNNAMED_SUSPICION, not_formalised=(
            "not formalised: who is suspected is for the investigating and judicial organs; record it per person "
            "(failure_people.suspected_crime)"))]
    return [Recommendation(M.LEGAL_REFERRAL, basis, "recorded as suspected of a crime (涉嫌违法犯罪): handled under "
                                                    "the law", person=Ref("Person", i.person.id, i.person.name))
            for i in suspects(ctx)]


LADDER_NOTE = ("; not formalised: the ladder uses the rule set in force on the act date, and escalation for an "
               "unrectified notice or admonishment is judged against its deadline (a measure with no deadline "
               "does not escalate)")


def _organ_basis(app: Applicable, key: str) -> Provision:
    """Chongqing art. 17 ¶1 names the deciding organ for every measure; the
    national measures name it in each of art. 13, 14 and 15."""
    return app.cite("DECIDING_ORGAN") if app.has("DECIDING_ORGAN") else app.cite(key)


def _reason(ctx: AccountContext, step: str, why: list[AccountabilityMeasure], on: date) -> str:
    gravity = ctx.failure.gravity
    if not why:
        return {M.NOTICE: "minor (情节较轻): notice and rectification within a deadline",
                M.ADMONISHMENT: "serious harm and major impact (危害严重以及影响重大)",
                "ORGANISATIONAL": "especially serious harm and especially major impact (危害特别严重以及影响特别重大)"}[step]
    m = why[0]
    r = rectification(m, on)
    return (f"{m.kind} of {m.decided_on.isoformat()} with deadline "
            f"{r.deadline.isoformat() if r.deadline else '-'}: {r.status.replace('_', ' ').lower()} "
            f"(gravity {gravity})")


def _honours(ctx: AccountContext, year: int | None) -> list[Recommendation]:
    """Art. 14: "进行诫勉…同时，取消该地区、部门和单位本年度评选综合性荣誉称号的资格" — for the
    year of the admonishment (``None``: one recommended, not decided yet)."""
    basis = ctx.app.cite("HONOURS")
    unit = ctx.unit
    when = f"for {year} (本年度), the year of the admonishment" if year else \
        "for the year in which the recommended admonishment is decided (本年度)"
    role = "department" if unit.kind in DEPARTMENT_KINDS else "unit"
    out = [Recommendation(M.HONOURS_DISQUALIFICATION, basis, f"{role} of the failure; admonishment (art. 14), {when}",
                          institution=_i(unit), year=year)]
    dept = department_of(unit, ctx.facts.parent)
    if dept and dept.id != unit.id:
        out.append(Recommendation(M.HONOURS_DISQUALIFICATION, basis, f"department the unit belongs to (art. 14), {when}",
                                  institution=_i(dept), year=year))
    t = ctx.facts.territory
    out.append(Recommendation(M.HONOURS_DISQUALIFICATION, basis, f"region: {t.name} (art. 14), {when}",
                              territory=Ref("Territory", t.id, t.name), year=year))
    return out


DEPARTMENT_KINDS = {K.WORKING_DEPARTMENT, K.PETITION_DEPARTMENT}


def department_of(unit: Institution, parent: Institution | None) -> Institution | None:
    """The 部门 of art. 14 for a unit: the unit itself when it is a department,
    else its parent when that is a department (e.g. for an affiliated public
    institution). Not formalised: the text does not define 部门."""
    if unit.kind in DEPARTMENT_KINDS:
        return unit
    if parent and parent.kind in DEPARTMENT_KINDS:
        return parent
    return None


def _institution_measures(ctx: AccountContext) -> list[Recommendation]:
    """Chongqing art. 12 ¶1: "对各级党政机关的责任追究采取责令书面检查、通报批评等方式进行"."""
    unit = ctx.unit
    kind = M.WRITTEN_SELF_EXAMINATION if ctx.failure.gravity == Gravity.MINOR else M.CIRCULATED_CRITICISM
    return [Recommendation(kind, ctx.app.cite("INSTITUTION_MEASURES"), "measure against the institution itself",
                           institution=_i(unit),
                           not_formalised="not formalised: the Chongqing rules name the institution measures but not "
                                          "which follows from which gravity; zeren suggests written self-examination "
                                          "for minor failures and circulated criticism otherwise")]
