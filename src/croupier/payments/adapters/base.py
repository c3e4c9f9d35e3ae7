"""What a payment provider adapter offers the payments domain.

Adapters translate between our deposits/withdrawals and one provider's API. They hold no
database connection: the services call them, and record what they answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

EventType = Literal[
    "deposit.completed",
    "deposit.failed",
    "deposit.expired",
    "deposit.refunded",
    "deposit.chargeback",
]
EVENT_TYPES: frozenset[str] = frozenset(EventType.__args__)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class DepositIntent:
    reference: str
    operator_id: int
    player_id: int
    amount: int
    currency: str
    method: str
    expires_at: datetime
    merchant_tag: str


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    event_id: str
    type: str  # one of EVENT_TYPES
    reference: str  # our deposit reference
    amount: int
    currency: str
    provider_payment_id: str | None = None
    reason: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Instructions:
    """What the player is shown; ``immediate_event`` is set when the provider settled the
    payment synchronously (an automatic method), so no webhook will follow."""

    details: dict[str, Any]
    provider_payment_id: str | None = None
    immediate_event: ProviderEvent | None = None


@dataclass(frozen=True, slots=True)
class PayoutRequest:
    reference: str  # our withdrawal reference: the provider's idempotency key for the payout
    amount: int
    currency: str
    method: str
    destination: str


@dataclass(frozen=True, slots=True)
class PayoutResult:
    status: Literal["paid", "failed"]
    provider_payout_id: str | None = None
    reason: str | None = None


class ProviderUnavailableError(Exception):
    """The provider could not be reached or answered ambiguously: the payout is retried later
    with the same reference, which the provider deduplicates."""


class PaymentProvider(Protocol):
    key: str
    # The owner id of this provider's payment_clearing ledger account.
    ledger_owner_id: int
    methods: frozenset[str]

    def create_deposit_instructions(self, intent: DepositIntent) -> Instructions:
        """Called inside the request's transaction, so it must not do network I/O: an adapter
        whose provider needs an API call to open a payment does it from a job instead."""
        ...

    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str], now: datetime) -> None:
        """Raise WebhookSignatureError or WebhookTimestampError unless the body is authentic
        and fresh."""
        ...

    def parse_event(self, raw_body: bytes) -> ProviderEvent:
        """The verified body as an event; WebhookPayloadError if it is not one."""
        ...

    async def send_payout(self, payout: PayoutRequest) -> PayoutResult:
        """Pay a withdrawal out. Called outside any transaction; idempotent by reference."""
        ...
