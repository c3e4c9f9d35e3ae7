"""SQL for ephemeral players, their voucher bonuses, and the failed-attempt throttle records."""

from __future__ import annotations

from datetime import datetime

import asyncpg

_BONUS = """b.voucher_id, b.operator_id, b.player_id, b.agent_id, b.currency, b.amount, b.state,
            b.granted_at, b.acknowledged_at, b.forfeited_at"""


async def insert_ephemeral_player(
    conn: asyncpg.Connection,
    *,
    voucher: asyncpg.Record,
    login_code: str,
    pin_hash: str,
) -> int | None:
    """A player attributed to the voucher's agent, cashier and region; None if the login code
    is already taken within the operator (the caller draws another)."""
    return await conn.fetchval(
        """INSERT INTO players (operator_id, kind, agent_id, cashier_id, region, login_code,
                                pin_hash)
           VALUES ($1, 'ephemeral', $2, $3, $4, $5, $6)
           ON CONFLICT (operator_id, login_code) WHERE login_code IS NOT NULL DO NOTHING
           RETURNING id""",
        voucher["operator_id"],
        voucher["agent_id"],
        voucher["cashier_id"],
        voucher["region"],
        login_code,
        pin_hash,
    )


async def players_by_login_code(
    conn: asyncpg.Connection, login_code: str, operator_id: int | None
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT p.id, p.operator_id, p.pin_hash, p.status, o.status AS operator_status
           FROM players p JOIN operators o ON o.id = p.operator_id
           WHERE p.login_code = $1 AND ($2::int IS NULL OR p.operator_id = $2)
           LIMIT 2""",
        login_code,
        operator_id,
    )


async def touch_login(conn: asyncpg.Connection, player_id: int) -> None:
    await conn.execute("UPDATE players SET last_login_at = now() WHERE id = $1", player_id)


async def player_profile(
    conn: asyncpg.Connection, operator_id: int, player_id: int
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT id, operator_id, kind, login_code, agent_id, cashier_id, region
           FROM players WHERE operator_id = $1 AND id = $2""",
        operator_id,
        player_id,
    )


async def insert_bonus(conn: asyncpg.Connection, voucher: asyncpg.Record, player_id: int) -> None:
    await conn.execute(
        """INSERT INTO voucher_bonuses (voucher_id, operator_id, player_id, agent_id, currency,
                                        amount)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        voucher["id"],
        voucher["operator_id"],
        player_id,
        voucher["agent_id"],
        voucher["currency"],
        voucher["bonus"],
    )


async def claim_held_bonuses(
    conn: asyncpg.Connection, operator_id: int, player_id: int, *, to_state: str
) -> list[asyncpg.Record]:
    """Move the player's held bonuses to ``granted`` or ``forfeited``. Two concurrent callers
    queue on the row lock and the second re-reads ``state = 'held'`` as false: each bonus is
    claimed by exactly one of them."""
    stamp = "granted_at" if to_state == "granted" else "forfeited_at"
    return await conn.fetch(
        f"""UPDATE voucher_bonuses b SET state = $3, {stamp} = now()
            WHERE b.operator_id = $1 AND b.player_id = $2 AND b.state = 'held'
            RETURNING {_BONUS}""",
        operator_id,
        player_id,
        to_state,
    )


async def acknowledge_bonuses(conn: asyncpg.Connection, operator_id: int, player_id: int) -> None:
    await conn.execute(
        """UPDATE voucher_bonuses SET state = 'acknowledged', acknowledged_at = now()
           WHERE operator_id = $1 AND player_id = $2 AND state = 'granted'""",
        operator_id,
        player_id,
    )


async def player_bonuses(
    conn: asyncpg.Connection, operator_id: int, player_id: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"""SELECT {_BONUS} FROM voucher_bonuses b
            WHERE b.operator_id = $1 AND b.player_id = $2 ORDER BY b.voucher_id""",
        operator_id,
        player_id,
    )


async def held_bonus_totals(
    conn: asyncpg.Connection, operator_id: int | None
) -> list[asyncpg.Record]:
    """Per player, what the bonus_held account should hold: the player's held bonuses."""
    return await conn.fetch(
        """SELECT operator_id, player_id, currency,
                  sum(amount) FILTER (WHERE state = 'held') AS expected
           FROM voucher_bonuses WHERE $1::int IS NULL OR operator_id = $1
           GROUP BY operator_id, player_id, currency""",
        operator_id,
    )


async def record_failure(
    conn: asyncpg.Connection, *, action: str, subject: str | None, ip: str | None
) -> None:
    await conn.execute(
        "INSERT INTO voucher_failed_attempts (action, subject, ip) VALUES ($1, $2, $3::inet)",
        action,
        subject,
        ip,
    )


async def recent_failures(
    conn: asyncpg.Connection,
    *,
    action: str,
    subject: str | None,
    ip: str | None,
    window_seconds: int,
) -> tuple[int, int, datetime | None, datetime | None]:
    """Failures in the window for the subject and for the IP, with the oldest of each."""
    row = await conn.fetchrow(
        """SELECT count(*) FILTER (WHERE subject = $2) AS by_subject,
                  count(*) FILTER (WHERE ip = $3::inet) AS by_ip,
                  min(created_at) FILTER (WHERE subject = $2) AS oldest_subject,
                  min(created_at) FILTER (WHERE ip = $3::inet) AS oldest_ip
           FROM voucher_failed_attempts
           WHERE action = $1 AND created_at > now() - make_interval(secs => $4)
             AND (subject = $2 OR ip = $3::inet)""",
        action,
        subject,
        ip,
        window_seconds,
    )
    return row["by_subject"], row["by_ip"], row["oldest_subject"], row["oldest_ip"]
