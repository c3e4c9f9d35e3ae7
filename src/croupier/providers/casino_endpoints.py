"""/casino/*: seed 003's casino API, paths and bodies exactly as the seed has them.

The callbacks read the raw body themselves: the signature is over those exact bytes, and their
errors (400 INVALID_REQUEST rather than 422) follow the wire contract, not the platform's API.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg
from fastapi import APIRouter, Request, Response

from croupier.auth.principal import Principal
from croupier.db.pool import unit_of_work
from croupier.kit.errors import CroupierError
from croupier.providers.batcher import play_alone
from croupier.providers.errors import InvalidRequestError
from croupier.providers.http import provider_http_client
from croupier.providers.schemas import (
    BalanceIn,
    CreditIn,
    DebitIn,
    LaunchIn,
    RollbackIn,
    SimulateIn,
    parse,
)
from croupier.providers.service import balance, context, rollback, sessions, simulate
from croupier.providers.service.many import Call
from croupier.providers.service.outcomes import Outcome
from croupier.providers.wire import SeedRoute, documented_body, json_response, stringify
from croupier.web.deps import SESSION_COOKIE, Uow, get_principal

casino_router = APIRouter(route_class=SeedRoute, tags=["casino (seed 003)"])


async def _caller(request: Request, uow: Uow) -> context.Caller:
    return await _authenticate(request, uow.conn, await request.body())


async def _authenticate(
    request: Request, source: asyncpg.Connection | context.CallerReader, raw: bytes
) -> context.Caller:
    return await context.authenticate(
        source,
        request.app.state.settings,
        raw=raw,
        signature_header=request.headers.get("x-casino-signature"),
        timestamp_header=request.headers.get("x-casino-timestamp"),
        provider_code=request.headers.get("x-provider-code"),
    )


@casino_router.post("/casino/getBalance", openapi_extra=documented_body(BalanceIn))
async def get_balance(request: Request, uow: Uow) -> Response:
    """The player's authoritative balance (header ``x-casino-signature``)."""
    caller = await _caller(request, uow)
    outcome = await balance.get_balance(uow.conn, caller, parse(BalanceIn, caller.payload))
    return json_response(outcome.status, outcome.body)


@casino_router.post("/casino/debit", openapi_extra=documented_body(DebitIn))
async def debit_funds(request: Request) -> Response:
    """A stake: atomic, idempotent by ``transactionId`` (header ``x-casino-signature``)."""
    caller = await _caller_outside_uow(request)
    outcome = await _play(request, Call(caller, parse(DebitIn, caller.payload)))
    return json_response(outcome.status, outcome.body)


@casino_router.post("/casino/credit", openapi_extra=documented_body(CreditIn))
async def credit_funds(request: Request) -> Response:
    """A payout: atomic, idempotent by ``transactionId`` (header ``x-casino-signature``)."""
    caller = await _caller_outside_uow(request)
    outcome = await _play(request, Call(caller, parse(CreditIn, caller.payload)))
    return json_response(outcome.status, outcome.body)


async def _caller_outside_uow(request: Request) -> context.Caller:
    """The caller of a stake or payout, which opens no request transaction: the call runs in
    its batch's unit of work or in one of its own. One read here, atomic alone, and shared
    with concurrent callbacks' (``context.caller_reader``)."""
    return await _authenticate(request, request.app.state.caller_reader, await request.body())


async def _play(request: Request, call: Call) -> Outcome:
    # Under load, concurrent stakes and payouts of different players share one unit of work
    # (providers.batcher); otherwise the call has a unit of work of its own.
    pool = request.app.state.pool
    batcher = getattr(request.app.state, "callback_batcher", None)
    if batcher is None:
        return await play_alone(pool, call)
    return await batcher.play(call, pool)


@casino_router.post("/casino/rollback", openapi_extra=documented_body(RollbackIn))
async def rollback_bet(request: Request, uow: Uow) -> Response:
    """Reverse a stake: idempotent by ``transactionId`` (header ``x-casino-signature``)."""
    caller = await _caller(request, uow)
    outcome = await rollback.rollback(uow.conn, caller, parse(RollbackIn, caller.payload))
    return json_response(outcome.status, outcome.body)


@casino_router.post("/casino/launchGame", openapi_extra=documented_body(LaunchIn))
async def launch_game(request: Request) -> Response:
    """Open a game session and launch it at the provider. Seed 003's demo players need no
    login; any other player launches only for themselves (``Authorization: Bearer``)."""
    body = parse(LaunchIn, await _json(request))
    principal = await _logged_in(request)
    async with provider_http_client(request.app, request.scope.get("server")) as http:
        launched = await sessions.launch(
            request.app.state.pool,
            http,
            request.app.state.settings,
            user_id=body.user_id,
            game_ref=body.game_id,
            currency=body.currency,
            caller_player_id=principal.subject_id if principal and principal.is_player else None,
        )
    return json_response(200, stringify(launched.body()))


@casino_router.post("/casino/simulateRound", openapi_extra=documented_body(SimulateIn))
async def simulate_round(request: Request) -> Response:
    """Seed 003's full round for one of its demo players: balance reset to 1,000,000, launch,
    then the provider's scripted round against our callbacks; returns every step."""
    body = parse(SimulateIn, await _json(request))
    async with provider_http_client(request.app, request.scope.get("server")) as http:
        report = await simulate.simulate_round(
            request.app.state.pool,
            http,
            request.app.state.settings,
            user_id=body.user_id,
            game_ref=body.game_id,
        )
    return json_response(200, stringify(report))


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequestError("Invalid request: the body is not JSON") from None


async def _logged_in(request: Request) -> Principal | None:
    """The caller's session if they sent one, checked in a unit of work of its own so none is
    held open while the provider is called. A bearer token must be valid; a cookie that does
    not authenticate (stale, or no CSRF header) leaves the caller anonymous, which can only
    launch the seed's demo players."""
    bearer = request.headers.get("authorization")
    if not (bearer or request.cookies.get(SESSION_COOKIE)):
        return None
    try:
        async with unit_of_work(request.app.state.pool) as uow:
            return await get_principal(request, uow, request.app.state.settings)
    except CroupierError:
        if bearer:
            raise
        return None
