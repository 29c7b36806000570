"""Roles as one table (``zeren.api.roles``): every protected GraphQL field and
route, asked for by every role, is allowed or refused exactly as the table
says; every guarded field and route of the service is in this test; the
README's roles table is the table's."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from api_server import Live
from zeren.api.app import create_app
from zeren.api.deps import require
from zeren.api.gql.schema import build_schema
from zeren.api.roles import CAPABILITIES, PERMISSIONS, ROLES, allowed, markdown_table, may, refusal, roles_for
from zeren.api.security import db_path
from zeren.config import Settings

# Each guarded GraphQL field: (type.field, what it reads, a query asking for it, the path of the field).
FIELDS: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("Query.matter", "matters", '{ matter(id: "M-LAND") { id } }', ("matter",)),
    ("Query.matters", "matters", "{ matters(first: 1) { edges { node { id } } } }", ("matters",)),
    ("Query.institution", "matters", '{ institution(id: "YZ-PET") { id } }', ("institution",)),
    ("Query.person", "matters", '{ person(id: "PER-S1") { name tenures { post { id } } } }', ("person",)),
    ("Query.failure", "matters", '{ failure(id: "F-COLL") { subject } }', ("failure",)),
    ("Query.search", "matters", '{ search(text: "物业", first: 1) { edges { node { id } } } }', ("search",)),
    ("Query.provision", "matters", '{ provision(document: "CQ-2017", article: 11) { text } }', ("provision",)),
    ("Query.counterfactual", "matters", '{ counterfactual(failure: "F-COLL", changes: [{asOf: "2020-01-01"}]) '
                                        '{ changes } }', ("counterfactual",)),
    ("Query.honoursDisqualified", "honours_roll", "{ honoursDisqualified(year: 2019) { id } }",
     ("honoursDisqualified",)),
    ("Query.compliance", "compliance", '{ compliance(territory: "500103", year: 2019) { met } }', ("compliance",)),
    ("Query.auditLog", "audit_log", "{ auditLog(limit: 1) { field } }", ("auditLog",)),
    ("Person.record", "cadre_records", '{ person(id: "PER-S1") { record { measures { id } } } }',
     ("person", "record")),
    ("Matter.petitioner", "petitioner_identity", '{ matter(id: "M-LAND") { petitioner } }', ("matter", "petitioner")),
    ("Matter.accusation", "petitioner_identity", '{ matter(id: "M-LAND") { accusation } }', ("matter", "accusation")),
]

SAVED_BY_THIS_TEST = "roles test: "

# Each guarded route: (method path, what it reads, the request body for a role on a service, the status of success).
ROUTES: list[tuple[str, str, Callable[[str, Live], dict[str, Any]], int]] = [
    ("POST /cypher", "cypher", lambda role, live: {"query": "MATCH (t:Territory) RETURN count(t) AS n"}, 200),
    # A saved query's name is unique: one per role and store (removed after the test).
    ("POST /queries", "saved_queries",
     lambda role, live: {"name": f"{SAVED_BY_THIS_TEST}{role} on {live.settings.backend}", "description": "",
                         "query": "MATCH (t:Territory) RETURN count(t) AS n", "parameters": {}}, 201),
]


def _at(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        data = None if data is None else data[key]
    return data


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("field", "capability", "query", "path"), FIELDS, ids=[f[0] for f in FIELDS])
def test_each_role_reads_a_guarded_field_exactly_when_the_table_allows_it(
        client: httpx.Client, live: Live, role: str, field: str, capability: str, query: str,
        path: tuple[str, ...]) -> None:
    r = client.post("/graphql", json={"query": query}, headers=live.auth(role))
    assert r.status_code == 200, r.text
    body = r.json()
    if capability in PERMISSIONS[role]:
        assert "errors" not in body, body
        assert _at(body["data"], path) is not None
    else:
        assert _at(body["data"], path) is None
        assert [(tuple(e["path"]), e["message"]) for e in body["errors"]] == [(path, refusal(role, capability))]


@pytest.fixture
def saved_queries_removed(live: Live) -> Iterator[None]:
    """The saved queries a test adds are removed after it: other modules list
    the saved queries of the same database, in name order."""
    yield
    with closing(sqlite3.connect(db_path(live.settings))) as conn, conn:
        conn.execute("DELETE FROM saved_queries WHERE name LIKE ?", (f"{SAVED_BY_THIS_TEST}%",))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("route", "capability", "payload", "success"), ROUTES, ids=[r[0] for r in ROUTES])
@pytest.mark.usefixtures("saved_queries_removed")
def test_each_role_uses_a_guarded_route_exactly_when_the_table_allows_it(
        client: httpx.Client, live: Live, role: str, route: str, capability: str,
        payload: Callable[[str, Live], dict[str, Any]], success: int) -> None:
    method, path = route.split(" ", 1)
    r = client.request(method, path, json=payload(role, live), headers=live.auth(role))
    if capability in PERMISSIONS[role]:
        assert r.status_code == success, r.text
    else:
        assert r.status_code == 403 and r.json()["detail"] == refusal(role, capability)


# Workbench pages that read more than matters: (method path, what it reads).
PAGES: list[tuple[str, str]] = [
    ("GET /honours?year=2019", "honours_roll"),
    ("GET /person/PER-S1?export=pdf", "cadre_records"),
    ("GET /matter/M-LAND", "matters"),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("route", "capability"), PAGES, ids=[p[0] for p in PAGES])
def test_each_role_opens_a_guarded_workbench_page_exactly_when_the_table_allows_it(
        client: httpx.Client, live: Live, role: str, route: str, capability: str) -> None:
    method, path = route.split(" ", 1)
    r = client.request(method, path, headers=live.auth(role))
    if capability in PERMISSIONS[role]:
        assert r.status_code == 200, r.text
    else:
        assert r.status_code == 403 and refusal(role, capability) in r.text


def test_the_api_docs_name_the_roles_the_table_gives_each_guarded_route() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    for route, capability, _, _ in ROUTES:
        rows = [line for line in docs.splitlines() if line.startswith(f"| `{route}` |")]
        assert [row.split(" | ")[1] for row in rows] == [", ".join(roles_for(capability))], route


def test_a_capability_missing_from_the_table_is_a_mistake_not_a_refusal() -> None:
    with pytest.raises(KeyError, match="unknown capability 'cadre_record'"):
        allowed("personnel", "cadre_record")
    with pytest.raises(KeyError, match="unknown capability 'cadre_record'"):
        require("cadre_record")
    with pytest.raises(KeyError, match="unknown capability 'cadre_record'"):
        may("cadre_record")


def test_every_guarded_field_of_the_schema_is_in_this_test_with_its_capability() -> None:
    schema = build_schema(Settings())
    guarded: dict[str, str] = {}
    for name in schema._schema.type_map:
        definition = schema.get_type_by_name(name)
        for f in getattr(definition, "fields", None) or []:
            for permission in getattr(f, "permission_classes", None) or []:
                guarded[f"{name}.{schema.config.name_converter.get_graphql_name(f)}"] = permission.capability
    assert guarded == {field: capability for field, capability, _, _ in FIELDS}
    query_fields = {f"Query.{schema.config.name_converter.get_graphql_name(f)}"
                    for f in schema.get_type_by_name("Query").fields}  # type: ignore[union-attr]
    assert query_fields <= set(guarded), "every root field is guarded"


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """The app's routes, those of included routers too (FastAPI includes them lazily)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _api_routes(route.original_router.routes)


