"""SQL for bonus rules and grants."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from croupier.kit.sql import Query
from croupier.kit.tenancy import Scope

RULE_COLUMNS = """id, operator_id, code, name, kind, active, match_bp, max_bonus, min_deposit,
    bonus_amount, free_spins, free_spin_game_id, free_spin_value, wagering_multiplier, max_bet,
    max_conversion, valid_days, game_weights, default_weight_bp, created_at, updated_at"""
GRANT_COLUMNS = """id, operator_id, player_id, rule_id, kind, source_key, status, currency,
    deposit_id, bonus_amount, wagering_multiplier, wagering_required, wagering_progress,
    game_weights, default_weight_bp, max_bet, max_conversion, free_spins_total, free_spins_left,
    free_spin_game_id, free_spin_value, free_spin_winnings, valid_days, expires_at,
    converted_amount, forfeited_amount, end_reason, created_at, activated_at, ended_at"""
MONEY = "kind <> 'deposit_wagering'"


def _insert_sql(table: str, fields: dict[str, Any]) -> str:
    columns = ", ".join(fields)
    placeholders = ", ".join(f"${i}" for i in range(1, len(fields) + 1))
    return f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"


async def lock_player_bonuses(conn: asyncpg.Connection, player_id: int) -> None:
    """Serialise changes to one player's grants (activation order, one active money grant)."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($2 || $1::bigint::text, 0))",
        player_id,
        "bonuses:player:",
    )


async def try_lock_job(conn: asyncpg.Connection, name: str) -> bool:
    """One instance of a periodic job at a time across every worker process."""
    return await conn.fetchval(
        "SELECT pg_try_advisory_xact_lock(hashtextextended('job:' || $1, 0))", name
    )


# ---- rules ---------------------------------------------------------------------------------


async def insert_rule(conn: asyncpg.Connection, fields: dict[str, Any]) -> asyncpg.Record | None:
    sql = _insert_sql("bonus_rules", fields)
    return await conn.fetchrow(
        f"{sql} ON CONFLICT (operator_id, code) DO NOTHING RETURNING {RULE_COLUMNS}",
        *fields.values(),
    )


async def update_rule(
    conn: asyncpg.Connection, rule_id: int, changes: dict[str, Any]
) -> asyncpg.Record | None:
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(changes, start=2))
    return await conn.fetchrow(
        f"""UPDATE bonus_rules SET {sets}, updated_at = now() WHERE id = $1
            RETURNING {RULE_COLUMNS}""",
        rule_id,
        *changes.values(),
    )


