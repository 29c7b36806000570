"""Accountability for a recorded failure (national art. 11, Chongqing art. 11)
as one book of rule units: the failure's item of art. 11 ¶1, the evidence of a
risk assessment, who bears main-leadership, important-leadership, direct or
leadership responsibility (art. 11 ¶2), and who is exempt and why (the
exemptions are exceptions to the allocation). People are those who held the
posts on the date of the act."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

from zeren.graph.records import (
    Division,
    Failure,
    FailureItem,
    FailureScope,
    Institution,
    InvolvedIn,
    InvolvementRole,
    PostRole,
    Stance,
    Subject,
)
from zeren.graph.records import ResponsibilityKind as R
from zeren.law import Applicable

from .facts import FailureFacts, Involvement, Seat
from .findings import Chain, Finding, Gap, Ref, cited
from .standing import principal, seat_chain
from .units import RuleBook


@dataclass
class AccountContext:
    facts: FailureFacts
    app: Applicable
    as_of: date

    @property
    def failure(self) -> Failure:
        return self.facts.failure

    @property
    def unit(self) -> Institution:
        return self.facts.unit

    @property
    def subject(self) -> Subject | None:
        return self.facts.matter.subject if self.facts.matter else None

    def unit_ref(self) -> Ref:
        return Ref("Institution", self.unit.id, self.unit.name)

    def base_chain(self) -> Chain:
        return Chain().step(self.failure_ref()).step(self.unit_ref(), "FAILURE_OF")

    def head(self) -> Seat | None:
        h = principal(self.facts.unit_team)
        return h if h and h.person else None

    def in_charge(self) -> list[tuple[Seat, Division]]:
        """Team members (not the principal) whose division of duties valid at the
        act date covers the matter's subject or names the unit itself.

        Not formalised: art. 11 ¶2 names the 直接主管的负责人 without saying how
        to find them; zeren reads them off the divisions of duties of art. 4 ¶2."""
        out = []
        for s in self.facts.unit_team:
            if s.person is None or s.role == PostRole.PRINCIPAL:
                continue
            d = s.covers(self.subject, {self.unit.id})
            if d is not None:
                out.append((s, d))
        return out

    def finding(self, kind: R | str, rule: str, chain: Chain, **kw: object) -> Finding:
        """A finding about the failure: the rule sets binding the failure's unit
        (in force in its territory on the act date) decide, whatever the matter."""
        return cited(self.app, kind, rule, chain, self.as_of, failure=self.failure_ref(), matter=self.matter_ref(),
                     **kw)

    def failure_ref(self) -> Ref:
        return Ref("Failure", self.failure.id, str(self.failure.item))

    def matter_ref(self) -> Ref | None:
        m = self.facts.matter
        return Ref("PetitionMatter", m.id, m.title) if m else None


def _seat_finding(ctx: AccountContext, kind: R, rule: str, seat: Seat, note: str,
                  division: Division | None = None) -> Finding:
    assert seat.person is not None
    c = seat_chain(ctx.base_chain(), seat)
    if division:
        c = c.step(Ref("Division", division.id, ", ".join(division.subjects or ())), "DIVISION_OF",
                   reverse=False, valid_from=division.valid_from, valid_to=division.valid_to)
    return ctx.finding(kind, rule, c, person=Ref("Person", seat.person.id, seat.person.name),
                       post=Ref("Post", seat.post.id, seat.post.title), institution=ctx.unit_ref(), note=note)


def _role(inv: Involvement) -> InvolvementRole | None:
    """The role the failure record gives a person it names (a participation in a decision has none)."""
    return inv.link.role if isinstance(inv.link, InvolvedIn) else None


def _involvement_finding(ctx: AccountContext, kind: R, rule: str, inv: Involvement, note: str) -> Finding:
    rel = "INVOLVED_IN" if inv.source == "INVOLVED" else "PARTICIPATED_IN"
    c = Chain().step(ctx.failure_ref())
    if inv.source == "PARTICIPATED" and ctx.facts.decision:
        c = c.step(Ref("Decision", ctx.facts.decision.id, ctx.facts.decision.title), "BY_DECISION")
    link = inv.link
    c = c.step(Ref("Person", inv.person.id, inv.person.name), rel, reverse=True,
               **{k: v for k, v in (("role", _role(inv)), ("stance", link.stance), ("post", link.post)) if v})
    post = (Ref("Post", inv.post.id, inv.post.title) if inv.post else
            Ref("Post", link.post, link.post) if link.post else None)
    return ctx.finding(kind, rule, c, person=Ref("Person", inv.person.id, inv.person.name), post=post,
                       institution=ctx.unit_ref(), note=note)


book: RuleBook[AccountContext] = RuleBook()

IN_CHARGE_NOTE = ("not formalised: the directly in-charge leader (直接主管的负责人) is read off the divisions of "
                  "duties valid on the act date (art. 4 ¶2); the text does not say how to find them")


@book.rule("FAILURE")
def classification(ctx: AccountContext) -> Iterator[Finding | Gap]:
    """National art. 11 ¶1: "各级党政机关及其领导干部、工作人员不履行或者未能正确履行本办法所列责任内容，有下列情形之一的，应当追究责任";
    Chongqing art. 11 ¶1: "各级党政机关及其领导干部、工作人员不履行或者未能正确履行信访工作责任，有下列情形之一的，应当追究责任".

    The failure's item, numbered by the applicable text (national (一)-(六),
    Chongqing (一)-(九)). Not formalised: a kind of failure the text does not
    name falls under its catch-all item; whether it is "other dereliction" is
    for the deciding organ (shown as a gap)."""
    code = ctx.failure.item
    item, catch_all = ctx.app.failure_item(str(code))
    if catch_all and code != FailureItem.OTHER:
        yield Gap(f"failure item {code}",
                  f"the applicable text names no such failure; it falls under the catch-all {item.label()} "
                  "(not formalised: whether it is 'other dereliction' is for the deciding organ)", item)
    yield Finding(kind="FAILURE", rule="FAILURE", basis=item, as_of=ctx.as_of, chain=ctx.base_chain(),
                  institution=None, rule_sets=tuple(ctx.app.ids), failure=ctx.failure_ref(), matter=ctx.matter_ref(),
                  note=f"{ctx.failure.scope} responsibility, gravity {ctx.failure.gravity}")


@book.rule("RISK_ASSESSMENT", when=lambda ctx: bool(ctx.facts.decision))
def risk_evidence(ctx: AccountContext) -> list[Finding]:
    """Chongqing art. 4 ¶1: "落实重大决策社会稳定风险评估机制"; art. 11 ¶1 (一): "未按规定实施社会稳定
    风险评估…的" is a failure.

    For a failure naming a team decision, where the rules binding the unit
    state the risk-assessment duty: whether the decision was major and had an
    assessment before it, as evidence toward item (一). Not formalised: what
    makes a decision major; zeren takes the decision's ``major`` flag."""
    d = ctx.facts.decision
    assert d is not None  # the rule applies only when the failure names a decision
    before = [a for a in ctx.facts.risk_assessments if a.on <= d.on]
    item, _ = ctx.app.failure_item(FailureItem.RISK_ASSESSMENT_OMITTED)
    if d.major is True and not before:
        note = (f"decision {d.id} of {d.on.isoformat()} was major and no social-stability risk assessment "
                f"before it is recorded: evidence toward {item.label()}")
    elif d.major is True:
        note = (f"decision {d.id} was major and was assessed before it (" + ", ".join(
            f"{a.id} on {a.on.isoformat()}: {a.result}" for a in before) +
            f"): no evidence toward {item.label()} on this ground")
    elif d.major is False:
        note = f"decision {d.id} is recorded as not major: no risk assessment was required"
    else:
        note = f"decision {d.id} does not record whether it was major: whether an assessment was required is open"
    c = ctx.base_chain().step(Ref("Decision", d.id, d.title), "BY_DECISION", reverse=True)
    for a in before:
        c = c.step(Ref("RiskAssessment", a.id, str(a.result)), "ASSESSES_RISK_OF", reverse=True, on=a.on)
    f = ctx.finding("EVIDENCE", "RISK_ASSESSMENT", c, institution=ctx.unit_ref(), note=note)
    f.not_formalised = ("not formalised: what makes a decision major (重大决策) is left to people; zeren takes the "
                        "decision's 'major' flag")
    return [f]


