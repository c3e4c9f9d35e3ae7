"""One spin or deposit through the engine: state update, signals, score, band, action. Pure.

The functions mutate the state objects they are given (the service loads them from, and writes
them back to, one row each) and return a verdict. Two clocks: ``at_ms`` is when the spin
happened (the signals' clock; a client's timestamp for client telemetry) and ``now_ms`` is the
server's clock, which every restriction (cooldown, stop, marketing suppression) is measured on.
Nothing here can change a game's outcome: it only looks at outcomes already decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from croupier.safety import limits as limit_rules
from croupier.safety import scoring, signals
from croupier.safety.config import SafetyConfig
from croupier.safety.limits import Limit
from croupier.safety.scoring import ELEVATED, NORMAL, TILT_RISK
from croupier.safety.state import DAY_MS, RING_SIZE, PlayerState, SessionState, from_ms

HOUR_MS = 3_600_000
SESSION_LOSS_MESSAGE = "Loss limit reached for this session."
_PERIOD_STOPS = {
    "loss": ("LOSS_LIMIT_REACHED", "Loss limit reached for this period."),
    "wager": ("WAGER_LIMIT_REACHED", "Wager limit reached for this period."),
}
STOP_MESSAGES = {
    "LOSS_LIMIT_REACHED": SESSION_LOSS_MESSAGE,
    "WAGER_LIMIT_REACHED": "Wager limit reached for this period.",
    "SESSION_TIME_LIMIT_REACHED": "Session time limit reached.",
}


@dataclass(frozen=True, slots=True)
class SafetyAssessment:
    """What the engine concluded about one spin: the seed's ``risk`` and ``action``, plus a
    ``code``/``message`` when a hard limit stopped play (e.g. LOSS_LIMIT_REACHED)."""

    score: int
    band: str
    reasons: list[str]
    action: dict[str, Any] | None = None
    code: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class SpinInput:
    at_ms: int
    now_ms: int
    stake: int
    win: int
    balance_after: int
    p_loss: float | None
    min_cycle_ms: int | None
    # Platform-recorded money movement: it feeds the player's history and limit counters.
    # Client telemetry only feeds the session's scoring.
    counts_money: bool
    spin_ms: int | None = None  # the client's animation time for this spin, when it said


@dataclass(slots=True)
class Restrictions:
    cooldown_until_ms: int = 0
    stop_until_ms: int = 0
    stop_code: str | None = None
    marketing_until_ms: int = 0
    reality_check_minutes: int | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    assessment: SafetyAssessment
    persist: bool = False  # a new action, to store (a reminder of a running one is not)
    open_case: bool = False


def start_session(
    player: PlayerState, limits: list[Limit], at_ms: int, cfg: SafetyConfig
) -> SessionState:
    """A new session: baselines frozen from the history before it, the standing loss limit
    locked in, and the previous session's session-long signals forgotten."""
    spins, median_stake, night_share = player.history()
    session = SessionState(started_ms=at_ms, last_ms=at_ms, last_reality_ms=at_ms)
    if spins >= cfg.history_min_spins:
        session.baseline_stake = median_stake
    session.night_share = night_share
    session.loss_limit = limit_rules.session_amount(limits, "loss")
    scoring.forget_session_signals(player.fired, cfg)
    return session


def assess_spin(
    cfg: SafetyConfig,
    zone: ZoneInfo,
    player: PlayerState,
    limits: list[Limit],
    session: SessionState,
    restrictions: Restrictions,
    spin: SpinInput,
) -> Verdict:
    at, now = spin.at_ms, spin.now_ms
    session.add_spin(at, spin.stake, spin.win, spin.balance_after, spin.spin_ms)
    session.note_first_stake(spin.stake, cfg.baseline_first_spins)
    night = signals.is_night(
        from_ms(at).astimezone(zone).hour, cfg.night_start_hour, cfg.night_end_hour
    )
    if spin.counts_money:
        session.server_spins += 1
        player.add_spin(at, spin.stake, spin.balance_after, night)
        limit_rules.add_spin(limits, spin.stake, spin.win, at)

    raw = _raw_weights(cfg, player, limits, session, spin, night)
    score, reasons = scoring.total(scoring.fire(player.fired, raw, at, cfg))
    previous_band, previous_score = player.band, player.score
    band = scoring.next_band(previous_band, score, cfg)
    player.band, player.score, player.reasons = band, score, reasons
    if band != TILT_RISK or (player.rearm_ms and now >= player.rearm_ms):
        player.in_tilt_episode, player.rearm_ms = False, 0
    near, was_near = "LIMIT_NEAR" in raw, player.limit_near
    player.limit_near = near

    def verdict(
        action: dict[str, Any] | None, *, persist: bool = True, **hard: str | None
    ) -> Verdict:
        assessment = SafetyAssessment(score, band, reasons, action, **hard)
        if not persist or action is None:
            return Verdict(assessment)
        return Verdict(assessment, True, action["actionType"] == "STOP")

    if restrictions.stop_until_ms > now:
        action, code, message = reminder(cfg, restrictions, now)
        return verdict(action, persist=False, code=code, message=message)
    hard = _hard_stop(limits, session, at)
    if hard is not None:
        _apply_stop(cfg, zone, restrictions, session, now, hard[0])
        return verdict(scoring.stop(), code=hard[0], message=hard[1])
    if restrictions.cooldown_until_ms > now:
        return verdict(reminder(cfg, restrictions, now)[0], persist=False)

    action = _risk_action(cfg, player, session, band, score, previous_score, at)
    if action is None:
        action = _nudge(
            cfg, player, session, restrictions, previous_band, near and not was_near, at
        )
    elif action["actionType"] == "STOP":
        _apply_stop(cfg, zone, restrictions, session, now, "SAFETY_STOP")
        _suppress_marketing(cfg, restrictions, now)
    else:
        restrictions.cooldown_until_ms = now + action["cooldownSeconds"] * 1000
        player.rearm_ms = restrictions.cooldown_until_ms
        _suppress_marketing(cfg, restrictions, now)
    return verdict(action)


