"""The browser pages in a real headless Chromium with no network: signing in,
GraphiQL running a query, Swagger UI (/docs) and ReDoc (/redoc), all from the
assets in the package. Every request that is not to a loopback address is
aborted and recorded, and none may be attempted. Screenshots go to a
temporary folder, or to ``ZEREN_SCREENSHOTS`` when set (the ones in
docs/screenshots/ were made with ``ZEREN_SCREENSHOTS=docs/screenshots``).

Needs Debian's ``chromium`` (``apt-get install chromium``; CI installs it) and
``playwright`` from PyPI, which drives that browser (no browser download)."""

from __future__ import annotations

import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from api_server import Live, live_api
from zeren.graph.store import GraphStore

CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run the browser "
                "tests", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (the test extra) is not installed")

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


@pytest.fixture(scope="module")
def live(data_dir: Path, _embedded_server: GraphStore) -> Iterator[Live]:
    with live_api(data_dir, "browser_world") as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        # No name resolves (an intranet without internet, or none at all): loopback only.
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"])
        yield b
        b.close()


class Offline:
    """A browser context that aborts every request to a host other than the
    loopback, recording it, and collects the pages' console errors."""

    def __init__(self, browser: object, screenshots: Path) -> None:
        self.screenshots = screenshots
        self.context = browser.new_context(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _route(self, route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOOPBACK:
            self.outside.append(url)
            route.abort()  # type: ignore[attr-defined]
        else:
            route.continue_()  # type: ignore[attr-defined]

    def shoot(self, name: str) -> None:
        self.screenshots.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(self.screenshots / name))

    def assert_offline(self, *expected_errors: str) -> None:
        """No request left the loopback, and the pages logged no other error."""
        assert self.outside == [], self.outside
        assert self.errors == list(expected_errors), self.errors

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def offline(browser: object, tmp_path: Path) -> Iterator[Offline]:
    o = Offline(browser, Path(os.environ.get("ZEREN_SCREENSHOTS") or tmp_path))
    yield o
    o.close()


def sign_in(page: object, live: Live, path: str, role: str = "analyst") -> None:
    page.goto(live.url + path)  # type: ignore[attr-defined]
    assert urlsplit(page.url).path == "/signin"  # type: ignore[attr-defined]
    page.fill("#token", live.tokens[role])  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(live.url + path)  # type: ignore[attr-defined]


def test_signing_in_with_the_form_opens_graphiql_which_runs_a_query_and_shows_its_result(
        live: Live, offline: Offline) -> None:
    page = offline.page
    page.goto(live.url + "/graphql")
    assert urlsplit(page.url).path == "/signin"
    page.fill("#token", "zrn_000000000000_" + "x" * 43)
    page.click("button[type=submit]")
    page.wait_for_selector("text=That token is invalid, revoked or expired.")
    offline.shoot("signin.png")
    offline.assert_offline("Failed to load resource: the server responded with a status of 401 (Unauthorized)")
    offline.errors.clear()
    page.fill("#token", live.tokens["investigator"])
    page.click("button[type=submit]")
    page.wait_for_url(live.url + "/graphql")
    assert "token" not in page.url and "zrn_" not in page.url
    page.wait_for_selector(".graphiql-container .graphiql-query-editor .CodeMirror")
    assert "signed in as" in page.inner_text("#zeren-bar")
    page.click(".graphiql-execute-button")
    result = page.locator(".graphiql-response .CodeMirror")
    result.locator("text=M-X0").first.wait_for(timeout=20_000)
    assert '"matters"' in result.inner_text() and "receivedOn" in result.inner_text()
    offline.shoot("graphiql.png")
    cookie = next(c for c in offline.context.cookies() if c["name"] == "zeren_token")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # not readable by scripts
    offline.assert_offline()


def test_docs_renders_swagger_ui_from_the_package_and_runs_a_request_with_the_cookie(live: Live, offline: Offline) -> None:
    page = offline.page
    sign_in(page, live, "/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "zeren" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector("text=/cypher")
    offline.shoot("docs.png")
    # "Try it out" runs with the sign-in cookie (the page adds the CSRF header).
    page.click("#operations-analysts-run_cypher_cypher_post .opblock-summary")
    page.click("button.try-out__btn")
    page.fill(".body-param__text", '{"query": "MATCH (t:Territory) RETURN count(t) AS territories"}')
    page.click("button.execute")
    answer = page.locator(".live-responses-table tbody .response-col_status").first
    answer.wait_for()
    assert answer.inner_text().strip() == "200"
    assert '"territories"' in page.inner_text(".live-responses-table .microlight")
    offline.assert_offline()


def test_redoc_renders_from_the_package(live: Live, offline: Offline) -> None:
    page = offline.page
    sign_in(page, live, "/redoc")
    page.wait_for_selector("redoc h1")
    assert "zeren" in page.inner_text("redoc h1")
    page.locator("h2", has_text="Run a read-only Cypher query (analyst, admin)").wait_for()
    offline.shoot("redoc.png")
    # ReDoc's side menu shows the Redocly logo from its CDN: the page's
    # Content-Security-Policy stops it before any request (ReDoc then hides it).
    offline.assert_offline("Loading the image 'https://cdn.redoc.ly/redoc/logo-mini.svg' violates the following "
                           "Content Security Policy directive: \"img-src 'self' data: blob:\". The action has been "
                           "blocked.")


def test_signing_out_clears_the_cookie_and_the_pages_ask_to_sign_in_again(live: Live, offline: Offline) -> None:
    page = offline.page
    sign_in(page, live, "/docs")
    page.click("#zeren-bar button")
    page.wait_for_url(live.url + "/signin")
    assert [c for c in offline.context.cookies() if c["name"] == "zeren_token"] == []
    page.goto(live.url + "/redoc")
    assert urlsplit(page.url).path == "/signin"
    offline.assert_offline()


class _Attacker(http.server.BaseHTTPRequestHandler):
    """Another site (``localhost`` is not the same site as ``127.0.0.1``)
    whose page POSTs a form at the API as soon as it loads."""

    target = ""

    def do_GET(self) -> None:  # noqa: N802 (the handler's name)
        body = f"""<!doctype html><html><body>
<form id="f" method="post" action="{self.target}/cypher" enctype="text/plain">
<input name='{{"query": "MATCH (n) RETURN count(n) AS n", "x": "' value='"}}'></form>
<script>document.getElementById("f").submit()</script></body></html>""".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_signed_in_browser_on_another_site_cannot_post_to_the_api_with_its_cookie(
        live: Live, offline: Offline) -> None:
    page = offline.page
    sign_in(page, live, "/docs")
    _Attacker.target = live.url
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Attacker)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with page.expect_response(live.url + "/cypher") as answer:
            page.goto(f"http://localhost:{server.server_address[1]}/")
        assert answer.value.request.method == "POST"
        assert answer.value.status in (401, 403), answer.value.status
        assert "columns" not in answer.value.text()
    finally:
        server.shutdown()
        server.server_close()
    assert offline.outside == [], offline.outside  # (the refused POST is logged as an error: not checked)

