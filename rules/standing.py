"""Standing responsibility for a petition matter on a date: "territorial
management, responsibility by level; whoever is in charge is responsible"."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date

from zeren.graph.records import Division, Institution, InstitutionKind, Person, PetitionMatter, Post, PostRole, Subject
from zeren.graph.records import ResponsibilityKind as R
from zeren.graph.records import Territory as TerritoryRecord
from zeren.law import REGISTRY, Applicable, Provision

from .facts import CaseHolding, MatterFacts, Seat, Step, covers, nearest, of_kind
from .findings import Chain, Finding, Gap, Ref, cited
from .units import RuleBook


@dataclass
class StandingContext:
    """``app``: every rule set in force on the date for some institution the
    matter reaches (which rules exist at all); ``rules``: territory id -> the
    rule sets binding that territory's institutions (which one a finding cites)."""

    facts: MatterFacts
    app: Applicable
    as_of: date
    rules: Mapping[str, Applicable] = field(default_factory=dict)

    @property
    def matter(self) -> PetitionMatter:
        return self.facts.matter

    @property
    def subject(self) -> Subject:
        return self.matter.subject

    @property
    def home(self) -> TerritoryRecord:
        return self.facts.chain[0]

    @property
    def steps(self) -> list[Step]:
        """The handling steps taken on or before the as-of date: a later step had not happened yet."""
        return [s for s in self.facts.steps if s.step.on <= self.as_of]

    def matter_ref(self) -> Ref:
        return Ref("PetitionMatter", self.matter.id, self.matter.title)

    def to_territory(self, depth: int) -> Chain:
        """Chain from the matter to the territory ``depth`` levels above its own."""
        c = Chain().step(self.matter_ref())
        for i, t in enumerate(self.facts.chain[: depth + 1]):
            c = c.step(_t(t), "ARISES_IN" if i == 0 else "PART_OF")
        return c

    def organs(self, territory_id: str, kind: InstitutionKind) -> list[Institution]:
        return [i for i in self.facts.institutions.get(territory_id, []) if i.kind == kind]

    def rules_at(self, inst: Institution | None) -> Applicable:
        """The rule sets binding an institution: those in force on the as-of
        date in its own territory (national art. 2, Chongqing art. 2 "本细则所称
        党政机关，包括全市党的机关…"), not those of the matter's territory. An
        institution of unknown territory is taken to be the matter's."""
        territory = inst.territory if inst else self.home.id
        return self.rules.get(territory) or self.rules.get(self.home.id) or self.app

    def finding(self, kind: R, rule: str, chain: Chain, *, about: Institution | None, **kw: object) -> Finding:
        """A finding about institution ``about`` (or a post or person of it),
        citing the rule sets that bind it."""
        return cited(self.rules_at(about), kind, rule, chain, self.as_of, matter=self.matter_ref(), **kw)

    def cite(self, rule: str, about: Institution | None) -> Provision:
        return self.rules_at(about).cite(rule)


def _t(t: TerritoryRecord) -> Ref:
    return Ref("Territory", t.id, t.name)


def _i(i: Institution) -> Ref:
    return Ref("Institution", i.id, i.name)


def _post(p: Post) -> Ref:
    return Ref("Post", p.id, p.title)


def _person(p: Person) -> Ref:
    return Ref("Person", p.id, p.name)


def seat_chain(base: Chain, seat: Seat) -> Chain:
    c = base.step(_post(seat.post), "POST_AT", reverse=True)
    if seat.person:
        c = c.step(_person(seat.person), "HOLDS", reverse=True,
                   valid_from=seat.tenure.valid_from if seat.tenure else None,
                   valid_to=seat.tenure.valid_to if seat.tenure else None)
    return c


def principal(seats: list[Seat]) -> Seat | None:
    return next((s for s in seats if s.role == PostRole.PRINCIPAL), None)


book: RuleBook[StandingContext] = RuleBook()

