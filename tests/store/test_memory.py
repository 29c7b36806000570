"""What a request allocates is freed when the request ends, by reference
counting alone: nothing of it waits in a reference cycle for the garbage
collector, whose oldest generation the service collects rarely (api/app.py).
Such cycles made the service's memory grow under a soak
(docs/reliability.md, "Memory under load"; benchmarks/soak.py)."""

from __future__ import annotations

import asyncio
import gc
import logging
import weakref
from collections.abc import Iterator
from datetime import date
from importlib import resources
from typing import Any

import httpx
import pytest

from zeren.api.app import create_app, open_services
from zeren.api.context import Context
from zeren.api.gql.schema import build_schema
from zeren.config import Settings
from zeren.graph.store.base import StoreError
from zeren.graph.store.falkor import param_text
from zeren.loaders.load import load_path


@pytest.fixture
def collector_off() -> Iterator[None]:
    """The garbage collector stopped (after a collection), so only reference
    counting frees anything; on again afterwards."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.fixture
def quiet_graphql_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """strawberry logs every error with its traceback; the test's log capture
    keeps the records (and so the tracebacks), which a stream handler does not."""
    monkeypatch.setattr(logging.getLogger("strawberry.execution"), "disabled", True)


class Probe:
    """A context value whose lifetime the test watches."""


@pytest.mark.parametrize("query", [
    "{ __typename }",
    '{ provision(document: "CN-2016", article: 1) { label } }',
    '{ provision(document: "NO-SUCH", article: 1) { label } }',  # raised in the resolver
    "{ noSuchField }",  # invalid
    "{ provision(",  # does not parse
], ids=["answered", "provision", "resolver-error", "invalid", "syntax-error"])
def test_executing_a_query_frees_its_context_without_the_garbage_collector(
        query: str, collector_off: None, quiet_graphql_errors: None) -> None:
    schema = build_schema(Settings(graph="embedded"))
    probe = Probe()
    alive = weakref.ref(probe)
    result = asyncio.run(schema.execute(query, context_value=probe))
    assert result.data is not None or result.errors  # it ran
    del probe, result
    assert alive() is None, "the context outlived the request in a reference cycle"


def test_store_parameters_are_converted_without_leaving_reference_cycles(collector_off: None) -> None:
    converted = param_text({"on": date(2019, 8, 1), "ids": ["a", date(2020, 1, 2)], "m": {"d": [date(2021, 3, 4)]}})
    assert converted == '{`on`:"2019-08-01",`ids`:["a","2020-01-02"],`m`:{`d`:["2021-03-04"]}}'
    assert gc.collect() == 0, "converting parameters left objects only the garbage collector frees"


@pytest.fixture
def sample_app(settings: Settings) -> Iterator[tuple[Any, dict[str, str]]]:
    """The app over the bundled sample data (no lifespan: the services are set
    directly, so the test process's collector settings stay as they are)."""
    services = open_services(settings)
    with resources.as_file(resources.files("zeren.data") / "sample") as folder:
        load_path(folder, services.store, settings=settings)
    tokens = {role: services.tokens.issue(f"memory {role}", role)[1]
              for role in ("investigator", "personnel", "analyst")}
    app = create_app(settings, services)
    app.state.services = services
    try:
        yield app, tokens
    finally:
        services.store.clear()
        services.store.close()


def test_no_request_context_outlives_its_graphql_request(sample_app: tuple[Any, dict[str, str]],
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         quiet_graphql_errors: None) -> None:
    app, tokens = sample_app
    contexts: list[weakref.ref[Context]] = []
    init = Context.__post_init__

    def watched(self: Context) -> None:
        init(self)
        contexts.append(weakref.ref(self))

    monkeypatch.setattr(Context, "__post_init__", watched)
    requests = [
        ("investigator", "query($id: ID!) { matter(id: $id) { responsibility { findings { kind person { id } "
                         "chain { nodes { id } } } } steps { id } failures { id } territory { name } } }",
         {"id": "M-CQ-0012"}),
        ("investigator", "query($id: ID!) { failure(id: $id) { findings { kind } recommendations { measure } } }",
         {"id": "F-CQ-003"}),
        ("personnel", "query($id: ID!) { person(id: $id) { name record { findings { kind } } } }",
         {"id": "PER-0033"}),
        ("investigator", "query($id: ID!) { matter(id: $id) { id } }", {"id": "M-NO-SUCH"}),  # not found
        ("investigator", "query($id: ID!) { matter(id: $id) { petitioner } }", {"id": "M-CQ-0012"}),  # forbidden
        ("investigator", "{ matter(id: ", {}),  # does not parse
    ]

    async def send() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://zeren") as client:
            out = []
            for role, query, variables in requests:
                r = await client.post("/graphql", json={"query": query, "variables": variables},
                                      headers={"Authorization": f"Bearer {tokens[role]}"})
                out.append(r.json())
            return out

    gc.collect()
    gc.disable()
    try:
        answers = asyncio.run(send())
        assert answers[0]["data"]["matter"]["responsibility"]["findings"]  # the trace ran
        assert [bool(a.get("errors")) for a in answers] == [False, False, False, True, True, True]
        assert len(contexts) == len(requests)
        assert [ref() for ref in contexts] == [None] * len(requests), "a request's context outlived it"
    finally:
        gc.enable()


def test_a_refused_cypher_query_leaves_no_store_error_to_the_garbage_collector(
        sample_app: tuple[Any, dict[str, str]]) -> None:
    app, tokens = sample_app
    queries = [("CREATE (:Intruder)", 403), ("MATCH (n RETURN n", 400), ("RETURN nosuchfunction(1)", 400)]

    async def send() -> list[int]:
        headers = {"Authorization": f"Bearer {tokens['analyst']}"}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://zeren") as client:
            return [(await client.post("/cypher", json={"query": q}, headers=headers)).status_code for q, _ in queries]

    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        assert asyncio.run(send()) == [status for _, status in queries]
        gc.collect()
        left = [type(o).__name__ for o in gc.garbage if isinstance(o, StoreError)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert left == [], "a refused query's error waited in a reference cycle for the collector"
