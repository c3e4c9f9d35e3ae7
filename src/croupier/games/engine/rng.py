"""Where reel stops come from.

A round asks its source for one stop per reel, once for the paid spin and once per free spin,
in play order. Live play uses the operating system's CSPRNG; provably-fair play derives stops
from committed seeds (see fair.py); replay feeds back the stops recorded with the round.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from typing import Protocol

from croupier.games.engine.errors import ReplayMismatchError


class StopsSource(Protocol):
    def next_stops(self, reel_lengths: Sequence[int]) -> tuple[int, ...]:
        """One uniformly distributed stop per reel, ``0 <= stop < length``."""
        ...


class CsprngStops:
    """Stops from ``secrets.randbelow``: unpredictable, unbiased, not reproducible."""

    def next_stops(self, reel_lengths: Sequence[int]) -> tuple[int, ...]:
        return tuple(secrets.randbelow(length) for length in reel_lengths)


class RecordedStops:
    """Stops read back from a stored round, checked against the reels as they are consumed."""

    def __init__(self, recorded: Iterable[Sequence[int]]) -> None:
        self._pending = [tuple(stops) for stops in recorded]
        self._used = 0

    def next_stops(self, reel_lengths: Sequence[int]) -> tuple[int, ...]:
        if self._used == len(self._pending):
            raise ReplayMismatchError("The recording ends before the round does.")
        stops = self._pending[self._used]
        self._used += 1
        if len(stops) != len(reel_lengths) or not all(
            isinstance(s, int) and 0 <= s < n for s, n in zip(stops, reel_lengths, strict=False)
        ):
            raise ReplayMismatchError("A recorded stop does not exist on its reel.")
        return stops

    def exhausted(self) -> bool:
        return self._used == len(self._pending)
