"""SQL for the operator's safety views, always through the caller's tenancy scope."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from croupier.kit.sql import Query
from croupier.kit.tenancy import Scope

# A player's risk row with its open case and last three actions, in one statement.
_PLAYER_RISK = """
SELECT sp.player_id, sp.operator_id, pl.username, sp.band, sp.score, sp.reasons, sp.updated_at,
       sp.self_excluded_at, sp.self_excluded_until, sp.timeout_until, sp.cooldown_until,
       sp.stop_until, sp.stop_code, sp.marketing_suppressed_until, sp.reality_check_minutes,
       sp.limits,
       (SELECT c.id FROM safety_cases c WHERE c.operator_id = sp.operator_id
           AND c.player_id = sp.player_id AND c.status = 'open') AS open_case_id,
       (SELECT COALESCE(json_agg(a ORDER BY a.created_at DESC, a.id DESC), '[]'::json)
        FROM (SELECT id, session_key, game_key, action_type, code, score, band, reasons,
                     action, source, created_at
              FROM safety_actions
              WHERE operator_id = sp.operator_id AND player_id = sp.player_id
              ORDER BY created_at DESC, id DESC LIMIT 3) a) AS recent_actions
FROM safety_players sp
JOIN players pl ON pl.operator_id = sp.operator_id AND pl.id = sp.player_id
"""


async def list_player_risk(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    band: str | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[asyncpg.Record]:
    query = scope.apply(Query(_PLAYER_RISK), "sp.operator_id", "pl.agent_id")
    query.where_if(band, "sp.band = {}")
    if after is not None:
        query.where("(sp.updated_at, sp.player_id) < ({}, {})", after[0], after[1])
    query.tail("ORDER BY sp.updated_at DESC, sp.player_id DESC LIMIT {}", limit)
    sql, args = query.build()
    return await conn.fetch(sql, *args)


async def player_risk(
    conn: asyncpg.Connection, operator_id: int, player_id: int
) -> asyncpg.Record | None:
    sql = _PLAYER_RISK + " WHERE sp.operator_id = $1 AND sp.player_id = $2"
    return await conn.fetchrow(sql, operator_id, player_id)


_CASE = """
SELECT c.id, c.operator_id, c.player_id, c.status, c.trigger_code, c.reasons, c.score,
       c.stop_count, c.opened_at, c.last_stop_at, c.closed_at, c.closed_by,
       (SELECT COALESCE(json_agg(n ORDER BY n.created_at, n.id), '[]'::json)
        FROM (SELECT id, author_staff_id, body, created_at FROM safety_case_notes
              WHERE case_id = c.id) n) AS notes
FROM safety_cases c
"""


async def list_cases(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    status: str | None,
    player_id: int | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[asyncpg.Record]:
    query = scope.apply(Query(_CASE), "c.operator_id")
    query.where_if(status, "c.status = {}")
    query.where_if(player_id, "c.player_id = {}")
    if after is not None:
        query.where("(c.opened_at, c.id) < ({}, {})", after[0], after[1])
    query.tail("ORDER BY c.opened_at DESC, c.id DESC LIMIT {}", limit)
    sql, args = query.build()
    return await conn.fetch(sql, *args)


async def get_case(conn: asyncpg.Connection, case_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(_CASE + " WHERE c.id = $1", case_id)


async def lock_case(conn: asyncpg.Connection, case_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, operator_id, player_id, status FROM safety_cases WHERE id = $1 FOR UPDATE",
        case_id,
    )


async def insert_note(
    conn: asyncpg.Connection, case_id: int, operator_id: int, staff_id: int, body: str
) -> None:
    await conn.execute(
        """INSERT INTO safety_case_notes (case_id, operator_id, author_staff_id, body)
           VALUES ($1, $2, $3, $4)""",
        case_id,
        operator_id,
        staff_id,
        body,
    )


async def set_case_status(
    conn: asyncpg.Connection, case_id: int, status: str, staff_id: int
) -> None:
    await conn.execute(
        """UPDATE safety_cases
           SET status = $2,
               closed_at = CASE WHEN $2 = 'closed' THEN now() END,
               closed_by = CASE WHEN $2 = 'closed' THEN $3::bigint END,
               updated_at = now()
           WHERE id = $1""",
        case_id,
        status,
        staff_id,
    )
