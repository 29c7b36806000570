"""P4: traces per second with concurrent keep-alive clients."""

from __future__ import annotations

import threading
import time
from typing import Any

from zeren.api.workers import connections_by_process

from .processes import cpu_seconds
from .service import HttpClient, trace_body


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
