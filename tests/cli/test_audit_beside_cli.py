"""Administration beside a running service, with real processes: a served
service (two workers) answers audited reads over HTTP all along while several
``zeren token issue`` and ``zeren audit --verify`` processes run beside it;
every read succeeds, is audited, and the chain verifies afterwards.

The scale is set by ZEREN_AUDIT_CLI_PROCS and ZEREN_AUDIT_CLI_ROUNDS (defaults
3 and 2); with ``-s`` the test prints what it measured (docs/reliability.md).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from test_serve_workers import serving

from zeren.api.security import AuditLog, TokenStore, audit_key
from zeren.config import Settings

READ = json.dumps({"query": "{ matters(first: 2) { edges { node { id petitioner } } } }"})


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zeren.cli", *args], capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.mark.slow
def test_cli_commands_beside_a_serving_service_never_break_an_audited_read(tmp_path: Path) -> None:
    procs = int(os.environ.get("ZEREN_AUDIT_CLI_PROCS", "3"))
    rounds = int(os.environ.get("ZEREN_AUDIT_CLI_ROUNDS", "2"))
    data = tmp_path / "data"
    env = {**os.environ, "ZEREN_DATA_DIR": str(data), "COLUMNS": "200"}
    loaded = _cli(env, "sample")
    assert loaded.returncode == 0, loaded.stderr
    _, token = TokenStore(data / "zeren.db").issue("bureau", "petition_bureau")

    with serving(tmp_path, "--workers", "2") as s:
        port = int(s.wait_for(r"serving http://127\.0\.0\.1:(\d+) with 2 workers").group(1))
        s.wait_for(r"all 2 workers ready")
        done = threading.Event()
        reads: list[int] = []
        failures: list[str] = []

        def read_all_along() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            while not done.is_set() or not reads:
                conn.request("POST", "/graphql", READ, {"Authorization": f"Bearer {token}",
                                                         "Content-Type": "application/json"})
                r = conn.getresponse()
                body = json.loads(r.read())
                edges = (body.get("data") or {}).get("matters", {}).get("edges", [])
                if r.status != 200 or "errors" in body or not edges or not all(e["node"]["petitioner"] for e in edges):
                    failures.append(f"{r.status} {body}")
                    return
                reads.append(len(edges))
            conn.close()

        def administer(i: int) -> None:
            for j in range(rounds):
                for args in (("token", "issue", "--name", f"admin {i}.{j}", "--role", "analyst"),
                             ("audit", "--verify", "--limit", "1")):
                    r = _cli(env, *args)
                    if r.returncode != 0:
                        failures.append(f"zeren {' '.join(args)}: {r.returncode} {r.stderr}")

        readers = [threading.Thread(target=read_all_along) for _ in range(2)]
        admins = [threading.Thread(target=administer, args=(i,)) for i in range(procs)]
        for t in readers + admins:
            t.start()
        for t in admins:
            t.join()
        done.set()
        for t in readers:
            t.join()
        s.proc.send_signal(signal.SIGTERM)  # stopped in order: the supervisor stops the embedded store too
        assert s.proc.wait(timeout=60) == 0
        service_log = "".join(s.lines)

    assert failures == [], failures[:3]
    assert "Traceback" not in service_log, service_log[-3000:]
    settings = Settings(data_dir=data)
    log = AuditLog(data / "zeren.db", audit_key(settings))
    report = log.verify()
    audited = sum(reads)
    assert report.intact, report.problems
    assert report.entries == audited, "every field served has exactly one audit entry"
    assert len(TokenStore(data / "zeren.db").list()) == 1 + procs * rounds
    print(f"\n{procs} CLI processes x {rounds} rounds (token issue + audit --verify) beside 2 workers: "
          f"{len(reads)} HTTP reads, {audited} audited field reads, {len(failures)} failures, chain intact")
