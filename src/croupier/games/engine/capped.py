"""Exact maths of the capped win, for live RTP monitoring (reference B2.3, tests A and B).

Per paid spin, with X = win / stake (free spins included) and a cap C (100 unless told):

    mu_C    = E[min(X, C)]          sigma_C^2 = Var(min(X, C))
    p_large = P(X >= C)             p_top     = P(min(X, C) takes its largest value)

Capping keeps the variance of the monitored mean small: the rare huge wins that make the full
z-test wait for millions of spins go into p_large, which a Poisson count watches instead. It also
makes the maths finite: only the distribution of wins below the cap is needed, and it is exact.

A spin that does not trigger the feature pays its base win, known from the enumeration. A
triggering spin pays base + feature, and the feature is a chain of independent free spins. Its
distribution below the cap comes from the renewal recursion of feature.py, on generating
polynomials truncated at the cap instead of on moments:

    G(s) = sum_r P_r(z) * G(s_r)   (mod z^D)

where P_r counts one free spin's pays (in line bets before the multiplier) among the spins that
retrigger r more, and s_r is the state after it. Everything stays an exact integer: each free
spin is one of ``total`` equally likely stop combinations, so a state that may still play at most
K spins is kept as counts over total^K. Polynomials are multiplied by Kronecker substitution
(each packed into one big integer), so CPython's big-integer multiply does the convolution.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, lru_cache
from math import prod, sqrt

from croupier.games.engine.math import outcome_counts
from croupier.games.engine.model import GameDefinition
from croupier.games.engine.tables import tables_for

CAP_MULTIPLE = 100  # C: wins are capped at C x stake (reference B2.3)


@dataclass(frozen=True)
class CappedMath:
    """Per paid spin, in multiples of the total stake, free spins included."""

    slug: str
    version: str
    cap_multiple: int
    mean: Fraction  # mu_C = E[min(win / stake, C)]
    variance: Fraction  # of min(win / stake, C)
    sigma: float  # sqrt(variance), for standard errors
    p_large: Fraction  # P(win >= C x stake)
    p_top: Fraction  # P(min(win / stake, C) is at its maximum): the volume gate's rare outcome


@dataclass(frozen=True)
class _Tail:
    """The feature's pay below the cap for one initial award: ``counts[y]`` (over
    total^max_spins) of paying y line bets before the multiplier, and prefix sums of
    (count, y * count, y^2 * count) over y < n for n = 0..len(counts)."""

    counts: tuple[int, ...]
    prefix: tuple[tuple[int, int, int], ...]


@lru_cache(maxsize=32)
def compute_capped_math(game: GameDefinition, cap_multiple: int = CAP_MULTIPLE) -> CappedMath:
    """mu_C, sigma_C, p_large and p_top of one paid spin, exactly (cached per game and cap)."""
    if isinstance(cap_multiple, bool) or not isinstance(cap_multiple, int) or cap_multiple < 1:
        raise ValueError("the cap must be a positive whole multiple of the stake")
    counts = outcome_counts(game)
    total = prod(game.reel_lengths)
    cap = cap_multiple * game.n_lines  # in line bets, like every pay in the tables
    feature = game.free_spins
    multiplier = feature.multiplier if feature else 1
    scale = total**feature.max_spins if feature else 1  # the feature's common denominator
    tails = _feature_tails(game, counts, total, cap)
    award_of = tables_for(game).award_spins

    first = second = large = 0  # weights over total * scale
    for (units, scatters), count in counts.items():
        tail = tails.get(int(award_of[scatters]))
        if tail is None:
            weight, capped = count * scale, min(units, cap)
            first += weight * capped
            second += weight * capped * capped
            large += weight if units >= cap else 0
            continue
        below = -(-(cap - units) // multiplier) if units < cap else 0  # y with units + m*y < cap
        n0, n1, n2 = tail.prefix[below]
        rest = scale - n0  # the feature takes the round to the cap or beyond
        first += count * (units * n0 + multiplier * n1 + rest * cap)
        second += count * (
            units * units * n0 + 2 * units * multiplier * n1 + multiplier**2 * n2 + rest * cap * cap
        )
        large += count * rest

    outcomes = total * scale
    mean = Fraction(first, outcomes * game.n_lines)
    variance = Fraction(second, outcomes * game.n_lines**2) - mean * mean
    top = large or _top_weight(game, counts, tails, scale)
    return CappedMath(
        slug=game.slug,
        version=game.version,
        cap_multiple=cap_multiple,
        mean=mean,
        variance=variance,
        sigma=sqrt(variance),
        p_large=Fraction(large, outcomes),
        p_top=Fraction(top, outcomes),
    )


def _top_weight(
    game: GameDefinition, counts: Mapping[tuple[int, int], int], tails: dict[int, _Tail], scale: int
) -> int:
    """The weight (over total * scale) of the largest win when every win is below the cap, so
    the distribution below the cap is the whole distribution."""
    award_of = tables_for(game).award_spins
    multiplier = game.free_spins.multiplier if game.free_spins else 1
    best, weight = -1, 0
    for (units, scatters), count in counts.items():
        tail = tails.get(int(award_of[scatters]))
        if tail is None:
            pairs = [(units, count * scale)]
        else:
            pairs = [(units + multiplier * y, count * c) for y, c in enumerate(tail.counts) if c]
        for value, mass in pairs:
            if value > best:
                best, weight = value, mass
            elif value == best:
                weight += mass
    return weight


def _feature_tails(
    game: GameDefinition, counts: Mapping[tuple[int, int], int], total: int, cap: int
) -> dict[int, _Tail]:
    """The feature's pay distribution below the cap, per initial award."""
    feature = game.free_spins
    if feature is None:
        return {}
    award_of = tables_for(game).award_spins
    # Free spins totalling y line bets pay m*y: below the cap exactly when y < size.
    size = -(-cap // feature.multiplier)
    classes: dict[int, list[int]] = {}  # retrigger spins -> one free spin's counts per pay
    for (units, scatters), count in counts.items():
        row = classes.setdefault(int(award_of[scatters]) if feature.retrigger else 0, [0] * size)
        if units < size:
            row[units] += count
    packer = _Packer(size, (total**feature.max_spins).bit_length() // 8 + 1)
    packed = {extra: packer.pack(row) for extra, row in classes.items()}
    any_spin = packer.pack([sum(column) for column in zip(*classes.values(), strict=True)])

    @cache
    def power(n: int) -> int:
        """n free spins that cannot retrigger, over total^n."""
        return 1 if n == 0 else packer.truncate(any_spin * power(n - 1))

    @cache
    def solve(remaining: int, awarded: int) -> int:
        """The rest of the feature from this state, over total^(max_spins - played)."""
        if remaining == 0 or not feature.retrigger or awarded >= feature.max_spins:
            return power(remaining) * total ** (feature.max_spins - awarded)
        result = 0
        for extra, poly in packed.items():
            granted = min(feature.max_spins, awarded + extra) - awarded
            result += packer.truncate(poly * solve(remaining - 1 + granted, awarded + granted))
        return result

    tails = {}
    for award in set(feature.awards.values()):
        values = packer.unpack(solve(award, award))
        prefix, n0, n1, n2 = [(0, 0, 0)], 0, 0, 0
        for y, c in enumerate(values):
            n0, n1, n2 = n0 + c, n1 + y * c, n2 + y * y * c
            prefix.append((n0, n1, n2))
        tails[award] = _Tail(tuple(values), tuple(prefix))
    return tails


class _Packer:
    """Polynomials with non-negative integer coefficients below 256^width, truncated to
    ``size`` terms, packed into one integer (coefficient i in bytes [i*width, (i+1)*width)).

    A product's coefficients never exceed the bound (they are counts out of total^K), so no
    carry crosses a slot and masking the low ``size`` slots truncates exactly."""

    def __init__(self, size: int, width: int) -> None:
        self.size, self.width = size, width
        self.mask = (1 << (8 * width * size)) - 1

    def pack(self, coefficients: list[int]) -> int:
        raw = b"".join(c.to_bytes(self.width, "little") for c in coefficients)
        return int.from_bytes(raw, "little")

    def unpack(self, packed: int) -> list[int]:
        raw = packed.to_bytes(self.width * self.size, "little")
        w = self.width
        return [int.from_bytes(raw[i * w : (i + 1) * w], "little") for i in range(self.size)]

    def truncate(self, packed: int) -> int:
        return packed & self.mask
