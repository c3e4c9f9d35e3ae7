"""SQL for the safety engine's hot path: one read and one write of the player's two state rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

# What a spin's record reads: the player's safety row (p), the session's (s), the timezone and
# the operator's safety config (pl, o); for one player and for a batch alike.
_LOADED = """(o.settings -> 'safety')::text AS config,
       COALESCE(pl.timezone, o.timezone) AS timezone,
       p.player_id IS NOT NULL AS has_player, p.state AS player_state, p.limits,
       p.cooldown_until, p.stop_until, p.stop_code, p.marketing_suppressed_until,
       p.reality_check_minutes, p.self_excluded_until, p.timeout_until,
       s.player_id IS NOT NULL AS has_session, s.state AS session_state, s.touched_at,
       s.loss_limit, s.started_at, s.net_loss, s.ended_code"""

# The player's safety row and the session's row, locked so that concurrent spins of one player
# (two tabs, a provider debit) apply one after the other, with the operator's config and the
# timezones. FOR UPDATE is not allowed on the nullable side of an outer join; in a CTE it is.
LOAD_FOR_UPDATE = f"""
WITH p AS (
    SELECT * FROM safety_players WHERE operator_id = $1 AND player_id = $2 FOR UPDATE
), s AS (
    SELECT * FROM safety_sessions
    WHERE operator_id = $1 AND player_id = $2 AND session_key = $3 FOR UPDATE
)
SELECT {_LOADED}
FROM players pl
JOIN operators o ON o.id = pl.operator_id
LEFT JOIN p ON true
LEFT JOIN s ON true
WHERE pl.operator_id = $1 AND pl.id = $2
"""


async def load_for_update(
    conn: asyncpg.Connection, operator_id: int, player_id: int, session_key: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(LOAD_FOR_UPDATE, operator_id, player_id, session_key)


# LOAD_FOR_UPDATE for many players (the bulk path), one row per (operator, player, session)
# found, with its position in the arrays.
LOAD_FOR_UPDATE_MANY = f"""
SELECT u.ord, {_LOADED}
FROM unnest($1::integer[], $2::bigint[], $3::text[])
     WITH ORDINALITY AS u(operator_id, player_id, session_key, ord)
JOIN players pl ON pl.operator_id = u.operator_id AND pl.id = u.player_id
JOIN operators o ON o.id = pl.operator_id
LEFT JOIN LATERAL (
    SELECT * FROM safety_players x
    WHERE x.operator_id = u.operator_id AND x.player_id = u.player_id FOR UPDATE
) p ON true
LEFT JOIN LATERAL (
    SELECT * FROM safety_sessions x
    WHERE x.operator_id = u.operator_id AND x.player_id = u.player_id
      AND x.session_key = u.session_key FOR UPDATE
) s ON true
ORDER BY u.ord
"""


async def load_for_update_many(
    conn: asyncpg.Connection, spins: list[tuple[int, int, str]]
) -> list[asyncpg.Record | None]:
    """``load_for_update`` of each (operator, player, session key), in order; None for a
    player that does not exist."""
    rows = await conn.fetch(
        LOAD_FOR_UPDATE_MANY, *(list(column) for column in zip(*spins, strict=True))
    )
    found = {row["ord"]: row for row in rows}
    return [found.get(i + 1) for i in range(len(spins))]


async def ensure_rows_many(
    conn: asyncpg.Connection, spins: list[tuple[int, int, str, datetime]]
) -> None:
    """``ensure_rows`` of each (operator, player, session key, at)."""
    await conn.execute(
        """WITH u AS (
               SELECT * FROM unnest($1::integer[], $2::bigint[], $3::text[], $4::timestamptz[])
                   AS u(operator_id, player_id, session_key, at)
           ), p AS (
               INSERT INTO safety_players (operator_id, player_id)
               SELECT DISTINCT operator_id, player_id FROM u ON CONFLICT DO NOTHING
           )
           INSERT INTO safety_sessions (operator_id, player_id, session_key, started_at, touched_at)
           SELECT operator_id, player_id, session_key, at, at FROM u ON CONFLICT DO NOTHING""",
        *(list(column) for column in zip(*spins, strict=True)),
    )


async def ensure_rows(
    conn: asyncpg.Connection, operator_id: int, player_id: int, session_key: str, at: datetime
) -> None:
    """Create the two rows on a player's (or session's) first spin, so the next read can lock
    them; a concurrent first spin finds them already there."""
    await conn.execute(
        """WITH p AS (
               INSERT INTO safety_players (operator_id, player_id) VALUES ($1, $2)
               ON CONFLICT DO NOTHING
           )
           INSERT INTO safety_sessions (operator_id, player_id, session_key, started_at, touched_at)
           VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING""",
        operator_id,
        player_id,
        session_key,
        at,
    )


LOAD_PLAYER_FOR_UPDATE = """
WITH p AS (
    SELECT * FROM safety_players WHERE operator_id = $1 AND player_id = $2 FOR UPDATE
)
SELECT (o.settings -> 'safety')::text AS config, p.player_id IS NOT NULL AS has_player,
       p.state AS player_state, p.limits, p.cooldown_until, p.stop_until, p.stop_code,
       p.marketing_suppressed_until, p.reality_check_minutes, p.timeout_until,
       p.self_excluded_at, p.self_excluded_until
