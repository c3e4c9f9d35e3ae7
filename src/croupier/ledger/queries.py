"""SQL of the ledger: calls into the posting functions of migration 0002, and reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from croupier.db.pool import encode_json
from croupier.kit.sql import Query

_RESULT = "transfer_id, status, reject_code, created_at, replayed, account_ids, balances, amounts"
# ``before``: [id, balance, reserved] of the accounts asked for, as this statement's snapshot
# sees them, i.e. before the posting (the function's own changes are not visible to it).
_BEFORE = """(SELECT array_agg(ARRAY[a.id, a.balance, a.reserved]) FROM ledger_accounts a
              WHERE a.id = ANY (${param}::bigint[])) AS before"""


async def post(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    type: str,
    key: str,
    request_hash: bytes,
    account_ids: Sequence[int],
    amounts: Sequence[int],
    reference: str | None,
    metadata: dict[str, Any] | None,
    staff_id: int | None,
    reverses_id: int | None,
    read_ids: Sequence[int] = (),
) -> asyncpg.Record:
    return await conn.fetchrow(
        f"""SELECT {_RESULT}, {_BEFORE.format(param=11)}
            FROM ledger_post($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
        operator_id,
        type,
        key,
        request_hash,
        list(account_ids),
        list(amounts),
        reference,
        metadata,
        staff_id,
        reverses_id,
        list(read_ids),
    )


async def debit(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    type: str,
    key: str,
    request_hash: bytes,
    cash_id: int,
    bonus_id: int | None,
    amount: int,
    to_account_id: int,
    reference: str | None,
    metadata: dict[str, Any] | None,
    read_ids: Sequence[int],
) -> asyncpg.Record:
    return await conn.fetchrow(
        f"""SELECT {_RESULT}, {_BEFORE.format(param=11)}
            FROM ledger_debit($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL)""",
        operator_id,
        type,
        key,
        request_hash,
        cash_id,
        bonus_id,
        amount,
        to_account_id,
        reference,
        metadata,
        list(read_ids),
    )


# post_many's transfers and legs, each sent as one array of a row type (migrations 0016 and
# 0017): an array of rows costs asyncpg a fraction of the CPU that one array per column does.
# Only the ids: the callers planned every balance from the ones they locked, and decoding each
# transfer's time and balance arrays cost the worker ≈ 5 µs a transfer.
_POST_MANY = """
SELECT transfer_id FROM ledger_post_many($1::ledger_transfer_row[], $2::ledger_leg_row[])
ORDER BY ord
"""


async def post_many(
    conn: asyncpg.Connection,
    *,
    transfers: Sequence[
        tuple[int, str, str, bytes, str | None, datetime | None, dict[str, Any] | None]
    ],
    legs: Sequence[tuple[int, int, int]],
) -> list[int]:
    """``transfers``: (operator, type, key, hash, reference, created_at, metadata); ``legs``:
    (1-based transfer number, account, amount). Each transfer's id, in order."""
    rows = [
        (operator, type, key, digest, reference, at, None if meta is None else encode_json(meta))
        for operator, type, key, digest, reference, at, meta in transfers
    ]
    return [row[0] for row in await conn.fetch(_POST_MANY, rows, legs)]