# The organs of a territory that bear subject responsibility and whose principals answer overall.
TERRITORIAL = (InstitutionKind.PARTY_COMMITTEE, InstitutionKind.GOVERNMENT)


def _team_findings(ctx: StandingContext, inst: Institution, base: Chain, *, rule_overall: str,
                   covered_by: set[str]) -> Iterator[Finding | Gap]:
    """The principal of an institution's team (overall) and the members whose
    division of duties covers the matter's subject or one of ``covered_by``
    (main leadership; the directly in-charge leader)."""
    seats = ctx.facts.teams.get(inst.id, [])
    inst_chain = base
    head = principal(seats)
    if head is None or head.person is None:
        yield Gap(f"principal of {inst.name}",
                  f"no principal post held on {ctx.as_of.isoformat()} in the data", ctx.cite(rule_overall, inst))
    else:
        yield ctx.finding(R.OVERALL, rule_overall, seat_chain(inst_chain, head), about=inst,
                          person=_person(head.person), post=_post(head.post), institution=_i(inst),
                          territory=_t(ctx.home))
    covered = False
    for s in seats:
        if s is head or s.person is None:
            continue
        div = s.covers(ctx.subject, covered_by)
        if div is None:
            continue
        covered = True
        c = seat_chain(inst_chain, s)
        c = c.step(Ref("Division", div.id, _division_name(div)),
                   "DIVISION_OF", reverse=True, valid_from=div.valid_from, valid_to=div.valid_to)
        yield ctx.finding(R.MAIN_LEADERSHIP, "MAIN_LEADERSHIP", c, about=inst, person=_person(s.person),
                          post=_post(s.post), institution=_i(inst), territory=_t(ctx.home),
                          note="directly in-charge leader (直接主管的负责人) by division of duties")
    if not covered:
        yield Gap(f"directly in-charge leader in {inst.name}",
                  f"no team member's division of duties valid on {ctx.as_of.isoformat()} covers "
                  f"{ctx.subject}", ctx.cite("MAIN_LEADERSHIP", inst))


def _division_name(d: Division) -> str:
    """The subjects a division of duties covers, else the institution it names."""
    return ", ".join(d.subjects or ()) or str(d.institution)


def territorial_organs(ctx: StandingContext, kind: InstitutionKind) -> tuple[int, list[Institution]]:
    """The party committee (or government) of the matter's territory; where the
    territory has none — a subdistrict (街道) is run by the district's dispatched
    agencies — the nearest level up that has one: (depth, organs)."""
    return nearest(ctx.facts, of_kind(kind))


def _level_note(ctx: StandingContext, depth: int, kind: InstitutionKind) -> str:
    if depth <= 0:
        return ""
    agencies = [i.name for i in ctx.organs(ctx.home.id, InstitutionKind.DISPATCHED_AGENCY)]
    note = (f"{ctx.home.name} has no {kind.lower().replace('_', ' ')} of its own; "
            f"the nearest level up, {ctx.facts.chain[depth].name}, answers")
    return note + (f" (its dispatched agencies there: {', '.join(agencies)})" if agencies else "")


@book.rule("SUBJECT")
def subject_responsibility(ctx: StandingContext) -> Iterator[Finding | Gap]:
    """National art. 6: "地方各级党委和政府在预防和处理本地区信访问题中负有主体责任";
    Chongqing art. 4 ¶2: "各级党委和政府在预防和处理本地区信访问题中负有主体责任".

    The party committee and the government of the territory where the matter
    arises (or of the nearest level up, for a territory without its own).
    Not formalised: whether a subdistrict's dispatched agencies share the
    district's subject responsibility is left to the investigator; they are named."""
    for kind in TERRITORIAL:
        depth, organs = territorial_organs(ctx, kind)
        if not organs:
            yield Gap(f"{kind} of {ctx.home.name}", "no such organ for this territory or above in the data",
                      ctx.cite("SUBJECT", None))
        for o in organs:
            t = ctx.facts.chain[depth]
            yield ctx.finding(R.SUBJECT, "SUBJECT", ctx.to_territory(depth).step(_i(o), "IN_TERRITORY", reverse=True),
                              about=o, institution=_i(o), territory=_t(t), note=_level_note(ctx, depth, kind))


