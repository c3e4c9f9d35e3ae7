"""Paying out approved withdrawals: claim, call the provider outside any transaction, record.

Each step is its own unit of work, so no database transaction is open while the provider is
called. The APPROVED row is the job: it was written in the same transaction as the approval,
so a crash loses no payout, and the claim's lease lets another worker retry an abandoned one
with the same reference, which the provider deduplicates.
"""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import structlog

from croupier.config import Settings
from croupier.db.pool import unit_of_work
from croupier.ledger import service as ledger
from croupier.payments import withdrawal_queries as wq
from croupier.payments.adapters import get_provider
from croupier.payments.adapters.base import (
    PaymentProvider,
    PayoutRequest,
    PayoutResult,
    ProviderUnavailableError,
)
from croupier.payments.withdrawals import publish
from croupier.wallets import service as wallets

log = structlog.get_logger("croupier.payments.payouts")


async def process_payouts(
    pool: asyncpg.Pool, settings: Settings, *, limit: int = 20, lease_seconds: int = 120
) -> int:
    """Pay out up to ``limit`` approved withdrawals; returns how many reached PAID or FAILED."""
    async with unit_of_work(pool) as uow:
        claimed = await wq.claim_payouts(uow.conn, limit=limit, lease_seconds=lease_seconds)
    recorded = 0
    for row in claimed:
        provider = get_provider(row["provider"], settings)
        payout = PayoutRequest(
            reference=row["reference"],
            amount=row["amount"],
            currency=row["currency"],
            method=row["method"],
            destination=row["destination"],
        )
        try:
            result = await provider.send_payout(payout)
        except ProviderUnavailableError as exc:
            log.warning("payout_deferred", withdrawal_id=row["id"], error=str(exc)[:200])
            continue
        async with unit_of_work(pool) as uow:
            if await record_payout(uow.conn, provider, row["id"], result):
                recorded += 1
    return recorded


async def record_payout(
    conn: asyncpg.Connection, provider: PaymentProvider, withdrawal_id: int, result: PayoutResult
) -> bool:
    """PAID, or FAILED with the money back in the player's cash; at most once per withdrawal
    (False if the outcome was already recorded)."""
    row = await wq.withdrawal_for_update(conn, withdrawal_id)
    if row is None or row["status"] != "APPROVED":
        return False
    now = datetime.now(UTC)
    if result.status == "paid":
        changes = {
            "status": "PAID",
            "provider_payout_id": result.provider_payout_id,
            "closed_at": now,
            "payout_lease_until": None,
        }
    else:
        clearing = await ledger.ensure_account(
            conn,
            operator_id=row["operator_id"],
            kind="payment_clearing",
            currency=row["currency"],
            owner_id=provider.ledger_owner_id,
        )
        returned = await wallets.credit(
            conn,
            operator_id=row["operator_id"],
            player_id=row["player_id"],
            amount=row["amount"],
            from_account_id=clearing,
            type="withdrawal_return",
            idempotency_key=f"withdrawal:{row['reference']}:return",
            request={"withdrawal": row["id"], "amount": row["amount"]},
            reference=f"withdrawal:{row['reference']}",
        )
        changes = {
            "status": "FAILED",
            "failure_reason": (result.reason or "failed")[:500],
            "return_transfer_id": returned.transfer_id,
            "closed_at": now,
            "payout_lease_until": None,
        }
    updated = await wq.update_withdrawal(conn, withdrawal_id, "APPROVED", changes)
    assert updated is not None  # locked above and still APPROVED
    await publish(conn, updated)
    log.info("payout_recorded", withdrawal_id=withdrawal_id, status=updated["status"])
    return True
