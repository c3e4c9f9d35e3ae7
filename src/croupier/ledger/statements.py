"""Statements: the entries of a few accounts, newest first, with keyset pagination."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from croupier.kit.errors import InvalidInputError
from croupier.kit.pagination import decode_cursor, encode_cursor
from croupier.ledger import queries

_POSITION = re.compile(r"([0-9]{1,19})\.([0-9]{1,5})")


@dataclass(frozen=True, slots=True)
class Entry:
    transfer_id: int
    entry_no: int
    account_id: int
    account_kind: str
    type: str
    amount: int
    balance_after: int
    reference: str | None
    created_at: datetime


async def account_entries(
    conn: asyncpg.Connection,
    *,
    account_ids: Sequence[int],
    types: Sequence[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Entry], str | None]:
    """The entries of some cached accounts, newest first, and the cursor of the next page."""
    before = _decode_entry_cursor(cursor) if cursor else None
    rows = await queries.account_entries(
        conn,
        account_ids=account_ids,
        types=types,
        start=start,
        end=end,
        before=before,
        limit=limit + 1,
    )
    entries = [
        Entry(
            transfer_id=row["transfer_id"],
            entry_no=row["entry_no"],
            account_id=row["account_id"],
            account_kind=row["kind"],
            type=row["type"],
            amount=row["amount"],
            balance_after=row["balance_after"],
            reference=row["reference"],
            created_at=row["created_at"],
        )
        for row in rows
    ]
    if len(entries) <= limit:
        return entries, None
    entries = entries[:limit]
    last = entries[-1]
    return entries, encode_cursor(last.created_at, f"{last.transfer_id}.{last.entry_no}")


def _decode_entry_cursor(cursor: str) -> tuple[datetime, int, int]:
    created_at, position = decode_cursor(cursor)
    match = _POSITION.fullmatch(position)
    if (
        match is None
        or created_at.tzinfo is None
        or int(match[1]) >= 2**63  # bigint transfer id
        or int(match[2]) >= 2**15  # smallint entry number
    ):
        raise InvalidInputError("The cursor is not valid.", field="cursor")
    return created_at, int(match[1]), int(match[2])
