"""Exact game math by full enumeration of reel stops. No simulation.

Reel stops are independent and uniform, so every stop combination is equally likely. All of
them are evaluated (vectorised, in blocks) through the same tables as live play, giving exact
integer counts per (win, scatter count). The free-spins feature is added from those counts via
the renewal equations in feature.py, and everything stays in ``Fraction`` until display.

A triggering spin always pays at least the stake (enforced by the definition), so a paid
spin's hit (win > 0) and loss (win < stake) are decided by its base spin alone; the feature only
adds to wins that are already hits and not losses. That keeps ``hit_rate`` and ``p_loss`` exact
without the full distribution of the feature payout.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from itertools import product
from math import prod, sqrt
from types import MappingProxyType

import numpy as np

from croupier.games.engine.evaluate import evaluate_batch
from croupier.games.engine.feature import FeatureValue, SpinClass, feature_values
from croupier.games.engine.model import GameDefinition
from croupier.games.engine.tables import tables_for

_BLOCK_ROWS = 1 << 18


@dataclass(frozen=True)
class GameMath:
    """Per paid spin, in multiples of the total stake, free spins included unless noted."""

    slug: str
    version: str
    combinations: int  # stop combinations enumerated
    rtp: Fraction
    hit_rate: Fraction  # P(win > 0)
    variance: Fraction  # of win / stake
    sigma: float  # sqrt(variance), for display and standard errors
    max_win_multiplier: Fraction
    p_loss: Fraction  # P(win < stake)
    feature_trigger_probability: Fraction
    feature_rtp: Fraction  # the part of the RTP paid by free spins
    base_distribution: tuple[tuple[Fraction, Fraction], ...]  # (multiple, probability), no feature


@lru_cache(maxsize=32)
def compute_math(game: GameDefinition) -> GameMath:
    """Exact RTP, hit rate, volatility and maximum win of one paid spin (cached per game)."""
    counts = outcome_counts(game)
    total = prod(game.reel_lengths)
    award_of = tables_for(game).award_spins
    features = _feature_values(game, counts, total)

    sum_win = sum_square = 0
    feature_mean = feature_second = Fraction(0)
    hits = losses = triggers = max_units = 0
    by_multiple: dict[Fraction, int] = {}
    for (units, scatters), count in counts.items():
        sum_win += count * units
        sum_square += count * units * units
        hits += count if units > 0 else 0
        losses += count if units < game.n_lines else 0
        multiple = Fraction(units, game.n_lines)
        by_multiple[multiple] = by_multiple.get(multiple, 0) + count
        feature = features.get(int(award_of[scatters]))
        if feature is None:
            max_units = max(max_units, units)
            continue
        triggers += count
        feature_mean += count * feature.mean
        feature_second += count * (2 * units * feature.mean + feature.second_moment)
        max_units = max(max_units, units + feature.max_win)

    scale = Fraction(1, game.n_lines)  # line bets -> multiples of the stake
    mean = (sum_win + feature_mean) / total
    variance = ((sum_square + feature_second) / total - mean * mean) * scale * scale
    return GameMath(
        slug=game.slug,
        version=game.version,
        combinations=total,
        rtp=mean * scale,
        hit_rate=Fraction(hits, total),
        variance=variance,
        sigma=sqrt(variance),
        max_win_multiplier=max_units * scale,
        p_loss=Fraction(losses, total),
        feature_trigger_probability=Fraction(triggers, total),
        feature_rtp=feature_mean / total * scale,
        base_distribution=tuple(
            (multiple, Fraction(count, total)) for multiple, count in sorted(by_multiple.items())
        ),
    )


def p_loss(game: GameDefinition) -> Fraction:
    """P(a paid spin returns less than its stake), free spins included."""
    return compute_math(game).p_loss


@lru_cache(maxsize=32)
def outcome_counts(game: GameDefinition) -> Mapping[tuple[int, int], int]:
    """Number of stop combinations per (win in line bets, scatter count) of a single spin.

    Cached (read-only): the enumeration is the expensive part, and both the full and the capped
    maths (capped.py) are built from it."""
    tables = tables_for(game)
    n_scatters = len(tables.scatter_units)
    top = game.n_lines * int(tables.line_pay.max()) + int(tables.scatter_units.max())
    counts = np.zeros((top + 1) * n_scatters, dtype=np.int64)
    for block in _stop_blocks(game.reel_lengths):
        units, scatters = evaluate_batch(tables, block)
        counts += np.bincount(units * n_scatters + scatters, minlength=len(counts))
    keys = np.flatnonzero(counts)
    return MappingProxyType(
        {(int(key) // n_scatters, int(key) % n_scatters): int(counts[key]) for key in keys}
    )


def _feature_values(
    game: GameDefinition, counts: Mapping[tuple[int, int], int], total: int
) -> dict[int, FeatureValue]:
    """Feature payout per initial award; free spins replay the base reels times a multiplier."""
    feature = game.free_spins
    if feature is None:
        return {}
    award_of = tables_for(game).award_spins
    m = feature.multiplier
    grouped: dict[int, list[int]] = {}  # retrigger spins -> [count, sum x, sum x^2, max x]
    for (units, scatters), count in counts.items():
        extra = int(award_of[scatters]) if feature.retrigger else 0
        group = grouped.setdefault(extra, [0, 0, 0, 0])
        group[0] += count
        group[1] += count * units * m
        group[2] += count * (units * m) ** 2
        group[3] = max(group[3], units * m)
    classes = {
        extra: SpinClass(Fraction(n, total), Fraction(s1, total), Fraction(s2, total), top)
        for extra, (n, s1, s2, top) in grouped.items()
    }
    return feature_values(feature, classes)


def _stop_blocks(reel_lengths: tuple[int, ...]) -> Iterator[np.ndarray]:
    """Every stop combination, as ``(rows, reels)`` blocks of at most about ``_BLOCK_ROWS``.

    The block array is reused between yields: consume it before asking for the next one.
    """
    n = len(reel_lengths)
    lead = 0
    while lead < n - 1 and prod(reel_lengths[lead:]) > _BLOCK_ROWS:
        lead += 1
    tail = np.indices(reel_lengths[lead:]).reshape(n - lead, -1).T
    block = np.empty((len(tail), n), dtype=np.intp)
    block[:, lead:] = tail
    for prefix in product(*(range(length) for length in reel_lengths[:lead])):
        block[:, :lead] = prefix
        yield block
