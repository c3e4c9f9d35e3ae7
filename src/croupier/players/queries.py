"""SQL for player listings, always through the caller's scope."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from croupier.kit.sql import Query
from croupier.kit.tenancy import Scope

_COLUMNS = """id, operator_id, kind, email, username, status, kyc_status, is_bot, vip_experience,
              agent_id, region, created_at, last_login_at"""


async def list_players(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    search: str | None,
    is_bot: bool | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[asyncpg.Record]:
    query = scope.apply(Query(f"SELECT {_COLUMNS} FROM players"), "operator_id", "agent_id")
    if search:
        query.where("(email ILIKE {} OR username ILIKE {})", f"%{search}%", f"%{search}%")
    query.where_if(is_bot, "is_bot = {}")
    if after is not None:
        query.where("(created_at, id) < ({}, {})", after[0], after[1])
    query.tail("ORDER BY created_at DESC, id DESC LIMIT {}", limit)
    sql, args = query.build()
    return await conn.fetch(sql, *args)


async def get_player(
    conn: asyncpg.Connection, scope: Scope, player_id: int
) -> asyncpg.Record | None:
    query = scope.apply(Query(f"SELECT {_COLUMNS} FROM players"), "operator_id", "agent_id")
    query.where("id = {}", player_id)
    sql, args = query.build()
    return await conn.fetchrow(sql, *args)


async def get_players(
    conn: asyncpg.Connection, scope: Scope, player_ids: list[int]
) -> list[asyncpg.Record]:
    query = scope.apply(Query(f"SELECT {_COLUMNS} FROM players"), "operator_id", "agent_id")
    query.where("id = ANY({}::bigint[])", player_ids)
    sql, args = query.build()
    return await conn.fetch(sql, *args)


async def add_vip_experience_many(
    conn: asyncpg.Connection, player_ids: list[int], xps: list[int]
) -> list[int]:
    """add_vip_experience for many distinct players; the new totals, in order."""
    rows = await conn.fetch(
        """UPDATE players p SET vip_experience = p.vip_experience + u.xp
           FROM unnest($1::bigint[], $2::bigint[]) AS u(id, xp) WHERE p.id = u.id
           RETURNING p.id, p.vip_experience""",
        player_ids,
        xps,
    )
    totals = {row["id"]: row["vip_experience"] for row in rows}
    return [totals[player_id] for player_id in player_ids]


async def add_vip_experience(conn: asyncpg.Connection, player_id: int, xp: int) -> int:
    return await conn.fetchval(
        """UPDATE players SET vip_experience = vip_experience + $2 WHERE id = $1
           RETURNING vip_experience""",
        player_id,
        xp,
    )
