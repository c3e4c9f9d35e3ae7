"""Play one paid round: the base spin plus any free spins it triggers.

All amounts are integer minor units: ``line bet * pay`` for lines and ``stake * pay`` for
scatters, times the free-spins multiplier (see the stake rule in model.py). The outcome keeps
every set of stops in play order, which is all ``replay`` needs to rebuild it exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from croupier.games.engine.errors import ReplayMismatchError
from croupier.games.engine.evaluate import StopsEvaluation, evaluate_stops
from croupier.games.engine.model import GameDefinition
from croupier.games.engine.rng import RecordedStops, StopsSource
from croupier.games.engine.tables import tables_for


@dataclass(frozen=True)
class LineWin:
    line: int
    symbol: str
    count: int
    pay: int  # minor units, multiplier included


@dataclass(frozen=True)
class ReelSpin:
    """One set of stops and what it paid (the base spin or a free spin)."""

    stops: tuple[int, ...]
    grid: tuple[tuple[str, ...], ...]
    line_wins: tuple[LineWin, ...]
    scatter_count: int
    scatter_win: int
    multiplier: int
    free_spins_awarded: int
    win: int

    def to_json(self) -> dict[str, Any]:
        return {
            "stops": list(self.stops),
            "grid": [list(row) for row in self.grid],
            "lineWins": [
                {"line": w.line, "symbol": w.symbol, "count": w.count, "pay": w.pay}
                for w in self.line_wins
            ],
            "scatterCount": self.scatter_count,
            "scatterWin": self.scatter_win,
            "multiplier": self.multiplier,
            "freeSpinsAwarded": self.free_spins_awarded,
            "win": self.win,
        }


@dataclass(frozen=True)
class SpinOutcome:
    game: str
    version: str
    stake: int
    line_bet: int
    base: ReelSpin
    free_spins: tuple[ReelSpin, ...]

    # Cached: a spin's path (planning, ledger legs, bet row, safety, response) reads it about
    # ten times. (cached_property stores into the instance's __dict__, which frozen allows.)
    @cached_property
    def total_win(self) -> int:
        return self.base.win + sum(spin.win for spin in self.free_spins)

    @property
    def stops(self) -> tuple[tuple[int, ...], ...]:
        """Every set of stops in play order: the input of ``replay``."""
        return (self.base.stops, *(spin.stops for spin in self.free_spins))

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready record for storage and API responses (camelCase, integers only)."""
        return {
            "game": self.game,
            "version": self.version,
            "stake": self.stake,
            "lineBet": self.line_bet,
            "totalWin": self.total_win,
            "stops": [list(stops) for stops in self.stops],
            "base": self.base.to_json(),
            "freeSpins": [spin.to_json() for spin in self.free_spins],
        }


def spin(game: GameDefinition, stake_minor: object, stops_source: StopsSource) -> SpinOutcome:
    """Play one paid round, drawing every set of stops from ``stops_source``. The stake is
    typed ``object`` because this is where it is checked: compiled (``croupier.native``), an
    ``int`` parameter would refuse a float with a bare TypeError before ``line_bet`` could say
    what a stake must be."""
    line_bet = game.line_bet(stake_minor)
    tables = tables_for(game)
    stops = stops_source.next_stops(game.reel_lengths)
    result = evaluate_stops(tables, stops)
    base = _reel_spin(stops, result, line_bet, 1, result.free_spins_awarded)
    free_spins: list[ReelSpin] = []
    feature = game.free_spins
    awarded = remaining = base.free_spins_awarded
    while feature is not None and remaining:
        stops = stops_source.next_stops(game.reel_lengths)
        result = evaluate_stops(tables, stops)
        extra = result.free_spins_awarded if feature.retrigger else 0
        granted = min(feature.max_spins, awarded + extra) - awarded
        free_spins.append(_reel_spin(stops, result, line_bet, feature.multiplier, granted))
        awarded += granted
        remaining += granted - 1
    return SpinOutcome(
        game=game.slug,
        version=game.version,
        stake=line_bet * game.n_lines,  # the stake, checked: a whole number of line bets
        line_bet=line_bet,
        base=base,
        free_spins=tuple(free_spins),
    )


def replay(
    game: GameDefinition, stake_minor: object, recorded_stops: Sequence[Sequence[int]]
) -> SpinOutcome:
    """Rebuild a stored round from its stops; refuses recordings that do not fit exactly."""
    source = RecordedStops(recorded_stops)
    outcome = spin(game, stake_minor, source)
    if not source.exhausted():
        raise ReplayMismatchError("The recording has more stops than the round uses.")
    return outcome


def _reel_spin(
    stops: tuple[int, ...], result: StopsEvaluation, line_bet: int, multiplier: int, granted: int
) -> ReelSpin:
    """Price one evaluated set of stops; ``granted`` is the free spins it actually added."""
    scale = line_bet * multiplier
    return ReelSpin(
        stops=stops,
        grid=result.grid,
        line_wins=tuple(
            LineWin(hit.line, hit.symbol, hit.count, hit.units * scale) for hit in result.lines
        ),
        scatter_count=result.scatter_count,
        scatter_win=result.scatter_units * scale,
        multiplier=multiplier,
        free_spins_awarded=granted,
        win=result.units * scale,
    )