@book.rule("OVERALL")
def territorial_leadership(ctx: StandingContext) -> Iterator[Finding | Gap]:
    """National art. 4 ¶2 / Chongqing art. 7: "党政机关领导班子主要负责人对本地区、本部门、本系统的信访工作负总责，
    其他成员根据工作分工，对职权范围内的信访工作负主要领导责任".

    Principals of the territory's party committee and government bear overall
    responsibility; members whose division covers the matter's subject, or the
    competent department, bear main leadership responsibility."""
    competent = set() if litigation_related(ctx) else {d.id for d in competent_departments(ctx)[1]}
    for kind in TERRITORIAL:
        depth, organs = territorial_organs(ctx, kind)
        for o in organs:
            base = ctx.to_territory(depth).step(_i(o), "IN_TERRITORY", reverse=True)
            yield from _team_findings(ctx, o, base, rule_overall="OVERALL", covered_by=competent)


def competent_departments(ctx: StandingContext) -> tuple[int, list[Institution]]:
    """The working departments whose remit covers the subject, at the matter's
    territory or the nearest level up that has one: (depth, departments)."""
    return nearest(ctx.facts, covers(ctx.subject))


@book.rule("COMPETENT")
def competent_department(ctx: StandingContext) -> Iterator[Finding | Gap]:
    """National art. 5 ¶1: "各级党政机关工作部门对属于本部门职权范围内的信访事项，应当依照有关法律法规规定和程序，
    及时妥善处理"; Chongqing art. 5 ¶1: "各级党政机关工作部门应当制定本部门依法分类处理信访诉求清单，
    对属于本部门职权范围内的信访事项，依照有关法律法规规定和程序，及时妥善处理".

    The working department whose remit covers the subject, at the matter's
    territory or the nearest level up; its principal (overall, art. 4 ¶2 "本部门")
    and its directly in-charge leader (main leadership).
    Not formalised: a matter that several departments' remits cover is shown for
    each of them; which leads is for the petition department's assignment."""
    depth, depts = competent_departments(ctx)
    if not depts:
        yield Gap("competent working department",
                  f"no working department's remit covers {ctx.subject} in "
                  f"{ctx.home.name} or any level above it", ctx.cite("COMPETENT", None))
        return
    for d in depts:
        base = ctx.to_territory(depth).step(_i(d), "IN_TERRITORY", reverse=True, remit=ctx.subject)
        note = "" if depth == 0 else (f"no competent department at {ctx.home.name}; "
                                      f"nearest level up: {ctx.facts.chain[depth].name}")
        yield ctx.finding(R.COMPETENT, "COMPETENT", base, about=d, institution=_i(d),
                          territory=_t(ctx.facts.chain[depth]), note=note)
        yield from _team_findings(ctx, d, base, rule_overall="OVERALL", covered_by={d.id})


LITIGATION_NOTE = ("not formalised: the separation of litigation and petitions (诉讼与信访分离) binds the petition "
                   "department's handling; routing to the court and procuratorate is zeren's application of it")


def litigation_related(ctx: StandingContext) -> bool:
    return bool(ctx.matter.litigation_related or ctx.subject == Subject.LITIGATION)


@book.exception("LITIGATION_ROUTE", to=("COMPETENT", "SYSTEM"), when=litigation_related,
                label="national art. 7 / Chongqing art. 6: 诉讼与信访分离")
