"""Reading the bet log: a player's own history and single rounds with verification data."""

from __future__ import annotations

import asyncpg

from croupier.bets import queries
from croupier.bets.errors import BetNotFoundError
from croupier.kit.pagination import decode_cursor, encode_cursor
from croupier.kit.tenancy import Scope


async def list_bets(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    player_id: int | None,
    game_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[asyncpg.Record], str | None]:
    after = None
    if cursor:
        created_at, row_id = decode_cursor(cursor)
        after = (created_at, int(row_id))
    rows = await queries.list_bets(
        conn, scope, player_id=player_id, game_id=game_id, after=after, limit=limit + 1
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1]["created_at"], rows[-1]["id"])
    return rows, next_cursor


async def get_bet(
    conn: asyncpg.Connection, scope: Scope, bet_id: int, *, player_id: int | None
) -> asyncpg.Record:
    row = await queries.get_bet(conn, scope, bet_id, player_id)
    if row is None:
        raise BetNotFoundError()
    return row
