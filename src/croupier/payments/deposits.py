"""Deposits: a player asks to pay in, and gets instructions to do so.

The deposit stays PENDING until its provider confirms it (a signed webhook, or at once for an
automatic method); only then does money move (``deposit_outcomes.complete``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from croupier.bonuses import service as bonuses
from croupier.config import Settings
from croupier.kit.hashing import request_hash
from croupier.operators import service as operators
from croupier.payments import queries, velocity, webhooks
from croupier.payments.adapters import get_provider
from croupier.payments.adapters.base import DepositIntent
from croupier.payments.config import payment_settings
from croupier.payments.errors import (
    AmountOutOfRangeError,
    MethodNotSupportedError,
    PaymentKeyReusedError,
)
from croupier.safety import service as safety


@dataclass(frozen=True, slots=True)
class DepositRequest:
    operator_id: int
    player_id: int
    amount: int
    method: str
    provider: str
    idempotency_key: str
    bonus_code: str | None = None

    def fingerprint(self) -> bytes:
        return request_hash(
            {
                "amount": self.amount,
                "method": self.method,
                "provider": self.provider,
                "bonusCode": self.bonus_code,
            }
        )


async def create_deposit(
    conn: asyncpg.Connection, settings: Settings, request: DepositRequest
) -> asyncpg.Record:
    """Open a PENDING deposit and its instructions; the same idempotency key returns the same
    deposit (409 if it was used for a different request)."""
    await queries.lock_player_payments(conn, request.player_id)
    existing = await queries.deposit_by_key(
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
    if not rules.deposit_min <= request.amount <= rules.deposit_max:
        raise AmountOutOfRangeError(min=rules.deposit_min, max=rules.deposit_max)
    await velocity.check_deposit(
        conn,
        operator_id=request.operator_id,
        player_id=request.player_id,
        amount=request.amount,
        rules=rules.velocity,
    )
    await safety.check_deposit(
        conn, operator_id=request.operator_id, player_id=request.player_id, amount=request.amount
    )
    rule_id = None
    if request.bonus_code:
        rule_id = await bonuses.deposit_rule_for_code(
            conn,
            operator_id=request.operator_id,
            player_id=request.player_id,
            code=request.bonus_code,
            amount=request.amount,
        )

    currency = await operators.operator_currency(conn, request.operator_id)
    intent = DepositIntent(
        reference=f"DEP-{secrets.token_hex(6).upper()}",
        operator_id=request.operator_id,
        player_id=request.player_id,
        amount=request.amount,
        currency=currency,
        method=request.method,
        expires_at=datetime.now(UTC) + timedelta(minutes=rules.deposit_expiry_minutes),
        merchant_tag=rules.merchant_tag,
    )
    instructions = provider.create_deposit_instructions(intent)
    deposit = await queries.insert_deposit(
        conn,
        {
            "operator_id": request.operator_id,
            "player_id": request.player_id,
            "reference": intent.reference,
            "provider": provider.key,
            "method": request.method,
            "currency": currency,
            "amount": request.amount,
            "idempotency_key": request.idempotency_key,
            "request_hash": request.fingerprint(),
            "bonus_rule_id": rule_id,
            "instructions": instructions.details,
            "provider_payment_id": instructions.provider_payment_id,
            "expires_at": intent.expires_at,
        },
    )
    if instructions.immediate_event is not None:
        await webhooks.apply_event(conn, provider, instructions.immediate_event)
        deposit = await queries.get_deposit(conn, deposit["id"])
    return deposit
