"""SQL for operators and staff users."""

from __future__ import annotations

from typing import Any

import asyncpg

_OPERATOR = "id, slug, name, currency, timezone, mode, status, settings, created_at"
_STAFF = "id, email, display_name, role, operator_id, agent_id, status, created_at"


async def insert_operator(conn: asyncpg.Connection, **fields: Any) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""INSERT INTO operators (slug, name, currency, timezone, mode, settings)
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (slug) DO NOTHING RETURNING {_OPERATOR}""",
        fields["slug"],
        fields["name"],
        fields["currency"],
        fields["timezone"],
        fields["mode"],
        fields["settings"],
    )


async def get_operator(conn: asyncpg.Connection, operator_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_OPERATOR} FROM operators WHERE id = $1", operator_id)


async def list_operators(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(f"SELECT {_OPERATOR} FROM operators ORDER BY id")


async def update_operator(
    conn: asyncpg.Connection, operator_id: int, changes: dict[str, Any]
) -> asyncpg.Record | None:
    # Column names come from the validated schema's field names, never from the client.
    allowed = {"name", "timezone", "status", "settings"}
    columns = [name for name in changes if name in allowed]
    assignments = ", ".join(f"{col} = ${i + 2}" for i, col in enumerate(columns))
    return await conn.fetchrow(
        f"""UPDATE operators SET {assignments}, updated_at = now()
            WHERE id = $1 RETURNING {_OPERATOR}""",
        operator_id,
        *(changes[col] for col in columns),
    )


async def insert_staff(
    conn: asyncpg.Connection,
    *,
    email: str,
    password_hash: str,
    role: str,
    operator_id: int | None,
    agent_id: int | None,
    display_name: str | None,
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""INSERT INTO staff_users
                (email, password_hash, role, operator_id, agent_id, display_name)
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING {_STAFF}""",
        email,
        password_hash,
        role,
        operator_id,
        agent_id,
        display_name,
    )


async def list_staff(conn: asyncpg.Connection, operator_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {_STAFF} FROM staff_users WHERE operator_id = $1 ORDER BY id", operator_id
    )


async def staff_email_exists(conn: asyncpg.Connection, email: str) -> bool:
    return await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM staff_users WHERE lower(email) = lower($1))", email
    )


async def upsert_affiliate(
    conn: asyncpg.Connection, *, operator_id: int, code: str, name: str, revenue_share_bp: int
) -> int:
    return await conn.fetchval(
        """INSERT INTO affiliates (operator_id, code, name, revenue_share_bp)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (operator_id, code) DO UPDATE SET name = EXCLUDED.name
           RETURNING id""",
        operator_id,
        code,
        name,
        revenue_share_bp,
    )