def _leaders(ctx: AccountContext, kind: R, rule: str) -> Iterator[Finding | Gap]:
    head = ctx.head()
    if head is None:
        yield Gap(f"principal of {ctx.unit.name}",
                  f"cannot be determined because no principal post of {ctx.unit.name} was held on "
                  f"{ctx.as_of.isoformat()}", ctx.app.cite(rule))
    else:
        yield _seat_finding(ctx, kind, rule, head, "principal of the leadership team (领导班子主要负责人)")
    charge = ctx.in_charge()
    if not charge:
        what = f"subject {ctx.subject}" if ctx.subject else "the failure (it names no matter)"
        yield Gap("directly in-charge leader (直接主管的负责人)",
                  f"cannot be determined because no division of duties of {ctx.unit.name}'s team valid on "
                  f"{ctx.as_of.isoformat()} covers {what} or the unit", ctx.app.cite(rule))
    for seat, div in charge:
        f = _seat_finding(ctx, kind, rule, seat, "directly in-charge leader by division of duties", div)
        f.not_formalised = IN_CHARGE_NOTE
        yield f


def _scope(scope: FailureScope) -> Callable[[AccountContext], bool]:
    return lambda ctx: ctx.failure.scope == scope


@book.rule("COLLECTIVE_ALLOCATION", when=_scope(FailureScope.COLLECTIVE))
def collective(ctx: AccountContext) -> Iterator[Finding | Gap]:
    """Art. 11 ¶2: "对前款规定中涉及的集体责任，领导班子主要负责人和直接主管的负责人承担主要领导责任，
    参与决策和工作的班子其他成员承担重要领导责任".

    Not formalised: a principal or in-charge leader absent from the decision
    still bears main leadership responsibility by the text; whether absence
    mitigates is for the deciding organ."""
    if not ctx.facts.unit_team or all(s.person is None for s in ctx.facts.unit_team):
        yield Gap(f"leadership team of {ctx.unit.name}",
                  f"cannot be determined because {ctx.unit.name} has no leadership team with holders on "
                  f"{ctx.as_of.isoformat()}", ctx.app.cite("COLLECTIVE_ALLOCATION"))
        return
    leaders = list(_leaders(ctx, R.MAIN_LEADERSHIP, "COLLECTIVE_ALLOCATION"))
    yield from leaders
    leader_ids = {f.person.id for f in leaders if isinstance(f, Finding) and f.person}
    members = {s.person.id for s in ctx.facts.unit_team if s.person}
    seen: set[str] = set()
    for inv in [*ctx.facts.participants, *[i for i in ctx.facts.involved if _role(i) == InvolvementRole.PARTICIPANT]]:
        pid = inv.person.id
        if pid in leader_ids or pid in seen or inv.link.stance == Stance.ABSENT:
            continue
        seen.add(pid)
        if pid not in members:
            yield _not_a_member(ctx, inv)
            continue
        yield _involvement_finding(ctx, R.IMPORTANT_LEADERSHIP, "COLLECTIVE_ALLOCATION", inv,
                                   "other team member who took part in the decision or work")


