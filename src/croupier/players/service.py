"""Player look-ups for operator staff."""

from __future__ import annotations

from functools import partial

import asyncpg

from croupier.kit.errors import NotFoundError
from croupier.kit.pagination import Page, fetch_page
from croupier.kit.tenancy import Scope
from croupier.players import queries


async def list_players(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    search: str | None = None,
    is_bot: bool | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page:
    return await fetch_page(
        partial(queries.list_players, conn, scope), cursor, limit, search=search, is_bot=is_bot
    )


async def get_player(conn: asyncpg.Connection, scope: Scope, player_id: int) -> asyncpg.Record:
    row = await queries.get_player(conn, scope, player_id)
    if row is None:
        # Another operator's player is indistinguishable from a missing one.
        raise NotFoundError("Player not found.")
    return row


async def get_players(
    conn: asyncpg.Connection, scope: Scope, player_ids: list[int]
) -> dict[int, asyncpg.Record]:
    """The players among these ids that the scope sees, by id (missing ones are left out)."""
    return {row["id"]: row for row in await queries.get_players(conn, scope, player_ids)}


async def add_vip_experience(conn: asyncpg.Connection, player_id: int, xp: int) -> int:
    """Adds XP to the player's global VIP experience (seed 002 §5.6); returns the new total."""
    return await queries.add_vip_experience(conn, player_id, xp)


async def add_vip_experience_many(
    conn: asyncpg.Connection, gains: dict[int, int]
) -> dict[int, int]:
    """add_vip_experience for many players at once (player -> XP); their new totals."""
    player_ids = list(gains)
    totals = await queries.add_vip_experience_many(conn, player_ids, list(gains.values()))
    return dict(zip(player_ids, totals, strict=True))
