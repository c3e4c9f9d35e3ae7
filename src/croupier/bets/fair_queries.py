"""SQL for provably-fair seed pairs."""

from __future__ import annotations

import asyncpg

_SEED = "id, server_seed, server_seed_hash, client_seed, nonce, active, created_at, revealed_at"


async def active_seed_for_update(conn: asyncpg.Connection, player_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {_SEED} FROM fair_seeds WHERE player_id = $1 AND active FOR UPDATE", player_id
    )


async def active_seed(conn: asyncpg.Connection, player_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {_SEED} FROM fair_seeds WHERE player_id = $1 AND active", player_id
    )


async def insert_seed(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    server_seed: str,
    server_seed_hash: str,
    client_seed: str,
) -> asyncpg.Record:
    return await conn.fetchrow(
        f"""INSERT INTO fair_seeds
                (operator_id, player_id, server_seed, server_seed_hash, client_seed)
            VALUES ($1, $2, $3, $4, $5) RETURNING {_SEED}""",
        operator_id,
        player_id,
        server_seed,
        server_seed_hash,
        client_seed,
    )


async def take_nonce(conn: asyncpg.Connection, seed_id: int) -> int:
    """The nonce for this round; the row lock serialises one player's rounds on one seed."""
    return await conn.fetchval(
        "UPDATE fair_seeds SET nonce = nonce + 1 WHERE id = $1 RETURNING nonce - 1", seed_id
    )


async def reveal(conn: asyncpg.Connection, seed_id: int) -> asyncpg.Record:
    return await conn.fetchrow(
        f"""UPDATE fair_seeds SET active = false, revealed_at = now() WHERE id = $1
            RETURNING {_SEED}""",
        seed_id,
    )