def litigation_route(ctx: StandingContext) -> Iterator[Finding | Gap]:
    """National art. 7 / Chongqing art. 6: "依照法定程序和诉讼与信访分离制度受理、交办、转送和督办信访事项".

    A litigation-related matter (flagged, or of subject LITIGATION, 涉法涉诉)
    goes to the court and procuratorate of the territory (or the nearest level
    up that has them), not to a working department by remit.
    Not formalised: the text binds petition departments to the separation of
    litigation and petitions; it does not itself give courts and procuratorates
    a responsibility or set the competent department aside. zeren applies the
    separation policy and labels it."""
    for depth, t in enumerate(ctx.facts.chain):
        organs = ctx.organs(t.id, InstitutionKind.COURT) + ctx.organs(t.id, InstitutionKind.PROCURATORATE)
        if organs:
            for o in organs:
                yield ctx.finding(R.LITIGATION_ROUTE, "LITIGATION_ROUTE",
                                  ctx.to_territory(depth).step(_i(o), "IN_TERRITORY", reverse=True),
                                  about=o, institution=_i(o), territory=_t(t), not_formalised=LITIGATION_NOTE)
            return
    yield Gap("court or procuratorate", "none in the data for this territory or above",
              ctx.cite("LITIGATION_ROUTE", None))


@book.rule("SYSTEM")
def vertical_line(ctx: StandingContext) -> Iterator[Finding | Gap]:
    """National art. 5 ¶2 / Chongqing art. 5 ¶2: "垂直管理部门负责本系统的信访工作，应当督促下级部门和单位依法、及时、就地解决信访问题".

    For a vertically managed competent department, every department above it in
    its system (links valid on the as-of date) answers for the system, and its
    principal bears overall responsibility for the system (art. 4 ¶2 "本系统")."""
    _, depts = competent_departments(ctx)
    for d in depts:
        for path in ctx.facts.vertical.get(d.id, []):
            if not path.valid_on(ctx.as_of):
                continue
            upper = path.nodes[-1]
            c = Chain().step(ctx.matter_ref())
            c = c.step(_t(ctx.home), "ARISES_IN")
            c = c.step(_i(path.nodes[0]), "IN_TERRITORY", reverse=True)
            for n, link in zip(path.nodes[1:], path.links, strict=True):
                c = c.step(_i(n), "VERTICAL_LINE", system=link.system,
                           valid_from=link.valid_from, valid_to=link.valid_to)
            yield ctx.finding(R.SYSTEM, "SYSTEM", c, about=upper, institution=_i(upper),
                              note=f"level {len(path.links)} above {d.name} in the {upper.system or ''} system")
            head = principal(ctx.facts.teams.get(upper.id, []))
            if head and head.person:
                yield ctx.finding(R.OVERALL, "OVERALL", seat_chain(c, head), about=upper, person=_person(head.person),
                                  post=_post(head.post), institution=_i(upper), note="overall responsibility for the system")


@book.rule("COORDINATION")
def petition_department(ctx: StandingContext) -> Iterator[Finding | Gap]:
    """National art. 7 / Chongqing art. 6: "各级信访部门应当在党委和政府的统一领导下，协调、指导和监督本地区的信访工作，
    …受理、交办、转送和督办信访事项".

    The petition department of the matter's territory (or the nearest level up),
    with the receiving, assigning, transferring and overseeing steps it took."""
    for depth, t in enumerate(ctx.facts.chain):
        depts = ctx.organs(t.id, InstitutionKind.PETITION_DEPARTMENT)
        if not depts:
            continue
        for d in depts:
            acts = sorted({str(s.step.kind) for s in ctx.steps if s.institution.id == d.id})
            yield ctx.finding(R.COORDINATION, "COORDINATION",
                              ctx.to_territory(depth).step(_i(d), "IN_TERRITORY", reverse=True),
                              about=d, institution=_i(d), territory=_t(t),
                              note=("steps taken: " + ", ".join(acts)) if acts else "no handling step recorded")
        return
    yield Gap("petition department", "none in the data for this territory or above", ctx.cite("COORDINATION", None))


