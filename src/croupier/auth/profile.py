"""The caller's own profile for GET /auth/me."""

from __future__ import annotations

from typing import Any

import asyncpg

from croupier.auth.principal import Principal


async def describe(conn: asyncpg.Connection, principal: Principal) -> dict[str, Any]:
    if principal.is_player:
        row = await conn.fetchrow(
            "SELECT email, username, vip_experience, kind FROM players WHERE id = $1",
            principal.subject_id,
        )
        extra = {
            "email": row["email"],
            "username": row["username"],
            "vip_experience": row["vip_experience"],
            "kind": row["kind"],
        }
    else:
        row = await conn.fetchrow(
            "SELECT email, display_name FROM staff_users WHERE id = $1", principal.subject_id
        )
        extra = {"email": row["email"], "display_name": row["display_name"], "kind": "staff"}
    return {
        "id": principal.subject_id,
        "role": principal.role.value,
        "operator_id": principal.operator_id,
        "agent_id": principal.agent_id,
        **extra,
    }
