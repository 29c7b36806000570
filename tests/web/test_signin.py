"""Browsers sign in with a form and a cookie, never with a token in a URL;
the cookie cannot be used by another site; /docs, /redoc and /openapi.json
need a token; every page's scripts and styles come from the package."""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from uvicorn.logging import AccessFormatter

from api_server import Live, live_api
from zeren.api.accesslog import RedactQuery, redact_target
from zeren.api.web import STATIC_DIR
from zeren.graph.store import GraphStore

ROOT = Path(__file__).resolve().parents[2]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
HTML = {"Accept": "text/html,application/xhtml+xml"}
QUERY = {"query": "{ __typename }"}


@pytest.fixture(scope="module")
def live(data_dir: Path, _embedded_server: GraphStore) -> Iterator[Live]:
    with live_api(data_dir, "signin_world") as running:
        yield running


@pytest.fixture
def client(live: Live) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=30) as c:
        yield c


def sign_in(client: httpx.Client, token: str, next_path: str = "/graphql", **headers: str) -> httpx.Response:
    return client.post("/signin", data={"token": token, "next": next_path}, headers={**FORM, **headers},
                       follow_redirects=False)


def cookie_of(r: httpx.Response) -> str:
    return r.headers["set-cookie"].split(";")[0]


def test_a_token_in_the_url_is_refused_on_every_route(client: httpx.Client, live: Live) -> None:
    token = live.tokens["admin"]
    for url in (f"/graphiql?token={token}", f"/graphql?query=%7B__typename%7D&token={token}",
                f"/health?access_token={token}", f"/docs?Token={token}", f"/signin?next=/docs&t={token}",
                "/openapi.json?token=anything", f"/static/zeren.svg?x={token}"):
        r = client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 400, (url, r.status_code)
        assert "a token in the URL is refused" in r.json()["detail"] and "/signin" in r.json()["detail"]
    assert client.get("/health?verbose=1").status_code == 200  # other parameters pass


def test_signing_in_sets_an_http_only_same_site_strict_cookie_and_opens_the_page(client: httpx.Client,
                                                                                 live: Live) -> None:
    r = sign_in(client, live.tokens["investigator"], "/docs")
    assert r.status_code == 303 and r.headers["location"] == "/docs"
    attributes = {a.strip().split("=")[0].lower() for a in r.headers["set-cookie"].split(";")[1:]}
    assert {"httponly", "samesite", "path", "max-age"} <= attributes and "secure" not in attributes
    assert "SameSite=strict" in r.headers["set-cookie"]
    page = client.get("/docs", headers={**HTML, "Cookie": cookie_of(r)})
    assert page.status_code == 200 and "/static/swagger-ui/swagger-ui-bundle.js" in page.text
    assert "test investigator" in page.text


def test_the_cookie_is_secure_when_the_service_is_reached_over_https(client: httpx.Client, live: Live) -> None:
    # uvicorn takes the scheme from X-Forwarded-Proto sent by a trusted proxy (by default one on 127.0.0.1).
    r = sign_in(client, live.tokens["investigator"], **{"X-Forwarded-Proto": "https"})
    assert r.status_code == 303 and "secure" in r.headers["set-cookie"].lower()


def test_a_wrong_token_at_sign_in_shows_the_form_again_with_401_and_sets_no_cookie(client: httpx.Client) -> None:
    for token in ("zrn_000000000000_" + "x" * 43, "", "nonsense"):
        r = sign_in(client, token)
        assert r.status_code == 401 and "set-cookie" not in r.headers
        assert "That token is invalid, revoked or expired." in r.text and 'name="token"' in r.text


def test_sign_in_sends_the_browser_only_to_pages_of_this_server(client: httpx.Client, live: Live) -> None:
    for target in ("https://elsewhere.example/x", "//elsewhere.example/x", "/\\elsewhere.example", "docs", ""):
        r = sign_in(client, live.tokens["investigator"], target)
        assert r.status_code == 303 and r.headers["location"] == "/", target