@book.rule("HANDLING")
def handling_staff(ctx: StandingContext) -> Iterator[Finding | Gap]:
    """National art. 8: "各级党政机关工作人员在处理信访事项过程中，应当遵守群众纪律，秉公办事、清正廉洁、保守秘密、热情周到";
    Chongqing art. 8 (一): staff "依法按程序登记、受理、办理群众反映的信访事项，并做好疏导解释工作".

    Each staff member recorded on a handling step, with the unit and step."""
    seen: set[tuple[str, str]] = set()
    for s in ctx.steps:
        staff, inst, step = s.staff, s.institution, s.step
        if not staff:
            continue
        key = (staff.id, inst.id)
        if key in seen:
            continue
        seen.add(key)
        kinds = sorted({str(x.step.kind) for x in ctx.steps if x.staff and x.staff.id == staff.id})
        c = Chain().step(ctx.matter_ref()).step(Ref("HandlingStep", step.id, str(step.kind)), "STEP_OF",
                                                reverse=True)
        c = c.step(_person(staff), "BY_STAFF", on=step.on).step(_i(inst), "BY_INSTITUTION", reverse=False)
        yield ctx.finding(R.HANDLING, "HANDLING", c, about=inst, person=_person(staff), institution=_i(inst),
                          note="handled: " + ", ".join(kinds))


@book.rule("CASE_HOLDING")
def case_holding(ctx: StandingContext) -> Iterator[Finding | Gap]:
    """Chongqing art. 7 (二): leaders "协调处理疑难复杂信访问题，对重要信访事项、信访突出问题实行包案处理".

    The leader holding the matter on the as-of date answers for it, where the
    rules binding the institution of the post held for it state case-holding.
    Not formalised: the text lists case-holding among leaders' duties and names
    no kind of responsibility for it; zeren shows the case-holder as answering
    for the matter, with that duty as the basis."""
    for h in _holdings(ctx):
        if not ctx.rules_at(h.institution).has("CASE_HOLDING"):
            yield _unattributed(h, ctx.rules_at(h.institution))
            continue
        c = Chain().step(ctx.matter_ref()).step(_person(h.person), "HOLDS_CASE", reverse=True,
                                                valid_from=h.holding.valid_from, valid_to=h.holding.valid_to)
        yield ctx.finding(R.CASE_HOLDING, "CASE_HOLDING", c, about=h.institution, person=_person(h.person),
                          post=_post(h.post) if h.post else None,
                          not_formalised=("not formalised: Chongqing art. 7 (二) states case-holding as a leader's "
                                          "duty and names no kind of responsibility; the case-holder is shown as "
                                          "answering for the matter"))


def _holdings(ctx: StandingContext) -> list[CaseHolding]:
    """Case-holdings valid on the as-of date, with the leader named."""
    on = ctx.as_of
    return [h for h in ctx.facts.case_holders
            if h.holding.valid_from <= on and (h.holding.valid_to is None or h.holding.valid_to >= on)]


def _unattributed(h: CaseHolding, rules: Applicable) -> Gap:
    stating = "; ".join(f"{rs.provisions['CASE_HOLDING'].label()} applies only in territory {rs.jurisdiction} from "
                        f"{rs.in_force.isoformat()}" for rs in REGISTRY.values() if "CASE_HOLDING" in rs.provisions)
    return Gap(f"case-holding by {h.person.name}",
               "recorded, but the applicable rules (" + ", ".join(rules.ids) +
               ") state no case-holding responsibility; " + stating)


def unattributed_case_holding(ctx: StandingContext) -> list[Gap]:
    """A case-holding recorded where no rule set in force for the matter states
    case-holding responsibility (the rule above does not run)."""
    if ctx.app.has("CASE_HOLDING"):
        return []
    return [_unattributed(h, ctx.rules_at(h.institution)) for h in _holdings(ctx)]
