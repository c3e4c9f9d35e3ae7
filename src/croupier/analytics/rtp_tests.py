"""The statistics of RTP monitoring beyond the full z-test (reference B2.3), pure functions.

Test A, capped z-test. Per slice, RTP_cap = Σ min(win, C·stake) / Σ stake against the game's exact
mu_C and sigma_C (games.engine.capped): z = (RTP_cap − mu_C) / (sigma_C / sqrt(N_eff)). The cap
bounds the variance, so it runs from N_eff >= max(10 000, 10 / p_top_C), a fifth of the full
test's floor, where p_top_C is the capped distribution's rarest top outcome (the cap itself
whenever some win reaches it).

Test B, large-win frequency. The count of wins >= C·stake against Poisson(lambda), lambda = Σ
p_large over the slice's rounds (rounds · p_large: the win multiple's law does not depend on the
stake). Exact two-sided p-value: twice the smaller tail, at most 1. It runs at any volume.

WARN and ALERT mean the same evidence in every test: a z-test's |z| >= 3.29 and a p-value <=
2·(1 − Φ(3.29)) both WARN; |z| >= z_crit(K) and p <= 2·(1 − Φ(z_crit(K))) both ALERT, as does a
WARN in each of the last 3 daily windows.

Drift, one-sided CUSUM on the daily capped z-scores of the trailing 30 days:
S_t = max(0, S_{t−1} − z_t − k), k = 0.5, alarm at S_t >= h = 5. It accumulates evidence of
underpayment that no single day shows. A day counts when its N_eff >= max(1 000, 1 / p_top_C)
(the rarest outcome expected at least once); other days leave S unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from math import exp, lgamma, log, sqrt
from statistics import NormalDist

from croupier.analytics.rtp_monitor import (
    CONSECUTIVE_WARN_DAYS,
    Z_WARN,
    SliceStats,
    n_eff,
    z_critical,
)

MIN_CAPPED_N_EFF = 10_000
DAILY_MIN_N_EFF = 1_000
CUSUM_K = 0.5
CUSUM_H = 5.0
# Statuses from worst to least informative; a slice's overall status is the first any test has.
SEVERITY = ("ALERT", "WARN", "OK", "INSUFFICIENT_VOLUME", "NO_CONFIG")


@dataclass(frozen=True, slots=True)
class CappedConfig:
    """The exact capped maths of one game version (game_configs)."""

    cap_multiple: int
    mean: Decimal  # mu_C
    sigma: float  # sigma_C
    p_large: Decimal
    p_top: float  # P(the capped win takes its largest value)


@dataclass(frozen=True, slots=True)
class CappedResult:
    status: str
    z: float | None
    n_eff: float
    required_n_eff: float
    observed: Decimal | None  # Σ capped win / Σ stake
    expected: Decimal | None  # mu_C


@dataclass(frozen=True, slots=True)
class LargeWinResult:
    status: str
    observed: int
    expected: float | None  # lambda
    p_value: float | None


@dataclass(frozen=True, slots=True)
class DriftResult:
    status: str  # OK | ALERT | INSUFFICIENT_VOLUME | NO_CONFIG
    cusum: float  # S on the last day
    max_cusum: float
    alarm_day: int | None  # index of the first day S reached h
    days_tested: int
    z: list[float | None]  # per day; None: under the daily volume gate
    s: list[float]


def worst(*statuses: str) -> str:
    return min(statuses, key=SEVERITY.index)


def p_threshold(z: float) -> float:
    """The two-sided p-value of |z|: the p-space twin of a z threshold."""
    return 2 * (1 - NormalDist().cdf(z))


def required_capped_n_eff(config: CappedConfig) -> float:
    return max(float(MIN_CAPPED_N_EFF), 10 / config.p_top if config.p_top > 0 else 0.0)


def daily_min_n_eff(config: CappedConfig) -> float:
    return max(float(DAILY_MIN_N_EFF), 1 / config.p_top if config.p_top > 0 else 0.0)


def capped_z(stats: SliceStats, config: CappedConfig) -> float | None:
    effective = n_eff(stats)
    if effective <= 0 or config.sigma <= 0 or stats.stake <= 0:
        return None
    observed = stats.capped_win / stats.stake
    return (observed - float(config.mean)) / (config.sigma / sqrt(effective))


def _level(z: float, slices: int) -> str:
    if abs(z) >= z_critical(slices):
        return "ALERT"
    return "WARN" if abs(z) >= Z_WARN else "OK"


def capped_test(
    window: SliceStats,
    config: CappedConfig | None,
    *,
    slices: int,
    previous_days: Sequence[SliceStats] = (),
) -> CappedResult:
    """Test A over the window ending now; ``previous_days`` are the windows ending 1 and 2
    days earlier, for the consecutive-WARN rule."""
    observed = Decimal(window.capped_win) / Decimal(window.stake) if window.stake > 0 else None
    effective = n_eff(window)
    if config is None:
        return CappedResult("NO_CONFIG", None, effective, 0.0, observed, None)
    needed = required_capped_n_eff(config)
    z = capped_z(window, config)
    if z is None or effective < needed:
        return CappedResult("INSUFFICIENT_VOLUME", z, effective, needed, observed, config.mean)
    status = _level(z, slices)
    if status == "WARN" and _warned_before(previous_days, config, needed):
        status = "ALERT"
    return CappedResult(status, z, effective, needed, observed, config.mean)


def _warned_before(days: Sequence[SliceStats], config: CappedConfig, needed: float) -> bool:
    if len(days) != CONSECUTIVE_WARN_DAYS - 1:
        return False
    scores = [capped_z(day, config) for day in days]
    return all(
        z is not None and abs(z) >= Z_WARN and n_eff(day) >= needed
        for z, day in zip(scores, days, strict=True)
    )


def large_win_test(
    window: SliceStats,
    config: CappedConfig | None,
    *,
    slices: int,
    previous_days: Sequence[SliceStats] = (),
) -> LargeWinResult:
    """Test B over the window ending now (``previous_days`` as for capped_test)."""
    if config is None:
        return LargeWinResult("NO_CONFIG", window.large_wins, None, None)
    if window.rounds <= 0:
        return LargeWinResult("INSUFFICIENT_VOLUME", window.large_wins, None, None)
    expected = window.rounds * float(config.p_large)
    p = poisson_two_sided(max(0, window.large_wins), expected)
    if p <= p_threshold(z_critical(slices)):
        status = "ALERT"
    elif p <= p_threshold(Z_WARN):
        earlier = [
            poisson_two_sided(max(0, d.large_wins), d.rounds * float(config.p_large))
            for d in previous_days
            if d.rounds > 0
        ]
        streak = len(earlier) == CONSECUTIVE_WARN_DAYS - 1 and all(
            e <= p_threshold(Z_WARN) for e in earlier
        )
        status = "ALERT" if streak else "WARN"
    else:
        status = "OK"
    return LargeWinResult(status, window.large_wins, expected, p)


def drift_test(days: Sequence[SliceStats], config: CappedConfig | None) -> DriftResult:
    """The CUSUM over the daily windows, oldest first."""
    if config is None:
        return DriftResult("NO_CONFIG", 0.0, 0.0, None, 0, [], [])
    gate = daily_min_n_eff(config)
    scores = [capped_z(day, config) if n_eff(day) >= gate else None for day in days]
    path = cusum(scores)
    alarm = next((t for t, s in enumerate(path) if s >= CUSUM_H), None)
    tested = sum(z is not None for z in scores)
    status = "INSUFFICIENT_VOLUME" if tested == 0 else "ALERT" if alarm is not None else "OK"
    return DriftResult(
        status, path[-1] if path else 0.0, max(path, default=0.0), alarm, tested, scores, path
    )


def cusum(scores: Sequence[float | None], k: float = CUSUM_K) -> list[float]:
    """S_t = max(0, S_{t-1} - z_t - k) from S_0 = 0; a day without a score keeps S."""
    path, s = [], 0.0
    for z in scores:
        if z is not None:
            s = max(0.0, s - z - k)
        path.append(s)
    return path


def poisson_two_sided(k: int, lam: float) -> float:
    """Exact two-sided p-value of observing ``k`` events where Poisson(``lam``) is expected:
    min(1, 2·min(P(X <= k), P(X >= k)))."""
    if k < 0 or lam < 0:
        raise ValueError("counts and rates are non-negative")
    if lam == 0:
        return 1.0 if k == 0 else 0.0
    return min(1.0, 2 * min(poisson_cdf(k, lam), poisson_upper(k, lam)))


def poisson_cdf(k: int, lam: float) -> float:
    """P(X <= k). The tail away from the mode is summed directly (in log space, so tiny
    p-values keep their digits); the other side is one minus a tail."""
    if k < 0:
        return 0.0
    if k < lam:
        return exp(_log_tail(k, -1, lam))
    return max(0.0, 1.0 - exp(_log_tail(k + 1, 1, lam)))


def poisson_upper(k: int, lam: float) -> float:
    """P(X >= k)."""
    if k <= 0:
        return 1.0
    if k > lam:
        return exp(_log_tail(k, 1, lam))
    return max(0.0, 1.0 - exp(_log_tail(k - 1, -1, lam)))


def _log_tail(start: int, step: int, lam: float) -> float:
    """log Σ P(X = i) for i = start, start + step, ... while the terms matter. The terms must
    shrink in that direction (start at or beyond the mode), so the first is the largest and
    each next one follows by the ratio P(i+1)/P(i) = lam/(i+1)."""
    first = -lam + start * log(lam) - lgamma(start + 1)
    total, term, i = 1.0, 1.0, start  # relative to the first term
    while True:
        if step > 0:
            term *= lam / (i + 1)
        elif i == 0:
            break
        else:
            term *= i / lam
        i += step
        total += term
        if term < total * 1e-17:
            break
    return first + log(total)
