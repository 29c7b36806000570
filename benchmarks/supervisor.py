"""Which process supervisor serves ``zeren`` with several workers fastest:
``zeren serve --workers N`` (granian's workers since the measurement in
docs/supervisor.md chose it, with what ``api/workers.py`` adds: the address
held, the store started first, a watcher of the workers), granian on its own
(its command line), or gunicorn with uvicorn workers and ``--reuse-port``.
(Before that decision ``zeren serve --workers N`` ran a hand-written
supervisor: the runs of docs/supervisor.md before "What changed".)

The benchmark's P4 (``benchmarks/run.py``: traces/s with ``--clients``
concurrent keep-alive clients over a sample of matters) against each, on one
loaded store, the supervisors taking turns round after round (the order
rotates each round) so that a change in the machine's load falls on all of
them alike. Each start is followed by a discarded warm-up run of the same
clients, so every worker has loaded its app before the measured run.

    pip install -e '.[bench]' gunicorn==27.0.1
    python benchmarks/supervisor.py --scale 0.01 --workers 2 --rounds 3 --duration 15 --warmup 3

Prints one JSON line per run and, at the end, the summary (median and range
of each supervisor's traces/s, and each one's median over that of
``zeren serve``); ``--out FILE`` writes them as JSON."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run  # noqa: E402, F401  (loads benchmarks/harness/ as zeren_benchmarks)
from zeren_benchmarks.common import LOAD_GRAPH, finish, log  # noqa: E402
from zeren_benchmarks.data import ensure_data, sample_matters  # noqa: E402
from zeren_benchmarks.p1_load import zeren_load  # noqa: E402
from zeren_benchmarks.p4_throughput import throughput  # noqa: E402
from zeren_benchmarks.processes import descendants  # noqa: E402
from zeren_benchmarks.service import Server, free_port, issue_token, start_server, start_service  # noqa: E402
from zeren_benchmarks.stores import FalkorBackend  # noqa: E402

# uvicorn's worker for gunicorn with uvicorn's access log off, as `zeren serve --no-access-log` has it.
QUIET_WORKER = "zeren_benchmarks_quiet_worker.QuietUvicornWorker"


def library_command(name: str, port: int, workers: int) -> list[str]:
    """The command line of a library supervisor serving ``zeren.api.app:create_app``
    (the settings from the environment, as ``zeren serve`` reads them)."""
    if name == "gunicorn":
        return [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                "--reuse-port", "--worker-class", QUIET_WORKER, "--log-level", "warning",
                "--backlog", "2048", "zeren.api.app:create_app()"]
    if name == "granian":
        return [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--host", "127.0.0.1",
                "--port", str(port), "--workers", str(workers), "--loop", "uvloop", "--log-level", "warning",
                "--backlog", "2048", "zeren.api.app:create_app"]
    raise ValueError(f"unknown supervisor {name!r}")


def start_library(name: str, env: dict[str, str], workers: int) -> Server:
    """A library supervisor on a free port, once ``/health`` answers and it has ``workers`` worker processes."""
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="zeren-supervisor-"))
    (folder / f"{QUIET_WORKER.split('.')[0]}.py").write_text(
        "from uvicorn.workers import UvicornWorker\n\n\n"
        "class QuietUvicornWorker(UvicornWorker):\n"
        "    CONFIG_KWARGS = {**UvicornWorker.CONFIG_KWARGS, \"access_log\": False}\n")
    env = {**env, "PYTHONPATH": os.pathsep.join(p for p in (str(folder), env.get("PYTHONPATH")) if p)}
    try:
        return start_service(library_command(name, port, workers), env, port, workers,
                             lambda pid, lines: len(descendants(pid)) >= workers)
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # imported by every worker by now


def stop(server: Server) -> dict[str, Any]:
    """Stop a service with SIGTERM (gunicorn's uvicorn workers do not stop on
    SIGINT: their master kills them after its 30 s of grace) and kill any of
    its processes that outlived it; how long it took and how many."""
    procs = [psutil.Process(pid) for pid in server.pids()]
    t0 = time.perf_counter()
    server.proc.terminate()
    _, alive = psutil.wait_procs(procs, timeout=30)
    for proc in alive:
        proc.kill()
    return {"stop_s": round(time.perf_counter() - t0, 1), "outlived": len(alive)}


def summary(runs: list[dict[str, Any]], names: list[str]) -> dict[str, Any]:
    by = {n: [r["traces_per_s"] for r in runs if r["supervisor"] == n] for n in names}
    med = {n: statistics.median(v) for n, v in by.items()}
    return {n: {"median_traces_per_s": round(med[n]), "min": round(min(v)), "max": round(max(v)), "runs": len(v),
                "median_over_zeren": round(med[n] / med["zeren"], 3)} for n, v in by.items()}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=float, default=0.01)
    p.add_argument("--data-root", default=str(HERE / "data"), help="generated datasets (one folder per scale)")
    p.add_argument("--work-dir", default=None, help="where the store folder goes (default: temp)")
    p.add_argument("--supervisors", nargs="+", default=["zeren", "gunicorn", "granian"])
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--duration", type=float, default=10.0, help="seconds of each measured run")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds of the discarded run after each start")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--samples", type=int, default=200)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--out", help="write the runs and the summary to this JSON file")
    args = p.parse_args(argv)

    # The ad hoc replica off for every supervisor: the trace does not use it, and
    # `zeren serve` starts it before its workers where a library starts none.
    os.environ["ZEREN_CYPHER_REPLICA"] = "false"
    folder = ensure_data(args.scale, Path(args.data_root))
    work = Path(tempfile.mkdtemp(prefix="zeren-supervisor-", dir=args.work_dir))
    backend = FalkorBackend(work)
    runs: list[dict[str, Any]] = []
    try:
        log(f"loading SF {args.scale:g}")
        zeren_load(backend, folder, LOAD_GRAPH)
        token = issue_token(work)
        ids = sample_matters(folder, args.samples, args.seed)
        env = {**os.environ, **backend.env(LOAD_GRAPH)}
        pid = backend.store_pid()
        names = list(args.supervisors)
        for r in range(args.rounds):
            order = names[r % len(names):] + names[:r % len(names)]
            for name in order:
                server = (start_server(backend, LOAD_GRAPH, args.workers) if name == "zeren"
                          else start_library(name, env, args.workers))
                try:
                    throughput(server.port, token, ids, args.clients, args.warmup)
                    tp = throughput(server.port, token, ids, args.clients, args.duration,
                                    {"store": [pid] if pid else [], "service": server.pids(),
                                     "clients": [os.getpid()]})
                finally:
                    stopped = stop(server)
                run_ = {"round": r + 1, "supervisor": name, "traces_per_s": round(tp["traces_per_s"], 1),
                        "connections_by_worker": tp["connections_by_worker"],
                        "cpu_ms_per_trace": {k: v and round(v, 3) for k, v in tp["cpu_ms_per_trace"].items()},
                        **stopped}
                runs.append(run_)
                print(json.dumps(run_), flush=True)
        return finish(args, runs, summary(runs, names), "data_root", "work_dir", "out")
    finally:
        backend.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
