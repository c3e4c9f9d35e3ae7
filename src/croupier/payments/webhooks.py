"""Provider webhooks: verify, deduplicate by the provider's event id, then apply.

An event is applied at most once (its id is claimed in ``payment_events`` in the same
transaction as its effect). Events that do not fit the deposit's state (a duplicate, a completion
after a failure, a refund of a pending deposit, an unknown reference) change nothing; they are
kept with the reason and logged for the payments team.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import structlog

from croupier.config import Settings
from croupier.payments import deposit_outcomes, queries
from croupier.payments.adapters import get_provider
from croupier.payments.adapters.base import PaymentProvider, ProviderEvent
from croupier.payments.errors import WebhookSignatureError, WebhookTimestampError

log = structlog.get_logger("croupier.payments.webhooks")


@dataclass(frozen=True, slots=True)
class EventOutcome:
    outcome: str  # applied | ignored | duplicate
    reason: str | None
    deposit_id: int | None


async def receive(
    conn: asyncpg.Connection,
    settings: Settings,
    *,
    provider_key: str,
    raw_body: bytes,
    headers: Mapping[str, str],
    now: datetime | None = None,
) -> EventOutcome:
    provider = get_provider(provider_key, settings)
    try:
        provider.verify_webhook(raw_body, headers, now or datetime.now(UTC))
    except (WebhookSignatureError, WebhookTimestampError) as exc:
        log.warning("payment_webhook_rejected", provider=provider.key, code=exc.code)
        raise
    return await apply_event(conn, provider, provider.parse_event(raw_body))


async def apply_event(
    conn: asyncpg.Connection, provider: PaymentProvider, event: ProviderEvent
) -> EventOutcome:
    claimed = await queries.claim_event(
        conn,
        provider=provider.key,
        event_id=event.event_id,
        event_type=event.type,
        payload=event.payload,
    )
    if not claimed:
        log.info("payment_event_duplicate", provider=provider.key, event_id=event.event_id)
        return EventOutcome("duplicate", "DUPLICATE_EVENT", None)

    deposit = await queries.deposit_for_update(conn, event.reference)
    if deposit is None or deposit["provider"] != provider.key:
        reason: str | None = "UNKNOWN_DEPOSIT"
        deposit = None
    else:
        reason = await _dispatch(conn, provider, deposit, event)
    outcome = "applied" if reason is None else "ignored"
    await queries.set_event_outcome(
        conn,
        provider=provider.key,
        event_id=event.event_id,
        operator_id=deposit["operator_id"] if deposit else None,
        deposit_id=deposit["id"] if deposit else None,
        outcome=outcome,
        reason=reason,
    )
    if reason is not None:
        log.warning(
            "payment_event_ignored",
            provider=provider.key,
            event_id=event.event_id,
            type=event.type,
            reason=reason,
        )
    return EventOutcome(outcome, reason, deposit["id"] if deposit else None)


async def _dispatch(
    conn: asyncpg.Connection,
    provider: PaymentProvider,
    deposit: asyncpg.Record,
    event: ProviderEvent,
) -> str | None:
    if event.amount != deposit["amount"] or event.currency != deposit["currency"]:
        # Partial or foreign-currency payments are settled by hand, never guessed at.
        return "AMOUNT_MISMATCH"
    if event.type == "deposit.completed":
        return await deposit_outcomes.complete(conn, provider, deposit, event)
    if event.type == "deposit.failed":
        return await deposit_outcomes.close_pending(
            conn, deposit, "FAILED", event.reason or "failed"
        )
    if event.type == "deposit.expired":
        return await deposit_outcomes.close_pending(conn, deposit, "EXPIRED", "expired")
    status = "REFUNDED" if event.type == "deposit.refunded" else "CHARGED_BACK"
    return await deposit_outcomes.reverse(conn, provider, deposit, status)
