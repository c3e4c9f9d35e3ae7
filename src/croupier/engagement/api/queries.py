"""SQL of the engagement API: devices, login failures, earns, events, clicks and ad costs.

Pipeline jobs have their own SQL in :mod:`.job_queries`; the platform export in
:mod:`.platform_source`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg

from croupier.kit.sql import Query
from croupier.kit.tenancy import Scope

# --- guest devices -----------------------------------------------------------------------


async def lock_device_id(conn: asyncpg.Connection, operator_id: int, device_id: str) -> None:
    """Serialise logins of one device id until commit, so a first use creates one player."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        f"engagement-device:{operator_id}:{device_id}",
    )


async def find_device(
    conn: asyncpg.Connection, operator_id: int, device_id: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT d.id, d.player_id, d.secret_hash, p.status AS player_status
           FROM engagement_devices d JOIN players p ON p.id = d.player_id
           WHERE d.operator_id = $1 AND d.device_id = $2""",
        operator_id,
        device_id,
    )


async def insert_guest(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    device_id: str,
    secret_hash: bytes,
    ip: str | None,
) -> int:
    """A new player of kind 'guest' and its device, in one statement; returns the player id."""
    return await conn.fetchval(
        """WITH player AS (
               INSERT INTO players (operator_id, kind) VALUES ($1, 'guest') RETURNING id
           )
           INSERT INTO engagement_devices (operator_id, player_id, device_id, secret_hash,
                                           created_ip, last_login_at)
           SELECT $1, player.id, $2, $3, $4::inet, now() FROM player
           RETURNING player_id""",
        operator_id,
        device_id,
        secret_hash,
        ip,
    )


async def touch_device(conn: asyncpg.Connection, device_pk: int) -> None:
    await conn.execute(
        "UPDATE engagement_devices SET last_login_at = now() WHERE id = $1", device_pk
    )


async def guests_created_from_ip(
    conn: asyncpg.Connection, ip: str, window_seconds: int
) -> tuple[int, datetime | None]:
    row = await conn.fetchrow(
        """SELECT count(*) AS n, min(created_at) AS oldest FROM engagement_devices
           WHERE created_ip = $1::inet AND created_at > now() - make_interval(secs => $2)""",
        ip,
        window_seconds,
    )
    return row["n"], row["oldest"]


async def recent_login_failures(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    device_id: str,
    ip: str | None,
    window_seconds: int,
) -> asyncpg.Record:
    """Failures in the window for the device and for the IP, with the oldest of each."""
    return await conn.fetchrow(
        """SELECT
             count(*) FILTER (WHERE operator_id = $1 AND device_id = $2) AS by_device,
             count(*) FILTER (WHERE ip = $3::inet) AS by_ip,
             min(created_at) FILTER (WHERE operator_id = $1 AND device_id = $2) AS oldest_device,
             min(created_at) FILTER (WHERE ip = $3::inet) AS oldest_ip
           FROM engagement_login_failures
           WHERE created_at > now() - make_interval(secs => $4)
             AND ((operator_id = $1 AND device_id = $2) OR ip = $3::inet)""",
        operator_id,
        device_id,
        ip,
        window_seconds,
    )


async def record_login_failure(
    conn: asyncpg.Connection, *, operator_id: int, device_id: str, ip: str | None
) -> None:
    await conn.execute(
        """INSERT INTO engagement_login_failures (operator_id, device_id, ip)
           VALUES ($1, $2, $3::inet)""",
        operator_id,
        device_id,
        ip,
    )


# --- free-to-play earnings ---------------------------------------------------------------


async def claim_earn(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    key: str,
    request_hash: bytes,
    reason: str,
    amount: int,
    day: date,
) -> int | None:
    """The new earn's id, or None when the key is taken (after its owner committed)."""
    return await conn.fetchval(
        """INSERT INTO engagement_earns (operator_id, player_id, idempotency_key, request_hash,
                                         reason, amount, day)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (player_id, idempotency_key) DO NOTHING
           RETURNING id""",
        operator_id,
        player_id,
        key,
        request_hash,
        reason,
        amount,
        day,
    )


async def find_earn(conn: asyncpg.Connection, player_id: int, key: str) -> asyncpg.Record:
    return await conn.fetchrow(
        """SELECT request_hash, reason, amount, day, transfer_id, coins_after, earned_today
           FROM engagement_earns WHERE player_id = $1 AND idempotency_key = $2""",
        player_id,
        key,
    )


async def add_to_daily_counter(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    reason: str,
    day: date,
    amount: int,
    cap: int,
) -> int | None:
    """Add ``amount`` to the day's counter unless that passes ``cap``: the new total, or None.

    The upsert locks the counter row, and a waiting writer re-checks the condition against
    the committed total, so concurrent earns can never pass the cap together.
    """
    return await conn.fetchval(
        """INSERT INTO engagement_earn_counters AS c (player_id, reason, day, operator_id, earned)
           SELECT $1, $2, $3, $4, $5::bigint WHERE $5::bigint <= $6::bigint
           ON CONFLICT (player_id, reason, day)
           DO UPDATE SET earned = c.earned + EXCLUDED.earned
           WHERE c.earned + EXCLUDED.earned <= $6::bigint
           RETURNING earned""",
        player_id,
        reason,
        day,
        operator_id,
        amount,
        cap,
    )


async def earned_on(conn: asyncpg.Connection, player_id: int, reason: str, day: date) -> int:
    value = await conn.fetchval(
        """SELECT earned FROM engagement_earn_counters
           WHERE player_id = $1 AND reason = $2 AND day = $3""",
        player_id,
        reason,
        day,
    )
    return value or 0


async def complete_earn(
    conn: asyncpg.Connection, earn_id: int, *, transfer_id: int, coins_after: int, earned: int
) -> None:
    await conn.execute(
        """UPDATE engagement_earns SET transfer_id = $2, coins_after = $3, earned_today = $4
           WHERE id = $1""",
        earn_id,
        transfer_id,
        coins_after,
        earned,
    )


# --- custom events -----------------------------------------------------------------------

_EVENT = "id, event_type, meta, client_ts, server_ts"


async def insert_event(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    event_type: str,
    meta: dict[str, Any],
    client_ts: datetime,
) -> asyncpg.Record:
    return await conn.fetchrow(
        f"""INSERT INTO engagement_events (operator_id, player_id, event_type, meta, client_ts)
            VALUES ($1, $2, $3, $4, $5) RETURNING {_EVENT}""",
        operator_id,
        player_id,
        event_type,
        meta,
        client_ts,
    )


async def recent_events(conn: asyncpg.Connection, player_id: int, limit: int) -> list[Any]:
    return await conn.fetch(
        f"""SELECT {_EVENT} FROM engagement_events WHERE player_id = $1
            ORDER BY server_ts DESC, id DESC LIMIT $2""",
        player_id,
        limit,
    )


async def event_counts(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    player_id: int | None,
    timezone: str,
    start: datetime,
    end: datetime,
) -> list[Any]:
    """(local day, event type, count) rows for events received in [start, end)."""
    query = Query("SELECT e.server_ts, e.event_type FROM engagement_events e")
    query.where("e.server_ts >= {} AND e.server_ts < {}", start, end)
    scope.apply(query, "e.operator_id")
    query.where_if(player_id, "e.player_id = {}")
    inner, args = query.build()
    # The zone goes last: the builder has numbered the inner query's parameters already.
    sql = f"""SELECT (s.server_ts AT TIME ZONE ${len(args) + 1}::text)::date AS day,
                     s.event_type, count(*) AS count
              FROM ({inner}) s GROUP BY 1, 2 ORDER BY 1, 2"""
    return await conn.fetch(sql, *args, timezone)


# --- attribution clicks ------------------------------------------------------------------


async def insert_click(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    click_id: str,
    media_source: str | None,
    campaign: str | None,
    adset: str | None,
    ip: str | None,
    user_agent: str | None,
) -> bool:
    """False when the click id was already recorded (the first click keeps its data)."""
    inserted = await conn.fetchval(
        """INSERT INTO engagement_clicks (operator_id, click_id, media_source, campaign, adset,
                                          ip, user_agent)
           VALUES ($1, $2, $3, $4, $5, $6::inet, $7)
           ON CONFLICT (operator_id, click_id) DO NOTHING
           RETURNING id""",
        operator_id,
        click_id,
        media_source,
        campaign,
        adset,
        ip,
        user_agent,
    )
    return inserted is not None


async def link_click(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    click_id: str,
    lookback_seconds: int,
) -> bool:
    linked = await conn.fetchval(
        """UPDATE engagement_clicks SET player_id = $3, linked_at = now()
           WHERE operator_id = $1 AND click_id = $2 AND player_id IS NULL
             AND clicked_at > now() - make_interval(secs => $4)
           RETURNING id""",
        operator_id,
        click_id,
        player_id,
        lookback_seconds,
    )
    return linked is not None


# --- ad costs ----------------------------------------------------------------------------


async def upsert_ad_costs(
    conn: asyncpg.Connection, operator_id: int, currency: str, rows: list[tuple[Any, ...]]
) -> int:
    """Replace the spend of each (day, media source, campaign, adset) given."""
    days, sources, campaigns, adsets, spends = (list(column) for column in zip(*rows, strict=True))
    result = await conn.execute(
        """INSERT INTO ad_costs (operator_id, day, media_source, campaign, adset, spend_minor,
                                 currency)
           SELECT $1, r.day, r.media_source, r.campaign, r.adset, r.spend_minor, $7
           FROM unnest($2::date[], $3::text[], $4::text[], $5::text[], $6::bigint[])
                AS r(day, media_source, campaign, adset, spend_minor)
           ON CONFLICT (operator_id, day, media_source, campaign, adset)
           DO UPDATE SET spend_minor = EXCLUDED.spend_minor, currency = EXCLUDED.currency,
                         updated_at = now()""",
        operator_id,
        days,
        sources,
        campaigns,
        adsets,
        spends,
        currency,
    )
    return int(result.rsplit(" ", 1)[-1])
