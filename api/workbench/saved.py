"""Saved queries: an analyst saves a named, parameterised, read-only Cypher
query with a description; anyone who reads matters picks one from the list,
fills its parameters in a form and sees the rows as a table (and as a graph
when they hold nodes and relationships), exportable as CSV and Excel.

Kept in the service's own database (zeren.db, beside the tokens and the audit
log), with the same checks and limits as ``POST /cypher`` when saved and again
whenever run: the text checks of ``zeren.graph.adhoc`` before running, then
the store's read-only mode, the ad hoc timeout, the row cap and the memory
limit. A query is saved only once it has run read-only with its example
parameters. Every parameter needs an example: its type (text, whole number,
number, true/false) is the type a filled-in form value is read as."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.responses import JSONResponse, Response

from zeren.api.cypher import jsonable
from zeren.api.deps import require
from zeren.api.roles import allowed
from zeren.api.security import Principal, _Database
from zeren.graph.adhoc import AdHocRefused, check_before_running, code_only
from zeren.config import Settings
from zeren.graph.store.base import (GraphStore, QueryMemoryExceeded, QuerySyntaxError, QueryTimeout, ReadOnlyViolation,
                                    ReadResult, StoreError)

from .chain import COLUMN_WIDTH, LABEL_ZH, PAGES, ROW_HEIGHT, Graph
from .views import Table, link

PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
MAX_NAME = 100
MAX_DESCRIPTION = 2000
HIDDEN_SUFFIX = "_enc"  # ciphertext of protected fields: never shown on a page


class SavedQueryError(ValueError):
    """A saved query refused, with the reason (the field it is about)."""


@dataclass
class SavedQuery:
    id: int
    name: str
    description: str
    query: str
    examples: dict[str, Any]
    author: str
    created: str

    @property
    def parameters(self) -> list[str]:
        return parameters_of(self.query)


def parameters_of(query: str) -> list[str]:
    """The ``$names`` the query uses (outside strings and comments), in order of appearance."""
    return list(dict.fromkeys(PARAM.findall(code_only(query))))


class SavedQueries:
    """The saved queries in the service's database (its connection helpers)."""

    def __init__(self, path: Path) -> None:
        self._db = _Database(path)

    def list(self) -> list[SavedQuery]:
        with self._db.connect() as conn:
            return [_row(r) for r in conn.execute("SELECT * FROM saved_queries ORDER BY name")]

    def get(self, query_id: int) -> SavedQuery | None:
        with self._db.connect() as conn:
            r = conn.execute("SELECT * FROM saved_queries WHERE id = ?", (query_id,)).fetchone()
        return _row(r) if r else None

    def add(self, name: str, description: str, query: str, examples: dict[str, Any], author: str) -> int:
        with self._db.transaction() as conn:
            if conn.execute("SELECT 1 FROM saved_queries WHERE name = ?", (name,)).fetchone():
                raise SavedQueryError(f"name: a saved query named {name!r} exists already")
            cur = conn.execute("INSERT INTO saved_queries (name, description, query, examples, author, created) "
                               "VALUES (?, ?, ?, ?, ?, ?)",
                               (name, description, query, json.dumps(examples, ensure_ascii=False), author,
                                dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")))
            return int(cur.lastrowid or 0)


def _row(r: Any) -> SavedQuery:
    return SavedQuery(id=r["id"], name=r["name"], description=r["description"], query=r["query"],
                      examples=json.loads(r["examples"]), author=r["author"], created=r["created"])


def validate(name: str, description: str, query: str, examples: Any, settings: Settings) -> None:
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= MAX_NAME:
        raise SavedQueryError(f"name: give a name of 1 to {MAX_NAME} characters")
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise SavedQueryError(f"description: at most {MAX_DESCRIPTION} characters")
    if not isinstance(query, str) or not query.strip():
        raise SavedQueryError("query: the query is empty")
    if len(query) > settings.cypher_max_length:
        raise SavedQueryError(f"query: longer than {settings.cypher_max_length} characters")
    if not isinstance(examples, dict):
        raise SavedQueryError("parameters: give an example value for each parameter, as a JSON object")
    params = parameters_of(query)
    missing = [p for p in params if p not in examples]
    unused = [k for k in examples if k not in params]
    if missing:
        raise SavedQueryError(f"parameters: no example value for ${', $'.join(missing)}")
    if unused:
        raise SavedQueryError(f"parameters: the query does not use ${', $'.join(unused)}")
    bad = [k for k, v in examples.items() if not isinstance(v, (str, int, float, bool))]
    if bad:
        raise SavedQueryError(f"parameters: ${bad[0]} must be text, a number or true/false")


def run(store: GraphStore, settings: Settings, query: str, params: dict[str, Any]) -> ReadResult:
    """Run read-only under the ad hoc limits; a refusal is a SavedQueryError naming why."""
    try:
        check_before_running(query, params, settings.cypher_max_range)
        return store.read_only(query, params, timeout_ms=settings.cypher_timeout_ms,
                               max_rows=settings.cypher_max_rows)
    except AdHocRefused as e:
        raise SavedQueryError(f"query: refused before running: {e}") from None
    except ReadOnlyViolation:
        raise SavedQueryError("query: only read queries are allowed; the graph is unchanged") from None
    except QueryTimeout:
        raise SavedQueryError(f"query: ran past the time limit of {settings.cypher_timeout_ms} ms") from None
    except QueryMemoryExceeded:
        raise SavedQueryError("query: needed more memory than one query may use") from None
    except QuerySyntaxError as e:
        raise SavedQueryError(f"query: not valid Cypher: {str(e).splitlines()[0][:300]}") from None
    except StoreError as e:
        raise SavedQueryError(f"query: failed: {str(e).splitlines()[0][:300]}") from None


def coerce(name: str, raw: str, example: Any) -> Any:
    """A form value read as the type of the parameter's example."""
    try:
        if isinstance(example, bool):
            if raw.lower() not in ("true", "false"):
                raise ValueError
            return raw.lower() == "true"
        if isinstance(example, int):
            return int(raw)
        if isinstance(example, float):
            return float(raw)
    except ValueError:
        kind = "true or false" if isinstance(example, bool) else "a number"
        raise SavedQueryError(f"parameter ${name}: {raw!r} is not {kind}") from None
    return raw


def _visible(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _visible(x) for k, x in v.items() if not str(k).endswith(HIDDEN_SUFFIX)}
    if isinstance(v, list):
        return [_visible(x) for x in v]
    return v


def _cell(v: Any) -> Any:
    v = jsonable(_visible(v))
    if isinstance(v, dict) and "_labels" in v and "id" in v:
        lab = v["_labels"][0] if v["_labels"] else ""
        page = PAGES.get(lab)
        name = str(v.get("name") or v.get("title") or v["id"])
        return link(name, page.format(v["id"])) if page else name
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return "" if v is None else str(v)


def result_table(q: SavedQuery, result: ReadResult) -> Table:
    return Table(f"query-{q.id}", q.name, list(result.columns), [[_cell(v) for v in row] for row in result.rows])


def result_graph(result: ReadResult) -> Graph:
    """Nodes in the rows, and each relationship between the node before it and
    the node after it in its row (``RETURN a, r, b`` or a path)."""
    g = Graph()
    for row in result.rows:
        flat: list[Any] = []
        for v in row:
            flat.extend(v if isinstance(v, list) else [v])
        for i, v in enumerate(flat):
            if isinstance(v, dict) and "_labels" in v and "id" in v:
                lab = v["_labels"][0] if v["_labels"] else "Node"
                k = f"{lab}:{v['id']}"
                page = PAGES.get(lab)
                g.nodes.setdefault(k, {"id": k, "key": str(v["id"]), "label": lab, "kind": LABEL_ZH.get(lab, lab),
                                       "name": str(v.get("name") or v.get("title") or v["id"]),
                                       "href": page.format(v["id"]) if page else ""})
            elif isinstance(v, dict) and "_type" in v and 0 < i < len(flat) - 1:
                a, b = flat[i - 1], flat[i + 1]
                if all(isinstance(x, dict) and "_labels" in x and "id" in x for x in (a, b)):
                    s = f"{a['_labels'][0] if a['_labels'] else 'Node'}:{a['id']}"
                    e = f"{b['_labels'][0] if b['_labels'] else 'Node'}:{b['id']}"
                    g.edges.setdefault((s, v["_type"], e), {"id": f"{s}-{v['_type']}-{e}", "source": s,
                                                            "target": e, "type": v["_type"]})
    if g.edges:
        # A grid (no layers to go by: a saved query can return anything).
        for i, n in enumerate(g.nodes.values()):
            n["x"], n["y"] = (i % 6) * COLUMN_WIDTH, (i // 6) * ROW_HEIGHT
    else:
        g.nodes.clear()
    return g


def mount(app: FastAPI, page: Callable[..., Any], render: Callable[..., Any],
          export_table: Callable[..., Any]) -> None:
    def saved_of(request: Request) -> SavedQueries:
        services = request.app.state.services
        return SavedQueries(services.settings.data_dir / "zeren.db")

    @app.get("/queries", include_in_schema=False)
    async def list_queries(request: Request) -> Response:
        def build(principal: Principal) -> Response:
            return render("queries.html", principal, title="常用查询 Saved queries", queries=saved_of(request).list(),
                          may_save=allowed(principal.role, "saved_queries"))
        return await page(request, build)  # type: ignore[no-any-return]

    @app.get("/queries/{query_id}", include_in_schema=False)
    async def run_query(request: Request, query_id: int, export: str | None = None,
                        table: str | None = None) -> Response:
        def build(principal: Principal) -> Response:
            from zeren.rules.facts import NotFound

            services = request.app.state.services
            q = saved_of(request).get(query_id)
            if q is None:
                raise NotFound("saved query", str(query_id))
            form = dict(request.query_params)
            ran = "run" in form or export is not None
            values = {p: form.get(f"p_{p}", str(q.examples.get(p, ""))) for p in q.parameters}
            t, g = None, None
            if ran:
                validate(q.name, q.description, q.query, q.examples, services.settings)
                params = {p: coerce(p, values[p], q.examples[p]) for p in q.parameters}
                result = run(services.store, services.settings, q.query, params)
                t, g = result_table(q, result), result_graph(result)
                if export in ("csv", "xlsx"):
                    return export_table([t], table, export)  # type: ignore[no-any-return]
                truncated = result.truncated
            else:
                truncated = False
            base = f"/queries/{q.id}?run=1&" + "&".join(f"p_{quote(p)}={quote(v)}" for p, v in values.items())
            return render("query.html", principal, title=q.name, q=q, values=values, t=t, g=g,
                          truncated=truncated, cap=services.settings.cypher_max_rows,
                          export_base=base + "&" if values else base)
        return await page(request, build)  # type: ignore[no-any-return]

    @app.post("/queries", include_in_schema=False)
    async def save_query(request: Request,
                         principal: Annotated[Principal, Depends(require("saved_queries"))]) -> Response:
        services = request.app.state.services
        try:
            body = await request.json()
        except ValueError:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "send the query as a JSON object") from None
        if not isinstance(body, dict):
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "send the query as a JSON object")
        name, description = str(body.get("name", "")).strip(), str(body.get("description", ""))
        query, examples = body.get("query", ""), body.get("parameters", {})
        try:
            validate(name, description, query, examples, services.settings)
            from starlette.concurrency import run_in_threadpool

            await run_in_threadpool(run, services.store, services.settings, query, examples)
            query_id = saved_of(request).add(name, description, query, examples, principal.name)
        except SavedQueryError as e:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(e)) from None
        return JSONResponse({"id": query_id, "url": f"/queries/{query_id}"}, status_code=201)
