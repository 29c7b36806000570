"""GraphQL over HTTP as the spec (graphql.github.io/graphql-over-http) asks, on
top of strawberry's ASGI view, which speaks only ``application/json``.

The view is mounted as a plain route of the app, not as strawberry's FastAPI
router: a request then goes through no dependency resolution (measured: about
a third of the event loop's time for a ``{ __typename }`` under the profiler).
Its ``context_getter`` runs first on every request, so authentication comes
before anything else; an ``HTTPException`` it raises is answered by the app's
handlers (401 with ``WWW-Authenticate``, as on every route).

What :class:`GraphQLHTTPView` adds:

* the ``Accept`` header is honoured: ``application/graphql-response+json``
  when the client lists it (and does not rank ``application/json`` higher),
  ``application/json`` otherwise and when no ``Accept`` is sent (``*/*`` and
  ``application/*`` mean ``application/json`` until the spec's watershed);
  406 when the client accepts neither;
* every response says ``charset=utf-8``;
* a request error (unparsable or invalid document, variables that cannot be
  coerced: execution never began) yields a result without ``data``, as the
  GraphQL spec asks; with ``application/graphql-response+json`` it is a 400,
  with ``application/json`` a 200 (both as the spec asks); a result whose
  ``data`` is ``null`` because execution failed stays a 200;
* a malformed request (body not JSON, no query, ``variables`` not a map, ...)
  gets a 4xx with a GraphQL-shaped JSON body instead of strawberry's plain
  text, and a mutation sent with GET a 405 with ``Allow: POST``.

A GET for text/html (GraphiQL) is answered by ``ide_page`` (zeren's page,
from local assets, see ``zeren.api.web``). Everything else (queries via
GET) is strawberry's. There are no subscriptions, so no websockets.
"""

from __future__ import annotations

import json

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema import BaseSchema
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UNSET

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
SUPPORTED = f"{GRAPHQL_RESPONSE_JSON}, {JSON}"

# The media type negotiated for the request being answered (set in ``run``).
_media_type: ContextVar[str] = ContextVar("graphql_media_type", default=JSON)
# The status an error of the result asks for (its ``http_status``, e.g. 503 when
# an audited read could not be audited); None: the usual status.
_error_status: ContextVar[int | None] = ContextVar("graphql_error_status", default=None)


def negotiate(accept: str | None) -> str | None:
    """The response media type for an ``Accept`` header, or None (406).

    ``application/graphql-response+json`` only when listed by name with a
    quality at least that of ``application/json`` (or of the range covering
    it); a missing or empty header means ``application/json``. Entries with
    a charset other than utf-8 do not count, nor do those with ``q=0``."""
    if accept is None or not accept.strip():
        return JSON
    quality: dict[str, float] = {}
    for entry in accept.split(","):
        media, *params = (part.strip() for part in entry.split(";"))
        media = media.lower()
        q = 1.0
        utf8 = True
        for param in params:
            name, _, value = param.partition("=")
            name, value = name.strip().lower(), value.strip().strip('"').lower()
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
            elif name == "charset":
                utf8 = value in ("utf-8", "utf8")
        if media and utf8:
            quality[media] = max(q, quality.get(media, 0.0))
    graphql_q = quality.get(GRAPHQL_RESPONSE_JSON, 0.0)
    json_q = next((quality[m] for m in (JSON, "application/*", "*/*") if m in quality), 0.0)
    if graphql_q > 0 and graphql_q >= json_q:
        return GRAPHQL_RESPONSE_JSON
    return JSON if json_q > 0 else None


def execution_began(result: ExecutionResult) -> bool:
    """False for a request error: the document did not parse or validate, or
    the variables could not be coerced. graphql-core reports the last case
    like a failed execution (``data`` None) but with errors without a path,
    which every field error has."""
    if isinstance(result, PreExecutionError):
        return False
    return result.data is not None or not result.errors or any(e.path is not None for e in result.errors)


class GraphQLHTTPView(GraphQL):  # type: ignore[type-arg]
    """strawberry's ASGI view speaking GraphQL over HTTP (see the module);
    ``context_getter(request)`` builds the context of each request, first;
    ``ide_page(request)`` answers a GET for HTML (it authenticates itself)."""

    def __init__(self, schema: BaseSchema, *, context_getter: Callable[[Request], Awaitable[Any]],
                 ide_page: Callable[[Request], Awaitable[Response]], **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self.context_getter = context_getter
        self.ide_page = ide_page

    def encode_json(self, data: object) -> bytes:
        """UTF-8 JSON as it reads (Chinese text is not \\u-escaped); the media type says charset=utf-8."""
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    async def run(self, request: Request, context: Any = UNSET,  # type: ignore[override]
                  root_value: Any = UNSET) -> Response:
        if self.should_render_graphql_ide(self.request_adapter_class(request)):  # GraphiQL
            return await self.ide_page(request)
        if context is UNSET:
            context = await self.context_getter(request)
        media_type = negotiate(request.headers.get("accept"))
        if media_type is None:
            return PlainTextResponse(f"Not Acceptable: this endpoint answers with {SUPPORTED}", status_code=406,
                                     headers={"Vary": "Accept"})
        token, status_token = _media_type.set(media_type), _error_status.set(None)
        try:
            return await super().run(request, context=context, root_value=root_value)
        except HTTPException as e:
            status, headers = e.status_code, {"Vary": "Accept"}
            if isinstance(e.__cause__, InvalidOperationTypeError) and request.method == "GET":
                status, headers["Allow"] = 405, "POST"  # the spec's MUST for mutations via GET
            elif status == 405:  # a method other than GET and POST
                headers["Allow"] = "GET, POST"
            return Response(self.encode_json({"errors": [{"message": e.reason}]}), status_code=status,
                            media_type=f"{media_type}; charset=utf-8", headers=headers)
        finally:
            _media_type.reset(token)
            _error_status.reset(status_token)

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        asked = [getattr(e.original_error, "http_status", None) for e in result.errors or []]
        _error_status.set(max((s for s in asked if isinstance(s, int)), default=None))
        if not execution_began(result):
            response.pop("data", None)
        return response

    def create_response(self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
                        sub_response: Response) -> Response:
        media_type = _media_type.get()
        status = 200
        if media_type == GRAPHQL_RESPONSE_JSON and isinstance(response_data, dict) and "data" not in response_data:
            status = 400
        response = Response(self.encode_json(response_data), media_type=f"{media_type}; charset=utf-8",
                            status_code=sub_response.status_code or _error_status.get() or status,
                            headers={"Vary": "Accept"})
        response.headers.raw.extend(sub_response.headers.raw)
        return response


__all__ = ["GRAPHQL_RESPONSE_JSON", "GraphQLHTTPView", "execution_began", "negotiate"]
