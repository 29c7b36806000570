"""The workbench's page loads and search, timed over HTTP with one keep-alive
client against ``zeren serve``'s application (uvicorn on a loopback port, one
worker), beside their anchors measured in the same run: the raw full-text
query on the store (what a search costs the store) and the engine's trace in
process (what a matter's page costs before any HTML).

    zeren generate --scale 0.1 --out /tmp/sf01
    ZEREN_DATA_DIR=/tmp/sf01-data zeren load /tmp/sf01
    ZEREN_DATA_DIR=/tmp/sf01-data python benchmarks/workbench.py --repeats 30

A graph loaded before the search index existed gets it here first (the index
set-up and the search text are idempotent; their time is printed). Prints a
Markdown table: median and 95th percentile per page, in milliseconds.
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import uvicorn

from zeren import queries
from zeren.api.app import create_app, open_services
from zeren.api.gql.search import find
from zeren.graph import search
from zeren.config import get_settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def timed(fn: Callable[[], Any], repeats: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def row(name: str, ms: list[float], note: str = "") -> str:
    ms = sorted(ms)
    if not ms:
        return f"| {name} | — | — | 0 | {note} |"
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return f"| {name} | {statistics.median(ms):.1f} | {p95:.1f} | {len(ms)} | {note} |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=30, help="timed requests per page (after one warm-up)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    settings = get_settings()
    t0 = time.perf_counter()
    if settings.backend == "embedded":
        # A graph of SF 0.1 takes longer to read back from its append-only file than the
        # 20 s open_store waits: start the store here with time to spare (open_services reuses it).
        from zeren.graph.store.embedded import EmbeddedServer, Guards

        embedded = EmbeddedServer(settings.data_dir, Guards.of(settings))
        embedded.start(wait_s=1800)
    start_s = time.perf_counter() - t0
    services = open_services(settings)
    store = services.store
    rnd = random.Random(args.seed)

    t0 = time.perf_counter()
    search.ensure_index(store)
    refreshed = search.refresh(store, batch_size=settings.batch_size)
    setup_s = time.perf_counter() - t0
    counts = {label: store.read(f"MATCH (n:{label}) RETURN count(n) AS n")[0]["n"] for label, _ in search.KINDS.values()}

    # Subjects: matters with a failure (their pages trace and account), people named in findings,
    # institutions, and two-character fragments of real institution names and matter titles.
    pairs = store.read("MATCH (f:Failure)-[:IN_MATTER]->(m:PetitionMatter) RETURN m.id AS m, f.id AS f LIMIT 200")
    matter, failure = rnd.choice(pairs)["m"], None
    failure = next(p["f"] for p in pairs if p["m"] == matter)
    person = store.read("MATCH (:Failure {id: $f})<-[:INVOLVED_IN]-(p:Person) RETURN p.id AS id LIMIT 1",
                        {"f": failure})
    if not person:
        person = store.read("MATCH (p:Person)-[:HOLDS]->(:Post) RETURN p.id AS id LIMIT 1")
    person_id = person[0]["id"]
    institution = store.read("MATCH (i:Institution)<-[:POST_AT]-(:Post) RETURN i.id AS id, i.name AS name LIMIT 50")
    inst = rnd.choice(institution)
    name = inst["name"]
    fragment = name[len(name) // 2 - 1: len(name) // 2 + 1]
    title = store.read("MATCH (m:PetitionMatter {id: $m}) RETURN m.title AS t", {"m": matter})[0]["t"]
    texts = {"2 characters of an institution's name": fragment, "a matter's id": matter,
             "4 characters of a matter's title": title[:4]}

    tokens = {role: services.tokens.issue(f"benchmark {role}", role)[1] for role in ("investigator", "personnel")}
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, services), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    lines = [f"Graph: {', '.join(f'{k} {v:,}' for k, v in counts.items())}. Store start: {start_s:.0f} s. "
             f"Search index set-up and search text: {setup_s:.1f} s ({refreshed.written:,} nodes written).", "",
             "| page or query | median ms | p95 ms | n | note |", "|---|---|---|---|---|"]
    print("\n".join(lines), flush=True)

    def emit(line: str) -> None:  # each figure as soon as it is measured
        print(line, flush=True)

    try:
        with httpx.Client(base_url=base, timeout=60) as c:
            def get(path: str, role: str = "investigator", **params: Any) -> Callable[[], None]:
                def go() -> None:
                    r = c.get(path, params=params, headers={"Authorization": f"Bearer {tokens[role]}"})
                    assert r.status_code == 200, (path, r.status_code, r.text[:300])
                return go

            for what, text in texts.items():
                q = search.falkordb_query_text(text) if store.dialect == "falkordb" else search.query_text(text)
                anchor = timed(lambda q=q: queries.run_many(store, [
                    ("search", {"label": label, "text": q, "limit": 26}) for label, _ in search.KINDS.values()]),
                    args.repeats)
                hits = len(find(store, text, None, 25)[0])
                emit(row(f"anchor: raw full-text query on the store, 4 labels, {what} ({text})", anchor))
                emit(row(f"search page `/?q=` ({what})", timed(get("/", q=text), args.repeats),
                                 f"{hits} hits shown"))
            gql = {"query": "query($t: String!) { search(text: $t, first: 25) { edges { node { kind id name } } } }",
                   "variables": {"t": fragment}}
            emit(row("GraphQL `search` (2 characters)", timed(lambda: c.post(
                "/graphql", json=gql, headers={"Authorization": f"Bearer {tokens['investigator']}"}).raise_for_status(),
                args.repeats)))
            emit(row("home `/`", timed(get("/"), args.repeats)))
            for level in ("COUNTY", "PROVINCE"):
                t = store.read("MATCH (t:Territory {level: $l}) RETURN t.id AS id ORDER BY t.id LIMIT 1", {"l": level})
                if t:
                    emit(row(f"matters of a territory `/?territory=` (newest 50; a {level.lower()} and below)",
                             timed(get("/", territory=t[0]["id"]), args.repeats), t[0]["id"]))
            emit(row("anchor: engine trace of the matter in process",
                             timed(lambda: services.engine.trace(matter), args.repeats), matter))
            emit(row("matter page", timed(get(f"/matter/{matter}"), args.repeats),
                             "trace + accountability of each failure + chain"))
            emit(row("failure page", timed(get(f"/failure/{failure}"), args.repeats), failure))
            emit(row("person page (personnel: cadre record)",
                             timed(get(f"/person/{person_id}", "personnel"), args.repeats), person_id))
            emit(row("institution page", timed(get(f"/institution/{inst['id']}"), args.repeats), inst["id"]))
            emit(row("matter PDF export", timed(get(f"/matter/{matter}", export="pdf"), args.repeats)))
    finally:
        server.should_exit = True
        store.close()


if __name__ == "__main__":
    main()
