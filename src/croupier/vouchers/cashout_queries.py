"""SQL for cash-outs (sweepstakes redemptions of winnings) paid in the shop."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from croupier.kit.sql import Query
from croupier.kit.tenancy import Scope

_CASHOUT = """c.id, c.operator_id, c.player_id, c.agent_id, c.currency, c.amount, c.status,
              c.idempotency_key, c.request_hash, c.hold_transfer_id, c.resolve_transfer_id,
              c.resolved_by, c.cashier_id, c.reason, c.resolved_at, c.created_at"""


async def by_key(
    conn: asyncpg.Connection, operator_id: int, player_id: int, key: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""SELECT {_CASHOUT} FROM voucher_cashouts c
            WHERE c.operator_id = $1 AND c.player_id = $2 AND c.idempotency_key = $3""",
        operator_id,
        player_id,
        key,
    )


async def insert(conn: asyncpg.Connection, fields: dict[str, Any]) -> asyncpg.Record:
    columns = list(fields)
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    return await conn.fetchrow(
        f"""INSERT INTO voucher_cashouts AS c ({", ".join(columns)}) VALUES ({placeholders})
            RETURNING {_CASHOUT}""",
        *fields.values(),
    )


async def get(conn: asyncpg.Connection, scope: Scope, cashout_id: int) -> asyncpg.Record | None:
    query = Query(f"SELECT {_CASHOUT} FROM voucher_cashouts c").where("c.id = {}", cashout_id)
    sql, args = scope.apply(query, "c.operator_id", "c.agent_id").build()
    return await conn.fetchrow(sql, *args)


async def claim_resolution(
    conn: asyncpg.Connection,
    cashout_id: int,
    *,
    status: str,
    staff_id: int,
    cashier_id: int | None,
    reason: str | None,
) -> asyncpg.Record | None:
    """PENDING → PAID/REJECTED; None if someone resolved it first (the row lock serialises two
    cashiers pressing the button at once, and the loser re-reads the status as resolved)."""
    return await conn.fetchrow(
        f"""UPDATE voucher_cashouts c
            SET status = $2, resolved_by = $3, cashier_id = $4, reason = $5, resolved_at = now()
            WHERE c.id = $1 AND c.status = 'PENDING'
            RETURNING {_CASHOUT}""",
        cashout_id,
        status,
        staff_id,
        cashier_id,
        reason,
    )


async def set_resolve_transfer(
    conn: asyncpg.Connection, cashout_id: int, transfer_id: int
) -> asyncpg.Record:
    return await conn.fetchrow(
        f"""UPDATE voucher_cashouts c SET resolve_transfer_id = $2 WHERE c.id = $1
            RETURNING {_CASHOUT}""",
        cashout_id,
        transfer_id,
    )


async def list_cashouts(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    player_id: int | None,
    status: str | None,
    before: tuple[datetime, int] | None,
    limit: int,
) -> list[asyncpg.Record]:
    query = Query(f"SELECT {_CASHOUT} FROM voucher_cashouts c")
    query.where_if(player_id, "c.player_id = {}").where_if(status, "c.status = {}")
    if before is not None:
        query.where("(c.created_at, c.id) < ({}, {})", *before)
    scope.apply(query, "c.operator_id", "c.agent_id")
    query.tail("ORDER BY c.created_at DESC, c.id DESC LIMIT {}", limit)
    sql, args = query.build()
    return await conn.fetch(sql, *args)
