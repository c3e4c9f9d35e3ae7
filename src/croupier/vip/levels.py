"""VIP levels: the platform admin's ladder of thresholds and benefits."""

from __future__ import annotations

from typing import Any

import asyncpg
import structlog

from croupier.vip import queries
from croupier.vip.errors import (
    VipLevelInUseError,
    VipLevelInvalidError,
    VipLevelNotFoundError,
    VipLevelOrderError,
    VipLevelTakenError,
)

log = structlog.get_logger("croupier.vip")


async def list_levels(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await queries.list_levels(conn)


async def create_level(conn: asyncpg.Connection, fields: dict[str, Any]) -> asyncpg.Record:
    row = await _write(conn, queries.insert_level(conn, fields))
    assert row is not None
    log.info("vip_level_created", level=row["level"], xp_required=row["xp_required"])
    return row


async def update_level(
    conn: asyncpg.Connection, level_id: int, changes: dict[str, Any]
) -> asyncpg.Record:
    if not changes:
        return await get_level(conn, level_id)
    row = await _write(conn, queries.update_level(conn, level_id, changes))
    if row is None:
        raise VipLevelNotFoundError()
    log.info("vip_level_updated", level=row["level"], fields=sorted(changes))
    return row


async def get_level(conn: asyncpg.Connection, level_id: int) -> asyncpg.Record:
    row = await queries.get_level(conn, level_id)
    if row is None:
        raise VipLevelNotFoundError()
    return row


async def delete_level(conn: asyncpg.Connection, level_id: int) -> None:
    row = await get_level(conn, level_id)
    if await queries.level_reached_by_anyone(conn, row["level"]):
        raise VipLevelInUseError()
    await queries.delete_level(conn, level_id)
    log.info("vip_level_deleted", level=row["level"])


async def _write(conn: asyncpg.Connection, statement: Any) -> asyncpg.Record | None:
    try:
        row = await statement
    except asyncpg.UniqueViolationError as exc:
        raise VipLevelTakenError() from exc
    except (
        asyncpg.CheckViolationError,
        asyncpg.ForeignKeyViolationError,
        asyncpg.NotNullViolationError,
    ) as exc:
        raise VipLevelInvalidError(constraint=exc.constraint_name or exc.column_name) from exc
    # Thresholds must climb with the level, or "the player's level" would be ambiguous.
    if row is not None and await queries.levels_out_of_order(conn):
        raise VipLevelOrderError()
    return row
