"""The investigator's workbench: server-rendered pages at ``/`` (find), a
matter, a failure, a person, an institution, the honours roll and saved
queries, signed in by the same cookie as the other browser pages, reading
through the engine and the named queries (``views``), under the same roles
table and audit. Each page exports its tables (``?export=csv|xlsx&table=``)
and, for a matter, a failure and a cadre record, a PDF (``?export=pdf``), built
from the same view as the page, so an export shows exactly what the page does.

Jinja2 templates with autoescaping; one small script (chain graphs with the
vendored Cytoscape.js, saving a query); no build step."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from zeren.api.context import Services
from zeren.api.gql.search import find
from zeren.api.roles import CAPABILITIES, Forbidden, allowed, demand, roles_for
from zeren.api.security import AuditUnavailable, Principal
from zeren.api.web import PAGE_HEADERS, browser_principal, to_signin
from zeren.graph import search as fulltext
from zeren.rules.engine import EngineError
from zeren.rules.facts import NotFound

from . import exports, saved, views
from .views import Table

ENV = Environment(loader=PackageLoader("zeren.api.workbench", "templates"), autoescape=select_autoescape(["html"]))
ENV.globals["measure_label"] = views.measure_label
ENV.globals["level_label"] = lambda code: views.label("TerritoryLevel", code)
ENV.globals["roles_for"] = roles_for

KIND_NAMES = {"MATTER": "信访事项 matter", "PERSON": "人员 person", "INSTITUTION": "机关单位 institution",
              "TERRITORY": "行政区域 territory"}
PAGE_SIZE = 25


def hit_href(h: Any) -> str:
    return {"MATTER": f"/matter/{quote(h.id)}", "PERSON": f"/person/{quote(h.id)}",
            "INSTITUTION": f"/institution/{quote(h.id)}", "TERRITORY": f"/?territory={quote(h.id)}"}[h.kind]


def render(name: str, principal: Principal, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    may = {c: allowed(principal.role, c) for c in CAPABILITIES}
    html = ENV.get_template(name).render(principal=principal, may=may, today=dt.date.today().isoformat(), **ctx)
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)


def _export_base(request: Request) -> str:
    """The page's own URL with its query, ready for ``export=...`` (the same view exported)."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("export", "table")]
    q = "&".join(f"{quote(k)}={quote(v)}" for k, v in kept)
    return f"{request.url.path}?{q}&" if q else f"{request.url.path}?"


def _download(body: bytes, media_type: str, filename: str) -> Response:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in filename)
    return Response(body, media_type=media_type, headers={
        **PAGE_HEADERS, "Content-Disposition": f"attachment; filename=\"{safe}\"; filename*=UTF-8''{quote(filename)}"})


def export_table(tables: list[Table], name: str | None, fmt: str) -> Response:
    t = next((t for t in tables if t.name == name), None)
    if t is None:
        raise NotFound("table", name or "")
    if fmt == "csv":
        return _download(exports.to_csv(t), exports.CSV_TYPE, f"{t.name}.csv")
    return _download(exports.to_xlsx(t), exports.XLSX_TYPE, f"{t.name}.xlsx")


async def page(request: Request, build: Callable[[Principal], Response], reads: str | None = None) -> Response:
    """Sign-in, the roles table and errors around a page's ``build`` (run off
    the event loop): every page reads matters, and some ``reads`` more."""
    principal = await browser_principal(request)
    if principal is None:
        return to_signin(request)
    try:
        demand(principal.role, "matters")
        if reads is not None:
            demand(principal.role, reads)
        return await run_in_threadpool(build, principal)
    except NotFound as e:
        return render("error.html", principal, 404, title="未找到 Not found", heading="未找到 Not found",
                      message=str(e))
    except Forbidden as e:
        return render("error.html", principal, 403, title="无权查看 Forbidden", heading="无权查看 Forbidden",
                      message=str(e))
    except (EngineError, saved.SavedQueryError) as e:
        return render("error.html", principal, 400, title="请求有误 Bad request", heading="请求有误 Bad request",
                      message=str(e))
    except AuditUnavailable as e:
        return render("error.html", principal, 503, title="暂不可用 Unavailable", heading="暂不可用 Unavailable",
                      message=f"{e}: the petitioner's identity is shown only once its read is audited; try again")