async def lock_balances(
    conn: asyncpg.Connection, account_ids: Sequence[int]
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, balance, reserved FROM ledger_accounts
           WHERE id = ANY($1::bigint[]) AND NOT derived ORDER BY id FOR UPDATE""",
        list(account_ids),
    )


async def hold(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    type: str,
    key: str,
    request_hash: bytes,
    account_id: int,
    amount: int,
    reference: str | None,
    metadata: dict[str, Any] | None,
) -> asyncpg.Record:
    return await conn.fetchrow(
        f"SELECT {_RESULT} FROM ledger_hold($1, $2, $3, $4, $5, $6, $7, $8, NULL)",
        operator_id,
        type,
        key,
        request_hash,
        account_id,
        amount,
        reference,
        metadata,
    )


async def resolve_hold(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    hold_id: int,
    post: bool,
    type: str,
    key: str,
    request_hash: bytes,
    to_account_id: int | None,
    reference: str | None,
) -> asyncpg.Record:
    return await conn.fetchrow(
        f"SELECT {_RESULT} FROM ledger_resolve_hold($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL)",
        operator_id,
        hold_id,
        post,
        type,
        key,
        request_hash,
        to_account_id,
        reference,
    )


# ``settled``: the row was committed by an earlier transaction, so its id may be remembered.
# Rows created by this statement are invisible to its own snapshot (hence the LEFT JOIN), and
# rows this transaction created earlier carry its start time.
_SETTLED = "coalesce(a.created_at <> transaction_timestamp(), false) AS settled"


async def ensure_account(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    kind: str,
    currency: str,
    owner_id: int,
    shard: int,
) -> asyncpg.Record:
    return await conn.fetchrow(
        f"""SELECT e.id, {_SETTLED}
            FROM ledger_ensure_account($1, $2, $3, $4, $5) AS e(id)
            LEFT JOIN ledger_accounts a ON a.id = e.id""",
        operator_id,
        currency,
        kind,
        owner_id,
        shard,
    )


async def ensure_accounts(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    owner_id: int,
    kinds: Sequence[str],
    currency: str | None,
    currency_of: int | None,
) -> list[asyncpg.Record]:
    """Ensure one account per kind; the currency is given, or that of account ``currency_of``."""
    return await conn.fetch(
        f"""SELECT e.id, e.kind, e.currency, e.balance, e.reserved, {_SETTLED}
            FROM ledger_ensure_accounts(
                $1, coalesce($2, (SELECT currency FROM ledger_accounts WHERE id = $3)), $4, $5
            ) AS e
            LEFT JOIN ledger_accounts a ON a.id = e.id""",
        operator_id,
        currency,
        currency_of,
        list(kinds),
        owner_id,
    )


async def find_accounts(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    owner_id: int,
    kinds: Sequence[str],
    currency: str,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, kind, currency, balance, reserved FROM ledger_accounts
           WHERE operator_id = $1 AND owner_id = $2 AND kind = ANY($3::text[]) AND currency = $4
             AND shard = 0""",
        operator_id,
        owner_id,
        list(kinds),
        currency,
    )


async def account_balance(conn: asyncpg.Connection, account_id: int) -> int | None:
    return await conn.fetchval("SELECT ledger_account_balance($1)", account_id)


async def rollup_derived(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT ledger_rollup_derived()")


async def account_entries(
    conn: asyncpg.Connection,
    *,
    account_ids: Sequence[int],
    types: Sequence[str] | None,
    start: datetime | None,
    end: datetime | None,
    before: tuple[datetime, int, int] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Entries of a few cached accounts, newest first, keyset-paginated on
    (created_at, transfer_id, entry_no). Each account is read backwards along its own index and
    the streams are merged, so a long history costs no more than a short one."""
    per_account = Query(
        "SELECT x.* FROM ledger_entries x JOIN ledger_transfers tt ON tt.id = x.transfer_id"
    )
    per_account.where("x.account_id = acc.id").where("x.account_version IS NOT NULL")
    if types:
        per_account.where("tt.type = ANY({}::text[])", list(types))
    per_account.where_if(start, "x.created_at >= {}")
    per_account.where_if(end, "x.created_at < {}")
    if before is not None:
        per_account.where("(x.created_at, x.transfer_id, x.entry_no) < ({}, {}, {})", *before)
    per_account.tail(
        "ORDER BY x.created_at DESC, x.transfer_id DESC, x.entry_no DESC LIMIT {}", limit
    )
    inner, args = per_account.build()
    ids, outer_limit = len(args) + 1, len(args) + 2
    return await conn.fetch(
        f"""SELECT e.transfer_id, e.entry_no, e.account_id, a.kind, t.type, e.amount,
                   e.balance_after, t.reference, e.created_at
            FROM unnest(${ids}::bigint[]) AS acc(id)
            CROSS JOIN LATERAL ({inner}) e
            JOIN ledger_transfers t ON t.id = e.transfer_id
            JOIN ledger_accounts a ON a.id = e.account_id
            ORDER BY e.created_at DESC, e.transfer_id DESC, e.entry_no DESC
            LIMIT ${outer_limit}""",
        *args,
        list(account_ids),
        limit,
    )
