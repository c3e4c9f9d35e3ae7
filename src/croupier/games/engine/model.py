"""Slot games as plain, immutable data.

A game is nothing but its definition: reel strips, paylines, paytable, wild, scatter and the
optional free-spins feature. Play, exact math and provably-fair verification all read the same
definition, so a number printed by ``croupier games math`` is the number the player gets.

Stake rule (the only rounding rule in the engine): the stake is an integer number of minor units
that must be divisible by the number of paylines. The line bet is ``stake // lines``; line pays
are integer multiples of the line bet and scatter pays are integer multiples of the whole stake,
so every win is an exact integer of minor units and nothing is ever rounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from croupier.games.engine.errors import InvalidStakeError

Volatility = Literal["low", "medium", "high"]


@dataclass(frozen=True)
class FreeSpins:
    """Scatter-triggered free spins, played on the base reels with every win multiplied.

    ``awards`` maps a scatter count to the spins it awards. With ``retrigger`` the same awards
    apply during the feature. ``max_spins`` caps the spins of one round (a retrigger award is
    truncated to the cap), which keeps the maximum win finite.
    """

    awards: Mapping[int, int]
    multiplier: int
    retrigger: bool
    max_spins: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "awards", MappingProxyType(dict(self.awards)))
        if self.multiplier < 1 or min(self.awards.values()) < 1:
            raise ValueError("free spins need a positive multiplier and positive awards")
        if self.max_spins < max(self.awards.values()):
            raise ValueError("max_spins must allow the largest award")


@dataclass(frozen=True)
class GameDefinition:
    """One slot game. Pays are ``paytable[symbol][count]`` line bets, counted left to right.

    A reel stop is the strip index shown on the top row; the rows below show the following
    symbols (wrapping). Paylines list the row used on each reel. The wild substitutes for every
    paying symbol but not the scatter; a line pays the better of its wild-only run and its run of
    the first non-wild symbol. Scatters pay anywhere on the grid, ``scatter_pays[count]`` times
    the stake.
    """

    slug: str
    name: str
    version: str
    volatility: Volatility
    rows: int
    reels: tuple[tuple[str, ...], ...]
    paylines: tuple[tuple[int, ...], ...]
    paytable: Mapping[str, Mapping[int, int]]
    wild: str
    scatter: str
    scatter_pays: Mapping[int, int]
    free_spins: FreeSpins | None
    min_bet: int
    max_bet: int

    def __post_init__(self) -> None:
        frozen_paytable = {symbol: MappingProxyType(dict(p)) for symbol, p in self.paytable.items()}
        object.__setattr__(self, "paytable", MappingProxyType(frozen_paytable))
        object.__setattr__(self, "scatter_pays", MappingProxyType(dict(self.scatter_pays)))
        self._validate_layout()
        self._validate_feature()

    def __hash__(self) -> int:
        # Identity of the maths for caching; equality still compares every field.
        return hash((self.slug, self.version))

    @property
    def n_reels(self) -> int:
        return len(self.reels)

    @property
    def n_lines(self) -> int:
        return len(self.paylines)

    @property
    def reel_lengths(self) -> tuple[int, ...]:
        return tuple(len(strip) for strip in self.reels)

    @property
    def symbols(self) -> tuple[str, ...]:
        """Every symbol, in a fixed order: paying symbols, then wild and scatter."""
        paying = [s for s in self.paytable if s != self.wild]
        return (*paying, self.wild, self.scatter)

    def line_bet(self, stake_minor: object) -> int:
        """The line bet for a stake, enforcing the stake rule and the game's limits."""
        if isinstance(stake_minor, bool) or not isinstance(stake_minor, int):
            raise InvalidStakeError("The stake must be an integer number of minor units.")
        if not self.min_bet <= stake_minor <= self.max_bet or stake_minor % self.n_lines:
            raise InvalidStakeError(
                min_bet=self.min_bet, max_bet=self.max_bet, multiple_of=self.n_lines
            )
        return stake_minor // self.n_lines

    def _validate_layout(self) -> None:
        known = set(self.symbols)
        if any(len(strip) < self.rows or not set(strip) <= known for strip in self.reels):
            raise ValueError(
                f"{self.slug}: a reel is shorter than the window or has unknown symbols"
            )
        if any(
            len(line) != self.n_reels or not set(line) <= set(range(self.rows))
            for line in self.paylines
        ):
            raise ValueError(f"{self.slug}: a payline does not fit the grid")
        if self.scatter in self.paytable or not 0 < self.min_bet <= self.max_bet:
            raise ValueError(f"{self.slug}: scatter on the paytable or bad bet limits")
        if self.min_bet % self.n_lines or self.max_bet % self.n_lines:
            raise ValueError(f"{self.slug}: bet limits must be multiples of the line count")

    def _validate_feature(self) -> None:
        # A trigger always pays at least the stake, so "hit" and "loss" are decided by the
        # triggering spin alone; the exact math relies on this (see math.py).
        if self.free_spins is not None and any(
            self.scatter_pays.get(count, 0) < 1 for count in self.free_spins.awards
        ):
            raise ValueError(f"{self.slug}: every free-spins trigger must pay at least 1x stake")


def strip(symbols: str) -> tuple[str, ...]:
    """A reel strip written as whitespace-separated symbols, top to bottom."""
    return tuple(symbols.split())
