"""Velocity checks: how often and how much a player may move money, per operator settings.

A breach is refused with a clear code and kept in ``payment_risk_events`` for the safety/AML
review: the error is ``recorded()``, so the unit of work commits that row although it refuses
the request (nothing else has been written when these checks run).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import structlog

from croupier.kit.errors import CroupierError
from croupier.payments import queries
from croupier.payments.config import VelocitySettings
from croupier.payments.errors import (
    DepositAmountLimitError,
    DepositVelocityError,
    WithdrawalVelocityError,
)

log = structlog.get_logger("croupier.payments.velocity")


async def check_deposit(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    amount: int,
    rules: VelocitySettings,
) -> None:
    now = datetime.now(UTC)
    activity = await queries.deposit_activity(
        conn,
        player_id,
        count_since=now - timedelta(minutes=rules.deposit_count_window_minutes),
        amount_since=now - timedelta(minutes=rules.deposit_amount_window_minutes),
    )
    if activity["attempts"] >= rules.deposit_max_count:
        details = {
            "limit": rules.deposit_max_count,
            "windowMinutes": rules.deposit_count_window_minutes,
        }
        error: CroupierError = DepositVelocityError(
            retry_after=rules.deposit_count_window_minutes * 60, **details
        )
        await _breach(conn, operator_id, player_id, error, details)
    if activity["amount"] + amount > rules.deposit_max_amount:
        details = {
            "limit": rules.deposit_max_amount,
            "used": activity["amount"],
            "windowMinutes": rules.deposit_amount_window_minutes,
        }
        await _breach(conn, operator_id, player_id, DepositAmountLimitError(**details), details)


async def check_withdrawal(
    conn: asyncpg.Connection, *, operator_id: int, player_id: int, rules: VelocitySettings
) -> None:
    since = datetime.now(UTC) - timedelta(minutes=rules.withdrawal_window_minutes)
    if await queries.withdrawal_count(conn, player_id, since) >= rules.withdrawal_max_count:
        details = {
            "limit": rules.withdrawal_max_count,
            "windowMinutes": rules.withdrawal_window_minutes,
        }
        error = WithdrawalVelocityError(retry_after=rules.withdrawal_window_minutes * 60, **details)
        await _breach(conn, operator_id, player_id, error, details)


async def _breach(
    conn: asyncpg.Connection,
    operator_id: int,
    player_id: int,
    error: CroupierError,
    details: dict[str, int],
) -> None:
    await queries.insert_risk_event(
        conn, operator_id=operator_id, player_id=player_id, code=error.code, details=details
    )
    log.warning(
        "payment_velocity_breach",
        operator_id=operator_id,
        player_id=player_id,
        code=error.code,
        **details,
    )
    raise error.recorded()
