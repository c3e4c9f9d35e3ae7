"""The player's responsible-gambling tools: limits, reality checks, time-outs, self-exclusion.

Every change is written to ``safety_audit`` with who asked, the old and new value, when it was
asked for and when it takes effect. ``at`` exists so tests can move the clock.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from croupier.kit.errors import NotFoundError
from croupier.safety import limits as limit_rules
from croupier.safety import queries, scoring
from croupier.safety.config import SafetyConfig, config_from_json
from croupier.safety.errors import SelfExclusionLockedError
from croupier.safety.limits import Limit, LimitChange
from croupier.safety.state import PlayerState, SessionState, from_ms, to_ms
from croupier.safety.support import session_key_of, utcnow
from croupier.safety.views import active_restrictions


@dataclass
class _Row:
    cfg: SafetyConfig
    player: PlayerState
    limits: list[Limit]
    record: asyncpg.Record


async def _load(conn: asyncpg.Connection, operator_id: int, player_id: int) -> _Row:
    record = await queries.load_player_for_update(conn, operator_id, player_id)
    if record is None:
        raise NotFoundError("Player not found.")
    return _Row(
        config_from_json(record["config"]),
        PlayerState.from_json(record["player_state"] or {}),
        limit_rules.limits_from_json(record["limits"]),
        record,
    )


async def _audit(
    conn: asyncpg.Connection,
    operator_id: int,
    player_id: int,
    action: str,
    subject: str,
    old: Any,
    new: Any,
    requested_at: datetime,
    effective_at: datetime | None,
) -> None:
    await queries.insert_audit(
        conn,
        operator_id=operator_id,
        player_id=player_id,
        actor_type="player",
        actor_id=player_id,
        action=action,
        subject=subject,
        old=old,
        new=new,
        requested_at=requested_at,
        effective_at=effective_at,
    )


# ---- limits ------------------------------------------------------------------------------------


async def list_limits(
    conn: asyncpg.Connection, *, operator_id: int, player_id: int, at: datetime | None = None
) -> list[dict[str, Any]]:
    row = await queries.restrictions_row(conn, operator_id, player_id)
    now_ms = to_ms(at or utcnow())
    limits = limit_rules.limits_from_json(row["limits"] if row else None)
    return [limit_rules.describe(limit, now_ms) for limit in limits]


async def change_limit(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    kind: str,
    period: str,
    amount: int | None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Set, lower or raise a limit (``amount`` None removes it); a raise or removal waits 24 h
    and then needs ``confirm_limit``."""
    now = at or utcnow()
    now_ms = to_ms(now)
    row = await _load(conn, operator_id, player_id)
    delay_ms = row.cfg.limit_increase_delay_hours * 3_600_000
    change = limit_rules.request_change(row.limits, kind, period, amount, now_ms, delay_ms)
    if change.status == "pending":
        # A request to loosen a limit is itself a risk marker (reference A3.2 #15).
        weight = row.cfg.signal_weight("LIMIT_INCREASE_REQUEST", 1.0)
        if weight:
            scoring.fire(row.player.fired, {"LIMIT_INCREASE_REQUEST": weight}, now_ms, row.cfg)
    return await _store_change(conn, operator_id, player_id, row, change, now, "limit.request")


async def confirm_limit(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    kind: str,
    period: str,
    at: datetime | None = None,
) -> dict[str, Any]:
    now = at or utcnow()
    row = await _load(conn, operator_id, player_id)
    change = limit_rules.confirm_change(row.limits, kind, period, to_ms(now))
    return await _store_change(conn, operator_id, player_id, row, change, now, "limit.confirm")


async def _store_change(
    conn: asyncpg.Connection,
    operator_id: int,
    player_id: int,
    row: _Row,
    change: LimitChange,
    now: datetime,
    action: str,
) -> dict[str, Any]:
    now_ms = to_ms(now)
    await queries.save_player(
        conn,
        operator_id,
        player_id,
        {"state": row.player.to_json(), "limits": limit_rules.limits_to_json(row.limits)},
    )
    lowered = change.new is not None and (change.old is None or change.new < change.old)
    if (change.kind, change.period) == ("loss", "session") and lowered:
        assert change.new is not None
        since = now - timedelta(minutes=row.cfg.session_inactivity_minutes)
        await queries.lower_session_loss_limits(conn, operator_id, player_id, change.new, since)
    await _audit(
        conn,
        operator_id,
        player_id,
        action,
        f"{change.kind}/{change.period}",
        change.old,
        change.new,
        from_ms(change.requested_ms),
        from_ms(change.effective_ms),
    )
    limit = limit_rules.find(row.limits, change.kind, change.period)
    return {
        "status": change.status,
        "effective_at": from_ms(change.effective_ms),
        "limit": limit_rules.describe(limit, now_ms) if limit else None,
    }


