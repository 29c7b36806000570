"""Memory under load: a soak of ``zeren serve`` on the embedded store.

One command, bounded in time (``--duration``) and in requests
(``--max-requests``), stops by itself, talks to loopback only:

1. a private data folder (a temporary one unless ``--work-dir``) gets the
   regulations and the bundled sample data (``zeren sample``) and a token per
   role the mix needs;
2. ``zeren serve`` starts on a free loopback port (one worker, the embedded
   store started by it);
3. ``--clients`` keep-alive clients (default 4) send, until the duration or
   the request budget is spent, a fixed mix: GraphQL traces of several matters
   on several as-of dates, accountability for failures, counterfactuals, cadre
   records, pages of matters, the honours roll, read-only Cypher (named-style
   queries with parameters and ad hoc ones whose text varies), and requests
   that are refused or wrong (no token, a bad token, a role without access,
   syntax errors, writes through /cypher, unknown ids, a protected field).
   Every request has the status it must get; any other is an error;
4. every ``--interval`` seconds the resident set (VmRSS) of the service and of
   the store is sampled (psutil).

The samples go to ``<out>.csv`` and, with the summary (requests, errors,
throughput, RSS at the end of ``--warmup`` and at the end, growth in %, and
the least-squares slope in MB/min after the warm-up), to ``<out>.json``;
the summary is also printed.

    python benchmarks/soak.py --duration 600              # the 10-minute soak
    python benchmarks/soak.py --duration 1800 --warmup 180
    MALLOC_ARENA_MAX=2 python benchmarks/soak.py ...      # the service inherits the environment

Two analyses run the same mix in this process instead, with no server, the
app behind an ASGI client (the analyses behind docs/reliability.md, "Memory
under load"):

* ``--profile N``: N requests under tracemalloc; what grew between the
  snapshot after the first N/4 and the one at the end;
* ``--cycles N``: per kind of request, N of them with the garbage collector
  off, then the objects that only a collection freed, per request.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import free_port, rss  # noqa: E402  (the benchmark's own helpers)

HERE = Path(__file__).resolve().parent
ROLES = ("investigator", "personnel", "analyst", "petition_bureau")


# --------------------------------------------------------------------------- the mix

@dataclass(frozen=True)
class Call:
    """One request of the mix and the status it must get."""

    kind: str
    path: str
    json: dict[str, Any] | None
    role: str | None  # None: no Authorization header
    expect: int
    token: str | None = None  # overrides the role's token (a bad one)
    method: str = "POST"
    clean: bool = False  # a GraphQL answer that must carry data and no errors


@dataclass
class Ids:
    """Ids of the sample data the mix draws from."""

    matters: list[str]
    failures: list[str]
    people: list[str]
    measures: list[tuple[str, str]]  # (measure, its failure)
    participants: list[tuple[str, str]]  # (person, failure)
    deciders: list[tuple[str, str]]  # (person, failure) of the decision the failure was
    territories: list[str]

    @classmethod
    def of_sample(cls) -> Ids:
        folder = resources.files("zeren.data") / "sample"

        def rows(name: str) -> list[dict[str, str]]:
            with (folder / name).open(encoding="utf-8") as fh:
                return list(csv.DictReader(fh))

        fps = rows("failure_people.csv")
        by_decision = {r["decision"]: r["id"] for r in rows("failures.csv") if r["decision"]}
        return cls(matters=[r["id"] for r in rows("matters.csv")],
                   failures=[r["id"] for r in rows("failures.csv")],
                   people=sorted({r["person"] for r in fps} | {r["person"] for r in rows("tenures.csv")}),
                   measures=[(r["id"], r["failure"]) for r in rows("measures.csv") if r["failure"]],
                   participants=[(r["person"], r["failure"]) for r in fps],
                   deciders=[(r["person"], by_decision[r["decision"]]) for r in rows("decision_participants.csv")
                             if r["decision"] in by_decision],
                   territories=[r["id"] for r in rows("territories.csv")])


TRACE = """query Trace($id: ID!, $asOf: Date) { matter(id: $id) { id title receivedOn
  responsibility(asOf: $asOf) { asOf ruleSets findings { kind rule person { id name } post { id }
    institution { id name } basis { label text } ruleSets chain { nodes { label id } } }
    gaps { what reason } recommendations { measure reason person { id } decidedBy { id } }
    judgedOn { part on } } } }"""
MATTER_PARTS = """query Parts($id: ID!) { matter(id: $id) { id territory { id name level }
  steps { id kind on institution } failures { id item gravity actDate accountability { findings { kind rule } } } } }"""
FAILURE = """query Failure($id: ID!, $asOf: Date) { failure(id: $id, asOf: $asOf) { subject asOf
  findings { kind person { id } basis { label } failure { id } }
  recommendations { measure year territory { id } proposedBy { id } }
  recordedMeasures { id kind rectification } gaps { what } } }"""
COUNTERFACTUAL = """query CF($failure: ID, $changes: [ChangeInput!]!) {
  counterfactual(failure: $failure, changes: $changes) { changes
    added { kind person { id } } removed { kind person { id } }
    recommendationsAdded { measure } recommendationsRemoved { measure } } }"""
CADRE = """query Cadre($id: ID!) { person(id: $id) { id name tenures { post { id name } validFrom validTo }
  record { findings { kind matter { id } failure { id } } recommendations { measure year }
    measures { id kind rectification } basis { label } } } }"""
MATTERS = """query Page($filter: MatterFilter, $first: Int!, $after: String) {
  matters(filter: $filter, first: $first, after: $after) { edges { cursor node { id title
    territory { name } failures { id } } } pageInfo { hasNextPage endCursor } } }"""
HONOURS = """query Honours($year: Int!) { honoursDisqualified(year: $year) { role id name year reasons } }"""
PROTECTED = """query P($id: ID!) { matter(id: $id) { id petitioner accusation } }"""

CYPHER_NAMED = [
    ("MATCH (m:PetitionMatter)-[:ARISES_IN]->(t:Territory) RETURN t.name AS territory, count(m) AS n "
     "ORDER BY n DESC", {}),
    ("MATCH (m:PetitionMatter {id: $id}) RETURN m.id AS id, m.title AS title, m.subject AS subject", "matter"),
    ("MATCH (p:Person {id: $id})-[h:HOLDS]->(post:Post) RETURN post.id AS post, h.valid_from AS since", "person"),
    ("MATCH (n) RETURN labels(n)[0] AS label, count(n) AS n ORDER BY n DESC", {}),
]
CYPHER_REFUSED = [
    ("CREATE (:Intruder {at: $n})", 403),
    ("MATCH (n) DETACH DELETE n", 403),
    ("MATCH (n RETURN n", 400),
    ("RETURN nosuchfunction(1)", 400),
    ("", 400),
]


def gql(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"query": query, "variables": variables or {}}


def next_call(rng: random.Random, ids: Ids, serial: int) -> Call:
    """A call drawn from the mix: about 70 % GraphQL that succeeds, 15 %
    Cypher that succeeds, 15 % refused or wrong. ``serial`` makes the ad hoc
    texts distinct (as an analyst's edits are)."""
    as_of = rng.choice([None, "2016-06-30", "2018-01-01", "2019-08-01", "2021-12-31", "2024-06-30"])
    r = rng.random()
    if r < 0.30:
        return Call("trace", "/graphql", gql(TRACE, {"id": rng.choice(ids.matters), "asOf": as_of}),
                    "investigator", 200, clean=True)
    if r < 0.38:
        return Call("matter_parts", "/graphql", gql(MATTER_PARTS, {"id": rng.choice(ids.matters)}),
                    "investigator", 200, clean=True)
    if r < 0.48:
        return Call("failure", "/graphql", gql(FAILURE, {"id": rng.choice(ids.failures), "asOf": as_of}),
                    "investigator", 200, clean=True)
    if r < 0.56:
        person, failure = rng.choice(ids.participants)
        decider, decision = rng.choice(ids.deciders)
        measure, m_failure = rng.choice(ids.measures)
        changes = rng.choice([
            ({"stance": rng.choice(["AGREED", "OPPOSED_OVERRULED", "ABSENT"]), "person": decider}, decision),
            ({"dueDiligence": True, "person": person}, failure),
            ({"rectifiedMeasure": measure, "rectifiedOn": f"20{rng.randint(16, 24)}-0{rng.randint(1, 9)}-15"},
             m_failure),
            ({"asOf": as_of or "2023-01-01"}, failure),
        ])
        return Call("counterfactual", "/graphql", gql(COUNTERFACTUAL, {"failure": changes[1], "changes": [changes[0]]}),
                    "investigator", 200, clean=True)
    if r < 0.62:
        return Call("cadre", "/graphql", gql(CADRE, {"id": rng.choice(ids.people)}), "personnel", 200, clean=True)
    if r < 0.66:
        flt = rng.choice([None, {"territory": rng.choice(ids.territories)}, {"hasFailure": True},
                          {"receivedFrom": "2018-01-01", "receivedTo": "2020-12-31"}])
        return Call("matters_page", "/graphql", gql(MATTERS, {"filter": flt, "first": rng.choice([5, 20])}),
                    "investigator", 200, clean=True)
    if r < 0.70:
        return Call("honours", "/graphql", gql(HONOURS, {"year": rng.randint(2016, 2022)}), "personnel", 200,
                    clean=True)
    if r < 0.80:
        query, params = rng.choice(CYPHER_NAMED)
        if params == "matter":
            params = {"id": rng.choice(ids.matters)}
        elif params == "person":
            params = {"id": rng.choice(ids.people)}
        return Call("cypher", "/cypher", {"query": query, "parameters": params}, "analyst", 200)
    if r < 0.83:  # ad hoc: a new text every time (a column named by the request's number), values as parameters
        query = ("MATCH (m:PetitionMatter) WHERE m.headcount >= $least "
                 f"RETURN m.id AS id_{serial}, m.headcount AS n ORDER BY n DESC LIMIT $limit")
        return Call("cypher_adhoc", "/cypher", {"query": query, "parameters": {"least": serial % 50,
                                                                               "limit": 1 + serial % 997}},
                    "analyst", 200)
    if r < 0.85:  # every read of a protected field is audited (a write per field)
        return Call("protected_read", "/graphql", gql(PROTECTED, {"id": rng.choice(ids.matters)}),
                    "petition_bureau", 200, clean=True)
    return refused(rng, ids, serial)


def refused(rng: random.Random, ids: Ids, serial: int) -> Call:
    """A request that must be refused or answered with an error."""
    r = rng.randrange(10)
    trace = gql(TRACE, {"id": rng.choice(ids.matters)})
    if r == 0:
        return Call("401_no_token", "/graphql", trace, None, 401)
    if r == 1:
        bad = f"zrn_{serial % 16**12:012x}_{'A' * 43}"
        return Call("401_bad_token", rng.choice(["/graphql", "/cypher"]), trace, None, 401, token=bad)
    if r == 2:
        return Call("403_cypher_role", "/cypher", {"query": "RETURN 1", "parameters": {}}, "investigator", 403)
    if r == 3:
        query, status = rng.choice(CYPHER_REFUSED)
        return Call("cypher_refused", "/cypher", {"query": query, "parameters": {"n": serial}}, "analyst", status)
    if r == 4:  # a syntax error, its text new every time
        return Call("gql_syntax", "/graphql", gql(f"{{ matter(id: \"M-{serial}\") {{ id "), "investigator", 200)
    if r == 5:  # valid syntax, unknown field
        query = f"{{ matter(id: \"{rng.choice(ids.matters)}\") {{ nosuch{serial % 100} }} }}"
        return Call("gql_invalid", "/graphql", gql(query), "investigator", 200)
    if r == 6:
        return Call("gql_not_found", "/graphql", gql(TRACE, {"id": f"M-NOPE-{serial}"}), "investigator", 200)
    if r == 7:  # a protected field for a role that may not read it
        return Call("gql_forbidden_field", "/graphql", gql(PROTECTED, {"id": rng.choice(ids.matters)}),
                    "investigator", 200)
    if r == 8:
        return Call("gql_bad_date", "/graphql", gql(TRACE, {"id": rng.choice(ids.matters), "asOf": "2019-13-45"}),
                    "investigator", 200)
    aliases = " ".join(f"a{i}: __typename" for i in range(31 + serial % 5))  # past the alias limit
    return Call("gql_too_many_aliases", "/graphql", gql(f"{{ {aliases} }}"), "investigator", 200)


def headers_for(call: Call, tokens: dict[str, str]) -> dict[str, str]:
    token = call.token or (tokens[call.role] if call.role else None)
    return {"Authorization": f"Bearer {token}"} if token else {}


# --------------------------------------------------------------------------- the soak

@dataclass
class Tally:
    requests: int = 0
    errors: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, call: Call, status: int | None, detail: str = "") -> None:
        with self.lock:
            self.requests += 1
            self.by_kind[call.kind] += 1
            if status != call.expect or (call.clean and not answered(detail)):
                self.errors += 1
                if len(self.error_samples) < 20:
                    self.error_samples.append(f"{call.kind}: expected {call.expect}, got {status} {detail[:200]}")


