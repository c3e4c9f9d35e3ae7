"""Recording spins and deposits: the engine's state rows, read and written once per event.

Client telemetry and the server's own feed share one session state, keyed by the x-session-id
(or, without one, the server's session that restarts after 30 min of inactivity). A spin must not
count twice, so the rule is: **client events count as spins only while the session has no
server-recorded spin**. Once the platform records spins for the session, a client event only
adds telemetry (its ``spinMs`` refines the decision-time signal of the latest spin) and returns
the current assessment, including an action the platform issued that the client has not seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import structlog

from croupier.db.pool import encode_json
from croupier.kit.errors import NotFoundError
from croupier.realtime import service as realtime
from croupier.safety import engine, queries, state_rows
from croupier.safety import limits as limit_rules
from croupier.safety.config import SafetyConfig, config_from_json
from croupier.safety.engine import Restrictions, SafetyAssessment, SpinInput, Verdict
from croupier.safety.errors import LossLimitLockedError
from croupier.safety.limits import Limit
from croupier.safety.state import PlayerState, SessionState, from_ms, to_ms
from croupier.safety.support import (
    CLIENT_CLOCK_TOLERANCE_MS,
    SERVER_SESSION,
    millis_of,
    moment_of,
    session_key_of,
    utcnow,
    zone_of,
)

log = structlog.get_logger("croupier.safety")

# ---- the state rows --------------------------------------------------------------------------


@dataclass
class Loaded:
    """The player's and the session's state, locked for this unit of work."""

    cfg: SafetyConfig
    zone: ZoneInfo
    player: PlayerState
    limits: list[Limit]
    restrictions: Restrictions
    session: SessionState


async def load(
    conn: asyncpg.Connection,
    operator_id: int,
    player_id: int,
    key: str,
    at_ms: int,
    now_ms: int,
    locked: Any = None,
) -> Loaded:
    """``locked``: the rows as check_spin(lock_for_record=True) already read and locked them."""
    row = locked or await state_rows.locked(conn, operator_id, player_id, key, from_ms(now_ms))
    if row is None:
        raise NotFoundError("Player not found.")
    cfg = config_from_json(row["config"])
    player = PlayerState.from_json(row["player_state"] or {})
    limits = limit_rules.limits_from_json(row["limits"])
    restrictions = Restrictions(
        cooldown_until_ms=millis_of(row["cooldown_until"]),
        stop_until_ms=millis_of(row["stop_until"]),
        stop_code=row["stop_code"],
        marketing_until_ms=millis_of(row["marketing_suppressed_until"]),
        reality_check_minutes=row["reality_check_minutes"],
    )
    data = row["session_state"]
    session = SessionState.from_json(data) if data else None
    idle = now_ms - millis_of(row["touched_at"]) >= cfg.session_inactivity_minutes * 60_000
    over = session is not None and session.ended_code and restrictions.stop_until_ms <= now_ms
    if session is None or idle or over:
        session = engine.start_session(player, limits, at_ms, cfg)
    else:
        # The column is authoritative: a lowered standing limit is written there directly.
        session.loss_limit = row["loss_limit"]
    return Loaded(cfg, zone_of(row["timezone"]), player, limits, restrictions, session)


async def save(
    conn: asyncpg.Connection,
    operator_id: int,
    player_id: int,
    key: str,
    loaded: Loaded,
    now_ms: int,
    stored: tuple[SafetyAssessment, str, str | None] | None = None,
) -> None:
    """Write both rows back, and the action's audit row when ``stored`` (assessment, source,
    game key) carries a new one."""
    args = _save_args(operator_id, player_id, key, loaded, now_ms)
    action = None
    if stored is not None:
        assessment, source, game_key = stored
        assert assessment.action is not None
        action = [
            assessment.action["actionType"],
            assessment.code,
            assessment.action,
            source,
            game_key,
        ]
    await queries.save(conn, args, action)


async def save_many(
    conn: asyncpg.Connection, saves: list[tuple[int, int, str, Loaded, int]]
) -> None:
    """:func:`save` without an action for many players (operator, player, session key,
    loaded state, now in ms), in one statement."""
    if not saves:
        return
    rows = []
    for save_args in saves:
        args = _save_args(*save_args)
        for i in (2, 3, 13):  # state, limits, session state: JSON as text
            args[i] = encode_json(args[i])
        args[6] = encode_json(args[6])  # reasons: a JSON array (an array of arrays is rigid)
        rows.append(tuple(args))  # a row of the statement's row type, not a sub-array
    await queries.save_many(conn, rows)


def _save_args(
    operator_id: int, player_id: int, key: str, loaded: Loaded, now_ms: int
) -> list[Any]:
    player, session, r = loaded.player, loaded.session, loaded.restrictions
    return [
        operator_id,
        player_id,
        player.to_json(),
        limit_rules.limits_to_json(loaded.limits),
        player.band,
        player.score,
        player.reasons,
        moment_of(r.cooldown_until_ms),
        moment_of(r.stop_until_ms),
        r.stop_code,
        moment_of(r.marketing_until_ms),
        from_ms(now_ms),
        key,
        session.to_json(),
        from_ms(session.started_ms),
        session.net_loss,
        session.loss_limit,
        session.ended_code,
    ]


# ---- recording -------------------------------------------------------------------------------


async def record_spin(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    game_key: str,
    stake: int,
    win: int,
    balance_after: int,
    session_key: str | None,
    p_loss: float | None,
    min_cycle_ms: int | None = 2500,
    at: datetime | None = None,
    source: str = "server",
    checked: Any = None,
) -> SafetyAssessment:
    """Score one settled spin (or provider round) and act on it; see the module docstring.

    ``source="client"`` is game telemetry (seed 000's /safety/event): timed by the client's
    clock, counted only in a session the platform has not recorded spins for, and never fed
    into the player's history or limit counters."""
    now_ms = to_ms(utcnow())
    at_ms = to_ms(at) if at else now_ms
    if source != "client":
        now_ms = at_ms  # the platform's own record: its time is the server's time
    key = session_key_of(session_key)
    loaded = await load(conn, operator_id, player_id, key, at_ms, now_ms, checked)
    spin = SpinInput(
        at_ms=max(at_ms, loaded.session.last_ms),
        now_ms=now_ms,
        stake=stake,
        win=win,
        balance_after=balance_after,
        p_loss=p_loss,
        min_cycle_ms=min_cycle_ms,
        counts_money=source != "client",
    )
    return await _assess_and_save(conn, operator_id, player_id, key, loaded, spin, source, game_key)


def assess(operator_id: int, player_id: int, loaded: Loaded, spin: SpinInput) -> Verdict | None:
    """Score one spin into the loaded state (in memory); None if scoring failed, which is
    logged and changes nothing: a scoring bug must never fail (or change) a spin that already
    happened."""
    try:
        verdict = engine.assess_spin(
            loaded.cfg,
            loaded.zone,
            loaded.player,
            loaded.limits,
            loaded.session,
            loaded.restrictions,
            spin,
        )
    except Exception:
        log.exception("safety_scoring_failed", operator_id=operator_id, player_id=player_id)
        return None
    if spin.counts_money:
        # For the game client's next telemetry event: the action of the spin it reports.
        loaded.session.pending_action = verdict.assessment.action if verdict.persist else None
    return verdict


async def _assess_and_save(
    conn: asyncpg.Connection,
    operator_id: int,
    player_id: int,
    key: str,
    loaded: Loaded,
    spin: SpinInput,
    source: str,
    game_key: str,
) -> SafetyAssessment:
    verdict = assess(operator_id, player_id, loaded, spin)
    if verdict is None:
        p = loaded.player
        return SafetyAssessment(p.score, p.band, list(p.reasons))
    assessment = verdict.assessment
    await save(
        conn,
        operator_id,
        player_id,
        key,
        loaded,
        spin.now_ms,
        (assessment, source, game_key) if verdict.persist else None,
    )
    if verdict.persist:
        await announce(conn, operator_id, player_id, assessment, verdict.open_case, spin.now_ms)
    return assessment


async def announce(
    conn: asyncpg.Connection,
    operator_id: int,
    player_id: int,
    assessment: SafetyAssessment,
    open_case: bool,
    now_ms: int,
) -> None:
    """Push the action to the player's sockets (after commit, via the outbox) and open a case
    for the responsible-gambling team on a STOP."""
    payload = {
        "risk": {"score": assessment.score, "band": assessment.band, "reasons": assessment.reasons},
        "action": assessment.action,
        "code": assessment.code,
    }
    await realtime.publish(
        conn,
        audience=realtime.player_audience(player_id),
        topic="safety.action",
        payload=payload,
        operator_id=operator_id,
    )
    if open_case:
        case_id = await queries.open_case(
            conn,
            operator_id=operator_id,
            player_id=player_id,
            trigger_code=assessment.code or "SAFETY_STOP",
            reasons=assessment.reasons,
            score=assessment.score,
            at=from_ms(now_ms),
        )
        await realtime.publish(
            conn,
            audience=realtime.operator_audience(operator_id),
            topic="safety.case",
            payload={"caseId": case_id, "playerId": player_id, "code": assessment.code},
            operator_id=operator_id,
        )


async def record_client_event(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    session_key: str | None,
    game_key: str,
    stake: int,
    win: int,
    balance_after: int,
    client_at: datetime,
    spin_ms: int | None,
) -> SafetyAssessment:
    """Seed 000's per-spin telemetry (POST /safety/event); see the module docstring."""
    now_ms = to_ms(utcnow())
    # The client's clock paces the spins, within a tolerance of the server's.
    at_ms = min(max(to_ms(client_at), now_ms - CLIENT_CLOCK_TOLERANCE_MS), now_ms)
    key = session_key_of(session_key)
    loaded = await load(conn, operator_id, player_id, key, at_ms, now_ms)
    session = loaded.session
    if not session.server_spins:
        spin = SpinInput(
            at_ms=max(at_ms, session.last_ms),
            now_ms=now_ms,
            stake=stake,
            win=win,
            balance_after=balance_after,
            p_loss=None,
            min_cycle_ms=None,
            counts_money=False,
            spin_ms=spin_ms,
        )
        return await _assess_and_save(
            conn, operator_id, player_id, key, loaded, spin, "client", game_key
        )
    if spin_ms is not None:
        session.set_spin_ms(spin_ms)
    action, session.pending_action = session.pending_action, None
    code = message = None
    if action is None:
        action, code, message = engine.reminder(loaded.cfg, loaded.restrictions, now_ms)
    await save(conn, operator_id, player_id, key, loaded, now_ms)
    p = loaded.player
    return SafetyAssessment(p.score, p.band, list(p.reasons), action, code, message)


async def record_deposit(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    amount: int,
    at: datetime | None = None,
) -> None:
    """Count a completed deposit against deposit limits and the deposit signals."""
    now_ms = to_ms(at or utcnow())
    row = await queries.load_player_for_update(conn, operator_id, player_id)
    if row is None:
        raise NotFoundError("Player not found.")
    cfg = config_from_json(row["config"])
    player = PlayerState.from_json(row["player_state"] or {})
    limits = limit_rules.limits_from_json(row["limits"])
    restrictions = Restrictions(
        cooldown_until_ms=millis_of(row["cooldown_until"]),
        marketing_until_ms=millis_of(row["marketing_suppressed_until"]),
    )
    action = engine.assess_deposit(cfg, player, limits, restrictions, amount, now_ms, now_ms)
    await queries.save_player(
        conn,
        operator_id,
        player_id,
        {
            "state": player.to_json(),
            "limits": limit_rules.limits_to_json(limits),
            "cooldown_until": moment_of(restrictions.cooldown_until_ms),
            "marketing_suppressed_until": moment_of(restrictions.marketing_until_ms),
        },
    )
    if action is not None:
        assessment = SafetyAssessment(player.score, player.band, ["REDEPOSIT_AFTER_BUST"], action)
        await queries.insert_action(
            conn,
            operator_id=operator_id,
            player_id=player_id,
            session_key=SERVER_SESSION,
            action=action,
            code="REDEPOSIT_AFTER_BUST",
            score=player.score,
            band=player.band,
            reasons=assessment.reasons,
            source="deposit",
            at=from_ms(now_ms),
        )
        await announce(conn, operator_id, player_id, assessment, False, now_ms)


async def set_session_loss_limit(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    session_key: str | None,
    amount: int,
) -> int:
    """Seed 000's session loss limit: lowered at will, never raised within the session. It is
    also the player's standing session loss limit, which later sessions start with; raising
    that goes through the limits' 24 h cooling-off and reconfirmation."""
    now = utcnow()
    now_ms = to_ms(now)
    key = session_key_of(session_key)
    loaded = await load(conn, operator_id, player_id, key, now_ms, now_ms)
    session = loaded.session
    old = session.loss_limit
    if old is not None and amount > old:
        raise LossLimitLockedError(lossLimitCents=old)
    session.loss_limit = amount
    standing = limit_rules.find(loaded.limits, "loss", "session")
    if standing is None or amount <= standing.amount:
        delay = loaded.cfg.limit_increase_delay_hours * 3_600_000
        limit_rules.request_change(loaded.limits, "loss", "session", amount, now_ms, delay)
    await save(conn, operator_id, player_id, key, loaded, now_ms)
    idle = timedelta(minutes=loaded.cfg.session_inactivity_minutes)
    await queries.lower_session_loss_limits(conn, operator_id, player_id, amount, now - idle)
    await queries.insert_audit(
        conn,
        operator_id=operator_id,
        player_id=player_id,
        actor_type="player",
        actor_id=player_id,
        action="session_loss_limit.set",
        subject=f"session:{key}" if key else "session",
        old=old,
        new=amount,
        requested_at=now,
        effective_at=now,
    )
    return amount