# ---- reality checks ----------------------------------------------------------------------------


async def reality_check(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    session_key: str | None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Time elapsed and net position in the current session (UK RTS 13 / 2E)."""
    now = at or utcnow()
    row = await queries.reality_row(conn, operator_id, player_id, session_key_of(session_key))
    cfg = config_from_json(row["config"] if row else None)
    interval = (row["reality_check_minutes"] if row else None) or cfg.reality_check_default_minutes
    idle = timedelta(minutes=cfg.session_inactivity_minutes)
    live = (
        row is not None
        and row["session_state"]
        and row["ended_code"] is None
        and now - row["touched_at"] < idle
    )
    if not live:
        return {
            "interval_minutes": interval,
            "session_started_at": None,
            "elapsed_seconds": 0,
            "net_position_cents": 0,
            "next_check_at": None,
        }
    session = SessionState.from_json(row["session_state"])
    started = from_ms(session.started_ms)
    last_check = from_ms(max(session.last_reality_ms, session.started_ms))
    return {
        "interval_minutes": interval,
        "session_started_at": started,
        "elapsed_seconds": int((now - started).total_seconds()),
        "net_position_cents": -session.net_loss,
        "next_check_at": last_check + timedelta(minutes=interval),
    }


async def set_reality_check(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    minutes: int,
    session_key: str | None,
) -> dict[str, Any]:
    """Set how often reality checks come; answers with the current session's check."""
    now = utcnow()
    row = await _load(conn, operator_id, player_id)
    old = row.record["reality_check_minutes"]
    await queries.save_player(conn, operator_id, player_id, {"reality_check_minutes": minutes})
    await _audit(
        conn, operator_id, player_id, "reality_check.set", "reality_check", old, minutes, now, now
    )
    return await reality_check(
        conn, operator_id=operator_id, player_id=player_id, session_key=session_key, at=now
    )


# ---- time-out and self-exclusion ---------------------------------------------------------------


async def start_time_out(
    conn: asyncpg.Connection, *, operator_id: int, player_id: int, days: int
) -> datetime:
    """A time-out starts now; a shorter request never shortens a running one."""
    now = utcnow()
    row = await _load(conn, operator_id, player_id)
    old = row.record["timeout_until"]
    until = max(now + timedelta(days=days), old or now)
    await queries.save_player(conn, operator_id, player_id, {"timeout_until": until})
    await _audit(
        conn,
        operator_id,
        player_id,
        "time_out.start",
        "time_out",
        _iso(old),
        until.isoformat(),
        now,
        now,
    )
    return until


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


async def self_exclude(
    conn: asyncpg.Connection, *, operator_id: int, player_id: int, months: int
) -> dict[str, datetime]:
    """Immediate, for at least six months; extending is allowed, shortening is not."""
    now = utcnow()
    row = await _load(conn, operator_id, player_id)
    old_until = row.record["self_excluded_until"]
    active = old_until is not None and old_until > now
    started = row.record["self_excluded_at"] if active else now
    until = max(add_months(now, months), old_until if active else now)
    await queries.save_player(
        conn, operator_id, player_id, {"self_excluded_at": started, "self_excluded_until": until}
    )
    await _audit(
        conn,
        operator_id,
        player_id,
        "self_exclusion.start",
        "self_exclusion",
        _iso(old_until),
        until.isoformat(),
        now,
        now,
    )
    return {"self_excluded_at": started, "self_excluded_until": until}


async def lift_self_exclusion(
    conn: asyncpg.Connection, *, operator_id: int, player_id: int
) -> None:
    """Always refused while one runs: it cannot be undone early (the request is audited)."""
    now = utcnow()
    row = await queries.restrictions_row(conn, operator_id, player_id)
    until = row["self_excluded_until"] if row else None
    if until is None or until <= now:
        raise NotFoundError("There is no active self-exclusion.")
    await _audit(
        conn,
        operator_id,
        player_id,
        "self_exclusion.lift_refused",
        "self_exclusion",
        until.isoformat(),
        until.isoformat(),
        now,
        None,
    )
    raise SelfExclusionLockedError(until=until.isoformat()).recorded()


async def safety_status(
    conn: asyncpg.Connection, *, operator_id: int, player_id: int
) -> dict[str, Any]:
    now = utcnow()
    row = await queries.restrictions_row(conn, operator_id, player_id)
    cfg = config_from_json(await queries.operator_config(conn, operator_id))
    limits = limit_rules.limits_from_json(row["limits"] if row else None)
    return {
        "restrictions": active_restrictions(row, now),
        "limits": [limit_rules.describe(limit, to_ms(now)) for limit in limits],
        "reality_check_minutes": (row["reality_check_minutes"] if row else None)
        or cfg.reality_check_default_minutes,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
