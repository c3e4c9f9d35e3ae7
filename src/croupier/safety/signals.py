"""The signal rules of reference A3.2, as pure functions of the rolling state.

Each function returns the signal's metric; the configuration's tiers turn a metric into a weight
(see config.py), so thresholds stay configuration, not code. Ring entries are
``[at_ms, stake, win, spin_ms]``; a spin is lost when ``win < stake`` (a loss disguised as a win
is a loss).
"""

from __future__ import annotations

import math
from functools import lru_cache
from itertools import pairwise
from statistics import median

from croupier.safety.state import Spin

MINUTE_MS = 60_000


def bet_accel(ring: list[Spin], baseline: float | None, window: int) -> float:
    """Mean stake of the last ``window`` spins over the baseline stake."""
    if not baseline or not ring:
        return 0.0
    recent = ring[-window:]
    return sum(spin[1] for spin in recent) / len(recent) / baseline


def session_baseline(first_stakes: list[int], min_spins: int) -> float | None:
    """No history: the median stake of the session's first spins, once there are enough."""
    return float(median(first_stakes)) if len(first_stakes) >= min_spins else None


def chase_events(ring: list[Spin], window: int, ratio: float) -> tuple[int, int]:
    """Stake rises of at least ``ratio`` in the last spins: (right after a lost spin, right
    after a won one). Both counts in one pass over the window."""
    after_loss = after_win = 0
    for previous, spin in pairwise(ring[-window:]):  # on every spin: a plain loop, no calls
        if spin[1] >= ratio * previous[1]:
            if previous[2] < previous[1]:
                after_loss += 1
            else:
                after_win += 1
    return after_loss, after_win


@lru_cache(maxsize=256)  # a game's p_loss is one of a few values: the logs once each
def loss_streak_length(p_loss: float) -> int:
    """L = ceil(ln 0.01 / ln p_loss): a streak that long has under a 1% chance of happening."""
    return math.ceil(math.log(0.01) / math.log(p_loss))


def loss_streak(streak: int, p_loss: float | None) -> float:
    if p_loss is None or not 0.0 < p_loss < 1.0:
        return 0.0
    return streak / loss_streak_length(p_loss)


def faster_after_losses(ring: list[Spin], min_samples: int, ratio: float) -> bool:
    """Median decision time after the last 10 losses under ``ratio`` x the one after wins.

    Decision time is the gap between two spins less the first one's animation when the client
    reported it; without client telemetry both medians carry the same animation time."""
    post_loss: list[int] = []
    post_win: list[int] = []
    for previous, spin in pairwise(ring):  # on every spin: kept free of helper calls
        latency = spin[0] - previous[0] - (previous[3] if previous[3] > 0 else 0)
        if previous[2] < previous[1]:
            post_loss.append(latency)
        else:
            post_win.append(latency)
    post_loss = post_loss[-10:]
    if len(post_loss) < min_samples or len(post_win) < min_samples:
        return False
    return median(post_loss) < ratio * median(post_win)


def spin_rate(
    ring: list[Spin], at_ms: int, min_cycle_ms: int, min_samples: int, latency_ratio: float
) -> float:
    """Spins in the last minute as a share of the fastest pace the game allows; faster play
    after losses than after wins counts as full pace."""
    since, recent = at_ms - MINUTE_MS, 0
    for spin in ring:  # on every spin: a plain loop
        if spin[0] > since:
            recent += 1
    pace = recent / (MINUTE_MS / max(min_cycle_ms, 1))
    if pace < 1.0 and faster_after_losses(ring, min_samples, latency_ratio):
        return 1.0
    return pace


def session_loss(net_loss: int, start_balance: int, deposits: int) -> float:
    funds = start_balance + deposits
    return net_loss / funds if funds > 0 and net_loss > 0 else 0.0


def session_minutes(started_ms: int, at_ms: int) -> float:
    return max(at_ms - started_ms, 0) / MINUTE_MS


def is_night(local_hour: int, start_hour: int, end_hour: int) -> bool:
    if start_hour <= end_hour:
        return start_hour <= local_hour < end_hour
    return local_hour >= start_hour or local_hour < end_hour


def night_play(night: bool, night_share: float, share_high: float) -> float:
    """A night spin, unless the player nearly always plays at night (a shift worker's habit is
    not a change). Under the low share it is a change from baseline; between the two shares it
    is the riskier pattern; both fire (reference A3.2 #9)."""
    return 1.0 if night and night_share <= share_high else 0.0


def bet_volatility(ring: list[Spin], needed: int) -> float:
    """Coefficient of variation of the stakes over the last ``needed`` spins."""
    if len(ring) < needed:
        return 0.0
    total = squares = 0
    for spin in ring[-needed:]:  # on every spin: one plain loop
        stake = spin[1]
        total += stake
        squares += stake * stake
    if not total:
        return 0.0
    # sd / mean = sqrt(n·Σx² − (Σx)²) / Σx: exact integers up to the one square root (and
    # cheaper than statistics.pstdev's exact fractions, or a second pass for the mean)
    return math.sqrt(needed * squares - total * total) / total


def deposit_velocity(
    deposits: list[list[int]],
    at_ms: int,
    today_total: float,
    past_daily_totals: list[float],
    *,
    count: int,
    window_minutes: int,
    daily_multiple: float,
    min_days: int,
) -> float:
    """1 when there were ``count`` deposits within the window, or today's deposits reach
    ``daily_multiple`` x the median of past deposit days (given enough of them)."""
    recent = sum(1 for when, _ in deposits if when > at_ms - window_minutes * MINUTE_MS)
    if recent >= count:
        return 1.0
    if len(past_daily_totals) >= min_days:
        typical = median(past_daily_totals)
        if typical > 0 and today_total >= daily_multiple * typical:
            return 1.0
    return 0.0
