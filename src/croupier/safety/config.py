"""The engine's weights, thresholds, durations and messages, overridable per operator.

Defaults follow the reference scoring table (player-safety.md A3). An operator overrides any
part in ``operators.settings["safety"]`` (camelCase, merged over the defaults), for example::

    {"cooldownFirstSeconds": 90, "signals": {"BET_ACCEL": {"tiers": [[2.0, 35]]}}}

Each signal produces a metric; its ``tiers`` map the metric to a weight (the highest tier whose
threshold the metric reaches) and ``ttlSeconds`` says how long a fired signal keeps counting:
a number of seconds, 0 for "only while the condition holds", or null for "until the session ends".
"""

from __future__ import annotations

import json
from functools import cached_property, lru_cache
from typing import Annotated, Any

import structlog
from pydantic import Field, ValidationError, field_validator

from croupier.kit.schemas import Input

log = structlog.get_logger("croupier.safety")

Weight = Annotated[int, Field(ge=0, le=100)]
Seconds = Annotated[int, Field(ge=1, le=7 * 86400)]


class SignalRule(Input):
    tiers: list[tuple[float, Weight]]
    ttl_seconds: Annotated[int, Field(ge=0)] | None

    @field_validator("tiers")
    @classmethod
    def _ascending(cls, tiers: list[tuple[float, int]]) -> list[tuple[float, int]]:
        return sorted(tiers)


_H = 3600
DEFAULT_SIGNALS: dict[str, dict[str, Any]] = {
    # metric: mean stake of the last 10 spins / baseline stake
    "BET_ACCEL": {"tiers": [(2.0, 15), (3.0, 25)], "ttl_seconds": 15 * 60},
    # metric: stake rises of >= 1.5x right after a losing spin, within the last 20 spins
    "LOSS_CHASE": {"tiers": [(3, 20)], "ttl_seconds": 30 * 60},
    "WIN_CHASE_ESCALATION": {"tiers": [(3, 5)], "ttl_seconds": 15 * 60},
    # metric: current losing streak / L, L = ceil(ln 0.01 / ln p_loss); lasts until a win
    "LOSS_STREAK": {"tiers": [(1.0, 10)], "ttl_seconds": 0},
    # metric: spins in the last 60 s / the fastest legal pace (1.0 also for faster play after
    # losses than after wins)
    "SPIN_RATE": {"tiers": [(0.9, 15)], "ttl_seconds": 10 * 60},
    # metric: session net loss / (session start balance + session deposits)
    "SESSION_LOSS": {"tiers": [(0.5, 10), (0.8, 20)], "ttl_seconds": None},
    # metric: the highest consumption of any active limit
    "LIMIT_NEAR": {"tiers": [(0.8, 10)], "ttl_seconds": 0},
    # metric: session minutes
    "SESSION_TIME": {"tiers": [(120, 10), (180, 20)], "ttl_seconds": None},
    # metric: 1 when the night rule holds
    "NIGHT_PLAY": {"tiers": [(1, 5)], "ttl_seconds": _H},
    # metric: 1 when the velocity rule holds (evaluated on deposits)
    "DEPOSIT_VELOCITY": {"tiers": [(1, 15)], "ttl_seconds": 24 * _H},
    # metric: deposits within 10 min of going bust, this session
    "REDEPOSIT_AFTER_BUST": {"tiers": [(2, 15)], "ttl_seconds": 24 * _H},
    # metric: 1 after a request to raise or remove a limit
    "LIMIT_INCREASE_REQUEST": {"tiers": [(1, 15)], "ttl_seconds": 7 * 24 * _H},
    # metric: coefficient of variation of the last 50 stakes (needs 50)
    "BET_VOLATILITY": {"tiers": [(1.0, 10)], "ttl_seconds": 30 * 60},
}

NUDGE_PACE = (
    "Quick check-in: your pace/bets changed a lot in the last few minutes. "
    "Want to take a short break?"
)
DEFAULT_MESSAGES: dict[str, str] = {
    "nudge": "Quick check-in: how is your session going? You can take a break or set a limit "
    "at any time.",
    "nudge.BET_ACCEL": NUDGE_PACE,
    "nudge.SPIN_RATE": NUDGE_PACE,
    "nudge.LOSS_CHASE": "Quick check-in: your stakes went up after losses. Want to take a short "
    "break or set a loss limit?",
    "nudge.SESSION_LOSS": "Quick check-in: this session has cost a large part of your balance. "
    "Want to take a break or set a loss limit?",
    "nudge.SESSION_TIME": "Quick check-in: you have been playing for a long time. "
    "Want to take a break?",
    "limitNear": "You have used {percent}% of one of your limits.",
    "realityCheck": "Reality check: you have been playing for {minutes} min. "
    "Your net position is shown below.",
    "cooldown": "Let’s pause for {seconds}s. Your balance and session will still be here.",
    "stop": "Let’s stop here for now. You can review your limits and activity.",
}