FROM players pl
JOIN operators o ON o.id = pl.operator_id
LEFT JOIN p ON true
WHERE pl.operator_id = $1 AND pl.id = $2
"""


async def load_player_for_update(
    conn: asyncpg.Connection, operator_id: int, player_id: int
) -> asyncpg.Record | None:
    """The player's safety row alone (deposits, limit changes), created if missing, locked."""
    row = await conn.fetchrow(LOAD_PLAYER_FOR_UPDATE, operator_id, player_id)
    if row is not None and not row["has_player"]:
        await conn.execute(
            """INSERT INTO safety_players (operator_id, player_id) VALUES ($1, $2)
               ON CONFLICT DO NOTHING""",
            operator_id,
            player_id,
        )
        row = await conn.fetchrow(LOAD_PLAYER_FOR_UPDATE, operator_id, player_id)
    return row


# updated_at (indexed, for the operator's list) moves when the band does or at most once a
# minute, so most spins leave every indexed column alone and update the row in place (HOT).
_SAVE_PLAYER = """
UPDATE safety_players SET state = $3, limits = $4, band = $5, score = $6, reasons = $7,
       cooldown_until = $8, stop_until = $9, stop_code = $10, marketing_suppressed_until = $11,
       last_activity_at = $12,
       updated_at = CASE WHEN band <> $5 OR updated_at <= $12::timestamptz - interval '1 minute'
                         THEN $12
                         ELSE updated_at END
WHERE operator_id = $1 AND player_id = $2
"""
_SAVE_SESSION = """
UPDATE safety_sessions SET state = $14, started_at = $15, touched_at = $12, net_loss = $16,
       loss_limit = $17, ended_code = $18
WHERE operator_id = $1 AND player_id = $2 AND session_key = $13
"""
SAVE = f"WITH sp AS ({_SAVE_PLAYER}) {_SAVE_SESSION}"
# The same write, plus the action's audit row when the spin produced a new action.
SAVE_WITH_ACTION = f"""
WITH sp AS ({_SAVE_PLAYER}), ss AS ({_SAVE_SESSION})
INSERT INTO safety_actions (operator_id, player_id, session_key, game_key, action_type, code,
                            score, band, reasons, action, source, created_at)
VALUES ($1, $2, $13, $23, $19, $20, $6, $5, $7, $21, $22, $12)
"""


async def save(conn: asyncpg.Connection, args: list[Any], action: list[Any] | None) -> None:
    if action is None:
        await conn.execute(SAVE, *args)
    else:
        await conn.execute(SAVE_WITH_ACTION, *args, *action)


