"""/wallet for players; /operator/players/{id}/adjustments for operator staff."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from croupier.wallets import adjustments, service
from croupier.wallets.schemas import (
    AdjustmentIn,
    AdjustmentOut,
    TransactionOut,
    TransactionPage,
    TransferTypes,
    WalletOut,
)
from croupier.web.deps import OperatorStaff, PlayerPrincipal, Uow

router = APIRouter(tags=["wallet"])


@router.get("/wallet", response_model=WalletOut)
async def get_wallet(principal: PlayerPrincipal, uow: Uow) -> WalletOut:
    """The caller's balances: cash, bonus, coins, reserved (pending withdrawals), withdrawable."""
    balances = await service.get_balances(
        uow.conn, operator_id=principal.operator_id, player_id=principal.subject_id
    )
    return WalletOut(
        currency=balances.currency,
        cash=balances.cash,
        bonus=balances.bonus,
        coins=balances.coins,
        reserved=balances.reserved,
        withdrawable=balances.withdrawable,
    )


@router.get("/wallet/transactions", response_model=TransactionPage)
async def list_transactions(
    principal: PlayerPrincipal,
    uow: Uow,
    type: Annotated[TransferTypes | None, Query(description="Comma-separated types.")] = None,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TransactionPage:
    """The caller's money movements, newest first (from inclusive, to exclusive)."""
    entries, next_cursor = await service.transactions(
        uow.conn,
        operator_id=principal.operator_id,
        player_id=principal.subject_id,
        types=type.split(",") if type else None,
        start=start,
        end=end,
        cursor=cursor,
        limit=limit,
    )
    items = [
        TransactionOut(
            transfer_id=entry.transfer_id,
            entry_no=entry.entry_no,
            type=entry.type,
            account=entry.account_kind,
            amount=entry.amount,
            balance_after=entry.balance_after,
            reference=entry.reference,
            created_at=entry.created_at,
        )
        for entry in entries
    ]
    return TransactionPage(items=items, next_cursor=next_cursor)


@router.post(
    "/operator/players/{player_id}/adjustments", response_model=AdjustmentOut, status_code=201
)
async def adjust_balance(
    player_id: Annotated[int, Path(ge=1)], body: AdjustmentIn, principal: OperatorStaff, uow: Uow
) -> AdjustmentOut:
    """Credit or debit a player's cash, bonus or coins by hand, with a reason; the staff member
    is recorded. Retrying with the same idempotencyKey and body returns the same adjustment."""
    adjustment = await adjustments.adjust(
        uow.conn,
        principal.scope(),
        player_id=player_id,
        staff_id=principal.subject_id,
        amount=body.amount,
        account=body.account,
        reason=body.reason,
        idempotency_key=body.idempotency_key,
    )
    return AdjustmentOut.model_validate(adjustment)
