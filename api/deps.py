"""Dependency aliases of the service: the resources and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from zeren.api.context import Services
from zeren.api.roles import Forbidden, demand, known
from zeren.api.security import Principal

COOKIE = "zeren_token"
# A request signed in by the cookie alone that may change state must carry
# this header (a cross-site form cannot): see zeren.api.web.
CSRF_HEADER = "X-Zeren-CSRF"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(get_services)]


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                                "malformed Authorization header: use 'Authorization: Bearer <token>'",
                                headers={"WWW-Authenticate": 'Bearer error="invalid_request"'})
        return value.strip()
    token = request.cookies.get(COOKIE)
    if token and request.method not in SAFE_METHODS and not request.headers.get(CSRF_HEADER):
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"refused: a request signed in by the browser cookie must carry the header "
                            f"'{CSRF_HEADER}: 1' (protection against cross-site requests); "
                            "scripts send 'Authorization: Bearer <token>' instead")
    return token


async def authenticate(request: Request, services: ServicesDep) -> Principal:
    # On the event loop: one indexed read on a kept-open SQLite connection
    # (tens of microseconds) costs less than a hand-off to the thread pool.
    token = _token(request)
    if not token:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                            "authentication required: send 'Authorization: Bearer <token>' "
                            "(tokens are issued with 'zeren token issue')",
                            headers={"WWW-Authenticate": "Bearer"})
    principal = services.tokens.verify(token)
    if principal is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid, revoked or expired token",
                            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return principal


PrincipalDep = Annotated[Principal, Depends(authenticate)]


def require(capability: str):  # type: ignore[no-untyped-def]
    """The dependency of a route that reads ``capability`` (see ``zeren.api.roles``): 403 for other roles."""
    async def check(principal: PrincipalDep) -> Principal:
        try:
            demand(principal.role, capability)
        except Forbidden as e:
            raise HTTPException(status.HTTP_403_FORBIDDEN, str(e)) from None
        return principal
    # Which row of the table guards the route; a capability not in it fails here, at import.
    check.capability = known(capability)  # type: ignore[attr-defined]
    return check
