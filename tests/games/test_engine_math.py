"""Exact math versus play: simulation, exhaustive replay and the feature's renewal equations."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from itertools import product
from math import sqrt

import numpy as np
import pytest
from typer.testing import CliRunner

from croupier.games.cli import games_app
from croupier.games.engine import (
    FreeSpins,
    GameDefinition,
    InvalidStakeError,
    ReplayMismatchError,
    compute_math,
    get_game_definition,
    list_game_definitions,
    p_loss,
    replay,
    spin,
)
from croupier.games.engine.evaluate import evaluate_batch
from croupier.games.engine.feature import SpinClass, feature_values
from croupier.games.engine.play import ReelSpin
from croupier.games.engine.tables import EvalTables, tables_for

GAMES = [game.slug for game in list_game_definitions()]
SIMULATED_SPINS = 1_000_000


class NumpyStops:
    """A seeded, reproducible stops source so tests can drive the real play path."""

    def __init__(self, seed: int) -> None:
        self._rng = np.random.default_rng(seed)

    def next_stops(self, reel_lengths):
        return tuple(int(self._rng.integers(length)) for length in reel_lengths)


def simulate_paid_spins(game: GameDefinition, n: int, rng: np.random.Generator) -> np.ndarray:
    """Total win in line bets of ``n`` paid spins, free spins included, via ``evaluate_batch``."""
    tables = tables_for(game)
    lengths = np.array(game.reel_lengths)

    def draw(count: int) -> np.ndarray:
        return rng.integers(0, lengths, size=(count, game.n_reels))

    totals, scatters = evaluate_batch(tables, draw(n))
    feature = game.free_spins
    if feature is None:
        return totals
    rounds = np.flatnonzero(tables.award_spins[scatters])
    awarded = tables.award_spins[scatters[rounds]]
    remaining = awarded.copy()
    while (active := np.flatnonzero(remaining)).size:
        units, free_scatters = evaluate_batch(tables, draw(active.size))
        totals[rounds[active]] += units * feature.multiplier
        extra = tables.award_spins[free_scatters] if feature.retrigger else 0
        granted = np.minimum(feature.max_spins, awarded[active] + extra) - awarded[active]
        awarded[active] += granted
        remaining[active] += granted - 1
    return totals


@pytest.mark.slow
@pytest.mark.parametrize("slug", GAMES)
def test_million_simulated_spins_agree_with_exact_math(slug: str) -> None:
    game = get_game_definition(slug)
    exact = compute_math(game)
    rng = np.random.default_rng(20240611)
    wins = np.concatenate([simulate_paid_spins(game, 250_000, rng) for _ in range(4)])
    assert wins.size == SIMULATED_SPINS

    rtp = wins.mean() / game.n_lines
    assert abs(rtp - float(exact.rtp)) < 4 * exact.sigma / sqrt(SIMULATED_SPINS)
    for observed, probability in (
        ((wins > 0).mean(), float(exact.hit_rate)),
        ((wins < game.n_lines).mean(), float(exact.p_loss)),
    ):
        standard_error = sqrt(probability * (1 - probability) / SIMULATED_SPINS)
        assert abs(observed - probability) < 4 * standard_error
    assert int(wins.max()) <= exact.max_win_multiplier * game.n_lines


@pytest.mark.parametrize("slug", GAMES)
def test_play_path_equals_vectorised_evaluation(slug: str) -> None:
    game = get_game_definition(slug)
    tables = tables_for(game)
    source = NumpyStops(seed=7)
    stake = game.min_bet * 3
    line_bet = stake // game.n_lines
    multiplier = game.free_spins.multiplier if game.free_spins else 1
    for _ in range(3000):
        outcome = spin(game, stake, source)
        units, scatters = evaluate_batch(tables, np.array(outcome.stops))
        assert outcome.base.win == units[0] * line_bet
        assert [s.win for s in outcome.free_spins] == list(units[1:] * line_bet * multiplier)
        assert outcome.base.scatter_count == scatters[0]
        assert outcome.total_win == int(units[0] + units[1:].sum() * multiplier) * line_bet
        assert outcome.base.win == sum(w.pay for w in outcome.base.line_wins) + (
            outcome.base.scatter_win
        )
        _assert_shown_as_the_tables_say(tables, outcome.base)


def _assert_shown_as_the_tables_say(tables: EvalTables, spin: ReelSpin) -> None:
    """The grid and each paying line's symbol and run length, read from the NumPy tables."""
    columns = [window[stop] for window, stop in zip(tables.windows, spin.stops, strict=True)]
    grid = [[tables.symbols[column[row]] for column in columns] for row in range(len(columns[0]))]
    assert [list(row) for row in spin.grid] == grid
    codes = sum(
        contrib[stop] for contrib, stop in zip(tables.line_contrib, spin.stops, strict=True)
    )
    paying = [line for line, code in enumerate(codes) if tables.line_pay[code] > 0]
    assert [win.line for win in spin.line_wins] == paying
    for win in spin.line_wins:
        assert win.symbol == tables.symbols[tables.line_symbol[codes[win.line]]]
        assert win.count == tables.line_count[codes[win.line]]


