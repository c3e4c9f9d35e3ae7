"""The pre-checks: cheap refusals before any money moves (login, spin, provider debit, deposit).

Withdrawals and the settlement of bets already placed have no check on purpose: nothing here
may keep a player from their money.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from croupier.safety import limits as limit_rules
from croupier.safety import queries, state_rows
from croupier.safety.config import config_from_json
from croupier.safety.errors import (
    CooldownActiveError,
    DepositLimitReachedError,
    LossLimitReachedError,
    SafetyRefusal,
    SafetyStopError,
    SelfExcludedError,
    SessionTimeLimitReachedError,
    TimeOutActiveError,
    WagerLimitReachedError,
)
from croupier.safety.limits import Limit
from croupier.safety.support import millis_of, session_key_of, utcnow

_STOP_ERRORS = {
    "LOSS_LIMIT_REACHED": LossLimitReachedError,
    "WAGER_LIMIT_REACHED": WagerLimitReachedError,
    "SESSION_TIME_LIMIT_REACHED": SessionTimeLimitReachedError,
}


def _raise_if_excluded(row: Any, now: datetime) -> None:
    if row["self_excluded_until"] and row["self_excluded_until"] > now:
        raise SelfExcludedError(until=row["self_excluded_until"].isoformat())
    if row["timeout_until"] and row["timeout_until"] > now:
        raise TimeOutActiveError(until=row["timeout_until"].isoformat())


async def check_login(conn: asyncpg.Connection, *, operator_id: int, player_id: int) -> None:
    row = await queries.restrictions_row(conn, operator_id, player_id)
    if row is not None:
        _raise_if_excluded(row, utcnow())


async def check_spin(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    stake: int,
    session_key: str | None,
    at: datetime | None = None,
    lock_for_record: bool = False,
) -> asyncpg.Record | None:
    """Refuse a spin or provider debit before its money is committed; one indexed read.

    ``lock_for_record``: the caller records this round with :func:`record_spin` in the same
    unit of work and passes it the row returned here: the read locks the player's state rows
    (creating them on a first spin) so the record needs no read of its own. Lock order: call
    it after the stake's debit has locked the wallet, as the record and deposits lock them."""
    key = session_key_of(session_key)
    if lock_for_record:
        row = await state_rows.locked(conn, operator_id, player_id, key, at or utcnow())
    else:
        row = await queries.check_row(conn, operator_id, player_id, key)
    if row is None or row["limits"] is None:
        return row  # no safety row yet: nothing can be restricted
    refuse_spin(row, stake, at or utcnow())
    return row


async def spin_refusals(
    conn: asyncpg.Connection,
    spins: Sequence[tuple[int, int, int]],
    *,
    session_key: str | None,
    at: datetime | None = None,
) -> list[SafetyRefusal | None]:
    """:func:`check_spin` (without the lock) for each (operator, player, stake) of distinct
    players, with one read: the refusal each would raise, or None."""
    key, now = session_key_of(session_key), at or utcnow()
    rows = await queries.check_rows(conn, [(o, p) for o, p, _ in spins], key)
    refusals: list[SafetyRefusal | None] = []
    for (_, _, stake), row in zip(spins, rows, strict=True):
        try:
            if row is not None and row["limits"] is not None:
                refuse_spin(row, stake, now)
        except SafetyRefusal as refusal:
            refusals.append(refusal)
        else:
            refusals.append(None)
    return refusals


def refuse_spin(row: Mapping[str, Any], stake: int, now: datetime) -> None:
    """The spin rules on the player's safety state (a state row, or a run's state in memory):
    raise the refusal that applies, if any."""
    _raise_if_excluded(row, now)
    if row["stop_until"] and row["stop_until"] > now:
        error = _STOP_ERRORS.get(row["stop_code"], SafetyStopError)
        raise error(until=row["stop_until"].isoformat())
    if row["cooldown_until"] and row["cooldown_until"] > now:
        remaining = -(-(row["cooldown_until"] - now) // timedelta(seconds=1))
        raise CooldownActiveError(cooldownSeconds=remaining)
    limits = limit_rules.limits_from_json(row["limits"])
    cfg = config_from_json(row["config"])
    # An idle or ended session is over: the next spin starts a new one.
    live = (
        row["touched_at"] is not None
        and row["ended_code"] is None
        and now - row["touched_at"] < timedelta(minutes=cfg.session_inactivity_minutes)
    )
    _check_session(limits, row, live, stake, now)
    broken = limit_rules.stake_violation(limits, stake, millis_of(now))
    if broken is not None:
        error = LossLimitReachedError if broken.kind == "loss" else WagerLimitReachedError
        used = broken.current(millis_of(now))[1]
        raise error(
            f"{broken.kind.title()} limit reached for this period.",
            period=broken.period,
            limitCents=broken.amount,
            remainingCents=max(broken.amount - used, 0),
        )


def _check_session(limits: list[Limit], row: Any, live: bool, stake: int, now: datetime) -> None:
    standing = limit_rules.session_amount(limits, "loss")
    loss_limit = row["loss_limit"] if live else standing
    net_loss = row["net_loss"] if live else 0
    if loss_limit is not None and net_loss + stake > loss_limit:
        raise LossLimitReachedError(
            limitCents=loss_limit, remainingCents=max(loss_limit - net_loss, 0)
        )
    minutes = limit_rules.session_amount(limits, "time")
    if minutes and live and now - row["started_at"] >= timedelta(minutes=minutes):
        raise SessionTimeLimitReachedError(limitMinutes=minutes)


async def check_deposit(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    amount: int,
    at: datetime | None = None,
) -> None:
    row = await queries.restrictions_row(conn, operator_id, player_id)
    if row is None:
        return
    now = at or utcnow()
    _raise_if_excluded(row, now)
    limits = limit_rules.limits_from_json(row["limits"])
    broken = limit_rules.deposit_violation(limits, amount, millis_of(now))
    if broken is not None:
        used = broken.current(millis_of(now))[1]
        raise DepositLimitReachedError(
            period=broken.period,
            limitCents=broken.amount,
            remainingCents=max(broken.amount - used, 0),
        )


async def is_marketing_suppressed(
    conn: asyncpg.Connection, *, operator_id: int, player_id: int
) -> bool:
    row = await queries.restrictions_row(conn, operator_id, player_id)
    if row is None:
        return False
    now = utcnow()
    return any(
        row[column] is not None and row[column] > now
        for column in ("self_excluded_until", "timeout_until", "marketing_suppressed_until")
    )
