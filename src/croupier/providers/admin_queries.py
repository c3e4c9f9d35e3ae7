"""SQL for the operator's provider views, always through the caller's tenancy scope."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from croupier.kit.sql import Query
from croupier.kit.tenancy import Scope

Cursor = tuple[datetime, int] | None


def _page(query: Query, alias: str, after: Cursor, limit: int) -> tuple[str, list[object]]:
    if after is not None:
        query.where(f"({alias}.created_at, {alias}.id) < ({{}}, {{}})", after[0], after[1])
    query.tail(f"ORDER BY {alias}.created_at DESC, {alias}.id DESC LIMIT {{}}", limit)
    return query.build()


async def list_sessions(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    provider: str | None,
    player_id: int | None,
    after: Cursor,
    limit: int,
) -> list[asyncpg.Record]:
    query = scope.apply(
        Query(
            """SELECT s.id, s.operator_id, p.code AS provider, s.player_id, s.game_id,
                      g.slug AS game_code, s.currency, s.provider_session_id, s.expires_at,
                      s.superseded_at, s.created_at
                 FROM casino_sessions s
                 JOIN casino_providers p ON p.id = s.provider_id
                 JOIN games g ON g.id = s.game_id"""
        ),
        "s.operator_id",
    )
    query.where_if(provider, "p.code = {}")
    query.where_if(player_id, "s.player_id = {}")
    sql, args = _page(query, "s", after, limit)
    return await conn.fetch(sql, *args)


_ROUND = """SELECT r.id, r.operator_id, p.code AS provider, r.round_ref, r.player_id, r.game_id,
                   g.slug AS game_code, r.session_id, r.currency, r.status, r.has_credit,
                   r.live_debits, r.debit_total, r.credit_total, r.refund_total, r.created_at,
                   r.closed_at
              FROM casino_rounds r
              JOIN casino_providers p ON p.id = r.provider_id
              JOIN games g ON g.id = r.game_id"""


async def list_rounds(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    provider: str | None,
    player_id: int | None,
    status: str | None,
    after: Cursor,
    limit: int,
) -> list[asyncpg.Record]:
    query = scope.apply(Query(_ROUND), "r.operator_id")
    query.where_if(provider, "p.code = {}")
    query.where_if(player_id, "r.player_id = {}")
    query.where_if(status, "r.status = {}")
    sql, args = _page(query, "r", after, limit)
    return await conn.fetch(sql, *args)


async def get_round(conn: asyncpg.Connection, scope: Scope, round_id: int) -> asyncpg.Record | None:
    query = scope.apply(Query(_ROUND), "r.operator_id").where("r.id = {}", round_id)
    sql, args = query.build()
    return await conn.fetchrow(sql, *args)


_TX = """SELECT t.id, t.operator_id, p.code AS provider, t.tx_ref, t.kind, t.state, t.player_id,
                t.session_id, t.round_id, t.round_ref, t.game_id, t.currency, t.amount,
                t.reference_ref, t.rolled_back_by, t.http_status, t.error_code, t.transfer_id,
                t.response_body, t.created_at
           FROM casino_transactions t
           JOIN casino_providers p ON p.id = t.provider_id"""


async def list_transactions(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    provider: str | None,
    player_id: int | None,
    round_id: int | None,
    kind: str | None,
    state: str | None,
    after: Cursor,
    limit: int,
) -> list[asyncpg.Record]:
    query = scope.apply(Query(_TX), "t.operator_id")
    query.where_if(provider, "p.code = {}")
    query.where_if(player_id, "t.player_id = {}")
    query.where_if(round_id, "t.round_id = {}")
    query.where_if(kind, "t.kind = {}")
    query.where_if(state, "t.state = {}")
    sql, args = _page(query, "t", after, limit)
    return await conn.fetch(sql, *args)


async def reconciliation(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    provider: str | None,
    start: datetime,
    end: datetime,
    timezone: str,
) -> list[asyncpg.Record]:
    """Per provider, currency and local day: what was accepted, refunded and refused."""
    # Days are the caller's: the transaction's time zone decides where a timestamp's date falls.
    await conn.execute("SELECT set_config('TimeZone', $1, true)", timezone)
    query = scope.apply(
        Query(
            """SELECT t.created_at::date AS day, p.code AS provider,
                      t.currency,
                      count(*) FILTER (WHERE t.kind = 'debit' AND t.state <> 'rejected')
                          AS debit_count,
                      coalesce(sum(t.amount) FILTER (
                          WHERE t.kind = 'debit' AND t.state <> 'rejected'), 0) AS debit_sum,
                      count(*) FILTER (WHERE t.kind = 'credit' AND t.state = 'applied')
                          AS credit_count,
                      coalesce(sum(t.amount) FILTER (
                          WHERE t.kind = 'credit' AND t.state = 'applied'), 0) AS credit_sum,
                      count(*) FILTER (WHERE t.kind = 'rollback' AND t.transfer_id IS NOT NULL)
                          AS rollback_count,
                      coalesce(sum(t.amount) FILTER (
                          WHERE t.kind = 'rollback' AND t.transfer_id IS NOT NULL), 0)
                          AS rollback_sum,
                      count(*) FILTER (WHERE t.kind = 'tombstone') AS tombstone_count,
                      count(*) FILTER (WHERE t.state = 'rejected') AS rejected_count
                 FROM casino_transactions t
                 JOIN casino_providers p ON p.id = t.provider_id"""
        ),
        "t.operator_id",
    )
    query.where("t.created_at >= {}", start).where("t.created_at < {}", end)
    query.where_if(provider, "p.code = {}")
    query.tail("GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")
    sql, args = query.build()
    return await conn.fetch(sql, *args)


async def list_demo_players(conn: asyncpg.Connection, scope: Scope) -> list[asyncpg.Record]:
    query = scope.apply(
        Query(
            "SELECT player_id, operator_id, reset_balance, created_at FROM casino_demo_players d"
        ),
        "d.operator_id",
    )
    query.tail("ORDER BY d.player_id")
    sql, args = query.build()
    return await conn.fetch(sql, *args)
