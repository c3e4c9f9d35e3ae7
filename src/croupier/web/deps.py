"""FastAPI dependencies: settings, the per-request unit of work, and the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

import asyncpg
from fastapi import Depends, Request

from croupier.auth import service as auth_service
from croupier.auth.errors import SessionInvalidError
from croupier.auth.principal import Principal, Role
from croupier.config import Settings
from croupier.db.pool import UnitOfWork, unit_of_work
from croupier.kit.errors import ForbiddenError
from croupier.kit.security import token_hash

SESSION_COOKIE = "croupier_session"
CSRF_COOKIE = "croupier_csrf"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Dependencies are ``async def`` even when they do not await: FastAPI runs a plain ``def``
# dependency in a worker thread, a thread hop per request on the hot path.
async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


async def get_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    # scope="function" (below) runs the commit before the response is sent, so a failed commit
    # becomes an error response, never a false 200.
    async with unit_of_work(request.app.state.pool) as uow:
        yield uow


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
Uow = Annotated[UnitOfWork, Depends(get_uow, scope="function")]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def get_principal(request: Request, uow: Uow, settings: SettingsDep) -> Principal:
    return await _principal(request, settings, uow.conn)


async def get_player_outside_uow(request: Request) -> Principal:
    """The calling player, for an endpoint whose work runs in a unit of work that is not the
    request's (a spin: a batch's, or one of its own). The look-up is one read, shared with
    concurrent requests' (``auth.session_reader``), plus at most once a minute the sliding
    renewal: single statements, each atomic alone, so they need no BEGIN/COMMIT.

    One dependency with no sub-dependencies (the settings come from the app, the role check is
    inline): FastAPI's resolution costs per level, and the spin is the hottest route."""
    principal = await _principal(request, request.app.state.settings, None)
    return _in_roles(principal, _PLAYER)


async def _principal(
    request: Request, settings: Settings, conn: asyncpg.Connection | None
) -> Principal:
    """Read on ``conn`` (the request's unit of work), or, without one, through the session
    reader, renewing on a pooled connection."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    token, via_cookie = _session_token(request)
    if token is None:
        raise SessionInvalidError("Authentication required.")
    digest = token_hash(token)
    if conn is not None:
        row = await auth_service.live_session(conn, digest)
    else:
        row = await request.app.state.session_reader.find(digest)
    principal, due = auth_service.check_session(
        row,
        settings,
        csrf_header=request.headers.get("x-csrf-token"),
        via_cookie=via_cookie,
        unsafe_method=request.method not in _SAFE_METHODS,
    )
    if due and conn is not None:
        await auth_service.renew_session(conn, settings, principal)
    elif due:
        async with request.app.state.pool.acquire() as pooled:
            await auth_service.renew_session(pooled, settings, principal)
    request.state.principal = principal
    return principal


def _session_token(request: Request) -> tuple[str | None, bool]:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), False
    cookie = request.cookies.get(SESSION_COOKIE)
    return (cookie, True) if cookie else (None, False)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    allowed = frozenset(roles)

    async def guard(principal: CurrentPrincipal) -> Principal:
        return _in_roles(principal, allowed)

    return guard


def _in_roles(principal: Principal, allowed: frozenset[Role]) -> Principal:
    if principal.role not in allowed:
        raise ForbiddenError("Your role cannot use this endpoint.")
    return principal


_PLAYER = frozenset({Role.PLAYER})


PlayerPrincipal = Annotated[Principal, Depends(require_roles(Role.PLAYER))]
# A player whose request opens no transaction of its own (see get_player_outside_uow).
PlayerOutsideUow = Annotated[Principal, Depends(get_player_outside_uow)]
PlatformAdmin = Annotated[Principal, Depends(require_roles(Role.PLATFORM_ADMIN))]
OperatorStaff = Annotated[
    Principal, Depends(require_roles(Role.PLATFORM_ADMIN, Role.OPERATOR_ADMIN))
]
AnyStaff = Annotated[
    Principal,
    Depends(require_roles(Role.PLATFORM_ADMIN, Role.OPERATOR_ADMIN, Role.AGENT, Role.CASHIER)),
]
