"""SQL for agents, voucher batches and vouchers; scoped reads go through the caller's Scope."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from croupier.kit.sql import Query
from croupier.kit.tenancy import Scope

_AGENT = """a.id, a.operator_id, a.code, a.name, a.region, a.status, a.created_at,
            o.currency, o.mode AS operator_mode, o.status AS operator_status, v.active_vouchers"""
_AGENT_FROM = """FROM agents a JOIN operators o ON o.id = a.operator_id
    CROSS JOIN LATERAL (
        SELECT count(*) AS active_vouchers FROM vouchers
        WHERE operator_id = a.operator_id AND agent_id = a.id AND status = 'active') v"""
_VOUCHER = """v.id, v.operator_id, v.agent_id, v.batch_id, v.issued_by, v.cashier_id, v.region,
              v.code_hint, v.currency, v.amount, v.bonus, v.status, v.expires_at, v.player_id,
              v.redeemed_at, v.closed_at, v.created_at"""


async def insert_agent(
    conn: asyncpg.Connection, *, operator_id: int, code: str, name: str, region: str | None
) -> int | None:
    """The new agent's id, or None when the code is taken within the operator."""
    return await conn.fetchval(
        """INSERT INTO agents (operator_id, code, name, region) VALUES ($1, $2, $3, $4)
           ON CONFLICT (operator_id, code) DO NOTHING RETURNING id""",
        operator_id,
        code,
        name,
        region,
    )


async def get_agent(conn: asyncpg.Connection, scope: Scope, agent_id: int) -> asyncpg.Record | None:
    """The agent if the caller's scope reaches it: its operator, and for agent staff itself."""
    query = Query(f"SELECT {_AGENT} {_AGENT_FROM}").where("a.id = {}", agent_id)
    sql, args = scope.apply(query, "a.operator_id", "a.id").build()
    return await conn.fetchrow(sql, *args)


async def list_agents(
    conn: asyncpg.Connection, scope: Scope, *, after: int | None, limit: int
) -> list[asyncpg.Record]:
    query = Query(f"SELECT {_AGENT} {_AGENT_FROM}")
    query.where_if(after, "a.id > {}")
    scope.apply(query, "a.operator_id", "a.id").tail("ORDER BY a.id LIMIT {}", limit)
    sql, args = query.build()
    return await conn.fetch(sql, *args)


