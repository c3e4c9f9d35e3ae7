"""SQL of the demo-data tooling: flagging bot players and reading what a seed run needs.

``flag_bot`` is the one write into another domain's table (players): the players domain has no
service for bot accounts yet. It runs right after ``auth.register_player`` created the row, in
the same unit of work.
"""

from __future__ import annotations

import asyncpg


async def flag_bot(
    conn: asyncpg.Connection,
    *,
    player_id: int,
    timezone: str,
    region: str | None,
    affiliate_id: int | None,
) -> None:
    # Bots are KYC-verified like any regular depositor, so their withdrawals can be approved.
    await conn.execute(
        """UPDATE players SET is_bot = true, kyc_status = 'verified', timezone = $2, region = $3,
                  affiliate_id = $4
           WHERE id = $1""",
        player_id,
        timezone,
        region,
        affiliate_id,
    )


async def bot_count(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT count(*) FROM players WHERE is_bot")


async def affiliate_ids(conn: asyncpg.Connection, operator_id: int) -> list[int]:
    rows = await conn.fetch(
        "SELECT id FROM affiliates WHERE operator_id = $1 ORDER BY id", operator_id
    )
    return [row["id"] for row in rows]


async def bots(conn: asyncpg.Connection, limit: int | None = None) -> list[asyncpg.Record]:
    """Bot players with their operator, oldest first."""
    return await conn.fetch(
        """SELECT p.id, p.operator_id, p.username, p.timezone, o.slug AS operator_slug,
                  o.currency
           FROM players p JOIN operators o ON o.id = p.operator_id
           WHERE p.is_bot ORDER BY p.id LIMIT $1""",
        limit,
    )
