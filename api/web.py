"""The pages a browser opens: sign-in, GraphiQL (``GET /graphql`` for HTML),
Swagger UI (``/docs``) and ReDoc (``/redoc``), and the OpenAPI document they
read. Every script and style sheet is served from the package (``/static``,
vendored by ``static/fetch.sh`` with their licences), so the pages work on a
network without internet.

Tokens never travel in a URL (URLs end up in access logs, proxies, browser
history and Referer headers):

- a browser signs in at ``/signin`` with a form that POSTs the token; the
  answer sets it in an HTTP-only, ``SameSite=Strict`` cookie (``Secure`` over
  https); ``POST /signout`` clears it;
- :class:`RefuseTokensInURLs` answers 400 to any request whose query string
  carries a token (a ``token``/``access_token`` parameter, or a value shaped
  like a zeren token), before any route runs;
- the access log shows no query string (see :mod:`zeren.api.accesslog`).

Cross-site request forgery: a request authenticated by the cookie alone
(no ``Authorization`` header) with a method other than GET/HEAD/OPTIONS must
carry the header ``X-Zeren-CSRF`` (OWASP's custom request header defence): a
cross-site form cannot set a header, and a cross-origin ``fetch`` with one
needs a CORS preflight, which this service does not answer. GraphiQL's and
Swagger UI's pages send it. ``SameSite=Strict`` already keeps the cookie off
cross-site requests in current browsers; the header does not rely on it. The
sign-in and sign-out forms (no header possible) are refused when the browser
says they come from another site (``Sec-Fetch-Site``).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from zeren.api.accesslog import TOKEN_SHAPE
from zeren.api.context import Services
from zeren.api.deps import COOKIE, CSRF_HEADER, PrincipalDep, authenticate
from zeren.api.security import Principal

STATIC_DIR = Path(__file__).parent / "static"
SIGNIN = "/signin"
SESSION_S = 8 * 3600
MAX_FORM_BYTES = 4096
URL_TOKEN_NAMES = frozenset({"token", "access_token"})

# Headers of every page: no framing (clickjacking), nothing loaded from
# elsewhere, no Referer, no caching of a signed-in page.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'; "
                               "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
                               "worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; "
                               "form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

URL_TOKEN_REFUSED = ("a token in the URL is refused: URLs end up in logs, browser history and Referer headers. "
                     f"Send 'Authorization: Bearer <token>', or sign in with a browser at {SIGNIN}")


def token_in_query(query_string: bytes) -> bool:
    """Whether a query string carries a token: a ``token`` or ``access_token``
    parameter (any case), or any value shaped like a zeren token."""
    if not query_string:
        return False
    text = query_string.decode("latin-1")
    for name, value in parse_qsl(text, keep_blank_values=True):
        if name.lower() in URL_TOKEN_NAMES or TOKEN_SHAPE.search(value) or TOKEN_SHAPE.search(name):
            return True
    return False


class RefuseTokensInURLs:
    """ASGI middleware: 400 for any HTTP request with a token in its query
    string, whatever the route (see the module's text)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and token_in_query(scope.get("query_string", b"")):
            response = JSONResponse({"detail": URL_TOKEN_REFUSED}, status_code=400,
                                    headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _cross_site(request: Request) -> bool:
    return request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none")


def _local(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this server (no scheme, no host), else ``default``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else default


async def browser_principal(request: Request) -> Principal | None:
    """The caller of a page, or None when a browser should be sent to sign in."""
    services: Services = request.app.state.services
    try:
        return await authenticate(request, services)
    except HTTPException as e:
        if e.status_code == 401 and "text/html" in request.headers.get("accept", ""):
            return None
        raise


def to_signin(request: Request) -> RedirectResponse:
    return RedirectResponse(f"{SIGNIN}?next={quote(request.url.path, safe='/')}", status_code=303,
                            headers=PAGE_HEADERS)


def _page(title: str, body: str, head: str = "", status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><link rel="icon" href="/static/zeren.svg">{head}</head>
<body>{body}</body></html>""", status_code=status_code, headers=PAGE_HEADERS)


SIGNIN_STYLE = """<style>
body { font-family: system-ui, sans-serif; background: #f4f5f7; margin: 0; color: #1d2330; }
main { max-width: 26rem; margin: 12vh auto; background: #fff; padding: 2rem; border-radius: 8px;
       box-shadow: 0 1px 4px rgba(0,0,0,.12); }
h1 { font-size: 1.4rem; margin: 0 0 1rem; } label { display: block; margin-bottom: .4rem; }
input[type=password] { width: 100%; box-sizing: border-box; padding: .5rem; font-family: monospace; }
button { margin-top: 1rem; padding: .5rem 1.2rem; } .error { color: #b00020; } ul { padding-left: 1.2rem; }
</style>"""


def signin_page(principal: Principal | None, next_path: str, error: str | None = None,
                status_code: int = 200) -> HTMLResponse:
    if principal is not None:
        body = f"""<main><h1>zeren (责任)</h1>
<p>Signed in as <b>{html.escape(principal.name)}</b> ({html.escape(principal.role)}).</p>
<ul><li><a href="/">工作台 Workbench</a></li><li><a href="/graphql">GraphiQL</a></li><li><a href="/docs">API docs (Swagger UI)</a></li>
<li><a href="/redoc">API docs (ReDoc)</a></li></ul>
<form method="post" action="/signout"><button type="submit">Sign out</button></form></main>"""
        return _page("zeren: signed in", SIGNIN_STYLE + body, status_code=status_code)
    err = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    body = f"""<main><h1>zeren (责任): sign in</h1>{err}
<form method="post" action="{SIGNIN}">
<label for="token">Token (from <code>zeren token issue</code> or <code>zeren demo</code>)</label>
<input type="password" id="token" name="token" autocomplete="off" required autofocus>
<input type="hidden" name="next" value="{html.escape(next_path)}">
<button type="submit">Sign in</button></form>
<p>The token is kept in a cookie of this browser (HTTP-only) until you sign out or for 8 hours.</p></main>"""
    return _page("zeren: sign in", SIGNIN_STYLE + body, status_code=status_code)


def _signed_in_bar(principal: Principal) -> str:
    return f"""<div id="zeren-bar">zeren (责任) · signed in as <b>{html.escape(principal.name)}</b>
({html.escape(principal.role)}) · <a href="/">workbench</a> · <a href="/graphql">GraphiQL</a> · <a href="/docs">docs</a> ·
<a href="/redoc">ReDoc</a><form method="post" action="/signout"><button type="submit">Sign out</button></form></div>"""


BAR_STYLE = """<style>
body { margin: 0; } #zeren-bar { height: 32px; box-sizing: border-box; padding: 6px 12px;
  font: 13px system-ui, sans-serif; background: #1d2330; color: #e8eaf0; }
#zeren-bar a { color: #9cc3ff; } #zeren-bar form { display: inline; float: right; margin: 0; }
#zeren-bar button { font-size: 12px; }
</style>"""

EXAMPLE_QUERY = """# zeren (责任): write a query, then press Ctrl-Enter or the ▶ button.
# The Docs button (left) lists every type and field.
{
  matters(first: 5) {
    edges { node { id title receivedOn territory { name } } }
  }
}
"""


def graphiql_html(principal: Principal) -> HTMLResponse:
    head = f"""<link rel="stylesheet" href="/static/graphiql/graphiql.min.css">{BAR_STYLE}
<style>#graphiql {{ height: calc(100vh - 32px); }}</style>"""
    body = f"""{_signed_in_bar(principal)}<div id="graphiql">Loading…</div>
<script src="/static/react/react.production.min.js"></script>
<script src="/static/react-dom/react-dom.production.min.js"></script>
<script src="/static/graphiql/graphiql.min.js"></script>
<script>
const fetcher = GraphiQL.createFetcher({{url: "/graphql", headers: {{"{CSRF_HEADER}": "1"}}}});
ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {{fetcher: fetcher, defaultQuery: {json.dumps(EXAMPLE_QUERY)},
                                  defaultEditorToolsVisibility: true, isHeadersEditorEnabled: true}}));
</script>"""
    return _page("zeren: GraphiQL", body, head)


def swagger_html(principal: Principal) -> HTMLResponse:
    head = f'<link rel="stylesheet" href="/static/swagger-ui/swagger-ui.css">{BAR_STYLE}'
    body = f"""{_signed_in_bar(principal)}<div id="swagger-ui"></div>
<script src="/static/swagger-ui/swagger-ui-bundle.js"></script>
<script>
SwaggerUIBundle({{url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  requestInterceptor: (req) => {{ req.headers["{CSRF_HEADER}"] = "1"; return req; }}}});
</script>"""
    return _page("zeren: API docs", body, head)


def redoc_html(principal: Principal) -> HTMLResponse:
    body = f"""{_signed_in_bar(principal)}<redoc spec-url="/openapi.json"></redoc>
<script src="/static/redoc/redoc.standalone.js"></script>"""
    return _page("zeren: API docs (ReDoc)", body, BAR_STYLE)


def mount_pages(app: FastAPI) -> None:
    """Add the sign-in, sign-out, docs and asset routes to ``app`` (made with
    ``docs_url``, ``redoc_url`` and ``openapi_url`` None) and the middleware
    refusing tokens in URLs."""
    app.add_middleware(RefuseTokensInURLs)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get(SIGNIN, include_in_schema=False)
    async def signin_form(request: Request, next: str = "/") -> Response:
        try:
            principal = await browser_principal(request)
        except HTTPException:
            principal = None
        return signin_page(principal, _local(next))

    @app.post(SIGNIN, include_in_schema=False)
    async def signin(request: Request) -> Response:
        if _cross_site(request):
            return signin_page(None, "/", "Refused: the sign-in form was sent from another site.", 403)
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
            return signin_page(None, "/", "Send the sign-in form (application/x-www-form-urlencoded).", 415)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                return signin_page(None, "/", "The sign-in form is too large.", 413)
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        next_path = _local(form.get("next"))
        services: Services = request.app.state.services
        token = form.get("token", "").strip()
        if not token or services.tokens.verify(token) is None:
            return signin_page(None, next_path, "That token is invalid, revoked or expired.", 401)
        response = RedirectResponse(next_path, status_code=303, headers=PAGE_HEADERS)
        response.set_cookie(COOKIE, token, max_age=SESSION_S, path="/", httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
        return response

    @app.post("/signout", include_in_schema=False)
    async def signout(request: Request) -> Response:
        if _cross_site(request):
            return signin_page(None, "/", "Refused: the sign-out form was sent from another site.", 403)
        response = RedirectResponse(SIGNIN, status_code=303, headers=PAGE_HEADERS)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict",
                               secure=request.url.scheme == "https")
        return response

    @app.get("/graphiql", include_in_schema=False)
    async def graphiql() -> RedirectResponse:
        return RedirectResponse("/graphql", status_code=303)

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(_: PrincipalDep) -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> Response:
        principal = await browser_principal(request)
        return to_signin(request) if principal is None else swagger_html(principal)

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> Response:
        principal = await browser_principal(request)
        return to_signin(request) if principal is None else redoc_html(principal)


async def graphiql_page(request: Request) -> Response:
    """GraphiQL (``GET /graphql`` for HTML): a browser not signed in is sent to sign in."""
    principal = await browser_principal(request)
    return to_signin(request) if principal is None else graphiql_html(principal)
