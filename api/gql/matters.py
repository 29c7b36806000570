"""Petition matters: lookup, filtered cursor pages, standing responsibility and
accountability, and the protected fields (see ``zeren.api.roles``; every read
audited before it is served)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info
from strawberry.types.nodes import SelectedField

from zeren import queries
from zeren.api.context import Context, run_query
from zeren.api.roles import may
from zeren.api.security import AuditUnavailable
from zeren.graph.confidential import encrypted_name, pseudonym_name
from zeren.graph.records import Failure, HandlingStep, PetitionMatter
from zeren.rules.engine import EngineError
from zeren.rules.facts import NotFound

from .common import (Channel, Evaluation, FailureItem, FailureScope, Gravity, Label, MatterForm, StepKind, Subject,
                     Territory, label)

@strawberry.type(description="A handling step of a matter.")
class Step:
    id: strawberry.ID
    kind: StepKind  # type: ignore[valid-type]
    institution: strawberry.ID
    staff: strawberry.ID | None
    to_institution: strawberry.ID | None
    on: dt.date
    due: dt.date | None
    note: str | None

    @staticmethod
    def of(s: HandlingStep) -> Step:
        return Step(id=strawberry.ID(s.id), kind=StepKind[s.kind], institution=strawberry.ID(s.institution),  # type: ignore[misc]
                    staff=s.staff, to_institution=s.to_institution, on=s.on, due=s.due, note=s.note)


@strawberry.type(description="A failure recorded for a matter (art. 11 ¶1).")
class FailureRecord:
    id: strawberry.ID
    item: FailureItem  # type: ignore[valid-type]
    item_label: Label
    scope: FailureScope  # type: ignore[valid-type]
    gravity: Gravity  # type: ignore[valid-type]
    unit: strawberry.ID
    act_date: dt.date
    acts: str

    @strawberry.field(description="Accountability for this failure: allocation among the people who held the posts "
                                  "on the act date, exemptions, measures (rectification status as of asOf).")
    async def accountability(self, info: Info[Context, None], as_of: dt.date | None = None) -> Evaluation:
        ev = await run_in_threadpool(info.context.engine.account, str(self.id), as_of)
        return Evaluation.of(ev)

    @staticmethod
    def of(f: Failure) -> FailureRecord:
        return FailureRecord(id=strawberry.ID(f.id), item=FailureItem[f.item], item_label=label("FailureItem", f.item),  # type: ignore[misc]
                             scope=FailureScope[f.scope], gravity=Gravity[f.gravity], unit=strawberry.ID(f.unit),  # type: ignore[misc]
                             act_date=f.act_date, acts=f.acts)


@strawberry.type(description="A petition matter (信访事项).")
class Matter:
    id: strawberry.ID
    title: str
    subject: Subject  # type: ignore[valid-type]
    channel: Channel  # type: ignore[valid-type]
    form: MatterForm  # type: ignore[valid-type]
    headcount: int | None
    received_on: dt.date
    closed_on: dt.date | None
    litigation_related: bool
    summary: str | None
    petitioner_pseudonym: str | None = strawberry.field(
        description="keyed pseudonym of the petitioner: equal for the same petitioner, reveals nothing")
    territory_id: strawberry.ID
    accused_institution: strawberry.ID | None
    accused_person: strawberry.ID | None
    raw: strawberry.Private[dict[str, Any]]
    # The rows of the `matter` query (the matter and its chain of territories),
    # when the resolver read them: a trace then starts from them.
    rows: strawberry.Private[list[dict[str, Any]] | None] = None
    # (asOf, the answer or the error) of the responsibility the query asks,
    # when the resolver of `matter` traced it with the matter (one call off the
    # event loop instead of two).
    traced: strawberry.Private[tuple[dt.date | None, Evaluation | Exception] | None] = None

    @strawberry.field(description="The territory the matter arises in.")
    async def territory(self, info: Info[Context, None]) -> Territory | None:
        return Territory.of(await info.context.loaders.territory.load(str(self.territory_id)))

    @strawberry.field(description="Handling steps, in date order.")
    async def steps(self, info: Info[Context, None]) -> list[Step]:
        return [Step.of(s) for s in await info.context.loaders.steps.load(str(self.id))]

    @strawberry.field(description="Failures recorded for the matter.")
    async def failures(self, info: Info[Context, None]) -> list[FailureRecord]:
        return [FailureRecord.of(f) for f in await info.context.loaders.failures.load(str(self.id))]

    @strawberry.field(description="Standing responsibility on asOf (default: the date received): who bore which "
                                  "responsibility, through which chain, on which provision.")
    async def responsibility(self, info: Info[Context, None], as_of: dt.date | None = None) -> Evaluation:
        if self.traced is not None and self.traced[0] == as_of:
            answer = self.traced[1]
            if isinstance(answer, Exception):
                raise answer
            return answer
        ev = await run_in_threadpool(info.context.engine.trace, str(self.id), as_of,
                                     matter_rows=self.rows)
        return Evaluation.of(ev)

    @strawberry.field(description="The petitioner's identity. Only for the petition_bureau role; every read is "
                                  "written to the audit log before it is served.",
                      permission_classes=[may("petitioner_identity")])
    async def petitioner(self, info: Info[Context, None]) -> str | None:
        return await _protected(info, self, "petitioner")

    @strawberry.field(description="Accusation materials. Only for the petition_bureau role; every read is audited.",
                      permission_classes=[may("petitioner_identity")])
    async def accusation(self, info: Info[Context, None]) -> str | None:
        return await _protected(info, self, "accusation")

    @staticmethod
    def of(m: dict[str, Any], rows: list[dict[str, Any]] | None = None) -> Matter:
        """The matter of a row's properties. ``raw`` keeps the row: the stored
        ciphertext and pseudonym of the confidential fields are no fields of the record."""
        r = PetitionMatter.of(m)
        return Matter(id=strawberry.ID(r.id), title=r.title, subject=Subject[r.subject],  # type: ignore[misc]
                      channel=Channel[r.channel], form=MatterForm[r.form],  # type: ignore[misc]
                      headcount=r.headcount, received_on=r.received_on, closed_on=r.closed_on,
                      litigation_related=bool(r.litigation_related), summary=r.summary,
                      petitioner_pseudonym=m.get(pseudonym_name("petitioner")), territory_id=strawberry.ID(r.territory),
                      accused_institution=r.accused_institution, accused_person=r.accused_person, raw=m, rows=rows)


async def _protected(info: Info[Context, None], matter: Matter, field: str) -> str | None:
    """The decrypted field, once its read is in the audit log (never otherwise)."""
    ctx = info.context
    token = matter.raw.get(encrypted_name(field))
    try:
        await run_in_threadpool(ctx.services.audit.record, ctx.principal, str(matter.id), field)
    except AuditUnavailable as e:
        raise AuditUnavailable(f"{e}: the {field} of {matter.id} is not served, since every read of it must be "
                               "audited; try again shortly") from e
    if token is None:
        return None
    return ctx.services.protector.decrypt(token)


@strawberry.input(description="Filters of the matters list; every one optional.")
class MatterFilter:
    territory: strawberry.ID | None = strawberry.field(default=None, description="this territory and all below it")
    subject: Subject | None = None  # type: ignore[valid-type]
    channel: Channel | None = None  # type: ignore[valid-type]
    form: MatterForm | None = None  # type: ignore[valid-type]
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    has_failure: bool | None = None


@strawberry.type
class MatterEdge:
    cursor: str
    node: Matter


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="A page of matters, newest first.")
class MatterConnection:
    edges: list[MatterEdge]
    page_info: PageInfo


def encode_cursor(m: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(f"{m['received_on'].isoformat()}|{m['id']}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        day, key = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        dt.date.fromisoformat(day)
        return day, key
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise EngineError(f"cursor {cursor[:40]!r} is not one this service issued") from None


NOT_ASKED = object()
Rows = list[dict[str, Any]]


def asked_as_of(info: Info[Context, None]) -> Any:
    """The asOf of the matter's ``responsibility`` the query asks (None: the
    default date), or NOT_ASKED when it asks none, or asks it under a directive
    or with an asOf that is no date (the field itself then answers as usual)."""
    for f in info.selected_fields[0].selections:
        if isinstance(f, SelectedField) and f.name == "responsibility" and not f.directives:
            value = f.arguments.get("asOf")
            if value is None or isinstance(value, dt.date):
                return value
            try:
                return dt.date.fromisoformat(value)
            except (TypeError, ValueError):
                return NOT_ASKED
    return NOT_ASKED


def matter_and_trace(ctx: Context, matter_id: str, as_of: Any) -> tuple[dict[str, Any] | None, Rows | None, Any]:
    """The matter's stored properties (None: no such matter) and, when ``as_of``
    is asked, its trace on that date, from one read of the matter; when none
    is asked or the trace fails, the matter read on its own (its rows of the
    ``matter`` query) and the error."""
    if as_of is not NOT_ASKED:
        try:
            row, ev = ctx.engine.matter_and_trace(matter_id, as_of)
            return row, None, (as_of, Evaluation.of(ev))
        except NotFound as e:
            if (e.kind, e.key) == ("petition matter", matter_id):
                return None, None, None
            error: Exception | None = e
        except Exception as e:  # given by the responsibility field, as when it traces itself
            error = e
    rows = queries.run(ctx.store, "matter", {"matter": matter_id})
    if not rows:
        return None, None, None
    return rows[0]["matter"], rows, None if as_of is NOT_ASKED else (as_of, error)


async def matter(info: Info[Context, None], id: strawberry.ID) -> Matter:
    row, rows, traced = await run_in_threadpool(matter_and_trace, info.context, str(id), asked_as_of(info))
    if row is None:
        raise NotFound("petition matter", str(id))
    found = Matter.of(row, rows)
    found.traced = traced
    return found


async def matters(info: Info[Context, None], filter: MatterFilter | None = None, first: int = 20,
                  after: str | None = None) -> MatterConnection:
    ctx = info.context
    cap = ctx.services.settings.graphql_page_max
    if not 1 <= first <= cap:
        raise EngineError(f"first must be between 1 and {cap}")
    f = filter or MatterFilter()
    territories = None
    if f.territory:
        territories = [r["id"] for r in await run_query(ctx.store, "territory_descendants", {"territory": str(f.territory)})]
    after_date, after_id = decode_cursor(after) if after else (None, None)
    rows = await run_query(ctx.store, "matters_page", {
        "territories": territories, "subject": f.subject.value if f.subject else None,
        "channel": f.channel.value if f.channel else None, "form": f.form.value if f.form else None,
        "from": f.received_from.isoformat() if f.received_from else None,
        "to": f.received_to.isoformat() if f.received_to else None, "has_failure": f.has_failure,
        "after_date": after_date, "after_id": after_id, "limit": first + 1})
    page = rows[:first]
    edges = [MatterEdge(cursor=encode_cursor(r["matter"]), node=Matter.of(r["matter"])) for r in page]
    return MatterConnection(edges=edges, page_info=PageInfo(has_next_page=len(rows) > first,
                                                            end_cursor=edges[-1].cursor if edges else None))
