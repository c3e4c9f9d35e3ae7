"""SQL for the bet log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from croupier.kit.sql import Query
from croupier.kit.tenancy import Scope

BET_COLUMNS = """b.id, b.operator_id, b.player_id, b.game_id, g.slug AS game_key,
    g.name AS game_name, b.round_id, b.idempotency_key, b.request_hash, b.currency, b.stake,
    b.stake_cash, b.stake_bonus, b.stake_free, b.win, b.win_cash, b.win_bonus,
    b.jackpot_contribution,
    b.jackpot_win, b.ggr,
    b.affiliate_id, b.affiliate_share, b.xp_gained, b.outcome, b.rng, b.fair_seed_id,
    b.client_seed, b.nonce, b.cash_after, b.bonus_after, b.debit_transfer_id,
    b.settle_transfer_id, b.created_at,
    fs.server_seed_hash, CASE WHEN fs.active THEN NULL ELSE fs.server_seed END AS server_seed"""
_FROM = """FROM bets b JOIN games g ON g.id = b.game_id
           LEFT JOIN fair_seeds fs ON fs.id = b.fair_seed_id"""


async def bet_by_key(
    conn: asyncpg.Connection, operator_id: int, player_id: int, key: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""SELECT {BET_COLUMNS} {_FROM}
            WHERE b.operator_id = $1 AND b.player_id = $2 AND b.idempotency_key = $3""",
        operator_id,
        player_id,
        key,
    )


async def insert_bet(conn: asyncpg.Connection, bet: dict[str, Any]) -> asyncpg.Record:
    """Log the round and return it as :func:`bet_by_key` would, in one round trip.

    The affiliate's revenue share is taken from the player's affiliate terms as they stand at
    this moment (a read of the players domain's tables, as the bet views read the games'), on
    the round's GGR, rounded toward the operator (floor)."""
    columns = list(bet)
    placeholders = ", ".join(f"${i + 1}" for i in range(len(columns)))
    ggr = f"${columns.index('ggr') + 1}::bigint"
    player = f"${columns.index('player_id') + 1}"
    return await conn.fetchrow(
        f"""WITH terms AS (
                SELECT a.id, a.revenue_share_bp FROM players p
                JOIN affiliates a ON a.id = p.affiliate_id WHERE p.id = {player}
            ), b AS (
                INSERT INTO bets ({", ".join(columns)}, affiliate_id, affiliate_share)
                VALUES ({placeholders}, (SELECT id FROM terms), coalesce(
                    (SELECT floor({ggr} * revenue_share_bp / 10000.0)::bigint FROM terms), 0))
                RETURNING *
            )
            SELECT {BET_COLUMNS} FROM b JOIN games g ON g.id = b.game_id
            LEFT JOIN fair_seeds fs ON fs.id = b.fair_seed_id""",
        *bet.values(),
    )


async def get_bet(
    conn: asyncpg.Connection, scope: Scope, bet_id: int, player_id: int | None
) -> asyncpg.Record | None:
    query = scope.apply(Query(f"SELECT {BET_COLUMNS} {_FROM}"), "b.operator_id")
    query.where("b.id = {}", bet_id)
    query.where_if(player_id, "b.player_id = {}")
    sql, args = query.build()
    return await conn.fetchrow(sql, *args)


async def list_bets(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    player_id: int | None,
    game_id: int | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[asyncpg.Record]:
    query = scope.apply(Query(f"SELECT {BET_COLUMNS} {_FROM}"), "b.operator_id")
    query.where_if(player_id, "b.player_id = {}")
    query.where_if(game_id, "b.game_id = {}")
    if after is not None:
        query.where("(b.created_at, b.id) < ({}, {})", after[0], after[1])
    query.tail("ORDER BY b.created_at DESC, b.id DESC LIMIT {}", limit)
    sql, args = query.build()
    return await conn.fetch(sql, *args)
