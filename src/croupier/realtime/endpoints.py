"""/ws: a player's live feed (spins, balances, jackpots, bonuses), authenticated by session."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status

from croupier.auth import service as auth_service
from croupier.auth.principal import Role
from croupier.db.pool import unit_of_work
from croupier.kit.errors import CroupierError
from croupier.realtime.service import operator_audience, player_audience
from croupier.web.deps import SESSION_COOKIE

router = APIRouter(tags=["realtime"])


async def _principal(websocket: WebSocket):  # type: ignore[no-untyped-def]
    header = websocket.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    token = (
        value.strip()
        if scheme.lower() == "bearer"
        else websocket.query_params.get("token") or websocket.cookies.get(SESSION_COOKIE)
    )
    if not token:
        return None
    try:
        async with unit_of_work(websocket.app.state.pool) as uow:
            return await auth_service.authenticate(
                uow.conn,
                websocket.app.state.settings,
                token=token,
                csrf_header=None,
                via_cookie=False,
                unsafe_method=False,
            )
    except CroupierError:
        return None


async def _serve(websocket: WebSocket, audience: str) -> None:
    hub = websocket.app.state.hub
    await websocket.accept()
    hub.subscribe(audience, websocket)
    try:
        while True:
            await websocket.receive_text()  # the feed is one-way; reading detects the close
    except WebSocketDisconnect:
        pass
    finally:
        hub.unsubscribe(audience, websocket)


@router.websocket("/ws")
async def player_feed(websocket: WebSocket) -> None:
    principal = await _principal(websocket)
    if principal is None or not principal.is_player:
        with contextlib.suppress(RuntimeError):
            await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
        return
    await _serve(websocket, player_audience(principal.subject_id))


@router.websocket("/ws/operator")
async def operator_feed(websocket: WebSocket) -> None:
    principal = await _principal(websocket)
    if principal is None or principal.role not in (Role.OPERATOR_ADMIN, Role.PLATFORM_ADMIN):
        with contextlib.suppress(RuntimeError):
            await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
        return
    operator_id = principal.operator_id
    if operator_id is None:  # a platform admin names the operator to watch
        raw = websocket.query_params.get("operatorId", "")
        if not raw.isdigit():
            await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
            return
        operator_id = int(raw)
    await _serve(websocket, operator_audience(operator_id))
