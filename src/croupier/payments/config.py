"""Per-operator payment rules, read from ``operators.settings["payments"]`` (camelCase keys).

Example override::

    {"payments": {"depositMax": 500000, "velocity": {"depositMaxCount": 3}}}

A bad override falls back to the defaults, loudly: a settings typo must not stop deposits.
"""

from __future__ import annotations

from typing import Annotated

import asyncpg
import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from croupier.operators import service as operators

log = structlog.get_logger("croupier.payments")

Money = Annotated[int, Field(ge=1, le=10**12)]
Count = Annotated[int, Field(ge=1, le=10_000)]
Minutes = Annotated[int, Field(ge=1, le=60 * 24 * 31)]


class _Settings(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class VelocitySettings(_Settings):
    """Fraud/AML velocity: how many deposits, how much, and how many withdrawals per window."""

    deposit_max_count: Count = 10
    deposit_count_window_minutes: Minutes = 60
    deposit_max_amount: Money = 5_000_000
    deposit_amount_window_minutes: Minutes = 24 * 60
    withdrawal_max_count: Count = 5
    withdrawal_window_minutes: Minutes = 24 * 60


class PaymentSettings(_Settings):
    deposit_min: Money = 100
    deposit_max: Money = 1_000_000
    withdrawal_min: Money = 100
    withdrawal_max: Money = 1_000_000
    deposit_expiry_minutes: Minutes = 60
    withdrawal_kyc_required: bool = True
    # The handle a manual (CashApp-style) payment is sent to.
    merchant_tag: Annotated[str, Field(min_length=2, max_length=40)] = "$CroupierDemo"
    velocity: VelocitySettings = Field(default_factory=VelocitySettings)


DEFAULTS = PaymentSettings()


async def payment_settings(conn: asyncpg.Connection, operator_id: int) -> PaymentSettings:
    raw = (await operators.operator_settings(conn, operator_id)).get("payments")
    if not raw:
        return DEFAULTS
    try:
        return PaymentSettings.model_validate(raw)
    except ValidationError as exc:
        log.error("payment_settings_invalid", operator_id=operator_id, error=str(exc)[:500])
        return DEFAULTS
