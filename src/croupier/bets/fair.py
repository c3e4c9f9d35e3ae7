"""Provably-fair seed pairs: commit (hash) before play, reveal on rotation, verify afterwards."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import asyncpg

from croupier.bets import fair_queries as queries
from croupier.bets.errors import BetNotFoundError
from croupier.games.engine import get_game_definition, new_server_seed, verify_round


@dataclass(frozen=True)
class RoundSeed:
    seed_id: int
    server_seed: str
    client_seed: str
    nonce: int


async def _ensure_active(
    conn: asyncpg.Connection, operator_id: int, player_id: int, *, for_update: bool
) -> asyncpg.Record:
    read = queries.active_seed_for_update if for_update else queries.active_seed
    row = await read(conn, player_id)
    if row is not None:
        return row
    server_seed, seed_hash = new_server_seed()
    await queries.insert_seed(
        conn,
        operator_id=operator_id,
        player_id=player_id,
        server_seed=server_seed,
        server_seed_hash=seed_hash,
        client_seed=secrets.token_hex(8),
    )
    return await read(conn, player_id)


async def current(conn: asyncpg.Connection, operator_id: int, player_id: int) -> dict[str, object]:
    """What the player may see now: the commitment, never the active server seed."""
    row = await _ensure_active(conn, operator_id, player_id, for_update=False)
    return {
        "serverSeedHash": row["server_seed_hash"],
        "clientSeed": row["client_seed"],
        "nonce": row["nonce"],
    }


async def next_round(conn: asyncpg.Connection, operator_id: int, player_id: int) -> RoundSeed:
    row = await _ensure_active(conn, operator_id, player_id, for_update=True)
    nonce = await queries.take_nonce(conn, row["id"])
    return RoundSeed(row["id"], row["server_seed"], row["client_seed"], nonce)


async def rotate(
    conn: asyncpg.Connection, operator_id: int, player_id: int, client_seed: str | None
) -> dict[str, object]:
    """Reveal the active server seed and start a new pair (with the player's client seed)."""
    old = await _ensure_active(conn, operator_id, player_id, for_update=True)
    revealed = await queries.reveal(conn, old["id"])
    server_seed, seed_hash = new_server_seed()
    new = await queries.insert_seed(
        conn,
        operator_id=operator_id,
        player_id=player_id,
        server_seed=server_seed,
        server_seed_hash=seed_hash,
        client_seed=client_seed or secrets.token_hex(8),
    )
    return {
        "revealed": {
            "serverSeed": revealed["server_seed"],
            "serverSeedHash": revealed["server_seed_hash"],
            "clientSeed": revealed["client_seed"],
            "noncesUsed": revealed["nonce"],
        },
        "current": {
            "serverSeedHash": new["server_seed_hash"],
            "clientSeed": new["client_seed"],
            "nonce": new["nonce"],
        },
    }


def verify_bet(bet: asyncpg.Record) -> dict[str, object]:
    """Verification data for a stored round; ``verified`` once the server seed is revealed."""
    data: dict[str, object] = {"rng": bet["rng"], "stops": bet["outcome"]["stops"]}
    if bet["rng"] != "fair":
        return data
    if bet["server_seed_hash"] is None:
        raise BetNotFoundError()
    data |= {
        "serverSeedHash": bet["server_seed_hash"],
        "clientSeed": bet["client_seed"],
        "nonce": bet["nonce"],
        "serverSeed": bet["server_seed"],
    }
    if bet["server_seed"] is not None:
        game = get_game_definition(bet["outcome"]["game"])
        data["verified"] = verify_round(
            game,
            bet["server_seed"],
            bet["server_seed_hash"],
            bet["client_seed"],
            bet["nonce"],
            bet["outcome"]["stops"],
        )
    return data
