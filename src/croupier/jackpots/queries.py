"""SQL for jackpot pools."""

from __future__ import annotations

import asyncpg

_POOL = """id, slug, jackpot_group, name, currency, seed_amount, contribution_bp, trigger_ppt,
           win_seq, last_won_at, last_won_amount"""


async def pool_for_group(
    conn: asyncpg.Connection, group: str, currency: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {_POOL} FROM jackpot_pools WHERE jackpot_group = $1 AND currency = $2",
        group,
        currency,
    )


async def lock_pool(conn: asyncpg.Connection, pool_id: int) -> asyncpg.Record:
    # Taken only when a spin triggers a win (rare), never on contributions.
    return await conn.fetchrow(
        f"SELECT {_POOL} FROM jackpot_pools WHERE id = $1 FOR UPDATE", pool_id
    )


async def list_pools(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(f"SELECT {_POOL} FROM jackpot_pools ORDER BY id")


async def insert_pool(
    conn: asyncpg.Connection,
    *,
    slug: str,
    group: str,
    name: str,
    currency: str,
    seed_amount: int,
    contribution_bp: int,
    trigger_ppt: int,
) -> asyncpg.Record:
    return await conn.fetchrow(
        f"""INSERT INTO jackpot_pools
                (slug, jackpot_group, name, currency, seed_amount, contribution_bp, trigger_ppt)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name RETURNING {_POOL}""",
        slug,
        group,
        name,
        currency,
        seed_amount,
        contribution_bp,
        trigger_ppt,
    )


async def pool_accounts(conn: asyncpg.Connection, pool_id: int) -> list[asyncpg.Record]:
    """Every operator's contribution account for this pool."""
    return await conn.fetch(
        """SELECT id, operator_id FROM ledger_accounts
           WHERE kind = 'jackpot_pool' AND owner_id = $1 ORDER BY id""",
        pool_id,
    )


async def record_win(
    conn: asyncpg.Connection,
    *,
    pool_id: int,
    win_seq: int,
    operator_id: int,
    player_id: int,
    amount: int,
) -> int:
    await conn.execute(
        """UPDATE jackpot_pools SET win_seq = $2, last_won_at = now(), last_won_amount = $3
           WHERE id = $1""",
        pool_id,
        win_seq,
        amount,
    )
    return await conn.fetchval(
        """INSERT INTO jackpot_wins (pool_id, win_seq, operator_id, player_id, amount)
           VALUES ($1, $2, $3, $4, $5) RETURNING id""",
        pool_id,
        win_seq,
        operator_id,
        player_id,
        amount,
    )


async def attach_bet(conn: asyncpg.Connection, win_id: int, bet_id: int) -> None:
    await conn.execute("UPDATE jackpot_wins SET bet_id = $2 WHERE id = $1", win_id, bet_id)
