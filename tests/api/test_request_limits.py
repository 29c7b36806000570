"""Limits on what one request may ask of the service, through a real HTTP
client against the running service: bodies over the configured size, and ad
hoc Cypher that would build more than the store can bound."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api_server import Live, live_api
from zeren.graph.store import GraphStore

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def live(data_dir: Path, _embedded_server: GraphStore) -> Iterator[Live]:
    with live_api(data_dir, "limits_world") as running:
        yield running


def _still_answers(client: httpx.Client, live: Live) -> None:
    assert client.get("/health").json()["status"] == "ok"
    r = client.post("/graphql", json={"query": '{ matter(id: "M-X001") { id } }'}, headers=live.auth("investigator"))
    assert r.status_code == 200 and r.json()["data"]["matter"]["id"] == "M-X001"


@pytest.mark.parametrize("path", ["/graphql", "/cypher"])
def test_a_body_over_the_limit_with_its_length_gets_413_and_the_service_still_answers(
        client: httpx.Client, live: Live, path: str) -> None:
    assert live.settings.max_body_bytes == MIB
    body = b'{"query": "' + b" " * (2 * MIB) + b'"}'
    r = client.post(path, content=body, headers={**live.auth("analyst"), "Content-Type": "application/json"})
    assert r.status_code == 413 and "larger than 1,048,576 bytes" in r.json()["detail"]
    _still_answers(client, live)


def test_a_chunked_body_over_the_limit_gets_413_and_the_service_still_answers(client: httpx.Client,
                                                                            live: Live) -> None:
    sent = []

    def chunks() -> Iterator[bytes]:
        for _ in range(64):  # 4 MiB in all
            sent.append(64 * 1024)
            yield b" " * (64 * 1024)

    r = client.post("/graphql", content=chunks(), headers={**live.auth("analyst"), "Content-Type": "application/json"})
    assert r.request.headers.get("transfer-encoding") == "chunked" and "content-length" not in r.request.headers
    assert r.status_code == 413
    _still_answers(client, live)


def test_a_body_under_the_limit_is_served(client: httpx.Client, live: Live) -> None:
    padded = "{ __typename }" + " " * (MIB // 2)
    r = client.post("/graphql", json={"query": padded}, headers=live.auth("analyst"))
    assert r.status_code == 200 and r.json()["data"] == {"__typename": "Query"}


def test_a_two_billion_range_is_refused_before_it_runs_and_the_store_still_answers(client: httpx.Client,
                                                                                   live: Live) -> None:
    r = client.post("/cypher", json={"query": "UNWIND range(1, 2000000000) AS x RETURN count(x)"},
                    headers=live.auth("analyst"))
    assert r.status_code == 422
    assert "2,000,000,000 elements" in r.json()["detail"] and "at most 1,000,000" in r.json()["detail"]
    _still_answers(client, live)


def test_a_range_with_a_computed_bound_is_refused_as_a_bad_request(client: httpx.Client, live: Live) -> None:
    r = client.post("/cypher", json={"query": "MATCH (n) WITH count(n) AS c UNWIND range(1, c * 1000000) AS x "
                                              "RETURN count(x)"}, headers=live.auth("analyst"))
    assert r.status_code == 400 and "must be a number or a number parameter" in r.json()["detail"]


def test_rows_past_the_cap_are_cut_by_the_store_and_said_so(client: httpx.Client, live: Live) -> None:
    r = client.post("/cypher", json={"query": "UNWIND range(1, 1000000) AS x RETURN x"}, headers=live.auth("analyst"))
    body = r.json()
    assert r.status_code == 200 and body["truncated"] and body["row_cap"] == 100
    assert body["rows"] == [[i] for i in range(1, 101)]
