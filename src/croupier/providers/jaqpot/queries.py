"""SQL for the demo provider's own tables (``provider_*``); it never touches casino tables."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg


async def casino_by_code(conn: asyncpg.Connection, casino_code: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT id, casino_code, name, provider_code, callback_base_url, casino_secret,
                  provider_secret
             FROM provider_casinos WHERE casino_code = $1""",
        casino_code,
    )


async def ensure_casino(
    conn: asyncpg.Connection, casino_code: str, name: str, provider_code: str | None
) -> None:
    await conn.execute(
        """INSERT INTO provider_casinos (casino_code, name, provider_code) VALUES ($1, $2, $3)
           ON CONFLICT (casino_code) DO NOTHING""",
        casino_code,
        name,
        provider_code,
    )


async def ensure_game(
    conn: asyncpg.Connection, code: str, name: str, min_bet: int, max_bet: int
) -> None:
    await conn.execute(
        """INSERT INTO provider_games (code, name, min_bet, max_bet) VALUES ($1, $2, $3, $4)
           ON CONFLICT (code) DO NOTHING""",
        code,
        name,
        min_bet,
        max_bet,
    )


async def game(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT code, name, min_bet, max_bet FROM provider_games WHERE code = $1 AND is_active",
        code,
    )


async def upsert_player(
    conn: asyncpg.Connection, casino_id: int, external_user_id: int, currency: str
) -> int:
    return await conn.fetchval(
        """INSERT INTO provider_players (casino_id, external_user_id, currency)
           VALUES ($1, $2, $3)
           ON CONFLICT (casino_id, external_user_id) DO UPDATE SET currency = EXCLUDED.currency
           RETURNING id""",
        casino_id,
        external_user_id,
        currency,
    )


async def insert_session(conn: asyncpg.Connection, fields: dict[str, Any]) -> None:
    columns = list(fields)
    values = ", ".join(f"${i + 1}" for i in range(len(columns)))
    await conn.execute(
        f"INSERT INTO provider_sessions ({', '.join(columns)}) VALUES ({values})",
        *fields.values(),
    )


async def session(conn: asyncpg.Connection, session_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT s.id, s.casino_id, s.game_code, s.currency, s.session_token,
                  s.casino_session_id, p.external_user_id, g.min_bet, g.max_bet
             FROM provider_sessions s
             JOIN provider_players p ON p.id = s.player_id
             JOIN provider_games g ON g.code = s.game_code
            WHERE s.id = $1""",
        session_id,
    )


async def insert_round(
    conn: asyncpg.Connection, round_id: uuid.UUID, session_id: uuid.UUID
) -> None:
    await conn.execute(
        "INSERT INTO provider_rounds (id, session_id) VALUES ($1, $2)", round_id, session_id
    )


async def finish_round(conn: asyncpg.Connection, round_id: uuid.UUID, status: str) -> None:
    await conn.execute(
        "UPDATE provider_rounds SET status = $2, finished_at = now() WHERE id = $1",
        round_id,
        status,
    )


async def log_callback(conn: asyncpg.Connection, fields: dict[str, Any]) -> None:
    columns = list(fields)
    values = ", ".join(f"${i + 1}" for i in range(len(columns)))
    await conn.execute(
        f"INSERT INTO provider_callbacks ({', '.join(columns)}) VALUES ({values})",
        *fields.values(),
    )
