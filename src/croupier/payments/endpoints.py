"""Deposits, withdrawals and provider webhooks; operator lists and the withdrawal review."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, status

from croupier.payments import deposits, history, webhooks, withdrawals
from croupier.payments.errors import PayloadTooLargeError
from croupier.payments.schemas import (
    DepositIn,
    DepositOut,
    DepositPage,
    ReviewIn,
    WebhookAck,
    WithdrawalIn,
    WithdrawalOut,
    WithdrawalPage,
)
from croupier.payments.worker import wake_payout_workers
from croupier.web.deps import OperatorStaff, PlayerPrincipal, SettingsDep, Uow

player_router = APIRouter(tags=["payments"])
webhook_router = APIRouter(tags=["payments"])
operator_router = APIRouter(tags=["operator"])

DepositStatus = Literal["PENDING", "COMPLETED", "FAILED", "EXPIRED", "REFUNDED", "CHARGED_BACK"]
WithdrawalStatus = Literal["PENDING", "APPROVED", "REJECTED", "PAID", "FAILED"]
OperatorIdParam = Annotated[int | None, Query(alias="operatorId", ge=1)]
PlayerIdParam = Annotated[int | None, Query(alias="playerId", ge=1)]
From = Annotated[datetime | None, Query(alias="from")]
To = Annotated[datetime | None, Query(alias="to")]
Cursor = Annotated[str | None, Query(max_length=200)]
Limit = Annotated[int, Query(ge=1, le=200)]
_MAX_WEBHOOK_BYTES = 64 * 1024


@player_router.post("/deposits", status_code=status.HTTP_201_CREATED, response_model=DepositOut)
async def create_deposit(
    body: DepositIn, principal: PlayerPrincipal, uow: Uow, settings: SettingsDep
) -> DepositOut:
    """Open a PENDING deposit and get the provider's instructions (the same idempotencyKey
    returns the same deposit). Optional ``bonusCode``: a deposit-match bonus on completion."""
    row = await deposits.create_deposit(
        uow.conn,
        settings,
        deposits.DepositRequest(
            operator_id=principal.operator_id or 0,
            player_id=principal.subject_id,
            amount=body.amount,
            method=body.method,
            provider=body.provider,
            idempotency_key=body.idempotency_key,
            bonus_code=body.bonus_code,
        ),
    )
    return DepositOut.model_validate(dict(row))


@player_router.get("/deposits", response_model=DepositPage)
async def my_deposits(
    principal: PlayerPrincipal,
    uow: Uow,
    status_filter: Annotated[DepositStatus | None, Query(alias="status")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> DepositPage:
    rows, next_cursor = await history.list_payments(
        uow.conn,
        principal.scope(),
        table="deposits",
        player_id=principal.subject_id,
        status=status_filter,
        cursor=cursor,
        limit=limit,
    )
    return DepositPage(
        items=[DepositOut.model_validate(dict(r)) for r in rows], next_cursor=next_cursor
    )


@player_router.get("/deposits/{deposit_id}", response_model=DepositOut)
async def my_deposit(deposit_id: int, principal: PlayerPrincipal, uow: Uow) -> DepositOut:
    row = await history.get_deposit(
        uow.conn, principal.scope(), deposit_id, player_id=principal.subject_id
    )
    return DepositOut.model_validate(dict(row))


@player_router.post(
    "/withdrawals", status_code=status.HTTP_201_CREATED, response_model=WithdrawalOut
)
async def request_withdrawal(
    body: WithdrawalIn, principal: PlayerPrincipal, uow: Uow, settings: SettingsDep
) -> WithdrawalOut:
    """Request a withdrawal: the amount is held at once and awaits operator approval. It
    cannot be cancelled, and it forfeits any active bonus."""
    row = await withdrawals.request_withdrawal(
        uow.conn,
        settings,
        withdrawals.WithdrawalRequest(
            operator_id=principal.operator_id or 0,
            player_id=principal.subject_id,
            amount=body.amount,
            method=body.method,
            destination=body.destination,
            provider=body.provider,
            idempotency_key=body.idempotency_key,
        ),
    )
    return WithdrawalOut.model_validate(dict(row))


@player_router.get("/withdrawals", response_model=WithdrawalPage)
async def my_withdrawals(
    principal: PlayerPrincipal,
    uow: Uow,
    status_filter: Annotated[WithdrawalStatus | None, Query(alias="status")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> WithdrawalPage:
    rows, next_cursor = await history.list_payments(
        uow.conn,
        principal.scope(),
        table="withdrawals",
        player_id=principal.subject_id,
        status=status_filter,
        cursor=cursor,
        limit=limit,
    )
    return WithdrawalPage(
        items=[WithdrawalOut.model_validate(dict(r)) for r in rows], next_cursor=next_cursor
    )


@player_router.get("/withdrawals/{withdrawal_id}", response_model=WithdrawalOut)
async def my_withdrawal(withdrawal_id: int, principal: PlayerPrincipal, uow: Uow) -> WithdrawalOut:
    row = await history.get_withdrawal(
        uow.conn, principal.scope(), withdrawal_id, player_id=principal.subject_id
    )
    return WithdrawalOut.model_validate(dict(row))


@webhook_router.post("/webhooks/{provider}", response_model=WebhookAck)
async def provider_webhook(
    provider: str, request: Request, uow: Uow, settings: SettingsDep
) -> WebhookAck:
    """A payment provider's signed event. Acknowledged (200) once verified, whether it was
    applied, a duplicate, or ignored; a bad signature or stale timestamp is a 401."""
    raw = await request.body()
    if len(raw) > _MAX_WEBHOOK_BYTES:
        raise PayloadTooLargeError()
    result = await webhooks.receive(
        uow.conn, settings, provider_key=provider, raw_body=raw, headers=request.headers
    )
    return WebhookAck(received=True, outcome=result.outcome, reason=result.reason)


@operator_router.get("/operator/deposits", response_model=DepositPage)
async def operator_deposits(
    principal: OperatorStaff,
    uow: Uow,
    operator_id: OperatorIdParam = None,
    player_id: PlayerIdParam = None,
    status_filter: Annotated[DepositStatus | None, Query(alias="status")] = None,
    start: From = None,
    end: To = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> DepositPage:
    """The operator's deposits, newest first (from inclusive, to exclusive)."""
    rows, next_cursor = await history.list_payments(
        uow.conn,
        principal.scope(operator_id),
        table="deposits",
        player_id=player_id,
        status=status_filter,
        start=start,
        end=end,
        cursor=cursor,
        limit=limit,
    )
    return DepositPage(
        items=[DepositOut.model_validate(dict(r)) for r in rows], next_cursor=next_cursor
    )


