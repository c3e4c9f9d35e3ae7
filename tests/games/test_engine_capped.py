"""Capped maths for RTP monitoring: a game small enough to compute by hand, the uncapped limit,
an independent brute force of a retriggering feature, and simulation of the builtin games."""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from functools import cache
from itertools import product
from math import sqrt

import numpy as np
import pytest

from croupier.games.engine import (
    FreeSpins,
    GameDefinition,
    compute_capped_math,
    compute_math,
    get_game_definition,
)
from croupier.games.engine.evaluate import evaluate_batch
from croupier.games.engine.tables import tables_for
from tests.games.test_engine_math import simulate_paid_spins

# One row, one line, 2 x 2 x 2 stops. Base spins (units = line bets = stakes, one line):
#   AAA 50 | ABA 0 | BAA 0 | BBA 3 (B pays 3 for two) | AAS 1 | ABS 1 | BAS 1 | BBS 3 + 1 = 4
# where S (the scatter, reel 3 only) pays 1 x stake and awards 2 free spins at x2, no retrigger.
TINY = GameDefinition(
    slug="tiny",
    name="Tiny",
    version="1",
    volatility="high",
    rows=1,
    reels=(("A", "B"), ("A", "B"), ("A", "S")),
    paylines=((0, 0, 0),),
    paytable={"A": {3: 50}, "B": {2: 3}, "W": {3: 1}},
    wild="W",
    scatter="S",
    scatter_pays={1: 1},
    free_spins=FreeSpins(awards={1: 2}, multiplier=2, retrigger=False, max_spins=2),
    min_bet=1,
    max_bet=100,
)


def test_capped_maths_of_a_hand_computed_game() -> None:
    """Cap C = 100. A free spin pays y in {50: 1/8, 0: 2/8, 1: 3/8, 3: 1/8, 4: 1/8} (times 2).

    A round reaches the cap only through the feature: P(trigger) = 1/2 and P(some free spin
    shows 50) = 1 - (7/8)^2 = 15/64, so p_large = 15/128. Without a 50, y has mean 10/7 and
    E[y^2] = 4, so the two spins' sum S has E[S] = 20/7 and E[S^2] = 2 * 96/49 + (20/7)^2 = 592/49.
    For a trigger paying u in the base game (u = 1, 1, 1, 4):
        E[min(W, 100)]   = 49/64 (u + 40/7) + 15/64 * 100          = (49u + 1780) / 64
        E[min(W, 100)^2] = 49/64 (u^2 + 80u/7 + 2368/49) + 15/64 * 100^2
    so mu_C = 53/8 + 7463/512 = 10855/512 and E[min^2] = 2509/8 + 614323/512 = 774899/512.
    """
    capped = compute_capped_math(TINY, 100)
    assert capped.cap_multiple == 100
    assert capped.p_large == Fraction(15, 128) == capped.p_top
    assert capped.mean == Fraction(10855, 512)
    assert capped.variance == Fraction(774899, 512) - Fraction(10855, 512) ** 2
    assert capped.variance == Fraction(278917263, 262144)
    assert capped.sigma == pytest.approx(sqrt(278917263 / 262144))


def test_a_cap_above_the_maximum_win_gives_the_full_maths() -> None:
    for game, cap in ((TINY, 1000), (get_game_definition("neon-fruits"), 100)):
        full, capped = compute_math(game), compute_capped_math(game, cap)
        assert full.max_win_multiplier < cap
        assert (capped.mean, capped.variance, capped.p_large) == (full.rtp, full.variance, 0)
    # The largest win of TINY is BBS (4) plus two free spins of 50 at x2: 204, with 1/8 * 1/64.
    assert compute_capped_math(TINY, 1000).p_top == Fraction(1, 512)


RETRIGGER = GameDefinition(
    slug="tiny-retrigger",
    name="Tiny Retrigger",
    version="1",
    volatility="high",
    rows=1,
    reels=(("A", "B", "S"), ("A", "S"), ("A", "B", "S")),
    paylines=((0, 0, 0),),
    paytable={"A": {2: 1, 3: 10}, "B": {2: 2}, "W": {3: 1}},
    wild="W",
    scatter="S",
    scatter_pays={1: 1, 2: 2, 3: 5},
    free_spins=FreeSpins(awards={1: 1, 2: 2, 3: 3}, multiplier=3, retrigger=True, max_spins=5),
    min_bet=1,
    max_bet=100,
)


def _brute_force(game: GameDefinition) -> dict[int, Fraction]:
    """The whole distribution of a paid spin's win (line bets), by plain recursion over
    every free spin outcome: no truncation, no packing, no shared code with capped.py."""
    tables = tables_for(game)
    stops = np.array(list(product(*map(range, game.reel_lengths))))
    units, scatters = evaluate_batch(tables, stops)
    spin: dict[tuple[int, int], Fraction] = defaultdict(Fraction)
    for u, s in zip(units.tolist(), scatters.tolist(), strict=True):
        spin[(u, int(tables.award_spins[s]))] += Fraction(1, len(stops))
    feature = game.free_spins
    assert feature is not None

    @cache
    def rest(remaining: int, awarded: int) -> dict[int, Fraction]:
        if remaining == 0:
            return {0: Fraction(1)}
        out: dict[int, Fraction] = defaultdict(Fraction)
        for (u, extra), p in spin.items():
            granted = min(feature.max_spins, awarded + extra) - awarded
            for value, q in rest(remaining - 1 + granted, awarded + granted).items():
                out[u * feature.multiplier + value] += p * q
        return out

    total: dict[int, Fraction] = defaultdict(Fraction)
    for (u, award), p in spin.items():
        for value, q in (rest(award, award) if award else {0: Fraction(1)}).items():
            total[u + value] += p * q
    return total


@pytest.mark.parametrize("cap", [1, 4, 17, 60])
def test_retriggering_feature_agrees_with_brute_force(cap: int) -> None:
    distribution = _brute_force(RETRIGGER)  # one line: line bets are stakes
    assert sum(distribution.values()) == 1
    mean = sum(p * min(v, cap) for v, p in distribution.items())
    second = sum(p * min(v, cap) ** 2 for v, p in distribution.items())
    p_large = sum(p for v, p in distribution.items() if v >= cap)
    top = max(min(v, cap) for v in distribution)
    capped = compute_capped_math(RETRIGGER, cap)
    assert (capped.mean, capped.variance, capped.p_large) == (mean, second - mean**2, p_large)
    assert capped.p_top == sum(p for v, p in distribution.items() if min(v, cap) == top)


def test_the_cap_must_be_a_positive_whole_multiple() -> None:
    for cap in (0, -5, 2.5, True):
        with pytest.raises(ValueError):
            compute_capped_math(TINY, cap)  # type: ignore[arg-type]


@pytest.mark.slow
@pytest.mark.parametrize("slug", ["pharaoh-gold", "dragon-vault"])
def test_simulated_spins_agree_with_the_capped_maths(slug: str) -> None:
    game = get_game_definition(slug)
    exact = compute_capped_math(game)
    n = 400_000
    wins = simulate_paid_spins(game, n, np.random.default_rng(20261121))
    cap = exact.cap_multiple * game.n_lines
    capped_mean = np.minimum(wins, cap).mean() / game.n_lines
    assert abs(capped_mean - float(exact.mean)) < 4 * exact.sigma / sqrt(n)
    expected_large = n * float(exact.p_large)
    assert abs(int((wins >= cap).sum()) - expected_large) < 4 * sqrt(expected_large)
