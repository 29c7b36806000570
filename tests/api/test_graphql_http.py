"""GraphQL over HTTP: the conformance audit of the npm package graphql-http
(``auditServer``, run through Node by tests/conformance/audit.mjs) against the
live API, and direct checks of what zeren.api.http adds to strawberry: media
type negotiation, the status codes of application/graphql-response+json, 406,
queries via GET and mutations refused via GET.

The audit needs Node and ``npm ci`` run in tests/conformance; without them it
is skipped, with the reason."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api_server import Live, live_api
from zeren.api.http import negotiate
from zeren.graph.store import GraphStore

CONFORMANCE = Path(__file__).resolve().parents[1] / "conformance"
GRJ = "application/graphql-response+json"


@pytest.fixture(scope="module")
def live(data_dir: Path, _embedded_server: GraphStore) -> Iterator[Live]:
    with live_api(data_dir, "graphql_http_world") as running:
        yield running


@pytest.fixture(scope="module")
def client(live: Live) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=30, headers=live.auth("investigator")) as c:
        yield c


def post(client: httpx.Client, body: Any, accept: str | None, **kw: Any) -> httpx.Response:
    request = client.build_request("POST", "/graphql", json=body, **kw)
    if accept is None:
        del request.headers["accept"]
    else:
        request.headers["accept"] = accept
    return client.send(request)


# ----------------------------------------------------------------------------- the audit

def test_the_graphql_http_conformance_audit_passes_every_must_and_should(live: Live) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the graphql-http audit runs on Node.js (>= 18)")
    if not (CONFORMANCE / "node_modules" / "graphql-http").is_dir():
        pytest.skip("tests/conformance/node_modules is missing: run `npm ci --prefix tests/conformance`")
    env = {**os.environ, "GRAPHQL_AUDIT_TOKEN": live.tokens["investigator"]}
    run = subprocess.run([node, str(CONFORMANCE / "audit.mjs"), f"{live.url}/graphql"], env=env, cwd=CONFORMANCE,
                         capture_output=True, text=True, timeout=300)
    lines = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    results = [line for line in lines if "id" in line]
    assert results, f"the audit printed no results (exit {run.returncode}):\n{run.stdout}\n{run.stderr}"
    failing = [r for r in results if r["name"].split(" ")[0] in ("MUST", "SHOULD") and r["status"] != "ok"]
    assert not failing, "failing GraphQL-over-HTTP audits:\n" + "\n".join(json.dumps(r, ensure_ascii=False)
                                                                            for r in failing)
    levels = {r["name"].split(" ")[0] for r in results}
    assert {"MUST", "SHOULD"} <= levels
    assert run.returncode == 0, run.stdout + run.stderr


# ----------------------------------------------------------------------------- negotiation

@pytest.mark.parametrize("accept,expected", [
    (None, "application/json"),
    ("", "application/json"),
    ("*/*", "application/json"),
    ("application/*", "application/json"),
    ("application/json", "application/json"),
    (GRJ, GRJ),
    (f"{GRJ}; charset=utf-8", GRJ),
    (f"application/json, {GRJ}", GRJ),
    (f"{GRJ}, application/json;q=0.9", GRJ),
    (f"{GRJ};q=0.5, application/json", "application/json"),
    (f"{GRJ};q=0, */*", "application/json"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/json"),
    ("application/json, multipart/mixed", "application/json"),
    ("text/plain", None),
    ("application/xml", None),
    ("application/json;q=0", None),
    (f"{GRJ}; charset=latin1", None),
])
def test_negotiation(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept) == expected


# ----------------------------------------------------------------------------- over HTTP

@pytest.mark.parametrize("accept,media", [
    (GRJ, GRJ),
    (f"{GRJ}, application/json;q=0.9", GRJ),
    ("application/json", "application/json"),
    ("*/*", "application/json"),
    (None, "application/json"),
])
def test_the_response_media_type_follows_accept(client: httpx.Client, accept: str | None, media: str) -> None:
    r = post(client, {"query": "{ __typename }"}, accept)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == f"{media}; charset=utf-8"
    assert r.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("accept", ["text/plain", "application/xml", "application/json;q=0"])
def test_an_unacceptable_accept_gets_406(client: httpx.Client, accept: str) -> None:
    r = post(client, {"query": "{ __typename }"}, accept)
    assert r.status_code == 406 and GRJ in r.text


@pytest.mark.parametrize("body,needle", [
    ({"query": "{ matter(id: "}, "Syntax Error"),
    ({"query": "{ noSuchField }"}, "Cannot query field"),
    ({"query": "query($n: String!) { __type(name: $n) { name } }", "variables": {"n": 5}}, "String cannot represent"),
    ({"query": "query($n: String!) { __type(name: $n) { name } }"}, "to be provided"),
])
def test_request_errors_are_400_without_data_for_graphql_response_json_and_200_for_json(
        client: httpx.Client, body: dict[str, Any], needle: str) -> None:
    strict = post(client, body, GRJ)
    assert strict.status_code == 400, strict.text
    assert strict.headers["content-type"] == f"{GRJ}; charset=utf-8"
    assert "data" not in strict.json() and needle in strict.json()["errors"][0]["message"]
    legacy = post(client, body, "application/json")
    assert legacy.status_code == 200, legacy.text
    assert legacy.headers["content-type"] == "application/json; charset=utf-8"
    assert "data" not in legacy.json() and needle in legacy.json()["errors"][0]["message"]


def test_an_error_during_execution_is_200_with_data(client: httpx.Client) -> None:
    r = post(client, {"query": '{ matter(id: "M-NOPE") { id } }'}, GRJ)
    assert r.status_code == 200, r.text
    body = r.json()
    assert "data" in body and body["data"] is None  # a non-null field failed: execution began
    assert body["errors"][0]["path"] == ["matter"]


@pytest.mark.parametrize("content,content_type,needle", [
    (b'{ "not a JSON', "application/json", "Unable to parse"),
    (b'{"qeury": "{ __typename }"}', "application/json", "No GraphQL query"),
    (b'{"query": "{ __typename }", "variables": "x"}', "application/json", "variables"),
    (b'{"query": "{ __typename }"}', "text/plain", "Unsupported content type"),
])
def test_malformed_requests_get_400_with_a_graphql_shaped_body(client: httpx.Client, content: bytes,
                                                               content_type: str, needle: str) -> None:
    for accept in (GRJ, "application/json"):
        r = client.post("/graphql", content=content, headers={"Content-Type": content_type, "Accept": accept})
        assert r.status_code == 400, r.text
        assert r.headers["content-type"] == f"{accept}; charset=utf-8"
        assert needle in r.json()["errors"][0]["message"]


def test_a_query_works_via_get(client: httpx.Client) -> None:
    r = client.get("/graphql", params={"query": "query($n: String!) { __type(name: $n) { name } }",
                                       "variables": json.dumps({"n": "Query"})}, headers={"Accept": GRJ})
    assert r.status_code == 200 and r.headers["content-type"] == f"{GRJ}; charset=utf-8"
    assert r.json() == {"data": {"__type": {"name": "Query"}}}
    plain = client.get("/graphql", params={"query": "{ __typename }"}, headers={"Accept": "application/json"})
    assert plain.status_code == 200 and plain.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("accept", [GRJ, "application/json"])
def test_a_mutation_via_get_is_refused_with_405(client: httpx.Client, accept: str) -> None:
    r = client.get("/graphql", params={"query": "mutation { __typename }"}, headers={"Accept": accept})
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    assert "mutations are not allowed when using GET" in r.json()["errors"][0]["message"]


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "HEAD"])
def test_other_methods_are_refused_with_405_after_authentication(client: httpx.Client, live: Live,
                                                                 method: str) -> None:
    r = client.request(method, "/graphql", headers={"Accept": "application/json"})
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST"
    if method != "HEAD":
        assert "only supports GET and POST" in r.json()["errors"][0]["message"]
    with httpx.Client(base_url=live.url, timeout=30) as anonymous:
        assert anonymous.request(method, "/graphql").status_code == 401


def test_graphiql_still_opens_on_a_get_for_html(client: httpx.Client) -> None:
    r = client.get("/graphql", headers={"Accept": "text/html"})
    assert r.status_code == 200 and "graphiql" in r.text.lower()


def test_authentication_still_comes_first(live: Live) -> None:
    with httpx.Client(base_url=live.url, timeout=30) as anonymous:
        for accept in (GRJ, "text/plain"):
            r = anonymous.post("/graphql", json={"query": "{ __typename }"}, headers={"Accept": accept})
            assert r.status_code == 401 and "Bearer" in r.headers["www-authenticate"]
