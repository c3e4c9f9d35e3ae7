"""Exact moments and maximum of the free-spins feature.

A feature is a chain of independent free spins. Its state is (spins remaining, spins awarded so
far); a spin pays ``x`` and may retrigger ``r`` more spins, truncated so the round never exceeds
``max_spins``. Writing F(state) for the feature's remaining payout, the renewal equations

    E[F(s)]   = sum_r ( E[x; r] + P(r) E[F(s_r)] )
    E[F(s)^2] = sum_r ( E[x^2; r] + 2 E[x; r] E[F(s_r)] + P(r) E[F(s_r)^2] )
    max F(s)  = max_r ( max[x | r] + max F(s_r) )

hold exactly because the next spin is independent of the past. Every step either spends a spin
or raises the award towards the cap, so the recursion is finite and solved in Fractions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

from croupier.games.engine.model import FreeSpins


@dataclass(frozen=True)
class SpinClass:
    """Free-spin outcomes that retrigger the same number of spins (possibly zero)."""

    probability: Fraction
    mean_win: Fraction  # E[x; class], multiplier included
    mean_square_win: Fraction  # E[x^2; class]
    max_win: int


@dataclass(frozen=True)
class FeatureValue:
    """Payout of a whole feature started by one award, in line bets."""

    mean: Fraction
    second_moment: Fraction
    max_win: int


def feature_values(feature: FreeSpins, classes: Mapping[int, SpinClass]) -> dict[int, FeatureValue]:
    """The feature payout for each initial award; ``classes`` is keyed by retrigger spins."""

    @cache
    def solve(remaining: int, awarded: int) -> FeatureValue:
        if remaining == 0:
            return FeatureValue(Fraction(0), Fraction(0), 0)
        mean = second = Fraction(0)
        best = 0
        for extra, spin in classes.items():
            granted = min(feature.max_spins, awarded + extra) - awarded
            after = solve(remaining - 1 + granted, awarded + granted)
            mean += spin.mean_win + spin.probability * after.mean
            second += (
                spin.mean_square_win
                + 2 * spin.mean_win * after.mean
                + spin.probability * after.second_moment
            )
            best = max(best, spin.max_win + after.max_win)
        return FeatureValue(mean, second, best)

    return {award: solve(award, award) for award in set(feature.awards.values())}
