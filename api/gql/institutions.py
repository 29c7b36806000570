"""Institutions: leadership team and posts with their holders now or on a date,
remit, vertical management line up and down, sub-institutions, and the
petition department of their territory."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from zeren.api.context import Context, run_query
from zeren.graph.records import Institution as InstitutionRecord
from zeren.rules.facts import NotFound, teams_from_rows, territory_chain, vertical_path

from .common import InstitutionKind, NodeRef, PostRole, Subject, Territory, TerritoryLevel


@strawberry.type(description="A division of duties (分工) valid on the date asked.")
class Division:
    id: strawberry.ID
    subjects: list[Subject]  # type: ignore[valid-type]
    institution: strawberry.ID | None
    valid_from: dt.date
    valid_to: dt.date | None


@strawberry.type(description="A post of the leadership team, with its holder on the date asked (null: vacant).")
class Seat:
    post_id: strawberry.ID
    title: str
    role: PostRole  # type: ignore[valid-type]
    rank: int | None
    holder: NodeRef | None
    held_from: dt.date | None
    held_to: dt.date | None
    divisions: list[Division]


@strawberry.type(description="A link of a vertical management line.")
class VerticalLink:
    system: str
    institution: NodeRef = strawberry.field(description="the department at the other end")
    valid_from: dt.date
    valid_to: dt.date | None
    levels: int = strawberry.field(description="levels away from this institution")


@strawberry.type(description="A party or state organ, department, unit or enterprise.")
class Institution:
    id: strawberry.ID
    name: str
    kind: InstitutionKind  # type: ignore[valid-type]
    level: TerritoryLevel  # type: ignore[valid-type]
    remit: list[Subject] = strawberry.field(description="subjects within its remit (职权范围)")  # type: ignore[valid-type]
    system: str | None = strawberry.field(description="vertical management system, if any")
    territory: Territory | None
    parent: NodeRef | None
    sub_institutions: list[NodeRef]

    @strawberry.field(description="The leadership team's posts with their holders and divisions of duties on "
                                  "asOf (default: today).")
    async def team(self, info: Info[Context, None], as_of: dt.date | None = None) -> list[Seat]:
        on = as_of or dt.date.today()
        rows = await run_query(info.context.store, "teams_as_of", {"institutions": [str(self.id)],
                                                                   "as_of": on.isoformat()})
        seats = []
        for s in teams_from_rows([str(self.id)], rows)[str(self.id)]:
            p, per, t = s.post, s.person, s.tenure
            seats.append(Seat(post_id=strawberry.ID(p.id), title=p.title, role=PostRole[p.role],  # type: ignore[misc]
                              rank=p.rank, holder=NodeRef(label="Person", id=strawberry.ID(per.id), name=per.name)
                              if per else None, held_from=t.valid_from if t else None,
                              held_to=t.valid_to if t else None,
                              divisions=[Division(id=strawberry.ID(d.id), subjects=[Subject[x] for x in d.subjects or ()],  # type: ignore[misc]
                                                  institution=d.institution, valid_from=d.valid_from,
                                                  valid_to=d.valid_to) for d in s.divisions]))
        return sorted(seats, key=lambda s: (s.rank or 99, str(s.post_id)))

    @strawberry.field(description="The vertical management line above this department (links valid on asOf, "
                                  "default today).")
    async def vertical_up(self, info: Info[Context, None], as_of: dt.date | None = None) -> list[VerticalLink]:
        rows = await run_query(info.context.store, "vertical_line_up", {"institutions": [str(self.id)]})
        return _links(rows, as_of or dt.date.today())

    @strawberry.field(description="Departments below this one in its vertical management system (valid on asOf).")
    async def vertical_down(self, info: Info[Context, None], as_of: dt.date | None = None) -> list[VerticalLink]:
        rows = await run_query(info.context.store, "vertical_line_down", {"institution": str(self.id)})
        return _links(rows, as_of or dt.date.today())

    @strawberry.field(description="The petition department of this institution's territory (or the nearest level up).")
    async def petition_department(self, info: Info[Context, None]) -> NodeRef | None:
        if not self.territory:
            return None
        chain = await run_in_threadpool(territory_chain, info.context.store, str(self.territory.id))
        rows = await run_query(info.context.store, "petition_departments", {"territories": chain})
        by_t = {r["territory"]: InstitutionRecord.of(r["institution"]) for r in rows}
        for t in chain:
            if t in by_t:
                return NodeRef(label="Institution", id=strawberry.ID(by_t[t].id), name=by_t[t].name)
        return None


def _links(rows: list[dict[str, Any]], on: dt.date) -> list[VerticalLink]:
    out = []
    for path in map(vertical_path, rows):
        if not path.valid_on(on):
            continue
        end, last = path.nodes[-1], path.links[-1]
        out.append(VerticalLink(system=last.system,
                                institution=NodeRef(label="Institution", id=strawberry.ID(end.id), name=end.name),
                                valid_from=last.valid_from, valid_to=last.valid_to, levels=len(path.links)))
    return sorted(out, key=lambda v: v.levels)


async def institution(info: Info[Context, None], id: strawberry.ID) -> Institution:
    rows = await run_query(info.context.store, "institution_detail", {"institution": str(id)})
    if not rows:
        raise NotFound("institution", str(id))
    r = rows[0]
    i, parent = InstitutionRecord.of(r["institution"]), InstitutionRecord.maybe(r["parent"])
    subs = sorted(map(InstitutionRecord.of, r["subs"]), key=lambda s: s.id)
    return Institution(
        id=strawberry.ID(i.id), name=i.name, kind=InstitutionKind[i.kind], level=TerritoryLevel[i.level],  # type: ignore[misc]
        remit=[Subject[s] for s in i.remit or ()], system=i.system,  # type: ignore[misc]
        territory=Territory.of(r["territory"]),
        parent=NodeRef(label="Institution", id=strawberry.ID(parent.id), name=parent.name) if parent else None,
        sub_institutions=[NodeRef(label="Institution", id=strawberry.ID(s.id), name=s.name) for s in subs])
