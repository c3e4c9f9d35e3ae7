"""Withdrawals: a player's request holds the cash; operator staff approve or reject it.

PENDING → APPROVED (the hold is posted to the provider's clearing account; the payout worker
then pays out and records PAID, or FAILED and returns the money) or PENDING → REJECTED (the
hold is voided). Players cannot cancel a request: regulators forbid reversing a withdrawal.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import asyncpg
import structlog

from croupier.bonuses import service as bonuses
from croupier.config import Settings
from croupier.kit.hashing import request_hash
from croupier.kit.tenancy import Scope
from croupier.ledger import service as ledger
from croupier.ledger.errors import InsufficientFundsError
from croupier.payments import queries, velocity
from croupier.payments import withdrawal_queries as wq
from croupier.payments.adapters import get_provider
from croupier.payments.config import payment_settings
from croupier.payments.errors import (
    AmountOutOfRangeError,
    InsufficientWithdrawableError,
    KycRequiredError,
    MethodNotSupportedError,
    PaymentKeyReusedError,
    WageringIncompleteError,
    WithdrawalAlreadyReviewedError,
    WithdrawalNotFoundError,
)
from croupier.players import service as players
from croupier.realtime import service as realtime
from croupier.wallets import service as wallets

log = structlog.get_logger("croupier.payments.withdrawals")


@dataclass(frozen=True, slots=True)
class WithdrawalRequest:
    operator_id: int
    player_id: int
    amount: int
    method: str
    destination: str
    provider: str
    idempotency_key: str

    def fingerprint(self) -> bytes:
        return request_hash(
            {
                "amount": self.amount,
                "method": self.method,
                "destination": self.destination,
                "provider": self.provider,
            }
        )


async def request_withdrawal(
    conn: asyncpg.Connection, settings: Settings, request: WithdrawalRequest
) -> asyncpg.Record:
    """Check eligibility, forfeit active bonuses, hold the cash and open a PENDING withdrawal."""
    await queries.lock_player_payments(conn, request.player_id)
    existing = await wq.withdrawal_by_key(
        conn, request.operator_id, request.player_id, request.idempotency_key
    )
    if existing is not None:
        if bytes(existing["request_hash"]) != request.fingerprint():
            raise PaymentKeyReusedError()
        return existing

    provider = get_provider(request.provider, settings)
    if request.method not in provider.methods:
        raise MethodNotSupportedError(methods=sorted(provider.methods))
    rules = await payment_settings(conn, request.operator_id)
    if not rules.withdrawal_min <= request.amount <= rules.withdrawal_max:
        raise AmountOutOfRangeError(min=rules.withdrawal_min, max=rules.withdrawal_max)
    await velocity.check_withdrawal(
        conn, operator_id=request.operator_id, player_id=request.player_id, rules=rules.velocity
    )
    scope = Scope(operator_id=request.operator_id)
    player = await players.get_player(conn, scope, request.player_id)
    if rules.withdrawal_kyc_required and player["kyc_status"] != "verified":
        raise KycRequiredError(kycStatus=player["kyc_status"])
    remaining = await bonuses.deposit_wagering_remaining(conn, player_id=request.player_id)
    if remaining > 0:
        raise WageringIncompleteError(remaining=remaining)
    balances = await wallets.get_balances(
        conn, operator_id=request.operator_id, player_id=request.player_id
    )
    if request.amount > balances.withdrawable:
        raise InsufficientWithdrawableError(withdrawable=balances.withdrawable)

    reference = f"WD-{secrets.token_hex(6).upper()}"
    hold = await wallets.hold_cash(
        conn,
        operator_id=request.operator_id,
        player_id=request.player_id,
        currency=balances.currency,
        amount=request.amount,
        idempotency_key=f"withdrawal:{reference}:hold",
        request={"reference": reference, "amount": request.amount},
        reference=f"withdrawal:{reference}",
    )
    if hold.status != "pending":
        # A spin spent the cash since the balance read: nothing is held, nothing is created.
        raise InsufficientFundsError()
    # After the hold: every flow locks the player's ledger accounts before bonus grants, as the
    # spin does, so the two cannot deadlock.
    await bonuses.forfeit_for_withdrawal(
        conn, operator_id=request.operator_id, player_id=request.player_id
    )
    row = await wq.insert_withdrawal(
        conn,
        {
            "operator_id": request.operator_id,
            "player_id": request.player_id,
            "reference": reference,
            "provider": provider.key,
            "method": request.method,
            "destination": request.destination,
            "currency": balances.currency,
            "amount": request.amount,
            "idempotency_key": request.idempotency_key,
            "request_hash": request.fingerprint(),
            "hold_transfer_id": hold.transfer_id,
        },
    )
    await publish(conn, row)
    log.info(
        "withdrawal_requested",
        withdrawal_id=row["id"],
        operator_id=request.operator_id,
        amount=request.amount,
    )
    return row


async def review_withdrawal(
    conn: asyncpg.Connection,
    settings: Settings,
    scope: Scope,
    *,
    withdrawal_id: int,
    staff_id: int,
    decision: Literal["APPROVED", "REJECTED"],
    reason: str | None,
) -> asyncpg.Record:
    """Approve (post the hold to clearing; the payout worker takes it from there) or reject
    (void the hold). A withdrawal is reviewed once: a second review answers 409."""
    row = await wq.withdrawal_for_update(conn, withdrawal_id)
    if row is None or not scope.allows(row["operator_id"]):
        raise WithdrawalNotFoundError()
    if row["status"] != "PENDING":
        raise WithdrawalAlreadyReviewedError(status=row["status"])
    changes: dict[str, Any] = {
        "status": decision,
        "reason": reason,
        "reviewed_by": staff_id,
        "reviewed_at": datetime.now(UTC),
    }
    if decision == "APPROVED":
        provider = get_provider(row["provider"], settings)
        clearing = await ledger.ensure_account(
            conn,
            operator_id=row["operator_id"],
            kind="payment_clearing",
            currency=row["currency"],
            owner_id=provider.ledger_owner_id,
        )
        posted = await wallets.post_hold(
            conn,
            operator_id=row["operator_id"],
            hold_id=row["hold_transfer_id"],
            to_account_id=clearing,
            idempotency_key=f"withdrawal:{row['reference']}:post",
            reference=f"withdrawal:{row['reference']}",
        )
        changes["post_transfer_id"] = posted.transfer_id
    else:
        await wallets.void_hold(
            conn,
            operator_id=row["operator_id"],
            hold_id=row["hold_transfer_id"],
            idempotency_key=f"withdrawal:{row['reference']}:void",
            reference=f"withdrawal:{row['reference']}",
        )
        changes["closed_at"] = changes["reviewed_at"]
    updated = await wq.update_withdrawal(conn, withdrawal_id, "PENDING", changes)
    assert updated is not None  # locked above and still PENDING
    await publish(conn, updated)
    log.info(
        "withdrawal_reviewed", withdrawal_id=withdrawal_id, decision=decision, staff_id=staff_id
    )
    return updated


async def publish(conn: asyncpg.Connection, withdrawal: asyncpg.Record) -> None:
    payload = withdrawal_event(withdrawal)
    for audience in (
        realtime.player_audience(withdrawal["player_id"]),
        realtime.operator_audience(withdrawal["operator_id"]),
    ):
        await realtime.publish(
            conn,
            audience=audience,
            topic="withdrawal",
            payload=payload,
            operator_id=withdrawal["operator_id"],
        )


def withdrawal_event(withdrawal: asyncpg.Record) -> dict[str, Any]:
    return {
        "withdrawalId": withdrawal["id"],
        "playerId": withdrawal["player_id"],
        "reference": withdrawal["reference"],
        "status": withdrawal["status"],
        "amount": withdrawal["amount"],
        "currency": withdrawal["currency"],
    }
