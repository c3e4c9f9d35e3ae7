"""What happens to a deposit when its provider reports an outcome.

Money: completion moves the amount from the provider's ``payment_clearing`` account to the
player's cash. A refund or chargeback moves it back; what the player no longer has (spent or
held for a withdrawal) is booked on the player's ``player_receivable`` account, a debt, so a
player balance never goes negative.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog

from croupier.bonuses import service as bonuses
from croupier.ledger import service as ledger
from croupier.ledger.service import Leg
from croupier.payments import queries
from croupier.payments.adapters.base import PaymentProvider, ProviderEvent
from croupier.realtime import service as realtime
from croupier.safety import service as safety
from croupier.vip import service as vip
from croupier.wallets import service as wallets

log = structlog.get_logger("croupier.payments.deposits")

# A concurrent spin can spend cash between the balance read and the reversal; the reversal is
# then recomputed (each attempt under its own key, the rejected one stays on record).
_REVERSAL_ATTEMPTS = 3


async def complete(
    conn: asyncpg.Connection,
    provider: PaymentProvider,
    deposit: asyncpg.Record,
    event: ProviderEvent,
) -> str | None:
    if deposit["status"] != "PENDING":
        return "DEPOSIT_NOT_PENDING"
    operator_id, player_id = deposit["operator_id"], deposit["player_id"]
    clearing = await _clearing_account(conn, provider, deposit)
    credited = await wallets.credit(
        conn,
        operator_id=operator_id,
        player_id=player_id,
        amount=deposit["amount"],
        from_account_id=clearing,
        type="deposit",
        idempotency_key=f"deposit:{deposit['id']}:credit",
        request={"deposit": deposit["id"], "amount": deposit["amount"]},
        reference=f"deposit:{deposit['id']}",
        metadata={"provider": provider.key, "reference": deposit["reference"]},
    )
    row = await queries.update_deposit(
        conn,
        deposit["id"],
        "PENDING",
        {
            "status": "COMPLETED",
            "credit_transfer_id": credited.transfer_id,
            "provider_payment_id": event.provider_payment_id or deposit["provider_payment_id"],
            "completed_at": credited.created_at,
        },
    )
    assert row is not None  # the row is locked by the caller and was PENDING
    await bonuses.on_deposit_completed(
        conn,
        operator_id=operator_id,
        player_id=player_id,
        deposit_id=deposit["id"],
        amount=deposit["amount"],
        currency=deposit["currency"],
        bonus_rule_id=deposit["bonus_rule_id"],
        boost_bp=await vip.deposit_bonus_boost(conn, operator_id=operator_id, player_id=player_id),
    )
    await vip.award_deposit_xp(
        conn, operator_id=operator_id, player_id=player_id, amount=deposit["amount"]
    )
    await safety.record_deposit(
        conn, operator_id=operator_id, player_id=player_id, amount=deposit["amount"]
    )
    await publish(conn, row)
    log.info(
        "deposit_completed",
        deposit_id=deposit["id"],
        operator_id=operator_id,
        amount=deposit["amount"],
    )
    return None


async def close_pending(
    conn: asyncpg.Connection, deposit: asyncpg.Record, status: str, reason: str
) -> str | None:
    """FAILED or EXPIRED: nothing was credited, so nothing moves."""
    row = await queries.update_deposit(
        conn,
        deposit["id"],
        "PENDING",
        {"status": status, "failure_reason": reason[:500], "closed_at": datetime.now(UTC)},
    )
    if row is None:
        return "DEPOSIT_NOT_PENDING"
    await publish(conn, row)
    return None


async def reverse(
    conn: asyncpg.Connection, provider: PaymentProvider, deposit: asyncpg.Record, status: str
) -> str | None:
    """REFUNDED or CHARGED_BACK: take the deposit back, recording any shortfall as a debt."""
    if deposit["status"] != "COMPLETED":
        return "DEPOSIT_NOT_COMPLETED"
    operator_id, player_id, amount = deposit["operator_id"], deposit["player_id"], deposit["amount"]
    clearing = await _clearing_account(conn, provider, deposit)
    accounts = await wallets.player_accounts(
        conn, operator_id=operator_id, player_id=player_id, currency=deposit["currency"]
    )
    receivable = await ledger.ensure_account(
        conn,
        operator_id=operator_id,
        kind="player_receivable",
        currency=deposit["currency"],
        owner_id=player_id,
    )
    for attempt in range(_REVERSAL_ATTEMPTS):
        balances = await wallets.get_balances(conn, operator_id=operator_id, player_id=player_id)
        taken = min(amount, max(balances.withdrawable, 0))
        legs = [
            Leg(clearing, amount),
            Leg(accounts.cash_id, -taken),
            Leg(receivable, taken - amount),
        ]
        result = await ledger.post(
            conn,
            operator_id=operator_id,
            type="deposit_reversal",
            idempotency_key=f"deposit:{deposit['id']}:reversal:{attempt}",
            request={"deposit": deposit["id"], "status": status, "taken": taken},
            legs=[leg for leg in legs if leg.amount],
            reference=f"deposit:{deposit['id']}",
            metadata={"status": status, "shortfall": amount - taken},
        )
        if result.posted:
            break
    else:
        raise RuntimeError(f"deposit {deposit['id']} reversal kept racing with spends")
    row = await queries.update_deposit(
        conn,
        deposit["id"],
        "COMPLETED",
        {
            "status": status,
            "reversal_transfer_id": result.transfer_id,
            "reversal_shortfall": amount - taken,
            "closed_at": result.created_at,
        },
    )
    assert row is not None
    # The deposit's bonus and wagering go with it (the bonus money returns to marketing); after
    # the cash, because every flow locks ledger accounts before bonus grants, as the spin does.
    await bonuses.on_deposit_reversed(
        conn, operator_id=operator_id, player_id=player_id, deposit_id=deposit["id"]
    )
    if amount > taken:
        log.warning(
            "deposit_reversal_shortfall",
            deposit_id=deposit["id"],
            operator_id=operator_id,
            player_id=player_id,
            shortfall=amount - taken,
        )
    await publish(conn, row)
    return None


async def expire_due(conn: asyncpg.Connection, *, limit: int = 100) -> int:
    """Close PENDING deposits past their expiry (a job: the rows are claimed SKIP LOCKED)."""
    expired = 0
    for reference in await queries.expired_deposit_references(conn, limit):
        deposit = await queries.deposit_for_update(conn, reference)
        if deposit is not None and await close_pending(conn, deposit, "EXPIRED", "expired") is None:
            expired += 1
    return expired


async def publish(conn: asyncpg.Connection, deposit: asyncpg.Record) -> None:
    payload = deposit_event(deposit)
    for audience in (
        realtime.player_audience(deposit["player_id"]),
        realtime.operator_audience(deposit["operator_id"]),
    ):
        await realtime.publish(
            conn,
            audience=audience,
            topic="deposit",
            payload=payload,
            operator_id=deposit["operator_id"],
        )


def deposit_event(deposit: asyncpg.Record) -> dict[str, Any]:
    return {
        "depositId": deposit["id"],
        "playerId": deposit["player_id"],
        "reference": deposit["reference"],
        "status": deposit["status"],
        "amount": deposit["amount"],
        "currency": deposit["currency"],
    }


async def _clearing_account(
    conn: asyncpg.Connection, provider: PaymentProvider, deposit: asyncpg.Record
) -> int:
    return await ledger.ensure_account(
        conn,
        operator_id=deposit["operator_id"],
        kind="payment_clearing",
        currency=deposit["currency"],
        owner_id=provider.ledger_owner_id,
    )
