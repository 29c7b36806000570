"""A live zeren API for the HTTP tests: the rule-case world plus enough
matters for a page of 50, on the embedded store or on Neo4j, served by uvicorn
on a free loopback port in a background thread, with one token per role."""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from backends import BoltServer, neo4j_settings

from worlds import world_for, write_world
from zeren.api.app import create_app, open_services
from zeren.api.context import Services
from zeren.api.security import ROLES
from zeren.config import Settings
from zeren.loaders.load import load_path

PETITIONER = "张某某 139****0000"


def extra_matters(n: int = 60) -> dict[str, list[dict[str, object]]]:
    """``n`` more matters in the subdistrict, each with two steps, and one failure."""
    matters, steps = [], []
    for i in range(n):
        mid = f"M-X{i:03d}"
        matters.append({"id": mid, "title": f"物业纠纷 {i}", "subject": "HOUSING", "territory": "500103001000",
                        "channel": "ONLINE", "form": "INDIVIDUAL", "received_on": f"2021-{i % 12 + 1:02d}-{i % 27 + 1:02d}",
                        "petitioner": f"居民{i % 7}", "summary": "物业服务费争议"})
        steps.append({"id": f"S-X{i:03d}a", "matter": mid, "kind": "RECEIVE", "institution": "YZ-PET",
                      "on": f"2021-{i % 12 + 1:02d}-{i % 27 + 1:02d}", "staff": "PER-S1"})
        steps.append({"id": f"S-X{i:03d}b", "matter": mid, "kind": "TRANSFER", "institution": "YZ-PET",
                      "on": f"2021-{i % 12 + 1:02d}-{i % 27 + 1:02d}", "to_institution": "YZ-GOV"})
    return {"matters": matters, "steps": steps,
            "failures": [{"id": "F-X000", "item": "HANDLING_BREACH", "scope": "INDIVIDUAL", "gravity": "MINOR",
                          "unit": "YZ-PET", "matter": "M-X000", "act_date": "2021-01-05", "acts": "逾期未转送"}],
            "measures": [{"id": "AM-X000", "kind": "ADMONISHMENT", "failure": "F-X000", "person": "PER-YZPET",
                          "post": "P-YZPET-HEAD", "decided_by": "YZ-PC", "decided_on": "2021-03-01"}]}


@dataclass
class Live:
    url: str
    services: Services
    tokens: dict[str, str]
    settings: Settings

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_api(data_dir: Path, graph_name: str, neo4j: BoltServer | None = None) -> Iterator[Live]:
    """The API over a graph of the embedded store, or over ``neo4j``'s database."""
    limits = {"cypher_timeout_ms": 300, "cypher_max_rows": 100, "cypher_max_length": 2000}
    settings = (neo4j_settings(neo4j, data_dir, **limits) if neo4j is not None
                else Settings(graph="embedded", data_dir=data_dir, graph_name=graph_name, **limits))  # type: ignore[arg-type]
    services = open_services(settings)
    services.store.clear()
    folder = write_world(world_for({"patch": extra_matters()}), Path(tempfile.mkdtemp(prefix="zeren-api-")))
    load_path(folder, services.store, settings=settings)
    tokens = {role: services.tokens.issue(f"test {role}", role)[1] for role in ROLES}
    try:
        with served(create_app(settings, services)) as url:
            yield Live(url, services, tokens, settings)
    finally:
        services.store.clear()
        if services.adhoc is not None:
            services.adhoc.close()
        services.store.close()


@contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port in a background thread; its URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the API did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
