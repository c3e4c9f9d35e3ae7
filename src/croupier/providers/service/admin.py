"""What operators see of provider play (sessions, rounds, transactions, tombstones, daily
reconciliation), and the platform's provider configuration."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg

from croupier.kit.errors import ConflictError, InvalidInputError, NotFoundError
from croupier.kit.pagination import fetch_page
from croupier.kit.tenancy import Scope
from croupier.players import service as players
from croupier.providers import admin_queries, queries

# The endpoints page through every listing here the same way.
paged = fetch_page


async def round_detail(
    conn: asyncpg.Connection, scope: Scope, round_id: int
) -> tuple[asyncpg.Record, list[asyncpg.Record]]:
    row = await admin_queries.get_round(conn, scope, round_id)
    if row is None:
        raise NotFoundError("Round not found.")
    calls = await admin_queries.list_transactions(
        conn,
        scope,
        provider=None,
        player_id=None,
        round_id=round_id,
        kind=None,
        state=None,
        after=None,
        limit=1000,
    )
    return row, list(reversed(calls))


RECONCILIATION_COLUMNS = (
    "day",
    "provider",
    "currency",
    "debit_count",
    "debit_sum",
    "credit_count",
    "credit_sum",
    "rollback_count",
    "rollback_sum",
    "tombstone_count",
    "rejected_count",
    "net",
)


async def reconciliation(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    provider: str | None,
    start: date | None,
    end: date | None,
    timezone: str,
) -> list[dict[str, Any]]:
    """Daily totals per provider in ``timezone``, from ``start`` to ``end`` inclusive (the last
    30 days by default). ``net`` is stakes less payouts and refunds: the provider GGR."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInputError("Unknown time zone.", field="tz") from None
    end = end or datetime.now(zone).date()
    start = start or end - timedelta(days=29)
    if start > end:
        raise InvalidInputError("'from' must not be after 'to'.", field="from")
    rows = await admin_queries.reconciliation(
        conn,
        scope,
        provider=provider,
        start=datetime.combine(start, time(), zone),
        end=datetime.combine(end + timedelta(days=1), time(), zone),
        timezone=timezone,
    )
    return [
        dict(row) | {"net": row["debit_sum"] - row["credit_sum"] - row["rollback_sum"]}
        for row in rows
    ]


def reconciliation_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RECONCILIATION_COLUMNS)
    for row in rows:
        writer.writerow([row[column] for column in RECONCILIATION_COLUMNS])
    return out.getvalue()


async def add_demo_player(
    conn: asyncpg.Connection, scope: Scope, player_id: int, reset_balance: int
) -> asyncpg.Record:
    """Let an operator try the integration with a player of their own: POST
    /casino/simulateRound then resets that player's cash to ``reset_balance`` (against the
    operator's house account) before each simulated round. Meant for test accounts."""
    player = await players.get_player(conn, scope, player_id)  # another operator's: 404
    return await queries.add_demo_player(conn, player["operator_id"], player_id, reset_balance)


async def list_providers(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await queries.list_providers(conn)


async def create_provider(conn: asyncpg.Connection, fields: dict[str, Any]) -> asyncpg.Record:
    if fields.get("is_default"):
        await queries.clear_default_provider(conn)
    row = await queries.insert_provider(conn, fields)
    if row is None:
        raise ConflictError("A provider with that code already exists.")
    return row


async def update_provider(
    conn: asyncpg.Connection, code: str, changes: dict[str, Any]
) -> asyncpg.Record:
    if not changes:
        raise InvalidInputError("Nothing to update.")
    if changes.get("is_default"):
        await queries.clear_default_provider(conn)
    row = await queries.update_provider(conn, code, changes)
    if row is None:
        raise NotFoundError("Provider not found.")
    return row