def test_exhaustive_replay_of_a_featureless_game_gives_the_exact_rtp() -> None:
    game = get_game_definition("neon-fruits")
    stake = game.min_bet
    rounds = [replay(game, stake, [stops]) for stops in product(*map(range, game.reel_lengths))]
    exact = compute_math(game)
    assert Fraction(sum(r.total_win for r in rounds), stake * len(rounds)) == exact.rtp
    assert Fraction(sum(r.total_win > 0 for r in rounds), len(rounds)) == exact.hit_rate
    assert Fraction(max(r.total_win for r in rounds), stake) == exact.max_win_multiplier


def test_feature_renewal_equations_match_a_closed_form() -> None:
    """Each spin pays c and retriggers one spin with probability q, up to a cap of K spins.

    The number of spins N is then a geometric variable truncated at K: P(N >= n) = q**(n-1).
    """
    c, q, cap = 7, Fraction(1, 3), 6
    classes = {
        1: SpinClass(q, q * c, q * c * c, c),
        0: SpinClass(1 - q, (1 - q) * c, (1 - q) * c * c, c),
    }
    feature = FreeSpins(awards={3: 1}, multiplier=1, retrigger=True, max_spins=cap)
    value = feature_values(feature, classes)[1]
    tail = [q ** (n - 1) for n in range(1, cap + 1)]  # P(N >= n)
    assert value.mean == c * sum(tail)
    assert value.second_moment == c * c * sum((2 * n - 1) * p for n, p in enumerate(tail, 1))
    assert value.max_win == c * cap


def test_catalogue_spans_three_volatilities_within_the_rtp_band() -> None:
    maths = [compute_math(game) for game in list_game_definitions()]
    assert [game.volatility for game in list_game_definitions()] == ["low", "medium", "high"]
    assert maths[0].sigma < maths[1].sigma < maths[2].sigma
    assert all(Fraction(94, 100) <= m.rtp <= Fraction(97, 100) for m in maths)
    assert any(m.feature_trigger_probability > 0 for m in maths)
    assert sum(p for _, p in maths[0].base_distribution) == 1
    for game, m in zip(list_game_definitions(), maths, strict=True):
        assert p_loss(game) == m.p_loss
        assert compute_math(game) is m  # cached for the service and the safety engine


@pytest.mark.parametrize("stake", [0, 19, 30, 20_020, 25.0, True])
def test_stakes_outside_the_rule_are_refused(stake) -> None:
    game = get_game_definition("pharaoh-gold")
    with pytest.raises(InvalidStakeError):
        spin(game, stake, NumpyStops(seed=1))


def test_replay_reproduces_a_stored_round_and_refuses_a_partial_one() -> None:
    game = get_game_definition("dragon-vault")
    source = NumpyStops(seed=3)
    outcome = next(o for o in (spin(game, 50, source) for _ in range(5000)) if o.free_spins)
    record = outcome.to_json()
    assert replay(game, record["stake"], record["stops"]) == outcome
    assert record["totalWin"] == outcome.total_win
    with pytest.raises(ReplayMismatchError):
        replay(game, 50, record["stops"][:-1])


def test_a_trigger_that_does_not_pay_the_stake_is_rejected() -> None:
    with pytest.raises(ValueError, match="at least 1x stake"):
        replace(
            get_game_definition("neon-fruits"),
            scatter_pays={2: 1},
            free_spins=FreeSpins(awards={3: 5}, multiplier=2, retrigger=False, max_spins=5),
        )


def test_cli_prints_the_exact_math() -> None:
    result = CliRunner().invoke(games_app, ["math", "pharaoh-gold"])
    assert result.exit_code == 0, result.output
    rtp = compute_math(get_game_definition("pharaoh-gold")).rtp
    assert f"{float(rtp) * 100:.4f}%" in result.output
    assert "Free-spins trigger" in result.output
    assert CliRunner().invoke(games_app, ["math", "no-such-game"]).exit_code == 2
