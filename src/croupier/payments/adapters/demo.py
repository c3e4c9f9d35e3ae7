"""The built-in demo provider, so deposits and withdrawals work offline.

* ``cashapp``: manual instructions. The player sends the amount to the operator's tag with the
  deposit reference as the note; the provider then confirms with a signed webhook.
* ``card``: automatic. The demo "charges" the card at once and reports the outcome with the
  instructions, through the same event path a webhook takes.

Test outcomes are chosen by amount, as card networks' test numbers are: an amount whose last two
digits are 13 is declined (a card deposit fails, a payout fails). Everything else succeeds.

Webhooks are signed like Stripe's: ``Demo-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
"<t>." + raw body>``, accepted within five minutes either side of our clock.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from croupier.config import Settings
from croupier.kit.security import constant_time_equal, hmac_sha256_hex
from croupier.payments.adapters.base import (
    EVENT_TYPES,
    DepositIntent,
    Instructions,
    PayoutRequest,
    PayoutResult,
    ProviderEvent,
)
from croupier.payments.errors import (
    WebhookPayloadError,
    WebhookSignatureError,
    WebhookTimestampError,
)

SIGNATURE_HEADER = "demo-signature"
TOLERANCE_SECONDS = 300
DECLINE_MARKER = 13  # amount % 100


def is_declined(amount: int) -> bool:
    return amount % 100 == DECLINE_MARKER


class _EventData(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    reference: Annotated[str, Field(min_length=1, max_length=100)]
    amount: Annotated[int, Field(gt=0, le=10**12, strict=True)]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    payment_id: Annotated[str | None, Field(alias="paymentId", max_length=200)] = None
    reason: Annotated[str | None, Field(max_length=500)] = None


class _EventBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: Annotated[str, Field(min_length=1, max_length=200)]
    type: Annotated[str, Field(min_length=1, max_length=100)]
    data: _EventData


class DemoProvider:
    key = "demo"
    ledger_owner_id = 1
    methods = frozenset({"cashapp", "card"})

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    @classmethod
    def from_settings(cls, settings: Settings) -> DemoProvider:
        # Derived from the platform secret, so every worker agrees without extra configuration
        # and rotating the platform secret rotates it too.
        derived = hmac_sha256_hex(
            settings.secret_key.get_secret_value().encode(), b"croupier:payments:demo:webhook"
        )
        return cls(derived.encode())

    def create_deposit_instructions(self, intent: DepositIntent) -> Instructions:
        if intent.method == "card":
            payment_id = f"demo_card_{intent.reference}"
            declined = is_declined(intent.amount)
            event = ProviderEvent(
                event_id=f"demo_evt_{intent.reference}",
                type="deposit.failed" if declined else "deposit.completed",
                reference=intent.reference,
                amount=intent.amount,
                currency=intent.currency,
                provider_payment_id=payment_id,
                reason="card_declined" if declined else None,
                payload={"source": "card", "reference": intent.reference},
            )
            details = {"type": "card", "reference": intent.reference, "automatic": True}
            return Instructions(details, provider_payment_id=payment_id, immediate_event=event)
        details = {
            "type": "cashapp",
            "tag": intent.merchant_tag,
            "amount": intent.amount,
            "currency": intent.currency,
            "reference": intent.reference,
            "note": f"Write {intent.reference} in the payment note.",
            "expiresAt": intent.expires_at.isoformat(),
        }
        return Instructions(details)

    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str], now: datetime) -> None:
        header = _header(headers, SIGNATURE_HEADER)
        parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
        timestamp, signature = parts.get("t", ""), parts.get("v1", "")
        if not timestamp.isdigit() or not signature:
            raise WebhookSignatureError()
        expected = self._sign(int(timestamp), raw_body)
        if not constant_time_equal(expected, signature):
            raise WebhookSignatureError()
        # Checked after the signature, so a forged timestamp cannot probe the window.
        if abs(now.timestamp() - int(timestamp)) > TOLERANCE_SECONDS:
            raise WebhookTimestampError()

    def parse_event(self, raw_body: bytes) -> ProviderEvent:
        try:
            body = _EventBody.model_validate_json(raw_body)
        except ValidationError as exc:
            raise WebhookPayloadError(error=str(exc.errors()[0]["msg"])) from exc
        if body.type not in EVENT_TYPES:
            raise WebhookPayloadError("Unknown event type.", type=body.type)
        return ProviderEvent(
            event_id=body.id,
            type=body.type,
            reference=body.data.reference,
            amount=body.data.amount,
            currency=body.data.currency,
            provider_payment_id=body.data.payment_id,
            reason=body.data.reason,
            payload=json.loads(raw_body),
        )

    async def send_payout(self, payout: PayoutRequest) -> PayoutResult:
        if is_declined(payout.amount):
            return PayoutResult("failed", reason="payout_declined")
        return PayoutResult("paid", provider_payout_id=f"demo_po_{payout.reference}")

    # The provider's side of a webhook, for the bot simulator and tests.
    def signed_webhook(
        self, event: dict[str, Any], *, at: datetime | None = None
    ) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(event, separators=(",", ":")).encode()
        timestamp = int((at or datetime.now(UTC)).timestamp())
        signature = self._sign(timestamp, body)
        return body, {"Demo-Signature": f"t={timestamp},v1={signature}"}

    def _sign(self, timestamp: int, body: bytes) -> str:
        return hmac.new(self._secret, f"{timestamp}.".encode() + body, "sha256").hexdigest()


def demo_event(
    type: str,
    *,
    reference: str,
    amount: int,
    currency: str,
    event_id: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """A demo provider event body, as the provider would send it."""
    data: dict[str, Any] = {"reference": reference, "amount": amount, "currency": currency}
    if reason:
        data["reason"] = reason
    return {"id": event_id or f"evt_{secrets.token_hex(8)}", "type": type, "data": data}


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""
