"""Live play's reel stops: in range, uniform, and unbiased where 2**32 is not a multiple of a
reel's length."""

from __future__ import annotations

import os
import struct
from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st

from croupier.games.engine.rng import CsprngStops

# The chi-square statistic's value that a fair reel of this many stops exceeds with
# probability 1e-6: k - 1 degrees of freedom, even, so the survival function is
# exp(-x/2) * sum((x/2)**i / i! for i < (k - 1) / 2), solved for 1e-6 by bisection.
_CHI2_1E6 = {3: 27.63, 7: 38.26, 31: 82.04}


def _source(words: list[int]) -> Callable[[int], bytes]:
    """A byte source serving these 32-bit words in order, however many a call asks for."""
    stream = b"".join(struct.pack("=I", word) for word in words)
    position = 0

    def read(count: int) -> bytes:
        nonlocal position
        chunk = stream[position : position + count]
        assert len(chunk) == count, "the spin asked for more words than scripted"
        position += count
        return chunk

    return read


def test_stops_are_uniform_on_every_reel() -> None:
    lengths = [7, 31, 3]
    draws = 60_000
    counts = [[0] * n for n in lengths]
    source = CsprngStops()
    for _ in range(draws):
        for reel, stop in enumerate(source.next_stops(lengths)):
            counts[reel][stop] += 1
    for n, observed in zip(lengths, counts, strict=True):
        expected = draws / n
        chi2 = sum((o - expected) ** 2 / expected for o in observed)
        assert chi2 < _CHI2_1E6[n], (n, observed)


def test_a_word_in_the_incomplete_last_copy_is_drawn_again() -> None:
    # 2**32 % 7 == 4: the top four words would make stops 0..3 a little likelier than 4..6.
    top = (1 << 32) - 1
    limit = (1 << 32) - 4
    # Reel 1 rejects ``top`` and draws 20 -> 20 % 7; reel 2 takes 5 % 7.
    source = CsprngStops(_source([top, 5, 20]))
    assert source.next_stops([7, 7]) == (20 % 7, 5)
    # The first word at the limit is rejected; the one below it is the reel's last stop.
    source = CsprngStops(_source([limit, limit - 1]))
    assert source.next_stops([7]) == ((limit - 1) % 7,)
    assert (limit - 1) % 7 == 6


def test_one_system_call_draws_a_whole_spin() -> None:
    calls: list[int] = []

    def counted(count: int) -> bytes:
        calls.append(count)
        return os.urandom(count)

    CsprngStops(counted).next_stops([30, 30, 30, 30, 30])
    # A rejection needs a word in the top 16 of 2**32 values: never in one spin, in practice.
    assert calls == [20]


@given(st.lists(st.integers(min_value=1, max_value=1000), min_size=1, max_size=8))
def test_every_stop_is_on_its_reel(lengths: list[int]) -> None:
    stops = CsprngStops().next_stops(lengths)
    assert len(stops) == len(lengths)
    assert all(0 <= stop < n for stop, n in zip(stops, lengths, strict=True))