def answered(body: str) -> bool:
    """A GraphQL response body with data and without errors."""
    try:
        doc = json.loads(body)
    except ValueError:
        return False
    return isinstance(doc, dict) and doc.get("data") is not None and not doc.get("errors")


def prepare(work: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The sample data loaded into ``work``; the service's environment and a token per role."""
    env = {**os.environ, "ZEREN_GRAPH": "embedded", "ZEREN_DATA_DIR": str(work)}
    subprocess.run([sys.executable, "-m", "zeren.cli", "sample"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    from zeren.api.security import TokenStore

    store = TokenStore(work / "zeren.db")
    return env, {role: store.issue(f"soak {role}", role)[1] for role in ROLES}


def start(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "zeren.cli", "serve", "--host", "127.0.0.1", "--port",
                             str(port), "--workers", "1", "--log-level", "warning", "--no-access-log"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"zeren serve exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc, port
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("zeren serve did not answer /health within 60 s")


def client_loop(port: int, tokens: dict[str, str], ids: Ids, seed: int, stop: threading.Event,
                budget: Iterator[int], tally: Tally) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        while not stop.is_set():
            serial = next(budget, None)
            if serial is None:
                stop.set()
                return
            call = next_call(rng, ids, serial)
            try:
                resp = client.request(call.method, call.path, json=call.json, headers=headers_for(call, tokens))
                tally.add(call, resp.status_code, resp.text)
            except httpx.HTTPError as e:
                tally.add(call, None, repr(e))


def slope_mb_per_min(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MB) in MB per minute."""
    if len(points) < 2:
        return None
    n = len(points)
    mx = sum(t for t, _ in points) / n
    my = sum(m for _, m in points) / n
    den = sum((t - mx) ** 2 for t, _ in points)
    return None if den == 0 else 60 * sum((t - mx) * (m - my) for t, m in points) / den


def summarise(samples: list[dict[str, Any]], warmup: float, tally: Tally, elapsed: float) -> dict[str, Any]:
    out: dict[str, Any] = {"requests": tally.requests, "errors": tally.errors, "seconds": round(elapsed, 1),
                           "requests_per_s": round(tally.requests / elapsed, 1) if elapsed else None,
                           "by_kind": dict(sorted(tally.by_kind.items())), "error_samples": tally.error_samples}
    after = [s for s in samples if s["t"] >= warmup]
    for who in ("service", "store"):
        key = f"{who}_rss_mb"
        if not after or after[0][key] is None:
            continue
        warm, end = after[0][key], after[-1][key]
        out[who] = {"rss_start_mb": samples[0][key], "rss_warm_mb": warm, "rss_end_mb": end,
                    "rss_max_mb": max(s[key] for s in samples),
                    "growth_after_warmup_pct": round(100 * (end - warm) / warm, 2),
                    "slope_mb_per_min": round(slope_mb_per_min([(s["t"], s[key]) for s in after]) or 0.0, 3)}
    return out


def rss_mb(pid: int | None) -> float | None:
    resident = rss(pid) if pid else None
    return round(resident / 2**20, 2) if resident is not None else None


def soak(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    own_dir = args.work_dir is None
    work = Path(tempfile.mkdtemp(prefix="zeren-soak-")) if own_dir else Path(args.work_dir)
    env, tokens = prepare(work)
    proc, port = start(env)
    store_pid = int(json.loads((work / "falkordb" / "server.json").read_text())["pid"])
    ids = Ids.of_sample()
    tally, stop = Tally(), threading.Event()
    counter = iter(range(args.max_requests))
    lock = threading.Lock()

    def budget() -> Iterator[int]:
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            yield n

    threads = [threading.Thread(target=client_loop, args=(port, tokens, ids, args.seed + i, stop, budget(), tally),
                                daemon=True) for i in range(args.clients)]
    samples: list[dict[str, Any]] = []
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet = out.with_suffix(".csv").open("w", newline="")  # written as it goes: a long run can be watched
    rows = csv.DictWriter(sheet, fieldnames=["t", "requests", "errors", "service_rss_mb", "store_rss_mb"])
    rows.writeheader()
    # SIGTERM and SIGINT (ignored by a shell's background job otherwise) end the run early, cleanly.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    t0 = time.monotonic()
    try:
        for t in threads:
            t.start()
        while True:
            now = time.monotonic() - t0
            samples.append({"t": round(now, 1), "requests": tally.requests, "errors": tally.errors,
                            "service_rss_mb": rss_mb(proc.pid), "store_rss_mb": rss_mb(store_pid)})
            rows.writerow(samples[-1])
            sheet.flush()
            if now >= args.duration or stop.is_set() or proc.poll() is not None:
                break
            stop.wait(min(args.interval, max(0.0, args.duration - now)))
    finally:
        sheet.close()
        stop.set()
        for t in threads:
            t.join(timeout=70)
        elapsed = time.monotonic() - t0
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        if own_dir:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
    result = {"when": datetime.now(UTC).isoformat(timespec="seconds"),
              "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
              "env": {k: os.environ[k] for k in ("MALLOC_ARENA_MAX", "PYTHONMALLOC") if k in os.environ},
              "args": {k: v for k, v in vars(args).items() if k not in ("out",)},
              "summary": summarise(samples, args.warmup, tally, elapsed), "samples": samples}
    return result



# --------------------------------------------------------------------------- in-process analysis

@contextmanager
def in_process() -> Iterator[tuple[Any, dict[str, str]]]:
    """The app in this process over the sample data in a temporary folder,
    its lifespan run (the collector's settings as in the service), and a
    token per role; the errors strawberry logs are not printed."""
    import logging
    import shutil

    work = Path(tempfile.mkdtemp(prefix="zeren-soak-"))
    env, tokens = prepare(work)
    from zeren.api.app import create_app
    from zeren.config import Settings

    app = create_app(Settings(graph="embedded", data_dir=work))
    logging.disable(logging.ERROR)
    try:
        yield app, tokens
    finally:
        logging.disable(logging.NOTSET)
        shutil.rmtree(work, ignore_errors=True)


async def _send(client: httpx.AsyncClient, call: Call, tokens: dict[str, str]) -> None:
    resp = await client.request(call.method, call.path, json=call.json, headers=headers_for(call, tokens))
    if resp.status_code != call.expect or (call.clean and not answered(resp.text)):
        print(f"unexpected {resp.status_code} for {call.kind}: {resp.text[:200]}")


def profile(n: int, seed: int, top: int) -> None:
    """N requests of the mix under tracemalloc; what grew between the
    snapshot after the first quarter and the last (both after a collection)."""
    import asyncio
    import gc
    import tracemalloc

    ids = Ids.of_sample()

    async def drive(app: Any, tokens: dict[str, str]) -> None:
        rng = random.Random(seed)
        async with app.router.lifespan_context(app), \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://soak") as client:
            snapshots = []
            for start, stop in ((0, n // 4), (n // 4, n)):
                for serial in range(start, stop):
                    await _send(client, next_call(rng, ids, serial), tokens)
                gc.collect()
                snapshots.append(tracemalloc.take_snapshot())
                print(f"after {stop} requests: {tracemalloc.get_traced_memory()[0] / 2**20:.2f} MB traced, "
                      f"{len(gc.get_objects())} objects tracked by the collector")
        keep = [tracemalloc.Filter(False, tracemalloc.__file__)]
        for stat in snapshots[1].filter_traces(keep).compare_to(snapshots[0].filter_traces(keep), "traceback")[:top]:
            print(f"{stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks")
            for line in stat.traceback.format()[-12:]:
                print("      " + line)

    with in_process() as (app, tokens):
        tracemalloc.start(25)
        asyncio.run(drive(app, tokens))


def cycles(n: int, seed: int) -> None:
    """Per kind of request of the mix, the objects that only the garbage
    collector freed (they were in reference cycles), per request: n requests
    of each kind with the collector off, then one collection. ``/health``
    is the anchor: what the in-process client itself leaves (httpx's
    response and its stream refer to each other)."""
    import asyncio
    import gc

    ids = Ids.of_sample()
    rng = random.Random(seed)
    by_kind: dict[str, list[Call]] = {"health": [Call("health", "/health", None, None, 200, method="GET")] * n}
    for serial in range(200_000):
        call = next_call(rng, ids, serial)
        if len(by_kind.setdefault(call.kind, [])) < n:
            by_kind[call.kind].append(call)

    async def drive(app: Any, tokens: dict[str, str]) -> None:
        async with app.router.lifespan_context(app), \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://soak") as client:
            for calls in by_kind.values():  # each kind once first: caches filled, modules imported
                await _send(client, calls[0], tokens)
            for kind, calls in sorted(by_kind.items()):
                gc.collect()
                gc.disable()
                gc.set_debug(gc.DEBUG_SAVEALL)
                try:
                    for call in calls:
                        await _send(client, call, tokens)
                    gc.collect()
                    kinds = Counter(type(o).__qualname__ for o in gc.garbage)
                finally:
                    gc.set_debug(0)
                    gc.garbage.clear()
                    gc.enable()
                left = sum(kinds.values()) / len(calls)
                common = ", ".join(f"{k} {v}" for k, v in kinds.most_common(5))
                print(f"{kind:22} {left:8.1f} objects a request  {common}")

    with in_process() as (app, tokens):
        asyncio.run(drive(app, tokens))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=600, help="seconds of load (default 600)")
    p.add_argument("--warmup", type=float, default=180, help="seconds counted as warm-up (default 180)")
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--interval", type=float, default=5, help="seconds between RSS samples (default 5)")
    p.add_argument("--max-requests", type=int, default=2_000_000, help="stop after this many requests")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--work-dir", help="data folder to use (default: a temporary one, removed after)")
    p.add_argument("--out", type=Path, help="results file stem (default benchmarks/results/soak-<time>)")
    p.add_argument("--profile", type=int, metavar="N", help="run N requests in-process under tracemalloc instead")
    p.add_argument("--top", type=int, default=15, help="with --profile: allocation sites shown")
    p.add_argument("--cycles", type=int, metavar="N", help="in-process instead: per kind of request, N of them "
                                                           "with the collector off, what only the collector freed")
    args = p.parse_args(argv)
    if args.duration <= 0 or args.clients < 1 or args.max_requests < 1 or args.interval <= 0:
        p.error("--duration, --clients, --max-requests and --interval must be positive")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any] | None:
    args = parse_args(argv)
    if args.profile:
        profile(args.profile, args.seed, args.top)
        return None
    if args.cycles:
        cycles(args.cycles, args.seed)
        return None
    out = args.out or HERE / "results" / f"soak-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    result = soak(args, out)
    out.with_suffix(".json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps(result["summary"], indent=1, ensure_ascii=False))
    print(f"samples: {out.with_suffix('.csv')}, everything: {out.with_suffix('.json')}")
    return result


if __name__ == "__main__":
    main()