class SafetyConfig(Input):
    signals: dict[str, SignalRule]
    messages: dict[str, str]
    elevated_at: Weight = 30
    tilt_at: Weight = 60
    hysteresis: Weight = 10
    nudge_interval_seconds: Seconds = 15 * 60
    cooldown_first_seconds: Seconds = 300
    cooldown_repeat_seconds: Seconds = 900
    repeat_window_seconds: Seconds = 3600
    cooldown_score: Weight = 85
    stop_score: Weight = 95
    stop_tilt_entries: Annotated[int, Field(ge=1, le=20)] = 3
    stop_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 60
    day_start_hour: Annotated[int, Field(ge=0, le=23)] = 6
    marketing_suppression_hours: Annotated[int, Field(ge=0, le=24 * 30)] = 24
    session_inactivity_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 30
    reality_check_default_minutes: Annotated[int, Field(ge=1, le=1440)] = 60
    limit_increase_delay_hours: Annotated[int, Field(ge=24, le=24 * 30)] = 24
    # signal parameters
    bet_accel_window: Annotated[int, Field(ge=2, le=50)] = 10
    baseline_first_spins: Annotated[int, Field(ge=2, le=50)] = 20
    baseline_min_spins: Annotated[int, Field(ge=2, le=50)] = 10
    history_min_spins: Annotated[int, Field(ge=1)] = 200
    chase_window: Annotated[int, Field(ge=2, le=50)] = 20
    chase_ratio: Annotated[float, Field(gt=1.0)] = 1.5
    latency_min_samples: Annotated[int, Field(ge=1, le=25)] = 5
    latency_ratio: Annotated[float, Field(gt=0, lt=1)] = 0.5
    default_min_cycle_ms: Annotated[int, Field(ge=100)] = 2500
    default_p_loss: Annotated[float, Field(gt=0, lt=1)] | None = 0.72
    deposit_velocity_count: Annotated[int, Field(ge=1)] = 3
    deposit_velocity_minutes: Annotated[int, Field(ge=1)] = 60
    deposit_daily_multiple: Annotated[float, Field(gt=0)] = 3.0
    deposit_history_min_days: Annotated[int, Field(ge=1)] = 3
    redeposit_minutes: Annotated[int, Field(ge=1)] = 10
    redeposit_strong_count: Annotated[int, Field(ge=1)] = 3
    night_start_hour: Annotated[int, Field(ge=0, le=23)] = 0
    night_end_hour: Annotated[int, Field(ge=0, le=23)] = 6
    night_share_low: Annotated[float, Field(ge=0, le=1)] = 0.38
    night_share_high: Annotated[float, Field(ge=0, le=1)] = 0.68

    @cached_property
    def signal_tiers(self) -> dict[str, tuple[tuple[float, int], ...]]:
        """Each signal's tiers as plain tuples, read on every spin. (A config is built once
        per override and shared, never changed.)"""
        return {code: tuple(rule.tiers) for code, rule in self.signals.items()}

    def signal_weight(self, code: str, metric: float) -> int:
        """The weight of the signal's highest tier whose threshold ``metric`` reaches, else 0."""
        weight = 0
        for threshold, tier_weight in self.signal_tiers.get(code, ()):
            if metric >= threshold:
                weight = tier_weight
        return weight

    def ttl_ms(self, code: str) -> int | None:
        ttl = self.signals[code].ttl_seconds
        return None if ttl is None else ttl * 1000

    def message(self, key: str, **values: Any) -> str:
        template = self.messages.get(key) or self.messages["nudge"]
        return template.format(**values)


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _defaults() -> dict[str, Any]:
    return {
        "signals": {code: dict(rule) for code, rule in DEFAULT_SIGNALS.items()},
        "messages": dict(DEFAULT_MESSAGES),
    }


def _camel_keys(raw: dict[str, Any]) -> dict[str, Any]:
    """Overrides may spell signal rule fields either way; the merge needs one spelling."""
    signals = raw.get("signals")
    if not isinstance(signals, dict):
        return raw
    fixed = {}
    for code, rule in signals.items():
        if isinstance(rule, dict) and "ttlSeconds" in rule:
            rule = {**rule, "ttl_seconds": rule["ttlSeconds"]}
            del rule["ttlSeconds"]
        fixed[code] = rule
    return {**raw, "signals": fixed}


def build_config(override: dict[str, Any] | None) -> SafetyConfig:
    """Defaults merged with an operator's override; raises ValidationError on a bad override."""
    merged = _merge(_defaults(), _camel_keys(override or {}))
    return SafetyConfig.model_validate(merged)


DEFAULT_CONFIG = build_config(None)


@lru_cache(maxsize=256)
def config_from_json(raw: str | None) -> SafetyConfig:
    """The effective config for an operator's stored override (its JSON text, so the cache key
    changes whenever the operator's settings do). A bad override falls back to the defaults,
    loudly: the spin path must not fail because of a configuration typo."""
    if not raw or raw == "null":
        return DEFAULT_CONFIG
    try:
        override = json.loads(raw)
        if not isinstance(override, dict):
            raise TypeError("the safety settings must be an object")
        return build_config(override)
    except (ValidationError, ValueError, TypeError) as exc:
        log.error("safety_config_invalid", error=str(exc)[:500])
        return DEFAULT_CONFIG


def config_problem(raw: str | None) -> str | None:
    """Why an operator's override is not used, for the operator's config view."""
    if not raw or raw == "null":
        return None
    try:
        override = json.loads(raw)
        if not isinstance(override, dict):
            return "the safety settings must be an object"
        build_config(override)
    except (ValidationError, ValueError) as exc:
        return str(exc)[:2000]
    return None