def reminder(
    cfg: SafetyConfig, restrictions: Restrictions, now_ms: int
) -> tuple[dict[str, Any] | None, str | None, str | None]:
    """The running STOP or COOLDOWN, repeated to a client that plays on: (action, code,
    message)."""
    if restrictions.stop_until_ms > now_ms:
        code = restrictions.stop_code or "SAFETY_STOP"
        return scoring.stop(), code, STOP_MESSAGES.get(code) or cfg.message("stop")
    if restrictions.cooldown_until_ms > now_ms:
        remaining = -(-(restrictions.cooldown_until_ms - now_ms) // 1000)
        return scoring.cooldown(remaining, cfg), None, None
    return None, None, None


def _raw_weights(
    cfg: SafetyConfig,
    player: PlayerState,
    limits: list[Limit],
    session: SessionState,
    spin: SpinInput,
    night: bool,
) -> dict[str, int]:
    ring, at = session.ring, spin.at_ms
    baseline = session.baseline_stake or signals.session_baseline(
        session.first_stakes, cfg.baseline_min_spins
    )
    p_loss = spin.p_loss if spin.p_loss is not None else cfg.default_p_loss
    min_cycle = spin.min_cycle_ms or cfg.default_min_cycle_ms
    loss_chases, win_chases = signals.chase_events(ring, cfg.chase_window, cfg.chase_ratio)
    metrics = {
        "BET_ACCEL": signals.bet_accel(ring, baseline, cfg.bet_accel_window),
        "LOSS_CHASE": loss_chases,
        "WIN_CHASE_ESCALATION": win_chases,
        "LOSS_STREAK": signals.loss_streak(session.streak, p_loss),
        "SPIN_RATE": signals.spin_rate(
            ring, at, min_cycle, cfg.latency_min_samples, cfg.latency_ratio
        ),
        "SESSION_LOSS": signals.session_loss(
            session.net_loss, session.start_balance, player.deposits_since(session.started_ms)
        ),
        "LIMIT_NEAR": _limit_share(limits, session, at),
        "SESSION_TIME": signals.session_minutes(session.started_ms, at),
        "NIGHT_PLAY": signals.night_play(night, session.night_share, cfg.night_share_high),
        "REDEPOSIT_AFTER_BUST": float(sum(1 for t in player.redeposits if t >= session.started_ms)),
        "BET_VOLATILITY": signals.bet_volatility(ring, RING_SIZE),
    }
    return {code: w for code, metric in metrics.items() if (w := cfg.signal_weight(code, metric))}


def _limit_share(limits: list[Limit], session: SessionState, at_ms: int) -> float:
    share = limit_rules.consumption(limits, at_ms)
    if session.loss_limit:
        share = max(share, session.net_loss / session.loss_limit)
    minutes = limit_rules.session_amount(limits, "time")
    if minutes:
        share = max(share, signals.session_minutes(session.started_ms, at_ms) / minutes)
    return share


def _hard_stop(limits: list[Limit], session: SessionState, at_ms: int) -> tuple[str, str] | None:
    if session.loss_limit is not None and session.net_loss >= session.loss_limit:
        return "LOSS_LIMIT_REACHED", SESSION_LOSS_MESSAGE
    spent = limit_rules.exhausted(limits, at_ms)
    if spent is not None:
        return _PERIOD_STOPS[spent.kind]
    minutes = limit_rules.session_amount(limits, "time")
    if minutes and signals.session_minutes(session.started_ms, at_ms) >= minutes:
        return "SESSION_TIME_LIMIT_REACHED", "Session time limit reached."
    return None


def _risk_action(
    cfg: SafetyConfig,
    player: PlayerState,
    session: SessionState,
    band: str,
    score: int,
    previous_score: int,
    at_ms: int,
) -> dict[str, Any] | None:
    """Reference A3.1: entering TILT_RISK pauses play (longer the second time within the hour),
    the third entry in a session or a score of 95 stops it; a score crossing 85 or 95 while
    already in TILT_RISK escalates the same way."""
    if band == TILT_RISK and not player.in_tilt_episode:
        player.in_tilt_episode = True
        player.tilt_entries = [t for t in player.tilt_entries if t > at_ms - DAY_MS] + [at_ms]
        in_session = sum(1 for t in player.tilt_entries if t >= session.started_ms)
        within_hour = sum(
            1 for t in player.tilt_entries if t > at_ms - cfg.repeat_window_seconds * 1000
        )
        if in_session >= cfg.stop_tilt_entries or score >= cfg.stop_score:
            return scoring.stop()
        repeat = within_hour >= 2 or score >= cfg.cooldown_score
        seconds = cfg.cooldown_repeat_seconds if repeat else cfg.cooldown_first_seconds
        return scoring.cooldown(seconds, cfg)
    if score >= cfg.stop_score > previous_score:
        return scoring.stop()
    if score >= cfg.cooldown_score > previous_score:
        return scoring.cooldown(cfg.cooldown_repeat_seconds, cfg)
    return None


def _nudge(
    cfg: SafetyConfig,
    player: PlayerState,
    session: SessionState,
    restrictions: Restrictions,
    previous_band: str,
    newly_near: bool,
    at_ms: int,
) -> dict[str, Any] | None:
    if newly_near:
        player.last_nudge_ms = at_ms
        return scoring.nudge(cfg.message("limitNear", percent=80))
    entered = player.band == ELEVATED and previous_band == NORMAL
    if entered and at_ms - player.last_nudge_ms >= cfg.nudge_interval_seconds * 1000:
        player.last_nudge_ms = at_ms
        top = player.reasons[0] if player.reasons else ""
        return scoring.nudge(cfg.message(f"nudge.{top}"))
    interval = restrictions.reality_check_minutes or cfg.reality_check_default_minutes
    if at_ms - session.last_reality_ms >= interval * 60_000:
        session.last_reality_ms = at_ms
        elapsed = (at_ms - session.started_ms) // 1000
        return scoring.nudge(
            cfg.message("realityCheck", minutes=elapsed // 60),
            realityCheck={"elapsedSeconds": elapsed, "netPositionCents": -session.net_loss},
        )
    return None


def _apply_stop(
    cfg: SafetyConfig,
    zone: ZoneInfo,
    restrictions: Restrictions,
    session: SessionState,
    now_ms: int,
    code: str,
) -> None:
    restrictions.stop_until_ms = scoring.stop_until_ms(now_ms, zone, cfg)
    restrictions.stop_code = code
    session.ended_code = code


def _suppress_marketing(cfg: SafetyConfig, restrictions: Restrictions, now_ms: int) -> None:
    until = now_ms + cfg.marketing_suppression_hours * HOUR_MS
    restrictions.marketing_until_ms = max(restrictions.marketing_until_ms, until)


def assess_deposit(
    cfg: SafetyConfig,
    player: PlayerState,
    limits: list[Limit],
    restrictions: Restrictions,
    amount: int,
    at_ms: int,
    now_ms: int,
) -> dict[str, Any] | None:
    """Feed DEPOSIT_VELOCITY and REDEPOSIT_AFTER_BUST; return the strong-indicator COOLDOWN
    (reference A3.2: three redeposits after going bust within 24 h) when it applies."""
    redeposit = player.bust_ms > 0 and at_ms - player.bust_ms <= cfg.redeposit_minutes * 60_000
    player.add_deposit(at_ms, amount)
    limit_rules.add_deposit(limits, amount, at_ms)
    today = player.days[player.today][2]
    past = [float(v[2]) for day, v in player.days.items() if day != player.today and v[2] > 0]
    velocity = signals.deposit_velocity(
        player.deposits,
        at_ms,
        today,
        past,
        count=cfg.deposit_velocity_count,
        window_minutes=cfg.deposit_velocity_minutes,
        daily_multiple=cfg.deposit_daily_multiple,
        min_days=cfg.deposit_history_min_days,
    )
    raw = {}
    if weight := cfg.signal_weight("DEPOSIT_VELOCITY", velocity):
        raw["DEPOSIT_VELOCITY"] = weight
    scoring.fire(player.fired, raw, at_ms, cfg)
    if not redeposit:
        return None
    player.redeposits.append(at_ms)
    player.bust_ms = 0
    if (
        len(player.redeposits) < cfg.redeposit_strong_count
        or restrictions.cooldown_until_ms > now_ms
    ):
        return None
    restrictions.cooldown_until_ms = now_ms + cfg.cooldown_repeat_seconds * 1000
    _suppress_marketing(cfg, restrictions, now_ms)
    return scoring.cooldown(cfg.cooldown_repeat_seconds, cfg)