# SAVE for many players at once: one row of SAVE's first 18 arguments per player, sent as one
# array of the type safety_save_row (migration 0016), in SAVE_MANY_COLUMNS' order (JSON values
# as text, the reasons as a JSON array: text[][] cannot be ragged).
SAVE_MANY_COLUMNS = (
    "operator_id", "player_id", "state", "limits", "band", "score", "reasons",
    "cooldown_until", "stop_until", "stop_code", "marketing_until", "at", "session_key",
    "session_state", "started_at", "net_loss", "loss_limit", "ended_code",
)  # fmt: skip
SAVE_MANY = """
WITH u AS (SELECT * FROM unnest($1::safety_save_row[])), sp AS (
    UPDATE safety_players p
    SET state = u.state::json, limits = u.limits::json, band = u.band, score = u.score,
        reasons = ARRAY(SELECT jsonb_array_elements_text(u.reasons::jsonb)),
        cooldown_until = u.cooldown_until, stop_until = u.stop_until, stop_code = u.stop_code,
        marketing_suppressed_until = u.marketing_until, last_activity_at = u.at,
        updated_at = CASE WHEN p.band <> u.band OR p.updated_at <= u.at - interval '1 minute'
                          THEN u.at
                          ELSE p.updated_at END
    FROM u WHERE p.operator_id = u.operator_id AND p.player_id = u.player_id
)
UPDATE safety_sessions s
SET state = u.session_state::json, started_at = u.started_at, touched_at = u.at,
    net_loss = u.net_loss, loss_limit = u.loss_limit, ended_code = u.ended_code
FROM u
WHERE s.operator_id = u.operator_id AND s.player_id = u.player_id
  AND s.session_key = u.session_key
"""


async def save_many(conn: asyncpg.Connection, rows: list[tuple[Any, ...]]) -> None:
    """``save`` without an action, for many players (distinct) at once."""
    await conn.execute(SAVE_MANY, rows)


async def save_player(
    conn: asyncpg.Connection, operator_id: int, player_id: int, fields: dict[str, Any]
) -> None:
    """Update named columns of the player's safety row (the row must exist)."""
    names = list(fields)
    assignments = ", ".join(f"{name} = ${i + 3}" for i, name in enumerate(names))
    await conn.execute(
        f"""UPDATE safety_players SET {assignments}, updated_at = now()
            WHERE operator_id = $1 AND player_id = $2""",
        operator_id,
        player_id,
        *fields.values(),
    )


