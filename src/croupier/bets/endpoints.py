"""Spins, bet history, provably-fair seeds and jackpot values."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from time import perf_counter
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Query, Request, Response

from croupier.bets import fair, history
from croupier.bets import spin as spin_service
from croupier.bets.schemas import (
    BetDetail,
    BetOut,
    BetPage,
    FairSeedOut,
    RotateIn,
    SpinHeaders,
    SpinIn,
)
from croupier.db.pool import unit_of_work
from croupier.games import service as games_service
from croupier.web.deps import PlayerOutsideUow, PlayerPrincipal, Uow
from croupier.web.fast_route import FastRoute
from croupier.web.headers import HeaderParams

router = APIRouter(tags=["bets"])
# The spin alone, so the app can match it before anything else (see app.api_routers), resolved
# by web.fast_route rather than by FastAPI's per-request dependency machinery.
spin_router = APIRouter(tags=["bets"], route_class=FastRoute)
# The spin, the hottest route, reads its headers itself (see web.headers).
SPIN_HEADERS = HeaderParams(SpinHeaders)


def bet_out(row: Mapping[str, Any], model: type[BetOut] = BetOut, **extra: object) -> BetOut:
    data = dict(row)
    data["balances"] = {"cash": row["cash_after"], "bonus": row["bonus_after"]}
    return model.model_validate(data | extra)


@spin_router.post("/game/spin", response_model=BetOut, openapi_extra=SPIN_HEADERS.openapi)
async def spin(body: SpinIn, request: Request, principal: PlayerOutsideUow) -> Response:
    """Play one round of a builtin slot (aliases: POST /bets, POST /bet/spin).

    Send an ``Idempotency-Key`` header to make retries safe: the same key returns the same round.
    """
    started = perf_counter()
    headers = SPIN_HEADERS.read(request)
    pool = request.app.state.pool
    game_id = body.game_id
    if game_id is None:
        async with pool.acquire() as conn:  # one read: no transaction needed
            game_id = await games_service.game_id_for_key(conn, body.game_key or "")
    spin_request = spin_service.SpinRequest(
        operator_id=principal.operator_id or 0,
        player_id=principal.subject_id,
        game_id=game_id,
        stake=body.stake,
        idempotency_key=headers.idempotency_key or uuid.uuid4().hex,
        provably_fair=body.provably_fair,
        session_key=headers.session_id,
        channel=headers.channel,
    )
    # Under load, concurrent spins of different players share one unit of work (bets.batcher);
    # otherwise, and for a provably-fair round, the spin has a unit of work of its own. The
    # request opens none itself: a batched spin would not use it.
    batcher = getattr(request.app.state, "spin_batcher", None)
    if batcher is not None and not body.provably_fair:
        result = await batcher.spin(spin_request, inline=lambda: _spin_alone(pool, spin_request))
    else:
        result = await _spin_alone(pool, spin_request)
    safety = None
    if result.safety is not None:
        safety = {
            "score": result.safety.score,
            "band": result.safety.band,
            "reasons": result.safety.reasons,
            "action": result.safety.action,
        }
    # The model is the response_model's, serialised once: FastAPI would validate it again.
    content = bet_out(result.bet, safety=safety).model_dump_json(by_alias=True)
    # Server-Timing (W3C): the service's total and the safety engine's share, in ms.
    timing = f"spin;dur={(perf_counter() - started) * 1000:.3f}, safety;dur={result.safety_ms:.3f}"
    return Response(content, media_type="application/json", headers={"Server-Timing": timing})


async def _spin_alone(
    pool: asyncpg.Pool, spin_request: spin_service.SpinRequest
) -> spin_service.SpinResult:
    async with unit_of_work(pool) as uow:  # commits before the response is sent
        return await spin_service.spin(uow.conn, spin_request)


@router.get("/bets", response_model=BetPage)
async def list_bets(
    principal: PlayerPrincipal,
    uow: Uow,
    game_id: Annotated[int | None, Query(alias="gameId", ge=1)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> BetPage:
    """The player's own rounds, newest first."""
    rows, next_cursor = await history.list_bets(
        uow.conn,
        principal.scope(),
        player_id=principal.subject_id,
        game_id=game_id,
        cursor=cursor,
        limit=limit,
    )
    return BetPage(items=[bet_out(r) for r in rows], next_cursor=next_cursor)


@router.get("/bets/{bet_id}", response_model=BetDetail)
async def get_bet(bet_id: int, principal: PlayerPrincipal, uow: Uow) -> BetOut:
    """One of the player's rounds, with what is needed to verify it."""
    row = await history.get_bet(uow.conn, principal.scope(), bet_id, player_id=principal.subject_id)
    return bet_out(row, BetDetail, verification=fair.verify_bet(row))


@router.get("/fair/seed", response_model=FairSeedOut)
async def current_seed(principal: PlayerPrincipal, uow: Uow) -> FairSeedOut:
    """The committed server seed hash, client seed and next nonce for provably-fair spins."""
    data = await fair.current(uow.conn, principal.operator_id or 0, principal.subject_id)
    return FairSeedOut.model_validate(data)


@router.post("/fair/rotate")
async def rotate_seed(body: RotateIn, principal: PlayerPrincipal, uow: Uow) -> dict[str, object]:
    """Reveal the current server seed (so past rounds can be verified) and start a new pair."""
    return await fair.rotate(
        uow.conn, principal.operator_id or 0, principal.subject_id, body.client_seed
    )
