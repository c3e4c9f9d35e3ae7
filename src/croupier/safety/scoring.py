"""Score, bands with hysteresis, and the shapes of the actions. Pure.

Score = min(100, sum of the weights of the active signals); reasons are the active signals by
weight, heaviest first (ties by name), so every score explains itself. A band is entered as soon
as the score reaches it and left only when the score falls ``hysteresis`` points below its lower
edge, so a score wobbling around an edge does not flap between bands.
"""

from __future__ import annotations

from datetime import timedelta, tzinfo
from typing import Any

from croupier.safety.config import SafetyConfig
from croupier.safety.state import from_ms, to_ms

NORMAL, ELEVATED, TILT_RISK = "NORMAL", "ELEVATED", "TILT_RISK"
BANDS = (NORMAL, ELEVATED, TILT_RISK)
_RANK = {band: rank for rank, band in enumerate(BANDS)}


def band_for(score: int, cfg: SafetyConfig) -> str:
    if score >= cfg.tilt_at:
        return TILT_RISK
    return ELEVATED if score >= cfg.elevated_at else NORMAL


def _lower_edge(band: str, cfg: SafetyConfig) -> int:
    return cfg.tilt_at if band == TILT_RISK else cfg.elevated_at


def next_band(current: str, score: int, cfg: SafetyConfig) -> str:
    target = band_for(score, cfg)
    band = current if current in _RANK else NORMAL
    if _RANK[target] >= _RANK[band]:
        return target
    while band != target and score < _lower_edge(band, cfg) - cfg.hysteresis:
        band = BANDS[_RANK[band] - 1]
    return band


def fire(
    fired: dict[str, list[int]], raw: dict[str, int], at_ms: int, cfg: SafetyConfig
) -> dict[str, int]:
    """Record the signals firing now and return every signal still active (code -> weight).

    A signal that fires again keeps the heavier of its two weights and restarts its TTL; one
    whose TTL ran out is forgotten. A TTL of 0 means "only while the condition holds", None
    "until the session ends" (the session start clears those)."""
    for code, weight in raw.items():
        previous = fired.get(code)
        if previous is not None and _alive(code, previous, at_ms, cfg):
            weight = max(weight, previous[1])
        fired[code] = [at_ms, weight]
    active: dict[str, int] = {}
    for code, (fired_ms, weight) in list(fired.items()):
        if code in raw or (code in cfg.signals and _alive(code, [fired_ms, weight], at_ms, cfg)):
            active[code] = weight
        else:
            del fired[code]
    return active


def _alive(code: str, entry: list[int], at_ms: int, cfg: SafetyConfig) -> bool:
    ttl = cfg.ttl_ms(code) if code in cfg.signals else 0
    return ttl is None or at_ms - entry[0] < ttl


def forget_session_signals(fired: dict[str, list[int]], cfg: SafetyConfig) -> None:
    for code in list(fired):
        if code in cfg.signals and cfg.ttl_ms(code) is None:
            del fired[code]


def total(active: dict[str, int]) -> tuple[int, list[str]]:
    score = min(100, sum(active.values()))
    reasons = sorted(
        (code for code, weight in active.items() if weight > 0),
        key=lambda code: (-active[code], code),
    )
    return score, reasons


def nudge(message: str, **extra: Any) -> dict[str, Any]:
    return {"actionType": "NUDGE", "message": message, **extra}


def cooldown(seconds: int, cfg: SafetyConfig) -> dict[str, Any]:
    return {
        "actionType": "COOLDOWN",
        "cooldownSeconds": seconds,
        "message": cfg.message("cooldown", seconds=seconds),
    }


def stop() -> dict[str, Any]:
    return {"actionType": "STOP"}


def stop_until_ms(now_ms: int, zone: tzinfo, cfg: SafetyConfig) -> int:
    """min(stop_minutes, until the next local day start): a STOP at 05:30 lasts until 06:00."""
    local = from_ms(now_ms).astimezone(zone)
    day_start = local.replace(hour=cfg.day_start_hour, minute=0, second=0, microsecond=0)
    if day_start <= local:
        day_start += timedelta(days=1)
    return min(now_ms + cfg.stop_minutes * 60_000, to_ms(day_start))
