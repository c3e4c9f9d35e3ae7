"""Provably fair rounds: commitment, determinism, unbiased sampling and verification."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from croupier.games.engine import (
    FairStops,
    get_game_definition,
    hash_server_seed,
    new_server_seed,
    spin,
    stops_from_seeds,
    verify_round,
)
from croupier.games.engine.fair import FairByteStream, unbiased_below

SERVER_SEED = "5f1d3c0a9b8e7d6c5b4a39281706f5e4d3c2b1a0918273645546372819a0b1c2"
CLIENT_SEED = "lucky:player"


def chi_square(counts: list[int]) -> float:
    expected = sum(counts) / len(counts)
    return sum((c - expected) ** 2 / expected for c in counts)


def test_new_server_seed_is_32_random_bytes_committed_by_sha256() -> None:
    seed, commitment = new_server_seed()
    assert len(bytes.fromhex(seed)) == 32
    assert commitment == hashlib.sha256(seed.encode()).hexdigest() == hash_server_seed(seed)
    assert new_server_seed()[0] != seed


def test_byte_stream_is_the_documented_hmac_chain() -> None:
    stream = FairByteStream(SERVER_SEED, CLIENT_SEED, 42)
    expected = b"".join(
        hmac.new(SERVER_SEED.encode(), f"{CLIENT_SEED}:42:{cursor}".encode(), "sha256").digest()
        for cursor in range(3)
    )
    assert stream.read(5) + stream.read(70) + stream.read(21) == expected


def test_stops_are_deterministic_per_seeds_and_nonce() -> None:
    game = get_game_definition("pharaoh-gold")
    first = stops_from_seeds(game, SERVER_SEED, CLIENT_SEED, 1)
    assert first == stops_from_seeds(game, SERVER_SEED, CLIENT_SEED, 1)
    assert first == spin(game, 400, FairStops(SERVER_SEED, CLIENT_SEED, 1)).stops
    assert first != stops_from_seeds(game, SERVER_SEED, CLIENT_SEED, 2)
    assert first != stops_from_seeds(game, SERVER_SEED, "another seed", 1)


def test_free_spins_continue_the_same_stream() -> None:
    game = get_game_definition("dragon-vault")
    nonce = next(
        n for n in range(5000) if len(stops_from_seeds(game, SERVER_SEED, CLIENT_SEED, n)) > 1
    )
    stops = stops_from_seeds(game, SERVER_SEED, CLIENT_SEED, nonce)
    source = FairStops(SERVER_SEED, CLIENT_SEED, nonce)
    assert stops == tuple(source.next_stops(game.reel_lengths) for _ in stops)
    assert verify_round(game, SERVER_SEED, hash_server_seed(SERVER_SEED), CLIENT_SEED, nonce, stops)


def test_verification_accepts_the_round_and_rejects_tampering() -> None:
    game = get_game_definition("neon-fruits")
    # A fixed seed: with a fresh random one, another nonce or seed lands on the same three reel
    # stops about once in a few thousand runs, and the "must not verify" lines would flake.
    seed = "5f" * 32
    commitment = hash_server_seed(seed)
    stops = spin(game, 25, FairStops(seed, CLIENT_SEED, 7)).stops
    assert verify_round(game, seed, commitment, CLIENT_SEED, 7, stops)
    assert verify_round(game, seed, commitment.upper(), CLIENT_SEED, 7, [list(s) for s in stops])

    tampered = ("0" if seed[0] != "0" else "1") + seed[1:]
    assert not verify_round(game, tampered, commitment, CLIENT_SEED, 7, stops)
    # A swapped seed with its own matching hash still cannot reproduce the recorded stops.
    assert not verify_round(game, tampered, hash_server_seed(tampered), CLIENT_SEED, 7, stops)
    assert not verify_round(game, seed, commitment, CLIENT_SEED, 8, stops)
    assert not verify_round(game, seed, commitment, CLIENT_SEED + "!", 7, stops)
    altered = ((stops[0][0] + 1) % game.reel_lengths[0], *stops[0][1:])
    assert not verify_round(game, seed, commitment, CLIENT_SEED, 7, [altered])


def test_rejection_sampling_skips_values_past_the_last_full_multiple() -> None:
    script = iter([bytes([255]), bytes([200]), bytes([199])])  # bound 100: accept below 200
    assert unbiased_below(lambda size: next(script), 100) == 99
    two_bytes = iter([(65535).to_bytes(2, "big"), (300).to_bytes(2, "big")])
    assert unbiased_below(lambda size: next(two_bytes), 300) == 0
    with pytest.raises(ValueError):
        unbiased_below(lambda size: b"\x00", 0)


def test_rejection_sampling_is_uniform_where_modulo_would_be_biased() -> None:
    """Bound 100 on single bytes: plain modulo makes 0-55 half as likely again as 56-99."""
    bound, draws = 100, 200_000
    stream = FairByteStream(SERVER_SEED, CLIENT_SEED, 0)
    fair, naive = [0] * bound, [0] * bound
    for _ in range(draws):
        fair[unbiased_below(stream.read, bound)] += 1
    for byte in FairByteStream(SERVER_SEED, CLIENT_SEED, 1).read(draws):
        naive[byte % bound] += 1
    # 99 degrees of freedom: mean 99, sd 14; 200 is about 7 sd out.
    assert chi_square(fair) < 200
    assert chi_square(naive) > 1000


def test_fair_reel_stops_cover_each_reel_uniformly() -> None:
    game = get_game_definition("neon-fruits")
    length = game.reel_lengths[0]
    counts = [0] * length
    for nonce in range(20_000):
        for stop in FairStops(SERVER_SEED, CLIENT_SEED, nonce).next_stops(game.reel_lengths):
            counts[stop] += 1
    assert chi_square(counts) < length - 1 + 7 * (2 * (length - 1)) ** 0.5