async def get_rule(conn: asyncpg.Connection, rule_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {RULE_COLUMNS} FROM bonus_rules WHERE id = $1", rule_id)


async def rule_by_code(
    conn: asyncpg.Connection, operator_id: int, code: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {RULE_COLUMNS} FROM bonus_rules WHERE operator_id = $1 AND code = $2",
        operator_id,
        code,
    )


async def list_rules(
    conn: asyncpg.Connection, scope: Scope, *, active: bool | None
) -> list[asyncpg.Record]:
    query = scope.apply(Query(f"SELECT {RULE_COLUMNS} FROM bonus_rules"), "operator_id")
    query.where_if(active, "active = {}")
    query.tail("ORDER BY id")
    sql, args = query.build()
    return await conn.fetch(sql, *args)


# ---- grants --------------------------------------------------------------------------------


async def insert_grant(conn: asyncpg.Connection, fields: dict[str, Any]) -> asyncpg.Record | None:
    """The grant, or None if this source already granted one (a retry, a second level-up)."""
    sql = _insert_sql("bonus_grants", fields)
    return await conn.fetchrow(
        f"""{sql} ON CONFLICT (operator_id, player_id, source_key) DO NOTHING
            RETURNING {GRANT_COLUMNS}""",
        *fields.values(),
    )


async def grant_by_source(
    conn: asyncpg.Connection, operator_id: int, player_id: int, source_key: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""SELECT {GRANT_COLUMNS} FROM bonus_grants
            WHERE operator_id = $1 AND player_id = $2 AND source_key = $3""",
        operator_id,
        player_id,
        source_key,
    )


async def grant_for_update(conn: asyncpg.Connection, grant_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {GRANT_COLUMNS} FROM bonus_grants WHERE id = $1 FOR UPDATE", grant_id
    )


async def active_money_grant(conn: asyncpg.Connection, player_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""SELECT {GRANT_COLUMNS} FROM bonus_grants
            WHERE player_id = $1 AND status = 'active' AND {MONEY} FOR UPDATE""",
        player_id,
    )


async def next_queued_money_grant(
    conn: asyncpg.Connection, player_id: int
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""SELECT {GRANT_COLUMNS} FROM bonus_grants
            WHERE player_id = $1 AND status = 'queued' AND {MONEY}
            ORDER BY created_at, id LIMIT 1 FOR UPDATE""",
        player_id,
    )


async def open_grants(
    conn: asyncpg.Connection, player_id: int, *, deposit_id: int | None = None
) -> list[asyncpg.Record]:
    query = Query(f"SELECT {GRANT_COLUMNS} FROM bonus_grants")
    query.where("player_id = {}", player_id).where("status IN ('active', 'queued')")
    query.where_if(deposit_id, "deposit_id = {}")
    query.tail("ORDER BY created_at, id FOR UPDATE")
    sql, args = query.build()
    return await conn.fetch(sql, *args)


async def update_grant(
    conn: asyncpg.Connection, grant_id: int, expect: str, changes: dict[str, Any]
) -> asyncpg.Record | None:
    """Apply ``changes`` only if the grant is still in status ``expect``."""
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(changes, start=3))
    return await conn.fetchrow(
        f"""UPDATE bonus_grants SET {sets} WHERE id = $1 AND status = $2
            RETURNING {GRANT_COLUMNS}""",
        grant_id,
        expect,
        *changes.values(),
    )


async def add_wagering(
    conn: asyncpg.Connection, player_id: int, game_key: str, stake: int
) -> list[asyncpg.Record]:
    """Count a stake toward the player's live, unmet requirements; returns the grants touched.

    The active money grant counts the stake weighted by the game (basis points, rounded down).
    Deposit requirements count it in full, oldest deposit first (each deposit is wagered once,
    so two deposits need twice the turnover). The spin's debit has already locked the player's
    wallet rows, so the same player's rounds reach this statement one at a time.
    """
    return await conn.fetch(
        """WITH live AS (
               SELECT id, kind, created_at, wagering_required - wagering_progress AS remaining,
                      CASE WHEN kind = 'deposit_wagering' THEN $3::bigint
                           ELSE $3::bigint * coalesce((game_weights ->> $2)::int,
                                                      default_weight_bp) / 10000
                      END AS counted
               FROM bonus_grants
               WHERE player_id = $1 AND status = 'active' AND expires_at > now()
                 AND wagering_progress < wagering_required
           ), shares AS (
               SELECT id, CASE WHEN kind = 'deposit_wagering'
                   THEN least(remaining, greatest(0, counted - (sum(remaining) OVER (
                       PARTITION BY kind ORDER BY created_at, id) - remaining)))
                   ELSE counted END AS amount
               FROM live
           )
           UPDATE bonus_grants g
           SET wagering_progress = least(g.wagering_required, g.wagering_progress + s.amount)
           FROM shares s WHERE g.id = s.id AND s.amount > 0
           RETURNING g.id, g.kind, g.wagering_progress, g.wagering_required, g.free_spins_left""",
        player_id,
        game_key,
        stake,
    )


async def open_spin(conn: asyncpg.Connection, player_id: int, game_id: int) -> asyncpg.Record:
    """Take one free spin of the player's active grant for this game, if any, and read the
    lowest max-bet cap and how many grants are active. The counts read the snapshot from before
    the take, which changes no status or cap."""
    return await conn.fetchrow(
        """WITH taken AS (
               UPDATE bonus_grants SET free_spins_left = free_spins_left - 1
               WHERE id = (SELECT id FROM bonus_grants
                           WHERE player_id = $1 AND status = 'active' AND free_spin_game_id = $2
                             AND free_spins_left > 0 AND expires_at > now()
                           FOR UPDATE)
                 AND free_spins_left > 0
               RETURNING id, free_spin_value
           )
           SELECT (SELECT id FROM taken) AS free_grant_id,
                  (SELECT free_spin_value FROM taken) AS free_spin_value,
                  min(max_bet) AS max_bet, count(*) AS active_grants
           FROM bonus_grants
           WHERE player_id = $1 AND status = 'active' AND expires_at > now()""",
        player_id,
        game_id,
    )


async def peek_spins(conn: asyncpg.Connection, player_ids: list[int]) -> list[asyncpg.Record]:
    """Per player with active grants: the lowest max-bet cap, the games with free spins left,
    and the least wagering any money grant still needs (open_spin's reads, for many players
    and without taking anything)."""
    return await conn.fetch(
        """SELECT player_id, min(max_bet) AS max_bet,
                  coalesce(array_agg(DISTINCT free_spin_game_id) FILTER (
                      WHERE free_spin_game_id IS NOT NULL AND free_spins_left > 0), '{}')
                      AS free_spin_games,
                  min(wagering_required - wagering_progress) FILTER (
                      WHERE kind <> 'deposit_wagering' AND wagering_progress < wagering_required)
                      AS money_wagering_left
           FROM bonus_grants
           WHERE player_id = ANY($1::bigint[]) AND status = 'active' AND expires_at > now()
           GROUP BY player_id""",
        player_ids,
    )


async def add_free_spin_win(
    conn: asyncpg.Connection, grant_id: int, win: int
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""UPDATE bonus_grants SET free_spin_winnings = free_spin_winnings + $2,
                wagering_required = wagering_required + $2 * wagering_multiplier
            WHERE id = $1 AND status = 'active' RETURNING {GRANT_COLUMNS}""",
        grant_id,
        win,
    )


async def deposit_wagering_remaining(conn: asyncpg.Connection, player_id: int) -> int:
    return await conn.fetchval(
        """SELECT coalesce(sum(wagering_required - wagering_progress), 0)::bigint
           FROM bonus_grants
           WHERE player_id = $1 AND status = 'active' AND kind = 'deposit_wagering'
             AND expires_at > now()""",
        player_id,
    )


async def expired_grants(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Candidates only, unlocked: the caller takes the player's lock first, then the row."""
    return await conn.fetch(
        """SELECT id, player_id FROM bonus_grants WHERE status = 'active' AND expires_at <= now()
           ORDER BY expires_at LIMIT $1""",
        limit,
    )


async def list_grants(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    player_id: int | None,
    statuses: list[str] | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[asyncpg.Record]:
    query = scope.apply(Query(f"SELECT {GRANT_COLUMNS} FROM bonus_grants"), "operator_id")
    query.where_if(player_id, "player_id = {}")
    query.where_if(statuses, "status = ANY({}::text[])")
    if after is not None:
        query.where("(created_at, id) < ({}, {})", after[0], after[1])
    query.tail("ORDER BY created_at DESC, id DESC LIMIT {}", limit)
    sql, args = query.build()
    return await conn.fetch(sql, *args)
