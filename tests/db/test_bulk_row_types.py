"""The row types of the bulk statements (migration 0016) match the rows the code sends.

A row travels by position: a column added to the code's list but not to the type (or put in
another place) would land in the wrong field, or fail only when a batch is written."""

from __future__ import annotations

import asyncpg

from croupier.bets.queries import BULK_COLUMNS
from croupier.safety.queries import SAVE_MANY_COLUMNS


async def _attributes(pool: asyncpg.Pool, type_name: str) -> list[tuple[str, str]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS kind
               FROM pg_attribute a JOIN pg_type t ON t.typrelid = a.attrelid
               WHERE t.typname = $1 AND a.attnum > 0 AND NOT a.attisdropped
               ORDER BY a.attnum""",
            type_name,
        )
    short = {"timestamp with time zone": "timestamptz"}  # as the code spells it
    return [(r["attname"], short.get(r["kind"], r["kind"])) for r in rows]


async def test_bet_rows_match_the_bulk_columns(pool: asyncpg.Pool) -> None:
    assert await _attributes(pool, "bet_bulk_row") == list(BULK_COLUMNS)


async def test_safety_rows_match_the_saved_columns(pool: asyncpg.Pool) -> None:
    names = [name for name, _ in await _attributes(pool, "safety_save_row")]
    assert names == list(SAVE_MANY_COLUMNS)