def _not_a_member(ctx: AccountContext, inv: Involvement) -> Gap:
    """Art. 11 ¶2 "参与决策和工作的班子其他成员承担重要领导责任": the clause reaches the
    other members of the leadership team, not everyone who took part."""
    unit = ctx.unit.name
    return Gap(f"leadership responsibility of {inv.person.name} ({inv.person.id})",
               f"took part in the decision or work, but held no post in the leadership team of {unit} on "
               f"{ctx.as_of.isoformat()}: art. 11 ¶2 gives important leadership responsibility to the other "
               "members of the team (班子其他成员) who took part, so none follows from this clause; a failure record "
               "of individual responsibility can name them as the staff member in charge",
               ctx.app.cite("COLLECTIVE_ALLOCATION"))


@book.rule("INDIVIDUAL_ALLOCATION", when=_scope(FailureScope.INDIVIDUAL))
def individual(ctx: AccountContext) -> Iterator[Finding | Gap]:
    """National art. 11 ¶2: "涉及的个人责任，具体负责的工作人员承担直接责任，领导班子主要负责人和直接主管的负责人承担领导责任";
    Chongqing art. 11 ¶2: "涉及的个人责任，按照尽职免责、失责必问的原则，由具体负责的工作人员承担直接责任，
    领导班子主要负责人和直接主管的负责人承担领导责任"."""
    staff = [i for i in ctx.facts.involved if _role(i) == InvolvementRole.STAFF_IN_CHARGE]
    if not staff:
        yield Gap("staff member specifically in charge", "the failure record names no STAFF_IN_CHARGE",
                  ctx.app.cite("INDIVIDUAL_ALLOCATION"))
    for inv in staff:
        yield _involvement_finding(ctx, R.DIRECT, "INDIVIDUAL_ALLOCATION", inv,
                                   "staff member specifically in charge (具体负责的工作人员)")
    if not ctx.facts.unit_team or all(s.person is None for s in ctx.facts.unit_team):
        yield Gap(f"leadership team of {ctx.unit.name}",
                  f"cannot be determined because {ctx.unit.name} has no leadership team with holders on "
                  f"{ctx.as_of.isoformat()}", ctx.app.cite("INDIVIDUAL_ALLOCATION"))
        return
    yield from _leaders(ctx, R.LEADERSHIP, "INDIVIDUAL_ALLOCATION")


