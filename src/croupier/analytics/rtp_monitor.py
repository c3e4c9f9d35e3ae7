"""Live RTP monitoring (reference B2.3): observed vs expected RTP per game and stake level.

The full z-test: with per-round returns of variance sigma² (per unit stake), the stake-weighted
observed RTP has standard error sigma / sqrt(N_eff), N_eff = (Σ stake)² / Σ stake². It only runs
when N_eff >= max(50 000, 10 / p_top) (the volume gate), else the slice is INSUFFICIENT_VOLUME.
WARN at |z| >= 3.29 (two-sided p < 0.001); ALERT at |z| >= Φ⁻¹(1 − α/2K) for K slices tested
(α = 0.01), or at WARN on 3 consecutive daily windows. The observed RTP here excludes progressive
jackpot wins: the expected RTP is the base game's (free spins included), which pays none.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from math import sqrt
from statistics import NormalDist

import asyncpg

from croupier.games import service as games_service
from croupier.games.engine import compute_capped_math, compute_math, get_game_definition
from croupier.games.engine.errors import GameNotFoundError

ALPHA = 0.01
Z_WARN = 3.29
MIN_N_EFF = 50_000
CONSECUTIVE_WARN_DAYS = 3
WINDOW_DAYS = 30
# Provider games publish an RTP but not their variance: a sigma per volatility class stands in
# (typical slot figures); the response says which source each game's figures come from.
SIGMA_BY_VOLATILITY = {"low": 2.0, "medium": 5.0, "high": 10.0, "very_high": 20.0}


@dataclass(frozen=True, slots=True)
class SliceStats:
    rounds: int
    stake: int
    stake_sq: float
    win: int  # base-game wins, jackpots excluded
    capped_win: int = 0  # Σ min(win, C x stake), for the capped test (rtp_tests)
    large_wins: int = 0  # wins >= C x stake


@dataclass(frozen=True, slots=True)
class Assessment:
    status: str  # OK | WARN | ALERT | INSUFFICIENT_VOLUME | NO_CONFIG
    z: float | None
    n_eff: float
    required_n_eff: float
    observed_rtp: Decimal | None


def z_critical(slices: int) -> float:
    """The Bonferroni-corrected two-sided critical value for ``slices`` tests at ALPHA, never
    below the WARN level (with few slices the corrected value would fall under it)."""
    return max(Z_WARN, NormalDist().inv_cdf(1 - ALPHA / (2 * max(1, slices))))


def n_eff(stats: SliceStats) -> float:
    return stats.stake * stats.stake / stats.stake_sq if stats.stake_sq > 0 else 0.0


def z_score(stats: SliceStats, expected_rtp: Decimal, sigma: float) -> float | None:
    effective = n_eff(stats)
    if effective <= 0 or sigma <= 0 or stats.stake <= 0:
        return None
    observed = stats.win / stats.stake
    return (observed - float(expected_rtp)) / (sigma / sqrt(effective))


def required_n_eff(p_top: float | None) -> float:
    return max(float(MIN_N_EFF), 10 / p_top if p_top else 0.0)


def assess(
    window: SliceStats,
    *,
    expected_rtp: Decimal | None,
    sigma: float | None,
    p_top: float | None,
    slices: int,
    previous_days: Sequence[SliceStats] = (),
) -> Assessment:
    """The status of one slice over the window ending now; ``previous_days`` are the same
    slice's windows ending 1 and 2 days earlier, for the consecutive-WARN rule."""
    observed = Decimal(window.win) / Decimal(window.stake) if window.stake > 0 else None
    needed = required_n_eff(p_top)
    effective = n_eff(window)
    if expected_rtp is None or sigma is None:
        return Assessment("NO_CONFIG", None, effective, needed, observed)
    z = z_score(window, expected_rtp, sigma)
    if z is None or effective < needed:
        return Assessment("INSUFFICIENT_VOLUME", z, effective, needed, observed)
    if abs(z) >= z_critical(slices):
        return Assessment("ALERT", z, effective, needed, observed)
    if abs(z) >= Z_WARN:
        earlier = [z_score(day, expected_rtp, sigma) for day in previous_days]
        streak = len(earlier) == CONSECUTIVE_WARN_DAYS - 1 and all(
            e is not None and abs(e) >= Z_WARN and n_eff(d) >= needed
            for e, d in zip(earlier, previous_days, strict=True)
        )
        return Assessment("ALERT" if streak else "WARN", z, effective, needed, observed)
    return Assessment("OK", z, effective, needed, observed)


async def sync_game_configs(conn: asyncpg.Connection) -> int:
    """Fill ``game_configs`` from the catalogue, per game version: exact engine maths for
    builtin games, full and capped (computed off the event loop, cached per definition), the
    declared RTP for the others. Builtin games are first brought in line with their engine."""
    await games_service.refresh_builtin_maths(conn)
    games = await conn.fetch(
        "SELECT id, slug, provider, engine_key, rtp, volatility, version FROM games"
    )
    rows = []
    for game in games:
        row = await _engine_config(game) if game["engine_key"] else None
        rows.append(
            row
            or (
                game["id"],
                game["slug"],
                "",
                game["rtp"],
                SIGMA_BY_VOLATILITY.get(game["volatility"], 10.0),
                None,
                None,
                "catalogue",
                game["version"],
                None,
                None,
                None,
                None,
                None,
            )
        )
    await conn.executemany(
        """INSERT INTO game_configs (game_id, game_key, version, expected_rtp, sigma, p_top,
                                     max_win_multiplier, source, game_version, cap_multiple,
                                     capped_rtp, capped_sigma, p_large, p_top_capped)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
           ON CONFLICT (game_id) DO UPDATE SET
               game_key = excluded.game_key, version = excluded.version,
               expected_rtp = excluded.expected_rtp, sigma = excluded.sigma,
               p_top = excluded.p_top, max_win_multiplier = excluded.max_win_multiplier,
               source = excluded.source, game_version = excluded.game_version,
               cap_multiple = excluded.cap_multiple, capped_rtp = excluded.capped_rtp,
               capped_sigma = excluded.capped_sigma, p_large = excluded.p_large,
               p_top_capped = excluded.p_top_capped, updated_at = now()
           WHERE (game_configs.version, game_configs.expected_rtp, game_configs.sigma,
                  game_configs.game_version, game_configs.cap_multiple, game_configs.capped_rtp)
                 IS DISTINCT FROM (excluded.version, excluded.expected_rtp, excluded.sigma,
                                   excluded.game_version, excluded.cap_multiple,
                                   excluded.capped_rtp)""",
        rows,
    )
    return len(rows)


def _decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


async def _engine_config(game: asyncpg.Record) -> tuple[object, ...] | None:
    try:
        definition = get_game_definition(game["engine_key"])
    except GameNotFoundError:
        return None
    math = await asyncio.to_thread(compute_math, definition)
    capped = await asyncio.to_thread(compute_capped_math, definition)
    top = max((m for m in math.base_distribution if m[1] > 0), default=None)
    return (
        game["id"],
        game["slug"],
        math.version,
        _decimal(math.rtp),
        math.sigma,
        float(top[1]) if top else None,
        _decimal(math.max_win_multiplier),
        "engine",
        game["version"],
        capped.cap_multiple,
        _decimal(capped.mean),
        capped.sigma,
        _decimal(capped.p_large),
        float(capped.p_top),
    )
