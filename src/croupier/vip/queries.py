"""SQL for VIP levels, level-ups and cashback payouts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

LEVEL_COLUMNS = """id, level, name, xp_required, cashback_bp, cashback_as, free_spins,
    free_spin_game_id, free_spin_value, deposit_bonus_boost_bp, created_at, updated_at"""


async def list_levels(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(f"SELECT {LEVEL_COLUMNS} FROM vip_levels ORDER BY level")


async def get_level(conn: asyncpg.Connection, level_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {LEVEL_COLUMNS} FROM vip_levels WHERE id = $1", level_id)


async def level_for_xp(conn: asyncpg.Connection, xp: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""SELECT {LEVEL_COLUMNS} FROM vip_levels WHERE xp_required <= $1
            ORDER BY xp_required DESC LIMIT 1""",
        xp,
    )


async def next_level(conn: asyncpg.Connection, xp: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""SELECT {LEVEL_COLUMNS} FROM vip_levels WHERE xp_required > $1
            ORDER BY xp_required LIMIT 1""",
        xp,
    )


async def levels_crossed(conn: asyncpg.Connection, before: int, after: int) -> list[asyncpg.Record]:
    """Levels whose threshold lies in (before, after]: reached by this XP gain."""
    return await conn.fetch(
        f"""SELECT {LEVEL_COLUMNS} FROM vip_levels WHERE xp_required > $1 AND xp_required <= $2
            ORDER BY xp_required""",
        before,
        after,
    )


async def thresholds(conn: asyncpg.Connection) -> list[int]:
    """Every level's XP threshold, ascending."""
    rows = await conn.fetch("SELECT xp_required FROM vip_levels ORDER BY xp_required")
    return [row["xp_required"] for row in rows]


async def insert_level(conn: asyncpg.Connection, fields: dict[str, Any]) -> asyncpg.Record:
    columns = list(fields)
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    return await conn.fetchrow(
        f"""INSERT INTO vip_levels ({", ".join(columns)}) VALUES ({placeholders})
            RETURNING {LEVEL_COLUMNS}""",
        *fields.values(),
    )


async def update_level(
    conn: asyncpg.Connection, level_id: int, changes: dict[str, Any]
) -> asyncpg.Record | None:
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(changes, start=2))
    return await conn.fetchrow(
        f"""UPDATE vip_levels SET {sets}, updated_at = now() WHERE id = $1
            RETURNING {LEVEL_COLUMNS}""",
        level_id,
        *changes.values(),
    )


async def delete_level(conn: asyncpg.Connection, level_id: int) -> bool:
    return await conn.fetchval("DELETE FROM vip_levels WHERE id = $1 RETURNING true", level_id)


async def levels_out_of_order(conn: asyncpg.Connection) -> bool:
    return await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM vip_levels a JOIN vip_levels b
                          ON a.level < b.level AND a.xp_required >= b.xp_required)"""
    )


async def level_reached_by_anyone(conn: asyncpg.Connection, level: int) -> bool:
    return await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM vip_level_ups WHERE level = $1)", level
    )


async def insert_level_up(
    conn: asyncpg.Connection, *, player_id: int, level: int, operator_id: int, xp: int
) -> bool:
    """Claim the level for the player; False if it was reached before (its reward is given)."""
    inserted = await conn.fetchval(
        """INSERT INTO vip_level_ups (player_id, level, operator_id, xp, reward_status)
           VALUES ($1, $2, $3, $4, 'none') ON CONFLICT DO NOTHING RETURNING true""",
        player_id,
        level,
        operator_id,
        xp,
    )
    return bool(inserted)


async def set_level_up_reward(
    conn: asyncpg.Connection, *, player_id: int, level: int, status: str, grant_id: int | None
) -> None:
    await conn.execute(
        """UPDATE vip_level_ups SET reward_status = $3, reward_grant_id = $4
           WHERE player_id = $1 AND level = $2""",
        player_id,
        level,
        status,
        grant_id,
    )


async def level_ups(conn: asyncpg.Connection, player_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT level, xp, reward_status, reward_grant_id, created_at FROM vip_level_ups
           WHERE player_id = $1 ORDER BY level""",
        player_id,
    )


async def net_cash_losses(
    conn: asyncpg.Connection, operator_id: int, start: datetime, end: datetime
) -> list[asyncpg.Record]:
    """Players of the operator with a net loss of real money over [start, end), with their XP.
    Reads the bet log (the bets domain's table) for reporting only; it never writes it."""
    return await conn.fetch(
        """SELECT b.player_id, p.vip_experience,
                  sum(b.stake_cash - b.win_cash - b.jackpot_win)::bigint AS net_loss
           FROM bets b JOIN players p ON p.id = b.player_id
           WHERE b.operator_id = $1 AND b.created_at >= $2 AND b.created_at < $3
           GROUP BY b.player_id, p.vip_experience
           HAVING sum(b.stake_cash - b.win_cash - b.jackpot_win) > 0
           ORDER BY b.player_id""",
        operator_id,
        start,
        end,
    )


async def claim_cashback(conn: asyncpg.Connection, fields: dict[str, Any]) -> int | None:
    """The payout's row, or None if this player's period was paid before."""
    columns = list(fields)
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    return await conn.fetchval(
        f"""INSERT INTO vip_cashbacks ({", ".join(columns)}) VALUES ({placeholders})
            ON CONFLICT (operator_id, player_id, period_start) DO NOTHING RETURNING id""",
        *fields.values(),
    )


async def finish_cashback(
    conn: asyncpg.Connection,
    cashback_id: int,
    *,
    status: str,
    transfer_id: int | None,
    grant_id: int | None,
) -> None:
    await conn.execute(
        "UPDATE vip_cashbacks SET status = $2, transfer_id = $3, grant_id = $4 WHERE id = $1",
        cashback_id,
        status,
        transfer_id,
        grant_id,
    )