# --------------------------------------------------------------------------- exemptions
# An exemption is a labelled exception to the allocation above: it turns one
# person's finding into an EXEMPT finding with its own basis, never a silent drop.

@book.exemption("DISSENT_EXEMPTION", to="COLLECTIVE_ALLOCATION", reaches=(R.MAIN_LEADERSHIP, R.IMPORTANT_LEADERSHIP),
                label="art. 11 ¶2: dissent overruled")
def dissent(ctx: AccountContext, f: Finding) -> str | None:
    """Art. 11 ¶2: "对错误决策或者行为提出明确反对意见而没有被采纳的，不承担领导责任".

    A stance recorded on the decision, or on the failure record (for opposed work)."""
    for p in [*ctx.facts.participants, *ctx.facts.involved]:
        if f.person and p.person.id == f.person.id and p.link.stance == Stance.OPPOSED_OVERRULED:
            return "explicitly opposed the decision and was overruled (提出明确反对意见而没有被采纳)"
    return None


@book.exemption("DUE_DILIGENCE", to="INDIVIDUAL_ALLOCATION", reaches=(R.DIRECT, R.LEADERSHIP),
                label="Chongqing art. 11 ¶2: 尽职免责",
                not_formalised="not formalised: whether the duties were performed diligently is judged by the "
                               "investigating organ; zeren takes the failure record's due_diligence flag")
def due_diligence(ctx: AccountContext, f: Finding) -> str | None:
    """Chongqing art. 11 ¶2: "按照尽职免责、失责必问的原则"."""
    for i in ctx.facts.involved:
        if f.person and i.person.id == f.person.id and isinstance(i.link, InvolvedIn) \
                and i.link.due_diligence is True:
            return "recorded as having performed the duties diligently (尽职免责)"
    return None
