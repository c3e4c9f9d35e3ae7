"""/auth: register, login, logout, me (seeds 001 §4.1 and 002 §5.2)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response, status

from croupier.auth import profile
from croupier.auth import service as auth_service
from croupier.auth.schemas import LoginIn, MeOut, PlayerOut, RegisterIn, SessionOut
from croupier.engagement.api import attribution
from croupier.engagement.api.attribution import CLICK_COOKIE
from croupier.web.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CurrentPrincipal,
    SettingsDep,
    Uow,
    client_ip,
)

router = APIRouter(prefix="/auth", tags=["auth"])
OperatorHeader = Annotated[str | None, Header(alias="X-Operator", max_length=63)]


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=PlayerOut)
async def register(
    body: RegisterIn, request: Request, uow: Uow, x_operator: OperatorHeader = None
) -> PlayerOut:
    """Create a player account within an operator."""
    row = await auth_service.register_player(
        uow.conn,
        operator_slug=body.operator_slug or x_operator,
        email=str(body.email),
        username=body.username,
        password=body.password,
    )
    await _link_attribution(uow, request, row["operator_id"], row["id"])
    return PlayerOut.model_validate(dict(row))


@router.post("/login", response_model=SessionOut)
async def login(
    body: LoginIn,
    request: Request,
    response: Response,
    uow: Uow,
    settings: SettingsDep,
    x_operator: OperatorHeader = None,
) -> SessionOut:
    """Log in (players with an operator, staff without); returns a bearer token and sets cookies."""
    issued = await auth_service.login(
        uow.conn,
        settings,
        login_name=body.login_name,
        password=body.password,
        operator_slug=body.operator_slug or x_operator,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    if issued.principal.is_player and issued.principal.operator_id is not None:
        await _link_attribution(
            uow, request, issued.principal.operator_id, issued.principal.subject_id
        )
    max_age = settings.session_ttl_seconds
    cookie = {"secure": settings.cookie_secure, "samesite": settings.cookie_samesite, "path": "/"}
    response.set_cookie(SESSION_COOKIE, issued.token, max_age=max_age, httponly=True, **cookie)
    response.set_cookie(CSRF_COOKIE, issued.csrf_token, max_age=max_age, httponly=False, **cookie)
    return SessionOut(
        token=issued.token,
        expires_at=issued.expires_at,
        csrf_token=issued.csrf_token,
        role=issued.principal.role.value,
        subject_id=issued.principal.subject_id,
        operator_id=issued.principal.operator_id,
    )


async def _link_attribution(uow: Uow, request: Request, operator_id: int, player_id: int) -> None:
    """A deeplink click (GET /track) before registering or logging in credits its campaign."""
    click_id = request.cookies.get(CLICK_COOKIE)
    if click_id:
        await attribution.link_click(
            uow.conn, operator_id=operator_id, player_id=player_id, click_id=click_id
        )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: CurrentPrincipal, response: Response, uow: Uow) -> Response:
    """Revoke the current session."""
    await auth_service.logout(uow.conn, principal)
    response.status_code = status.HTTP_204_NO_CONTENT
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/me", response_model=MeOut)
async def me(principal: CurrentPrincipal, uow: Uow) -> MeOut:
    """The authenticated user's profile (alias: GET /auth/user)."""
    return MeOut.model_validate(await profile.describe(uow.conn, principal))