def mount_workbench(app: FastAPI) -> None:
    saved.mount(app, page, render, export_table)

    @app.get("/", include_in_schema=False)
    async def home(request: Request, q: str | None = None, kinds: Annotated[list[str] | None, Query()] = None,
                   offset: int = 0, territory: str | None = None, received_from: str | None = None,
                   received_to: str | None = None, export: str | None = None, table: str | None = None) -> Response:
        def build(principal: Principal) -> Response:
            services: Services = request.app.state.services
            hits, more, error = None, False, None
            wanted = [k for k in kinds or [] if k in fulltext.KINDS]
            if q:
                try:
                    hits, more = find(services.store, q, wanted, PAGE_SIZE, max(0, min(offset, 1000)))
                except EngineError as e:
                    error = str(e)
            # The list is read once a territory is chosen (and the dates narrow it): a list of the
            # whole country would sort every matter in it to show the newest 50.
            matters = views.matters_table(services, territory, received_from, received_to) if territory else None
            if export in ("csv", "xlsx"):
                return export_table([matters] if matters else [], table, export)
            tname = None
            if territory:
                from zeren import queries
                rows = queries.run(services.store, "territories_by_id", {"ids": [territory]})
                tname = rows[0]["territory"].get("name") if rows else None
            return render("home.html", principal, title="查找 Find", q=q, kinds=wanted, hits=hits, more=more,
                          offset=offset, error=error, kinds_all=list(KIND_NAMES.items()), kind_names=KIND_NAMES,
                          href=hit_href, matters=matters, territory=territory, territory_name=tname,
                          received_from=received_from, received_to=received_to, export_base=_export_base(request))
        return await page(request, build)

    @app.get("/matter/{matter_id}", include_in_schema=False)
    async def matter(request: Request, matter_id: str, as_of: str | None = None, export: str | None = None,
                     table: str | None = None, cf_failure: str | None = None, cf_kind: str | None = None,
                     cf_person: str | None = None, cf_measure: str | None = None,
                     cf_on: str | None = None) -> Response:
        def build(principal: Principal) -> Response:
            services: Services = request.app.state.services
            # Exports never carry the petitioner's identity, so they do not read it.
            v = views.matter_view(services, principal, matter_id, as_of, reveal=export is None)
            rule_sets = views.rule_sets_text(v.evaluation.rule_sets) or "无 none"
            if export in ("csv", "xlsx"):
                return export_table(views.matter_tables(v), table, export)
            if export == "pdf":
                tables = [v.findings, v.gaps, v.steps]
                for f in v.failures:
                    tables += [f.findings, f.recommendations, f.measures]
                body = exports.to_pdf(
                    f"信访事项责任认定 Trace of matter {v.matter['id']}：{v.matter.get('title', '')}", principal,
                    [("认定日期 As of", v.as_of.isoformat()), ("适用规则 Rule sets applied", rule_sets),
                     ("受理日期 Received", v.matter["received_on"].isoformat()),
                     ("地区 Territory", " › ".join(t.get("name", "") for t in reversed(v.territories)))],
                    v.graph, tables,
                    ["信访人身份不在导出之列 The petitioner's identity is never exported."] +
                    ([f"{v.as_of} 早于受理日期 is before the matter was received"] if v.before_received else []))
                return _download(body, exports.PDF_TYPE, f"trace-{matter_id}-{v.as_of}.pdf")
            cf, cf_error = None, None
            if cf_failure and cf_kind:
                try:
                    change = views.to_change(cf_kind, cf_person or None, cf_measure or None, cf_on or None)
                    cf = views.counterfactual_view(services, cf_failure, change)
                except (EngineError, NotFound) as e:
                    cf_error = str(e)
            return render("matter.html", principal, title=v.matter.get("title", matter_id), v=v,
                          rule_sets=rule_sets, export_base=_export_base(request), change_kinds=views.CHANGE_KINDS,
                          cf=cf, cf_error=cf_error, cf_kind=cf_kind, cf_person=cf_person, cf_measure=cf_measure,
                          cf_on=cf_on)
        return await page(request, build)

    @app.get("/failure/{failure_id}", include_in_schema=False)
    async def failure(request: Request, failure_id: str, as_of: str | None = None, export: str | None = None,
                      table: str | None = None) -> Response:
        def build(principal: Principal) -> Response:
            from .chain import build as chain_of

            services: Services = request.app.state.services
            v = views.failure_view(services, failure_id, as_of)
            tables = [v.findings, v.gaps, v.recommendations, v.measures]
            graph = chain_of(v.evaluation.findings)
            rule_sets = views.rule_sets_text(v.evaluation.rule_sets) or "无 none"
            if export in ("csv", "xlsx"):
                return export_table(tables, table, export)
            if export == "pdf":
                measures_on = next((j.on for j in v.evaluation.judged_on if j.part == "MEASURES"), dt.date.today())
                body = exports.to_pdf(
                    f"失职失责问责 Accountability for failure {failure_id}", principal,
                    [("行为日期 Act date (accountability judged on)", v.failure["act_date"].isoformat()),
                     ("追责情况截至 Measures as of", measures_on.isoformat()),
                     ("适用规则 Rule sets applied", rule_sets), ("行为 Acts", v.failure.get("acts", "")),
                     ("信访事项 Matter", v.failure.get("matter") or "—")], graph, tables)
                return _download(body, exports.PDF_TYPE, f"accountability-{failure_id}.pdf")
            return render("failure.html", principal, title=f"失职失责 {failure_id}", v=v, graph_=graph,
                          rule_sets=rule_sets, as_of=as_of, export_base=_export_base(request))
        return await page(request, build)

    @app.get("/person/{person_id}", include_in_schema=False)
    async def person(request: Request, person_id: str, export: str | None = None,
                     table: str | None = None) -> Response:
        def build(principal: Principal) -> Response:
            services: Services = request.app.state.services
            v = views.person_view(services, principal, person_id)
            if export in ("csv", "xlsx"):
                return export_table(views.person_tables(v), table, export)
            if export == "pdf":
                demand(principal.role, "cadre_records")
                body = exports.to_pdf(
                    f"干部信访工作问责档案 Cadre record of {v.person.name} ({person_id})", principal,
                    [("截至 As of", dt.date.today().isoformat()),
                     ("依据 Basis", "；".join(views.text_of(b).split("：")[0] for b in v.basis) or "—")],
                    None, views.person_tables(v))
                return _download(body, exports.PDF_TYPE, f"cadre-record-{person_id}.pdf")
            return render("person.html", principal, title=v.person.name, v=v,
                          export_base=_export_base(request))
        return await page(request, build)

    @app.get("/institution/{institution_id}", include_in_schema=False)
    async def institution(request: Request, institution_id: str, as_of: str | None = None,
                          export: str | None = None, table: str | None = None) -> Response:
        def build(principal: Principal) -> Response:
            v = views.institution_view(request.app.state.services, institution_id, as_of)
            if export in ("csv", "xlsx"):
                return export_table(views.institution_tables(v), table, export)
            return render("institution.html", principal, title=v.institution.get("name", institution_id), v=v,
                          export_base=_export_base(request))
        return await page(request, build)

    @app.get("/honours", include_in_schema=False)
    async def honours(request: Request, year: int | None = None, territory: str | None = None,
                      export: str | None = None, table: str | None = None) -> Response:
        def build(principal: Principal) -> Response:
            y = year or dt.date.today().year
            t = views.honours_table(request.app.state.services, y, territory or None)
            if export in ("csv", "xlsx"):
                return export_table([t], table, export)
            return render("honours.html", principal, title="取消评优资格 Honours roll", t=t, year=y,
                          territory=territory, export_base=_export_base(request))
        return await page(request, build, reads="honours_roll")
