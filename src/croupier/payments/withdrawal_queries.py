"""SQL for withdrawals and the payout queue (APPROVED rows, claimed with a lease)."""

from __future__ import annotations

from typing import Any

import asyncpg

WITHDRAWAL_COLUMNS = """id, operator_id, player_id, reference, provider, method, destination,
    currency, amount, status, request_hash, hold_transfer_id, post_transfer_id,
    return_transfer_id, reason, reviewed_by, reviewed_at, payout_attempts, provider_payout_id,
    failure_reason, closed_at, created_at, updated_at"""
_FIELDS = frozenset(
    {
        "status",
        "post_transfer_id",
        "return_transfer_id",
        "reason",
        "reviewed_by",
        "reviewed_at",
        "provider_payout_id",
        "failure_reason",
        "closed_at",
        "payout_lease_until",
    }
)


async def withdrawal_by_key(
    conn: asyncpg.Connection, operator_id: int, player_id: int, key: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""SELECT {WITHDRAWAL_COLUMNS} FROM withdrawals
            WHERE operator_id = $1 AND player_id = $2 AND idempotency_key = $3""",
        operator_id,
        player_id,
        key,
    )


async def insert_withdrawal(conn: asyncpg.Connection, fields: dict[str, Any]) -> asyncpg.Record:
    columns = list(fields)
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    return await conn.fetchrow(
        f"""INSERT INTO withdrawals ({", ".join(columns)}) VALUES ({placeholders})
            RETURNING {WITHDRAWAL_COLUMNS}""",
        *fields.values(),
    )


async def get_withdrawal(conn: asyncpg.Connection, withdrawal_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {WITHDRAWAL_COLUMNS} FROM withdrawals WHERE id = $1", withdrawal_id
    )


async def withdrawal_for_update(
    conn: asyncpg.Connection, withdrawal_id: int
) -> asyncpg.Record | None:
    """The row lock makes concurrent reviews of one withdrawal take turns; the second one then
    sees the first one's decision."""
    return await conn.fetchrow(
        f"SELECT {WITHDRAWAL_COLUMNS} FROM withdrawals WHERE id = $1 FOR UPDATE", withdrawal_id
    )


async def update_withdrawal(
    conn: asyncpg.Connection, withdrawal_id: int, expect: str, changes: dict[str, Any]
) -> asyncpg.Record | None:
    """Apply ``changes`` only if the withdrawal is still in status ``expect``."""
    unknown = set(changes) - _FIELDS
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(changes, start=3))
    return await conn.fetchrow(
        f"""UPDATE withdrawals SET {sets}, updated_at = now()
            WHERE id = $1 AND status = $2 RETURNING {WITHDRAWAL_COLUMNS}""",
        withdrawal_id,
        expect,
        *changes.values(),
    )


async def claim_payouts(
    conn: asyncpg.Connection, *, limit: int, lease_seconds: int
) -> list[asyncpg.Record]:
    """Take up to ``limit`` approved withdrawals whose lease is free. A worker that dies
    mid-payout leaves its lease to expire, and the payout is retried with the same reference."""
    return await conn.fetch(
        f"""UPDATE withdrawals w
            SET payout_lease_until = now() + make_interval(secs => $2),
                payout_attempts = w.payout_attempts + 1, updated_at = now()
            WHERE w.id IN (
                SELECT id FROM withdrawals
                WHERE status = 'APPROVED'
                  AND (payout_lease_until IS NULL OR payout_lease_until < now())
                ORDER BY reviewed_at LIMIT $1 FOR UPDATE SKIP LOCKED)
            RETURNING {", ".join("w." + c.strip() for c in WITHDRAWAL_COLUMNS.split(","))}""",
        limit,
        lease_seconds,
    )
