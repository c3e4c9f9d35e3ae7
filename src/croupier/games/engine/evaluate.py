"""Evaluate reel stops through the compiled tables: in bulk for math, one by one for play.

Both functions start from the same ``line_contrib`` sums and the same ``line_pay`` lookup, and
a test asserts they agree on thousands of random stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from croupier.games.engine.tables import EvalTables


@dataclass(frozen=True)
class LineHit:
    """A paying line, with its pay in line bets (before any free-spins multiplier)."""

    line: int
    symbol: str
    count: int
    units: int


@dataclass(frozen=True)
class StopsEvaluation:
    """Everything a single set of stops shows and pays, in line bets."""

    grid: tuple[tuple[str, ...], ...]  # rows of symbols, top row first
    lines: tuple[LineHit, ...]
    scatter_count: int
    scatter_units: int
    free_spins_awarded: int

    @property
    def units(self) -> int:
        return sum(hit.units for hit in self.lines) + self.scatter_units


def evaluate_batch(tables: EvalTables, stops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Win in line bets and scatter count for each row of an ``(n, reels)`` stops array."""
    # ``take`` along axis 0 with in-place sums is about twice as fast as fancy indexing here.
    codes = tables.line_contrib[0].take(stops[:, 0], axis=0)
    scatters = tables.reel_scatters[0].take(stops[:, 0])
    for reel in range(1, len(tables.line_contrib)):
        codes += tables.line_contrib[reel].take(stops[:, reel], axis=0)
        scatters += tables.reel_scatters[reel].take(stops[:, reel])
    units = tables.line_pay[codes].sum(axis=1, dtype=np.int64) + tables.scatter_units[scatters]
    return units, scatters


def evaluate_stops(tables: EvalTables, stops: tuple[int, ...]) -> StopsEvaluation:
    """The full, displayable result of one set of stops."""
    play = _play_tables(tables)
    parts = [reel[stop] for reel, stop in zip(play.line_contrib, stops, strict=True)]
    pay = play.line_pay
    lines = tuple(
        LineHit(line=line, symbol=play.line_symbol[code], count=play.line_count[code], units=units)
        for line, code in enumerate(map(sum, zip(*parts, strict=True)))
        if (units := pay[code]) > 0
    )
    scatter_count = sum(reel[stop] for reel, stop in zip(play.reel_scatters, stops, strict=True))
    columns = [reel[stop] for reel, stop in zip(play.columns, stops, strict=True)]
    return StopsEvaluation(
        grid=tuple(zip(*columns, strict=True)),
        lines=lines,
        scatter_count=scatter_count,
        scatter_units=play.scatter_units[scatter_count],
        free_spins_awarded=play.award_spins[scatter_count],
    )


@dataclass(frozen=True, eq=False)
class _PlayTables:
    """EvalTables as Python tuples, for one set of stops at a time: indexing a NumPy array
    one value at a time costs more than the arithmetic (21 µs a round against 5)."""

    line_contrib: tuple[tuple[tuple[int, ...], ...], ...]  # reel -> stop -> part of each line
    line_pay: tuple[int, ...]
    line_symbol: tuple[str, ...]  # the paid symbol's name ("" if none)
    line_count: tuple[int, ...]
    reel_scatters: tuple[tuple[int, ...], ...]
    columns: tuple[tuple[tuple[str, ...], ...], ...]  # reel -> stop -> symbols, top first
    scatter_units: tuple[int, ...]
    award_spins: tuple[int, ...]


@lru_cache(maxsize=32)
def _play_tables(tables: EvalTables) -> _PlayTables:
    names = (*tables.symbols, "")  # index -1: no paid symbol
    return _PlayTables(
        line_contrib=tuple(tuple(map(tuple, reel.tolist())) for reel in tables.line_contrib),
        line_pay=tuple(tables.line_pay.tolist()),
        line_symbol=tuple(names[i] for i in tables.line_symbol.tolist()),
        line_count=tuple(tables.line_count.tolist()),
        reel_scatters=tuple(tuple(reel.tolist()) for reel in tables.reel_scatters),
        columns=tuple(
            tuple(tuple(tables.symbols[i] for i in stop) for stop in window.tolist())
            for window in tables.windows
        ),
        scatter_units=tuple(tables.scatter_units.tolist()),
        award_spins=tuple(tables.award_spins.tolist()),
    )