def test_a_guarded_field_whose_description_names_roles_names_those_the_table_gives_it() -> None:
    schema = build_schema(Settings())
    named: dict[str, tuple[set[str], set[str]]] = {}
    for name in schema._schema.type_map:
        for f in getattr(schema.get_type_by_name(name), "fields", None) or []:
            for permission in getattr(f, "permission_classes", None) or []:
                mentioned = {role for role in ROLES if re.search(rf"\b{role}\b", f.description or "")}
                if mentioned:
                    named[f"{name}.{f.python_name}"] = (mentioned, set(roles_for(permission.capability)))
    assert named, "some guarded field names its roles"
    assert {field: table for field, (_, table) in named.items()} == {field: m for field, (m, _) in named.items()}


def test_every_guarded_route_of_the_service_is_in_this_test_with_its_capability() -> None:
    app = create_app(Settings())
    guarded = {f"{method} {route.path}": dep.call.capability
               for route in _api_routes(app.routes)
               for dep in route.dependant.dependencies if hasattr(dep.call, "capability")
               for method in route.methods}
    assert guarded == {route: capability for route, capability, _, _ in ROUTES}


def test_every_capability_is_granted_to_some_role_and_the_readme_shows_the_table() -> None:
    assert set().union(*PERMISSIONS.values()) == set(CAPABILITIES)
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme
