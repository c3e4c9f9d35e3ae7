"""Provably fair reel stops: committed server seed + player's client seed + nonce.

Before play the server publishes ``sha256(server_seed)``; the player picks a client seed; each
round uses the next nonce. The round's randomness is the byte stream

    HMAC-SHA256(key=server_seed, msg=f"{client_seed}:{nonce}:{cursor}")  for cursor = 0, 1, ...

(the seed and message are their UTF-8 text, as in common provably-fair schemes, so any HMAC
tool can check them). Stops are drawn from the stream in play order (base spin, then each free
spin) by rejection sampling, so every stop is exactly uniform. Once the seed is revealed the
player recomputes the stops with ``stops_from_seeds`` and checks them with ``verify_round``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence

from croupier.games.engine.model import GameDefinition
from croupier.games.engine.play import spin


def new_server_seed() -> tuple[str, str]:
    """A fresh secret seed (32 random bytes, hex) and the hash to publish before play."""
    seed = secrets.token_hex(32)
    return seed, hash_server_seed(seed)


def hash_server_seed(server_seed: str) -> str:
    """The commitment: hex SHA-256 of the seed's text."""
    return hashlib.sha256(server_seed.encode()).hexdigest()


class FairByteStream:
    """The round's HMAC byte stream, read front to back."""

    def __init__(self, server_seed: str, client_seed: str, nonce: int) -> None:
        if nonce < 0:
            raise ValueError("the nonce is a non-negative counter")
        self._key = server_seed.encode()
        self._prefix = f"{client_seed}:{nonce}:"
        self._cursor = 0
        self._buffer = b""

    def read(self, size: int) -> bytes:
        while len(self._buffer) < size:
            message = f"{self._prefix}{self._cursor}".encode()
            self._buffer += hmac.new(self._key, message, hashlib.sha256).digest()
            self._cursor += 1
        taken, self._buffer = self._buffer[:size], self._buffer[size:]
        return taken


def unbiased_below(read: Callable[[int], bytes], bound: int) -> int:
    """A uniform integer in ``[0, bound)`` from random bytes, without modulo bias.

    Reads the fewest whole bytes that cover ``bound`` and rejects values at or above the largest
    multiple of ``bound`` that fits, so every residue is equally likely.
    """
    if bound < 1:
        raise ValueError("bound must be positive")
    size = max(1, ((bound - 1).bit_length() + 7) // 8)
    span = 256**size
    limit = span - span % bound
    while True:
        value = int.from_bytes(read(size), "big")
        if value < limit:
            return value % bound


class FairStops:
    """A stops source for one provably fair round."""

    def __init__(self, server_seed: str, client_seed: str, nonce: int) -> None:
        self._stream = FairByteStream(server_seed, client_seed, nonce)

    def next_stops(self, reel_lengths: Sequence[int]) -> tuple[int, ...]:
        return tuple(unbiased_below(self._stream.read, length) for length in reel_lengths)


def stops_from_seeds(
    game: GameDefinition, server_seed: str, client_seed: str, nonce: int
) -> tuple[tuple[int, ...], ...]:
    """Every set of stops of the round, free spins included (their count needs play; the stake
    does not change it, so the minimum bet is used)."""
    return spin(game, game.min_bet, FairStops(server_seed, client_seed, nonce)).stops


def verify_round(
    game: GameDefinition,
    server_seed: str,
    server_seed_hash: str,
    client_seed: str,
    nonce: int,
    expected_stops: Sequence[Sequence[int]],
) -> bool:
    """True if the revealed seed matches its commitment and reproduces the recorded stops."""
    committed = hmac.compare_digest(
        hash_server_seed(server_seed).encode(), server_seed_hash.lower().encode()
    )
    recorded = tuple(tuple(stops) for stops in expected_stops)
    return committed and stops_from_seeds(game, server_seed, client_seed, nonce) == recorded
