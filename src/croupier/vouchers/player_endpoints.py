"""The voucher holder's routes (seed 000): redeem a voucher, log in with login code + PIN, read
the state and the bonus popup, acknowledge it, and ask the shop to cash out winnings."""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import APIRouter, Header, Query, Request, status

from croupier.vouchers import bonus, cashout, player, redeem
from croupier.vouchers.bonus import BonusStatus
from croupier.vouchers.schemas import (
    BonusOut,
    CashoutIn,
    CashoutOut,
    CashoutPage,
    PlayerBalances,
    PlayerLoginIn,
    PlayerLoginOut,
    PlayerMeOut,
    RedeemBalances,
    RedeemIn,
    RedeemOut,
)
from croupier.web.deps import PlayerPrincipal, SettingsDep, Uow, client_ip

router = APIRouter(tags=["sweepstakes player"])
OperatorHeader = Annotated[str | None, Header(alias="X-Operator", max_length=63)]


def cashout_out(row: asyncpg.Record) -> CashoutOut:
    return CashoutOut.model_validate(dict(row))


def _bonus_out(state: BonusStatus) -> BonusOut:
    return BonusOut(
        state=state.state, amount=state.amount, popup=state.popup, granted_at=state.granted_at
    )


@router.post("/voucher/redeem", status_code=status.HTTP_201_CREATED, response_model=RedeemOut)
async def redeem_voucher(
    body: RedeemIn, request: Request, uow: Uow, settings: SettingsDep
) -> RedeemOut:
    """Turn a voucher into a new player: the response carries the login code and the PIN,
    shown this once. Any code that cannot be redeemed gets the same 400 VOUCHER_INVALID."""
    done = await redeem.redeem(uow.conn, settings, code=body.code, ip=client_ip(request))
    return RedeemOut(
        player_id=done.player_id,
        operator_id=done.operator_id,
        voucher_id=done.voucher_id,
        login_code=done.login_code,
        pin=done.pin,
        currency=done.currency,
        balances=RedeemBalances(cash=done.amount, held_bonus=done.held_bonus),
    )


@router.post("/player/login", response_model=PlayerLoginOut)
async def login(
    body: PlayerLoginIn,
    request: Request,
    uow: Uow,
    settings: SettingsDep,
    x_operator: OperatorHeader = None,
) -> PlayerLoginOut:
    """Log a voucher player in; use the access token as ``Authorization: Bearer``."""
    issued = await player.login(
        uow.conn,
        settings,
        login_code=body.login_code,
        pin=body.pin,
        operator_slug=body.operator_slug or x_operator,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    return PlayerLoginOut(
        access_token=issued.token,
        expires_at=issued.expires_at,
        player_id=issued.principal.subject_id,
        operator_id=issued.principal.operator_id or 0,
    )


@router.get("/player/me", response_model=PlayerMeOut)
async def me(principal: PlayerPrincipal, uow: Uow) -> PlayerMeOut:
    """Balances in FUN minor units and the bonus popup state (``bonus.popup`` is true from the
    grant until ``POST /player/bonus/ack``)."""
    current = await player.state(
        uow.conn, operator_id=principal.operator_id or 0, player_id=principal.subject_id
    )
    return PlayerMeOut(
        player_id=current.player_id,
        operator_id=current.operator_id,
        login_code=current.login_code,
        agent_id=current.agent_id,
        currency=current.currency,
        balances=PlayerBalances(
            cash=current.cash,
            held_bonus=current.held_bonus,
            reserved=current.reserved,
            withdrawable=current.withdrawable,
        ),
        bonus=_bonus_out(current.bonus),
    )


@router.post("/player/bonus/ack", response_model=BonusOut)
async def acknowledge_bonus(principal: PlayerPrincipal, uow: Uow) -> BonusOut:
    """Close the bonus popup; repeating it changes nothing."""
    state = await bonus.acknowledge(
        uow.conn, operator_id=principal.operator_id or 0, player_id=principal.subject_id
    )
    return _bonus_out(state)


@router.post("/player/redemptions", status_code=status.HTTP_201_CREATED, response_model=CashoutOut)
async def request_redemption(body: CashoutIn, principal: PlayerPrincipal, uow: Uow) -> CashoutOut:
    """Ask the shop to pay out winnings: the amount is held until a cashier pays or rejects it.
    Retry-safe by ``idempotencyKey``."""
    row = await cashout.request_cashout(
        uow.conn,
        cashout.CashoutRequest(
            operator_id=principal.operator_id or 0,
            player_id=principal.subject_id,
            amount=body.amount,
            idempotency_key=body.idempotency_key,
        ),
    )
    return cashout_out(row)


@router.get("/player/redemptions", response_model=CashoutPage)
async def list_my_redemptions(
    principal: PlayerPrincipal,
    uow: Uow,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CashoutPage:
    rows, next_cursor = await cashout.list_cashouts(
        uow.conn, principal.scope(), player_id=principal.subject_id, cursor=cursor, limit=limit
    )
    return CashoutPage(items=[cashout_out(row) for row in rows], next_cursor=next_cursor)
