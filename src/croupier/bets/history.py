"""Reading the bet log: a player's own history and single rounds with verification data."""

from __future__ import annotations

from functools import partial

import asyncpg

from croupier.bets import queries
from croupier.bets.errors import BetNotFoundError
from croupier.kit.pagination import Page, fetch_page
from croupier.kit.tenancy import Scope


async def list_bets(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    player_id: int | None,
    game_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page:
    return await fetch_page(
        partial(queries.list_bets, conn, scope),
        cursor,
        limit,
        player_id=player_id,
        game_id=game_id,
    )


async def get_bet(
    conn: asyncpg.Connection, scope: Scope, bet_id: int, *, player_id: int | None
) -> asyncpg.Record:
    row = await queries.get_bet(conn, scope, bet_id, player_id)
    if row is None:
        raise BetNotFoundError()
    return row
