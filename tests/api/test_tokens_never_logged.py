"""No token in any log: ``zeren serve`` runs as a process with its access log
on, tokens are used every way (header, cookie sign-in, refused in a URL, in a
path), and then every output of the service (stdout, stderr, and every file
in its data folder) is searched for them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from zeren.api.security import TokenStore, db_path
from zeren.config import Settings

READY = {1: r"Uvicorn running on http://127\.0\.0\.1:(\d+)", 2: r"serving http://127\.0\.0\.1:(\d+) with 2 workers"}


def _wait_for(files: list[Path], pattern: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for f in files:
            m = re.search(pattern, f.read_text(errors="replace"))
            if m:
                return m
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    raise AssertionError(f"no {pattern!r}; output:\n" + "\n".join(f.read_text(errors="replace") for f in files))


def use_tokens_every_way(url: str, tokens: dict[str, str], unknown: str) -> None:
    """Requests with tokens in every place a client may put them; each answer checked."""
    with httpx.Client(base_url=url, timeout=30) as c:
        bearer = {"Authorization": f"Bearer {tokens['analyst']}"}
        assert c.get("/graphql", params={"query": "{ __typename }"}, headers=bearer).status_code == 200
        assert c.post("/graphql", json={"query": "{ __typename }"}, headers=bearer).status_code == 200
        assert c.post("/cypher", json={"query": "RETURN 1 AS one"}, headers=bearer).status_code == 200
        assert c.get("/openapi.json", headers={"Authorization": f"Bearer {unknown}"}).status_code == 401
        signed = c.post("/signin", data={"token": tokens["investigator"], "next": "/docs"}, follow_redirects=False,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert signed.status_code == 303
        cookie = {"Cookie": signed.headers["set-cookie"].split(";")[0]}
        assert c.get("/docs", headers={**cookie, "Accept": "text/html"}).status_code == 200
        assert c.post("/graphql", json={"query": "{ __typename }"},
                      headers={**cookie, "X-Zeren-CSRF": "1"}).status_code == 200
        assert c.post("/graphql", json={"query": "{ __typename }"}, headers=cookie).status_code == 403
        assert c.post("/signin", data={"token": unknown}, follow_redirects=False,
                      headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 401
        for token in (tokens["admin"], unknown):
            assert c.get("/graphiql", params={"token": token}).status_code == 400
            assert c.get("/graphql", params={"query": "{ __typename }", "token": token}).status_code == 400
            assert c.get("/health", params={"access_token": token}).status_code == 400
            assert c.get(f"/{token}").status_code == 404


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_no_token_appears_in_any_output_of_the_service(tmp_path: Path, workers: int) -> None:
    data = tmp_path / "data"
    data.mkdir()
    store = TokenStore(db_path(Settings(data_dir=data)))
    tokens = {role: store.issue(f"log test {role}", role)[1] for role in ("analyst", "investigator", "admin")}
    unknown = "zrn_0123456789ab_" + "Q" * 43
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with out.open("wb") as o, err.open("wb") as e:
        proc = subprocess.Popen([sys.executable, "-m", "zeren.cli", "serve", "--port", "0", "--workers",
                                 str(workers), "--log-level", "info"], stdout=o, stderr=e,
                                env={**os.environ, "ZEREN_DATA_DIR": str(data), "ZEREN_GRAPH": "embedded"})
    try:
        port = int(_wait_for([out, err], READY[workers], proc).group(1))
        if workers > 1:
            _wait_for([out, err], "all 2 workers ready", proc)
        use_tokens_every_way(f"http://127.0.0.1:{port}", tokens, unknown)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    logged = out.read_text(errors="replace") + err.read_text(errors="replace")
    # The access log was on and wrote every request, with the query strings redacted.
    assert logged.count('"GET /graphiql?[redacted] HTTP/1.1" 400') == 2, logged
    assert logged.count('"GET /health?[redacted] HTTP/1.1" 400') == 2
    assert '"POST /signin HTTP/1.1" 303' in logged and '"GET /graphql?[redacted] HTTP/1.1" 200' in logged
    assert logged.count('"GET /zrn_[redacted] HTTP/1.1" 404') == 2
    outputs = {"stdout": out.read_bytes(), "stderr": err.read_bytes()}
    outputs |= {str(p.relative_to(tmp_path)): p.read_bytes() for p in data.rglob("*") if p.is_file()}
    assert len(outputs) > 3  # the data folder has the store's files and the token database
    for token in [*tokens.values(), unknown]:
        secret = token.split("_", 2)[2]
        for name, content in outputs.items():
            assert secret.encode() not in content, f"a token's secret is in {name}"
