"""The player's two safety state rows (player, session), read locked for a spin's record."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from croupier.safety import queries


async def locked(
    conn: asyncpg.Connection, operator_id: int, player_id: int, key: str, at: datetime
) -> asyncpg.Record | None:
    """Both rows locked (FOR UPDATE), created first if this is the player's or the session's
    first spin, so that concurrent spins of one player apply one after the other. None if the
    player does not exist."""
    row = await queries.load_for_update(conn, operator_id, player_id, key)
    if row is not None and not (row["has_player"] and row["has_session"]):
        await queries.ensure_rows(conn, operator_id, player_id, key, at)
        row = await queries.load_for_update(conn, operator_id, player_id, key)
    return row


async def locked_many(
    conn: asyncpg.Connection, spins: Sequence[tuple[int, int, str, datetime]]
) -> list[asyncpg.Record | None]:
    """:func:`locked` for each (operator, player, session key, at) of distinct players, in
    one statement (two more when some rows must be created first)."""
    keys = [(operator_id, player_id, key) for operator_id, player_id, key, _ in spins]
    rows = await queries.load_for_update_many(conn, keys)
    missing = [
        i for i, row in enumerate(rows)
        if row is not None and not (row["has_player"] and row["has_session"])
    ]  # fmt: skip
    if missing:
        await queries.ensure_rows_many(conn, [spins[i] for i in missing])
        again = await queries.load_for_update_many(conn, [keys[i] for i in missing])
        for i, row in zip(missing, again, strict=True):
            rows[i] = row
    return rows
