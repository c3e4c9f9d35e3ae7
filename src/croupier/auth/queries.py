"""SQL for sessions, credentials and login attempts."""

from __future__ import annotations

from datetime import datetime

import asyncpg

_SESSION_COLUMNS = """
    s.id, s.subject_type, s.subject_id, s.operator_id, s.csrf_hash, s.expires_at, s.last_seen_at,
    COALESCE(st.role, 'player') AS role, st.agent_id,
    COALESCE(st.status = 'active', p.status = 'active', false) AS subject_active
"""


_LIVE_SESSIONS = """
    FROM auth_sessions s
    LEFT JOIN staff_users st ON s.subject_type = 'staff' AND st.id = s.subject_id
    LEFT JOIN players p ON s.subject_type = 'player' AND p.id = s.subject_id
    WHERE s.revoked_at IS NULL AND s.expires_at > now()
"""


async def find_session(conn: asyncpg.Connection, token_hash: bytes) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {_SESSION_COLUMNS} {_LIVE_SESSIONS} AND s.token_hash = $1", token_hash
    )


async def find_sessions(
    conn: asyncpg.Connection, token_hashes: list[bytes]
) -> dict[bytes, asyncpg.Record]:
    """``find_session`` for many tokens in one round trip: live sessions by token hash."""
    rows = await conn.fetch(
        f"""SELECT s.token_hash, {_SESSION_COLUMNS} {_LIVE_SESSIONS}
              AND s.token_hash = ANY($1::bytea[])""",
        token_hashes,
    )
    return {bytes(row["token_hash"]): row for row in rows}


async def renew_session(conn: asyncpg.Connection, session_id: int, ttl_seconds: int) -> None:
    await conn.execute(
        """UPDATE auth_sessions SET last_seen_at = now(),
                  expires_at = now() + make_interval(secs => $2)
           WHERE id = $1""",
        session_id,
        ttl_seconds,
    )


async def insert_session(
    conn: asyncpg.Connection,
    *,
    token_hash: bytes,
    csrf_hash: bytes,
    subject_type: str,
    subject_id: int,
    operator_id: int | None,
    ttl_seconds: int,
    ip: str | None,
    user_agent: str | None,
) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO auth_sessions (token_hash, csrf_hash, subject_type, subject_id, operator_id,
                                      expires_at, ip, user_agent)
           VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6), $7::inet, $8)
           RETURNING id, expires_at""",
        token_hash,
        csrf_hash,
        subject_type,
        subject_id,
        operator_id,
        ttl_seconds,
        ip,
        user_agent,
    )


async def revoke_session(conn: asyncpg.Connection, session_id: int) -> None:
    await conn.execute(
        "UPDATE auth_sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
        session_id,
    )


async def find_operator_by_slug(conn: asyncpg.Connection, slug: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, slug, status, mode FROM operators WHERE slug = $1", slug.lower()
    )


async def find_player_by_login(
    conn: asyncpg.Connection, operator_id: int, login: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT id, operator_id, password_hash, status FROM players
           WHERE operator_id = $1 AND (lower(email) = lower($2) OR lower(username) = lower($2))
           LIMIT 1""",
        operator_id,
        login,
    )


async def find_staff_by_email(conn: asyncpg.Connection, email: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT id, operator_id, agent_id, role, password_hash, status FROM staff_users
           WHERE lower(email) = lower($1)""",
        email,
    )


async def insert_player(
    conn: asyncpg.Connection, *, operator_id: int, email: str, username: str, password_hash: str
) -> asyncpg.Record | None:
    """Returns None when the email or username is already taken within the operator."""
    return await conn.fetchrow(
        """INSERT INTO players (operator_id, email, username, password_hash)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING
           RETURNING id, operator_id, email, username, created_at""",
        operator_id,
        email,
        username,
        password_hash,
    )


async def recent_failures(
    conn: asyncpg.Connection, *, account_key: str, ip: str | None, window_seconds: int
) -> tuple[int, int, datetime | None, datetime | None]:
    """Failures in the window for the account and for the IP, with the oldest of each."""
    row = await conn.fetchrow(
        """SELECT
             count(*) FILTER (WHERE account_key = $1) AS by_account,
             count(*) FILTER (WHERE ip = $2::inet) AS by_ip,
             min(created_at) FILTER (WHERE account_key = $1) AS oldest_account,
             min(created_at) FILTER (WHERE ip = $2::inet) AS oldest_ip
           FROM login_attempts
           WHERE NOT succeeded AND created_at > now() - make_interval(secs => $3)
             AND (account_key = $1 OR ip = $2::inet)""",
        account_key,
        ip,
        window_seconds,
    )
    return row["by_account"], row["by_ip"], row["oldest_account"], row["oldest_ip"]


async def record_attempt(
    conn: asyncpg.Connection, *, account_key: str, ip: str | None, succeeded: bool
) -> None:
    await conn.execute(
        "INSERT INTO login_attempts (account_key, ip, succeeded) VALUES ($1, $2::inet, $3)",
        account_key,
        ip,
        succeeded,
    )


async def record_security_event(
    conn: asyncpg.Connection,
    *,
    kind: str,
    operator_id: int | None,
    subject: str | None,
    ip: str | None,
    details: dict[str, object],
) -> None:
    await conn.execute(
        """INSERT INTO security_events (kind, operator_id, subject, ip, details)
           VALUES ($1, $2, $3, $4::inet, $5)""",
        kind,
        operator_id,
        subject,
        ip,
        details,
    )