@operator_router.get("/operator/withdrawals", response_model=WithdrawalPage)
async def operator_withdrawals(
    principal: OperatorStaff,
    uow: Uow,
    operator_id: OperatorIdParam = None,
    player_id: PlayerIdParam = None,
    status_filter: Annotated[WithdrawalStatus | None, Query(alias="status")] = None,
    start: From = None,
    end: To = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> WithdrawalPage:
    """The operator's withdrawals, newest first; PENDING ones await review."""
    rows, next_cursor = await history.list_payments(
        uow.conn,
        principal.scope(operator_id),
        table="withdrawals",
        player_id=player_id,
        status=status_filter,
        start=start,
        end=end,
        cursor=cursor,
        limit=limit,
    )
    return WithdrawalPage(
        items=[WithdrawalOut.model_validate(dict(r)) for r in rows], next_cursor=next_cursor
    )


@operator_router.put("/admin/withdrawals/{withdrawal_id}", response_model=WithdrawalOut)
async def review_withdrawal(
    withdrawal_id: int,
    body: ReviewIn,
    principal: OperatorStaff,
    uow: Uow,
    settings: SettingsDep,
) -> WithdrawalOut:
    """Approve (paid out by the payout worker, then PAID or FAILED) or reject with a reason
    (the hold is released). A withdrawal is reviewed once; another operator's is a 404."""
    row = await withdrawals.review_withdrawal(
        uow.conn,
        settings,
        principal.scope(),
        withdrawal_id=withdrawal_id,
        staff_id=principal.subject_id,
        decision=body.status,
        reason=body.reason,
    )
    if row["status"] == "APPROVED":
        uow.after_commit(wake_payout_workers)
    return WithdrawalOut.model_validate(dict(row))


routers = (player_router, webhook_router, operator_router)