async def batch_by_key(
    conn: asyncpg.Connection, operator_id: int, agent_id: int, key: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT * FROM voucher_batches
           WHERE operator_id = $1 AND agent_id = $2 AND idempotency_key = $3""",
        operator_id,
        agent_id,
        key,
    )


async def insert_batch(conn: asyncpg.Connection, fields: dict[str, Any]) -> asyncpg.Record:
    columns = list(fields)
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    return await conn.fetchrow(
        f"INSERT INTO voucher_batches ({', '.join(columns)}) VALUES ({placeholders}) RETURNING *",
        *fields.values(),
    )


async def insert_vouchers(
    conn: asyncpg.Connection,
    batch: asyncpg.Record,
    *,
    region: str | None,
    code_hashes: list[bytes],
    hints: list[str],
) -> list[asyncpg.Record]:
    """One row per code, in the order given, in one statement."""
    return await conn.fetch(
        f"""WITH inserted AS (
                INSERT INTO vouchers (operator_id, agent_id, batch_id, issued_by, cashier_id,
                                      region, code_hash, code_hint, currency, amount, bonus,
                                      expires_at)
                SELECT b.operator_id, b.agent_id, b.id, b.issued_by, b.cashier_id, $2,
                       c.hash, c.hint, b.currency, b.amount, b.bonus, b.expires_at
                FROM voucher_batches b,
                     unnest($3::bytea[], $4::text[]) WITH ORDINALITY AS c(hash, hint, n)
                WHERE b.id = $1
                ORDER BY c.n
                RETURNING *)
            SELECT {_VOUCHER} FROM inserted v ORDER BY v.id""",
        batch["id"],
        region,
        code_hashes,
        hints,
    )


async def batch_vouchers(conn: asyncpg.Connection, batch_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {_VOUCHER} FROM vouchers v WHERE v.batch_id = $1 ORDER BY v.id", batch_id
    )


async def list_vouchers(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    agent_id: int,
    status: str | None,
    before: tuple[datetime, int] | None,
    limit: int,
) -> list[asyncpg.Record]:
    query = Query(f"SELECT {_VOUCHER} FROM vouchers v")
    query.where("v.agent_id = {}", agent_id).where_if(status, "v.status = {}")
    if before is not None:
        query.where("(v.created_at, v.id) < ({}, {})", *before)
    scope.apply(query, "v.operator_id", "v.agent_id")
    query.tail("ORDER BY v.created_at DESC, v.id DESC LIMIT {}", limit)
    sql, args = query.build()
    return await conn.fetch(sql, *args)


async def claim_voucher(conn: asyncpg.Connection, code_hash: bytes) -> asyncpg.Record | None:
    """Mark an active, unexpired voucher of an active sweepstakes operator redeemed. Concurrent
    claims of one code queue on the row lock; the losers re-check ``status = 'active'`` against
    the committed row and get nothing back, so exactly one caller wins."""
    return await conn.fetchrow(
        f"""UPDATE vouchers v SET status = 'redeemed', redeemed_at = now()
            WHERE v.code_hash = $1 AND v.status = 'active' AND v.expires_at > now()
              AND EXISTS (SELECT 1 FROM operators o WHERE o.id = v.operator_id
                          AND o.status = 'active' AND o.mode = 'sweepstakes')
            RETURNING {_VOUCHER}""",
        code_hash,
    )


async def attach_player(conn: asyncpg.Connection, voucher_id: int, player_id: int) -> None:
    await conn.execute("UPDATE vouchers SET player_id = $2 WHERE id = $1", voucher_id, player_id)


async def close_due_vouchers(
    conn: asyncpg.Connection, *, operator_id: int | None, agent_id: int | None, limit: int
) -> list[asyncpg.Record]:
    """Mark up to ``limit`` active vouchers past their expiry expired, skipping rows another
    transaction holds (a concurrent sweep, or a redemption racing the deadline)."""
    return await conn.fetch(
        f"""WITH due AS (
                SELECT id FROM vouchers
                WHERE status = 'active' AND expires_at <= now()
                  AND ($1::int IS NULL OR operator_id = $1)
                  AND ($2::bigint IS NULL OR agent_id = $2)
                ORDER BY expires_at, id LIMIT $3
                FOR UPDATE SKIP LOCKED)
            UPDATE vouchers v SET status = 'expired', closed_at = now()
            FROM due WHERE v.id = due.id
            RETURNING {_VOUCHER}""",
        operator_id,
        agent_id,
        limit,
    )


async def void_voucher(
    conn: asyncpg.Connection, scope: Scope, *, agent_id: int, voucher_id: int
) -> asyncpg.Record | None:
    """Void an active voucher in the caller's scope; None if it is not (or no longer) active."""
    query = Query("UPDATE vouchers v SET status = 'voided', closed_at = now()")
    query.where("v.id = {}", voucher_id).where("v.agent_id = {}", agent_id)
    query.where("v.status = 'active'")
    scope.apply(query, "v.operator_id", "v.agent_id").tail(f"RETURNING {_VOUCHER}")
    sql, args = query.build()
    return await conn.fetchrow(sql, *args)


async def get_voucher(
    conn: asyncpg.Connection, scope: Scope, *, agent_id: int, voucher_id: int
) -> asyncpg.Record | None:
    query = Query(f"SELECT {_VOUCHER} FROM vouchers v")
    query.where("v.id = {}", voucher_id).where("v.agent_id = {}", agent_id)
    sql, args = scope.apply(query, "v.operator_id", "v.agent_id").build()
    return await conn.fetchrow(sql, *args)


async def liability_by_agent(
    conn: asyncpg.Connection, operator_id: int | None
) -> list[asyncpg.Record]:
    """What each agent's voucher liability should hold: the value of its active vouchers."""
    return await conn.fetch(
        """SELECT a.operator_id, a.id AS agent_id, o.currency,
                  coalesce(sum(v.amount + v.bonus) FILTER (WHERE v.status = 'active'), 0)
                      AS expected
           FROM agents a JOIN operators o ON o.id = a.operator_id
           LEFT JOIN vouchers v ON v.operator_id = a.operator_id AND v.agent_id = a.id
           WHERE $1::int IS NULL OR a.operator_id = $1
           GROUP BY a.operator_id, a.id, o.currency""",
        operator_id,
    )