async def insert_action(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    session_key: str,
    action: dict[str, Any],
    code: str | None,
    score: int,
    band: str,
    reasons: list[str],
    source: str,
    at: datetime,
) -> None:
    """An action issued outside a spin (a deposit's strong indicator)."""
    await conn.execute(
        """INSERT INTO safety_actions (operator_id, player_id, session_key, action_type, code,
                                       score, band, reasons, action, source, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
        operator_id,
        player_id,
        session_key,
        action["actionType"],
        code,
        score,
        band,
        reasons,
        action,
        source,
        at,
    )


async def open_case(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    trigger_code: str,
    reasons: list[str],
    score: int,
    at: datetime,
) -> int:
    """Open a case, or add this STOP to the player's open one."""
    return await conn.fetchval(
        """INSERT INTO safety_cases (operator_id, player_id, trigger_code, reasons, score,
                                     opened_at, last_stop_at)
           VALUES ($1, $2, $3, $4, $5, $6, $6)
           ON CONFLICT (operator_id, player_id) WHERE status = 'open' DO UPDATE
           SET stop_count = safety_cases.stop_count + 1, last_stop_at = EXCLUDED.last_stop_at,
               trigger_code = EXCLUDED.trigger_code, reasons = EXCLUDED.reasons,
               score = EXCLUDED.score, updated_at = now()
           RETURNING id""",
        operator_id,
        player_id,
        trigger_code,
        reasons,
        score,
        at,
    )


# The few columns a pre-spin check needs: restrictions, limits, and the session's loss so far.
_CHECK_COLUMNS = """(o.settings -> 'safety')::text AS config, p.self_excluded_until,
       p.timeout_until, p.cooldown_until, p.stop_until, p.stop_code, p.limits,
       s.started_at, s.touched_at, s.net_loss, s.loss_limit, s.ended_code"""

CHECK = f"""
SELECT {_CHECK_COLUMNS}
FROM operators o
LEFT JOIN safety_players p ON p.operator_id = o.id AND p.player_id = $2
LEFT JOIN safety_sessions s
       ON s.operator_id = o.id AND s.player_id = $2 AND s.session_key = $3
WHERE o.id = $1
"""


async def check_row(
    conn: asyncpg.Connection, operator_id: int, player_id: int, session_key: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(CHECK, operator_id, player_id, session_key)


async def check_rows(
    conn: asyncpg.Connection, players: list[tuple[int, int]], session_key: str
) -> list[asyncpg.Record | None]:
    """``check_row`` of each (operator, player), in order, with one statement."""
    rows = await conn.fetch(
        f"""SELECT u.ord, {_CHECK_COLUMNS}
            FROM unnest($1::integer[], $2::bigint[])
                 WITH ORDINALITY AS u(operator_id, player_id, ord)
            JOIN operators o ON o.id = u.operator_id
            LEFT JOIN safety_players p ON p.operator_id = o.id AND p.player_id = u.player_id
            LEFT JOIN safety_sessions s ON s.operator_id = o.id AND s.player_id = u.player_id
                                       AND s.session_key = $3""",
        [operator_id for operator_id, _ in players],
        [player_id for _, player_id in players],
        session_key,
    )
    found = {row["ord"]: row for row in rows}
    return [found.get(i + 1) for i in range(len(players))]


async def restrictions_row(
    conn: asyncpg.Connection, operator_id: int, player_id: int
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT self_excluded_at, self_excluded_until, timeout_until, cooldown_until,
                  stop_until, stop_code, marketing_suppressed_until, reality_check_minutes,
                  limits, band, score, reasons, updated_at
           FROM safety_players WHERE operator_id = $1 AND player_id = $2""",
        operator_id,
        player_id,
    )


async def lower_session_loss_limits(
    conn: asyncpg.Connection, operator_id: int, player_id: int, amount: int, since: datetime
) -> None:
    """A lowered standing session loss limit bites in the sessions already running too."""
    await conn.execute(
        """UPDATE safety_sessions SET loss_limit = LEAST(COALESCE(loss_limit, $3), $3)
           WHERE operator_id = $1 AND player_id = $2 AND touched_at >= $4""",
        operator_id,
        player_id,
        amount,
        since,
    )


async def insert_audit(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    actor_type: str,
    actor_id: int | None,
    action: str,
    subject: str,
    old: Any,
    new: Any,
    requested_at: datetime,
    effective_at: datetime | None,
) -> None:
    await conn.execute(
        """INSERT INTO safety_audit (operator_id, player_id, actor_type, actor_id, action, subject,
                                     old_value, new_value, requested_at, effective_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
        operator_id,
        player_id,
        actor_type,
        actor_id,
        action,
        subject,
        old,
        new,
        requested_at,
        effective_at,
    )


async def reality_row(
    conn: asyncpg.Connection, operator_id: int, player_id: int, session_key: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT (o.settings -> 'safety')::text AS config, p.reality_check_minutes,
                  s.state AS session_state, s.touched_at, s.ended_code
           FROM operators o
           LEFT JOIN safety_players p ON p.operator_id = o.id AND p.player_id = $2
           LEFT JOIN safety_sessions s
                  ON s.operator_id = o.id AND s.player_id = $2 AND s.session_key = $3
           WHERE o.id = $1""",
        operator_id,
        player_id,
        session_key,
    )


async def operator_config(conn: asyncpg.Connection, operator_id: int) -> str | None:
    return await conn.fetchval(
        "SELECT (settings -> 'safety')::text FROM operators WHERE id = $1", operator_id
    )
