"""The FastAPI application: GraphQL at /graphql (GraphiQL in a browser), the
analysts' read-only Cypher at /cypher, /health, and the browser pages (sign-in,
/docs, /redoc: see ``zeren.api.web``). Resources are created in
the lifespan and can be swapped in tests through ``create_app(services=...)``
(or, for /cypher, ``dependency_overrides``; /graphql is a plain route that
authenticates in its context getter, see ``zeren.api.http``)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from zeren.api.body_limit import BodySizeLimit
from zeren.api.context import Context, Services
from zeren.api.cypher import router as cypher_router
from zeren.api.deps import authenticate
from zeren.api.gql.schema import build_schema
from zeren.api.http import GraphQLHTTPView
from zeren.api.security import AuditLog, TokenStore, audit_key
from zeren.api.web import graphiql_page, mount_pages
from zeren.api.workbench import mount_workbench
from zeren.graph.confidential import Protector
from zeren.config import Settings, get_settings
from zeren.graph.store import open_adhoc_store, open_store
from zeren.rules.engine import Engine
from zeren.rules.organisation import Organisation


def open_services(settings: Settings) -> Services:
    store = open_store(settings)
    db = settings.data_dir / "zeren.db"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    held = Organisation(store, settings.organisation_cache_max_posts) if settings.organisation_cache else None
    engine = Engine(store, organisation=held)
    return Services(settings=settings, store=store, engine=engine, tokens=TokenStore(db),
                    audit=AuditLog(db, audit_key(settings)),
                    protector=Protector.from_settings(settings), adhoc=open_adhoc_store(settings, store))


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    settings = settings or (services.settings if services else get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = services is None
        app.state.services = services or open_services(settings)
        # Everything built at start-up (the schema, the routes, the rule sets)
        # lives as long as the process: move it out of the garbage collector's
        # generations, so a full collection during a request walks only that
        # request's objects (it walked every long-lived one: the tail latency).
        gc.collect()
        gc.freeze()
        # A trace allocates many short-lived objects: at the default threshold
        # (700 allocations) that is many young collections per request.
        gc.set_threshold(10_000, 20, 100)
        try:
            yield
        finally:
            if own:
                if app.state.services.adhoc is not None:
                    app.state.services.adhoc.close()
                app.state.services.store.close()

    # /docs, /redoc and /openapi.json are zeren.api.web's: behind a token, from local assets.
    app = FastAPI(title="zeren (责任)", version="0.1.0", lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url=None,
                  description="Who bore which responsibility for petition matters (信访工作责任制), through which "
                              "chain, on which provision, and which accountability measure follows.")

    async def context(request: Request) -> Context:
        # Every GraphQL request needs a valid token (GraphiQL's page checks its own).
        services: Services = request.app.state.services
        return Context(services=services, principal=await authenticate(request, services))

    graphql = GraphQLHTTPView(build_schema(settings), context_getter=context, graphql_ide="graphiql",
                              ide_page=graphiql_page)
    app.add_route("/graphql", graphql, include_in_schema=False)  # every method: the view answers 405 itself
    app.include_router(cypher_router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)

    @app.get("/health", tags=["service"], summary="Liveness of the service and its store (no token needed)")
    async def health(request: Request) -> JSONResponse:
        svc: Services = request.app.state.services
        ok = svc.store.ping()
        return JSONResponse({"status": "ok" if ok else "degraded", "store": svc.store.dialect, "store_up": ok},
                            status_code=200 if ok else 503)

    mount_pages(app)
    mount_workbench(app)
    return app
