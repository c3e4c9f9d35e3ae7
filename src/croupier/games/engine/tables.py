"""Compile a game definition into numpy lookup tables.

Every evaluation path (a single live spin, the exact enumeration, the statistical tests) reads
these tables and nothing else, so play and math cannot drift apart.

A payline's symbols are encoded as one integer, the "line code": the base-S number whose digits
are the symbol indices along the line. Each reel adds ``symbol * S**(n-1-reel)`` for its row on
the line, precomputed per stop in ``line_contrib``. The paytable is then one array lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from croupier.games.engine.model import GameDefinition


@dataclass(frozen=True, eq=False)
class PlayTables:
    """The same tables as Python tuples, for one set of stops at a time (a live round):
    indexing a NumPy array one value at a time costs more than the arithmetic (a round takes
    about half as long this way; bench/RESULTS.md, "Session 17")."""

    line_contrib: tuple[tuple[tuple[int, ...], ...], ...]  # reel -> stop -> part of each line
    line_pay: tuple[int, ...]
    line_symbol: tuple[str, ...]  # the paid symbol's name ("" if none)
    line_count: tuple[int, ...]
    reel_scatters: tuple[tuple[int, ...], ...]
    columns: tuple[tuple[tuple[str, ...], ...], ...]  # reel -> stop -> symbols shown, top first
    scatter_units: tuple[int, ...]
    award_spins: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class EvalTables:
    """Lookup tables of one game. Units are line bets; scatter pays are converted to them."""

    symbols: tuple[str, ...]
    windows: tuple[np.ndarray, ...]  # per reel, (stops, rows): symbol index shown
    line_contrib: tuple[np.ndarray, ...]  # per reel, (stops, lines): share of each line code
    line_pay: np.ndarray  # line code -> pay in line bets
    line_symbol: np.ndarray  # line code -> index of the paid symbol (-1 if none)
    line_count: np.ndarray  # line code -> length of the paid run
    reel_scatters: tuple[np.ndarray, ...]  # per reel, (stops,): scatters in the window
    scatter_units: np.ndarray  # scatter count -> pay in line bets
    award_spins: np.ndarray  # scatter count -> free spins awarded
    play: PlayTables  # the same, as tuples


@lru_cache(maxsize=32)
def tables_for(game: GameDefinition) -> EvalTables:
    """Build (once per game) the tables every evaluation uses."""
    symbols = game.symbols
    index = {symbol: i for i, symbol in enumerate(symbols)}
    scatter = index[game.scatter]
    paylines = np.array(game.paylines, dtype=np.int64)
    n_symbols, n_reels = len(symbols), game.n_reels

    windows, contrib, scatters = [], [], []
    for reel, strip in enumerate(game.reels):
        coded = np.array([index[s] for s in strip], dtype=np.int64)
        offsets = np.arange(len(strip))[:, None] + np.arange(game.rows)[None, :]
        window = coded[offsets % len(strip)]
        windows.append(window)
        place = n_symbols ** (n_reels - 1 - reel)
        contrib.append((window[:, paylines[:, reel]] * place).astype(np.int32))
        scatters.append((window == scatter).sum(axis=1).astype(np.int64))

    pay, symbol, count = _line_tables(game, symbols)
    max_scatters = game.n_reels * game.rows
    scatter_units = np.zeros(max_scatters + 1, dtype=np.int64)
    award_spins = np.zeros(max_scatters + 1, dtype=np.int64)
    for n, multiple in game.scatter_pays.items():
        scatter_units[n] = multiple * game.n_lines
    if game.free_spins is not None:
        for n, spins in game.free_spins.awards.items():
            award_spins[n] = spins
    names = (*symbols, "")  # index -1: no paid symbol
    play = PlayTables(
        line_contrib=tuple(tuple(map(tuple, reel.tolist())) for reel in contrib),
        line_pay=tuple(pay.tolist()),
        line_symbol=tuple(names[i] for i in symbol.tolist()),
        line_count=tuple(count.tolist()),
        reel_scatters=tuple(tuple(reel.tolist()) for reel in scatters),
        columns=tuple(
            tuple(tuple(symbols[i] for i in stop) for stop in window.tolist()) for window in windows
        ),
        scatter_units=tuple(scatter_units.tolist()),
        award_spins=tuple(award_spins.tolist()),
    )
    return EvalTables(
        symbols=symbols,
        windows=tuple(windows),
        line_contrib=tuple(contrib),
        line_pay=pay,
        line_symbol=symbol,
        line_count=count,
        reel_scatters=tuple(scatters),
        scatter_units=scatter_units,
        award_spins=award_spins,
        play=play,
    )


def _line_tables(
    game: GameDefinition, symbols: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pay, paid symbol and run length for every possible line code.

    The line's candidate symbol is its first non-wild symbol; the run counts that symbol and
    wilds from reel one. The wild-only run is a second candidate; the higher pay wins (ties go
    to the candidate symbol). A scatter candidate has no line pay.
    """
    n_symbols, n_reels = len(symbols), game.n_reels
    wild = symbols.index(game.wild)
    pays = np.zeros((n_symbols, n_reels + 1), dtype=np.int64)
    for s, name in enumerate(symbols):
        for length, multiple in game.paytable.get(name, {}).items():
            pays[s, length] = multiple

    codes = np.arange(n_symbols**n_reels, dtype=np.int64)
    places = n_symbols ** np.arange(n_reels - 1, -1, -1, dtype=np.int64)
    line = (codes[:, None] // places[None, :]) % n_symbols
    is_wild = line == wild
    first = np.argmax(~is_wild, axis=1)  # 0 for an all-wild line, whose candidate is the wild
    candidate = line[np.arange(len(codes)), first]
    matches = (line == candidate[:, None]) | is_wild
    run = np.cumprod(matches, axis=1).sum(axis=1)
    wild_run = np.cumprod(is_wild, axis=1).sum(axis=1)
    candidate_pay = pays[candidate, run]
    wild_pay = pays[wild, wild_run]

    use_wild = wild_pay > candidate_pay
    pay = np.where(use_wild, wild_pay, candidate_pay)
    paid_symbol = np.where(pay > 0, np.where(use_wild, wild, candidate), -1)
    count = np.where(pay > 0, np.where(use_wild, wild_run, run), 0)
    return pay.astype(np.int32), paid_symbol.astype(np.int8), count.astype(np.int8)
