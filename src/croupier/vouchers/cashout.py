"""Cash-outs: a voucher player redeems winnings for cash at the shop that sold the voucher.

PENDING (the amount is held on the player's cash, so it can be neither played nor asked for
twice) → PAID by the agent or one of its cashiers (the hold is posted to the agent's float: the
shop handed over cash and takes the FUN back, to sell again) or → REJECTED (the hold is voided,
the FUN is playable again). The row keeps who resolved it, and which cashier, for the shop's
books and the operator's funnel analytics.

Any withdrawable cash can be cashed out: seed 000 sets no play-through, and the voucher's bonus
can only become cash through play (see bonus.py), so a player cannot turn it into money
without playing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import asyncpg
import structlog

from croupier.kit.hashing import request_hash
from croupier.kit.pagination import decode_cursor, encode_cursor
from croupier.kit.tenancy import Scope
from croupier.realtime import service as realtime
from croupier.vouchers import bonus, money, player_queries
from croupier.vouchers import cashout_queries as queries
from croupier.vouchers.errors import (
    CashoutAlreadyResolvedError,
    CashoutKeyReusedError,
    CashoutNotFoundError,
    InsufficientWithdrawableError,
    NotVoucherPlayerError,
)
from croupier.wallets import service as wallets

log = structlog.get_logger("croupier.vouchers.cashout")

PAID = "PAID"
REJECTED = "REJECTED"


@dataclass(frozen=True, slots=True)
class CashoutRequest:
    operator_id: int
    player_id: int
    amount: int
    idempotency_key: str

    def fingerprint(self) -> bytes:
        return request_hash({"amount": self.amount})


async def request_cashout(conn: asyncpg.Connection, request: CashoutRequest) -> asyncpg.Record:
    profile = await player_queries.player_profile(conn, request.operator_id, request.player_id)
    if profile is None or profile["login_code"] is None or profile["agent_id"] is None:
        raise NotVoucherPlayerError()
    existing = await queries.by_key(
        conn, request.operator_id, request.player_id, request.idempotency_key
    )
    if existing is not None:
        return _replayed(existing, request)

    balances = await wallets.get_balances(
        conn, operator_id=request.operator_id, player_id=request.player_id
    )
    hold = await money.hold_cashout(
        conn,
        operator_id=request.operator_id,
        player_id=request.player_id,
        currency=balances.currency,
        amount=request.amount,
        idempotency_key=request.idempotency_key,
    )
    if hold.replayed:
        # A concurrent request with this key committed first: answer with its row.
        existing = await queries.by_key(
            conn, request.operator_id, request.player_id, request.idempotency_key
        )
        assert existing is not None
        return _replayed(existing, request)
    if hold.status != "pending":
        raise InsufficientWithdrawableError(withdrawable=balances.withdrawable)
    row = await queries.insert(
        conn,
        {
            "operator_id": request.operator_id,
            "player_id": request.player_id,
            "agent_id": profile["agent_id"],
            "currency": balances.currency,
            "amount": request.amount,
            "idempotency_key": request.idempotency_key,
            "request_hash": request.fingerprint(),
            "hold_transfer_id": hold.transfer_id,
        },
    )
    log.info("voucher_cashout_requested", cashout_id=row["id"], player_id=request.player_id)
    return row


def _replayed(row: asyncpg.Record, request: CashoutRequest) -> asyncpg.Record:
    if bytes(row["request_hash"]) != request.fingerprint():
        raise CashoutKeyReusedError()
    return row


async def resolve_cashout(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    cashout_id: int,
    status: Literal["PAID", "REJECTED"],
    reason: str | None,
    staff_id: int,
    is_cashier: bool,
) -> asyncpg.Record:
    """The shop pays or rejects. The scope pins agent staff to their own agent's players."""
    row = await queries.get(conn, scope, cashout_id)
    if row is None:
        raise CashoutNotFoundError()
    claimed = await queries.claim_resolution(
        conn,
        cashout_id,
        status=status,
        staff_id=staff_id,
        cashier_id=staff_id if is_cashier else None,
        reason=reason,
    )
    if claimed is None:
        raise CashoutAlreadyResolvedError()
    if status == PAID:
        result = await money.pay_cashout(
            conn,
            operator_id=row["operator_id"],
            agent_id=row["agent_id"],
            currency=row["currency"],
            cashout_id=cashout_id,
            hold_id=row["hold_transfer_id"],
        )
        balances = await wallets.get_balances(
            conn, operator_id=row["operator_id"], player_id=row["player_id"]
        )
        await bonus.forfeit_if_emptied(
            conn,
            operator_id=row["operator_id"],
            player_id=row["player_id"],
            cash_balance=balances.cash,
        )
    else:
        result = await money.reject_cashout(
            conn,
            operator_id=row["operator_id"],
            cashout_id=cashout_id,
            hold_id=row["hold_transfer_id"],
        )
    resolved = await queries.set_resolve_transfer(conn, cashout_id, result.transfer_id)
    await realtime.publish(
        conn,
        audience=realtime.player_audience(row["player_id"]),
        topic="redemption",
        payload={"event": "voucher_cashout_resolved", "id": cashout_id, "status": status},
        operator_id=row["operator_id"],
    )
    log.info("voucher_cashout_resolved", cashout_id=cashout_id, status=status, staff_id=staff_id)
    return resolved


async def list_cashouts(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    player_id: int | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[asyncpg.Record], str | None]:
    """Newest first: a player's own (``player_id``), or those the staff's scope reaches."""
    before = None
    if cursor:
        created_at, row_id = decode_cursor(cursor)
        before = (created_at, int(row_id))
    rows = await queries.list_cashouts(
        conn, scope, player_id=player_id, status=status, before=before, limit=limit + 1
    )
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1]["created_at"], rows[-1]["id"])
