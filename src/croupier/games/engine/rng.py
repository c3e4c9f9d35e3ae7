"""Where reel stops come from.

A round asks its source for one stop per reel, once for the paid spin and once per free spin,
in play order. Live play uses the operating system's CSPRNG; provably-fair play derives stops
from committed seeds (see fair.py); replay feeds back the stops recorded with the round.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from croupier.games.engine.errors import ReplayMismatchError


class StopsSource(Protocol):
    def next_stops(self, reel_lengths: Sequence[int]) -> tuple[int, ...]:
        """One uniformly distributed stop per reel, ``0 <= stop < length``."""
        ...


_WORD_BYTES = 4
_WORDS = 1 << 32  # values of one 32-bit word


class CsprngStops:
    """Stops from the operating system's CSPRNG: unpredictable, unbiased, not reproducible.

    One 32-bit word a reel, all of a spin's words in one ``os.urandom`` call (``secrets.randbelow``
    made a call, and three Python frames, for every reel). A word in the last, incomplete copy
    of the reel's range (the top ``2**32 % length`` values) is rejected and drawn again, as
    ``randbelow`` rejects, so every stop is exactly equally likely."""

    def __init__(self, random_bytes: Callable[[int], bytes] = os.urandom) -> None:
        self._random_bytes = random_bytes

    def next_stops(self, reel_lengths: Sequence[int]) -> tuple[int, ...]:
        words = memoryview(self._random_bytes(_WORD_BYTES * len(reel_lengths))).cast("I")
        stops = []
        for length, word in zip(reel_lengths, words, strict=True):
            limit = _WORDS - _WORDS % length
            while word >= limit:
                word = memoryview(self._random_bytes(_WORD_BYTES)).cast("I")[0]
            stops.append(word % length)
        return tuple(stops)


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