def test_sign_in_and_sign_out_forms_sent_from_another_site_are_refused(client: httpx.Client, live: Live) -> None:
    r = sign_in(client, live.tokens["investigator"], **{"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403 and "set-cookie" not in r.headers and "another site" in r.text
    r = client.post("/signout", headers={"Sec-Fetch-Site": "same-site"}, follow_redirects=False)
    assert r.status_code == 403 and "set-cookie" not in r.headers


def test_signing_out_clears_the_cookie(client: httpx.Client) -> None:
    r = client.post("/signout", headers={"Sec-Fetch-Site": "same-origin"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/signin"
    assert r.headers["set-cookie"].startswith('zeren_token=""') and "Max-Age=0" in r.headers["set-cookie"]


def test_a_post_signed_in_by_the_cookie_alone_needs_the_csrf_header(client: httpx.Client, live: Live) -> None:
    cookie = {"Cookie": cookie_of(sign_in(client, live.tokens["analyst"]))}
    cypher = {"query": "MATCH (t:Territory) RETURN count(t) AS n"}
    for path, body in (("/graphql", QUERY), ("/cypher", cypher)):
        refused = client.post(path, json=body, headers=cookie)
        assert refused.status_code == 403 and "X-Zeren-CSRF" in refused.json()["detail"], path
        assert client.post(path, json=body, headers={**cookie, "X-Zeren-CSRF": "1"}).status_code == 200, path
        # A script sending the token itself is no cross-site risk: no header needed.
        assert client.post(path, json=body, headers={**cookie, **live.auth("analyst")}).status_code == 200, path
    assert client.get("/graphql", params=QUERY, headers=cookie).status_code == 200  # a GET changes nothing


def test_docs_redoc_and_openapi_json_need_a_token(client: httpx.Client, live: Live) -> None:
    assert client.get("/openapi.json").status_code == 401
    for path in ("/docs", "/redoc", "/graphql", "/graphiql"):
        r = client.get(path, headers=HTML, follow_redirects=True)
        assert r.url.path == "/signin" and r.url.params["next"] in (path, "/graphql"), path
        assert 'name="token"' in r.text
    for path in ("/docs", "/redoc"):
        assert client.get(path, headers={"Accept": "application/json"}).status_code == 401
    spec = client.get("/openapi.json", headers=live.auth("investigator"))
    assert spec.status_code == 200 and "/cypher" in spec.json()["paths"]


def test_every_page_loads_its_scripts_and_styles_from_the_package(client: httpx.Client, live: Live) -> None:
    auth = {**HTML, **live.auth("investigator")}
    for path in ("/graphql", "/docs", "/redoc", "/signin"):
        page = client.get(path, headers=auth)
        assert page.status_code == 200, path
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"
        refs = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assets = [r for r in refs if r.startswith("/static/")]
        assert assets and not [r for r in refs if "//" in r], (path, refs)
        for ref in assets:
            asset = client.get(ref)
            assert asset.status_code == 200 and len(asset.content) > 0, ref


def test_the_vendored_assets_are_those_fetched_and_each_comes_with_its_licence() -> None:
    lines = [line.split() for line in (STATIC_DIR / "SOURCES.txt").read_text().splitlines()
             if not line.startswith("#")]
    folders = {folder for folder, *_ in lines}
    assert folders == {"react", "react-dom", "graphiql", "swagger-ui", "redoc", "cytoscape"}
    for folder, _spec, name, sha256 in lines:
        assert hashlib.sha256((STATIC_DIR / folder / name).read_bytes()).hexdigest() == sha256, (folder, name)
    for folder in folders:
        assert (STATIC_DIR / folder / "LICENSE").stat().st_size > 500, folder
        assert {p.name for p in (STATIC_DIR / folder).iterdir()} == {n for f, _, n, _ in lines if f == folder}


def test_the_access_log_shows_no_query_string_and_no_token_in_a_path() -> None:
    assert redact_target("/graphql?query=%7Bx%7D&token=zrn_ab12_s3cr3t") == "/graphql?[redacted]"
    assert redact_target("/health") == "/health" and redact_target("/health?") == "/health"
    assert redact_target("/x/zrn_0123456789ab_Zz-_9") == "/x/zrn_[redacted]"
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", "/graphiql?token=zrn_0123456789ab_secret", "1.1", 400), None)
    assert RedactQuery().filter(record)
    line = AccessFormatter(fmt='%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False).format(record)
    assert line == '127.0.0.1:5 - "GET /graphiql?[redacted] HTTP/1.1" 400 Bad Request'


@pytest.mark.slow
def test_a_built_wheel_carries_the_assets_and_their_licences(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy: building writes build/ and *.egg-info beside the sources
    for name in ("pyproject.toml", "README.md"):
        source.mkdir(exist_ok=True)
        shutil.copy(ROOT / name, source / name)
    with open(ROOT / "pyproject.toml", "rb") as f:
        folders = set(tomllib.load(f)["tool"]["setuptools"]["package-dir"].values())
    for folder in sorted(folders):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
                   check=True, capture_output=True)
    (wheel,) = tmp_path.glob("zeren-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"zeren/api/static/{p.relative_to(STATIC_DIR)}" for p in STATIC_DIR.rglob("*") if p.is_file()}
    assert "zeren/api/static/graphiql/graphiql.min.js" in expected and "zeren/api/static/redoc/LICENSE" in expected
    assert expected <= names, sorted(expected - names)
