"""Deposits and withdrawals as the player and operator staff see them."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from croupier.kit.errors import InvalidInputError
from croupier.kit.pagination import decode_cursor, encode_cursor
from croupier.kit.tenancy import Scope
from croupier.payments import queries
from croupier.payments import withdrawal_queries as wq
from croupier.payments.errors import DepositNotFoundError, WithdrawalNotFoundError

_COLUMNS = {"deposits": queries.DEPOSIT_COLUMNS, "withdrawals": wq.WITHDRAWAL_COLUMNS}


async def list_payments(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    table: str,
    player_id: int | None = None,
    status: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[asyncpg.Record], str | None]:
    """Deposits or withdrawals in the caller's scope, newest first, with the next cursor."""
    start, end = _utc(start), _utc(end)
    if start is not None and end is not None and start >= end:
        raise InvalidInputError("'from' must be before 'to'.", field="from")
    after = None
    if cursor:
        created_at, row_id = decode_cursor(cursor)
        if not row_id.isdigit():
            raise InvalidInputError("The cursor is not valid.", field="cursor")
        after = (created_at, int(row_id))
    rows = await queries.list_rows(
        conn,
        scope,
        table=table,
        columns=_COLUMNS[table],
        player_id=player_id,
        status=status,
        start=start,
        end=end,
        after=after,
        limit=limit + 1,
    )
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1]["created_at"], rows[-1]["id"])


async def get_deposit(
    conn: asyncpg.Connection, scope: Scope, deposit_id: int, *, player_id: int | None = None
) -> asyncpg.Record:
    row = await queries.get_deposit(conn, deposit_id)
    if (
        row is None
        or not scope.allows(row["operator_id"])
        or (player_id is not None and row["player_id"] != player_id)
    ):
        raise DepositNotFoundError()
    return row


async def get_withdrawal(
    conn: asyncpg.Connection, scope: Scope, withdrawal_id: int, *, player_id: int | None = None
) -> asyncpg.Record:
    row = await wq.get_withdrawal(conn, withdrawal_id)
    if (
        row is None
        or not scope.allows(row["operator_id"])
        or (player_id is not None and row["player_id"] != player_id)
    ):
        raise WithdrawalNotFoundError()
    return row


def _utc(moment: datetime | None) -> datetime | None:
    """Query bounds without a zone are UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
