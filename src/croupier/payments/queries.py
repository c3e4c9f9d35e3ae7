"""SQL for deposits, provider events, velocity counts and risk events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from croupier.kit.sql import Query
from croupier.kit.tenancy import Scope

DEPOSIT_COLUMNS = """id, operator_id, player_id, reference, provider, method, currency, amount,
    status, request_hash, bonus_rule_id, instructions, provider_payment_id, failure_reason,
    credit_transfer_id, reversal_transfer_id, reversal_shortfall, expires_at, completed_at,
    closed_at, created_at, updated_at"""
_DEPOSIT_FIELDS = frozenset(
    {
        "status",
        "provider_payment_id",
        "failure_reason",
        "credit_transfer_id",
        "reversal_transfer_id",
        "reversal_shortfall",
        "completed_at",
        "closed_at",
    }
)


async def lock_player_payments(conn: asyncpg.Connection, player_id: int) -> None:
    """Serialise one player's payment requests until commit, so velocity counts, eligibility
    and the idempotency look-up see every earlier request."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($2 || $1::bigint::text, 0))",
        player_id,
        "payments:player:",
    )


async def deposit_by_key(
    conn: asyncpg.Connection, operator_id: int, player_id: int, key: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""SELECT {DEPOSIT_COLUMNS} FROM deposits
            WHERE operator_id = $1 AND player_id = $2 AND idempotency_key = $3""",
        operator_id,
        player_id,
        key,
    )


async def insert_deposit(conn: asyncpg.Connection, fields: dict[str, Any]) -> asyncpg.Record:
    columns = list(fields)
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    return await conn.fetchrow(
        f"""INSERT INTO deposits ({", ".join(columns)}) VALUES ({placeholders})
            RETURNING {DEPOSIT_COLUMNS}""",
        *fields.values(),
    )


async def get_deposit(conn: asyncpg.Connection, deposit_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {DEPOSIT_COLUMNS} FROM deposits WHERE id = $1", deposit_id)


async def deposit_for_update(conn: asyncpg.Connection, reference: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {DEPOSIT_COLUMNS} FROM deposits WHERE reference = $1 FOR UPDATE", reference
    )


async def update_deposit(
    conn: asyncpg.Connection, deposit_id: int, expect: str, changes: dict[str, Any]
) -> asyncpg.Record | None:
    """Apply ``changes`` only if the deposit is still in status ``expect``: a transition
    happens at most once."""
    unknown = set(changes) - _DEPOSIT_FIELDS
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(changes, start=3))
    return await conn.fetchrow(
        f"""UPDATE deposits SET {sets}, updated_at = now()
            WHERE id = $1 AND status = $2 RETURNING {DEPOSIT_COLUMNS}""",
        deposit_id,
        expect,
        *changes.values(),
    )


async def expired_deposit_references(conn: asyncpg.Connection, limit: int) -> list[str]:
    rows = await conn.fetch(
        """SELECT reference FROM deposits WHERE status = 'PENDING' AND expires_at < now()
           ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED""",
        limit,
    )
    return [row["reference"] for row in rows]


async def claim_event(
    conn: asyncpg.Connection,
    *,
    provider: str,
    event_id: str,
    event_type: str,
    payload: dict[str, Any],
) -> bool:
    """Record the event once; a concurrent duplicate waits here for the first to commit and
    then finds the row, so an event is applied at most once."""
    inserted = await conn.fetchval(
        """INSERT INTO payment_events (provider, event_id, event_type, outcome, payload)
           VALUES ($1, $2, $3, 'ignored', $4) ON CONFLICT DO NOTHING RETURNING true""",
        provider,
        event_id,
        event_type,
        payload,
    )
    return bool(inserted)


async def set_event_outcome(
    conn: asyncpg.Connection,
    *,
    provider: str,
    event_id: str,
    operator_id: int | None,
    deposit_id: int | None,
    outcome: str,
    reason: str | None,
) -> None:
    await conn.execute(
        """UPDATE payment_events SET operator_id = $3, deposit_id = $4, outcome = $5, reason = $6
           WHERE provider = $1 AND event_id = $2""",
        provider,
        event_id,
        operator_id,
        deposit_id,
        outcome,
        reason,
    )


async def deposit_activity(
    conn: asyncpg.Connection, player_id: int, *, count_since: datetime, amount_since: datetime
) -> asyncpg.Record:
    """Deposit attempts since ``count_since`` (every status: repeated failures are a card-testing
    signal) and the amount still live (pending or completed) since ``amount_since``."""
    return await conn.fetchrow(
        """SELECT count(*) FILTER (WHERE created_at >= $2) AS attempts,
                  coalesce(sum(amount) FILTER (WHERE created_at >= $3
                           AND status IN ('PENDING', 'COMPLETED')), 0)::bigint AS amount
           FROM deposits WHERE player_id = $1 AND created_at >= least($2, $3)""",
        player_id,
        count_since,
        amount_since,
    )


async def withdrawal_count(conn: asyncpg.Connection, player_id: int, since: datetime) -> int:
    return await conn.fetchval(
        "SELECT count(*) FROM withdrawals WHERE player_id = $1 AND created_at >= $2",
        player_id,
        since,
    )


async def insert_risk_event(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    code: str,
    details: dict[str, Any],
) -> None:
    await conn.execute(
        """INSERT INTO payment_risk_events (operator_id, player_id, code, details)
           VALUES ($1, $2, $3, $4)""",
        operator_id,
        player_id,
        code,
        details,
    )


async def list_rows(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    table: str,
    columns: str,
    player_id: int | None,
    status: str | None,
    start: datetime | None,
    end: datetime | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Deposits or withdrawals, newest first, within the caller's scope."""
    if table not in ("deposits", "withdrawals"):
        raise ValueError(table)
    query = scope.apply(Query(f"SELECT {columns} FROM {table} t"), "t.operator_id")
    query.where_if(player_id, "t.player_id = {}")
    query.where_if(status, "t.status = {}")
    query.where_if(start, "t.created_at >= {}")
    query.where_if(end, "t.created_at < {}")
    if after is not None:
        query.where("(t.created_at, t.id) < ({}, {})", after[0], after[1])
    query.tail("ORDER BY t.created_at DESC, t.id DESC LIMIT {}", limit)
    sql, args = query.build()
    return await conn.fetch(sql, *args)
