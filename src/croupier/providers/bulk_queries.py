"""SQL for provider money calls in bulk (``providers.service.many``): each statement does for
a batch of calls what its namesake in ``providers.queries`` does for one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from croupier.providers.queries import ROUND_COLUMNS, RoundChange

ProviderRef = tuple[int, str]  # (provider, one of its ids: a round_ref or a tx_ref)


async def claim(
    conn: asyncpg.Connection, keys: Sequence[int], refs: Sequence[ProviderRef]
) -> set[ProviderRef]:
    """Lock every id's key for this transaction, then say which ids hold an outcome already."""
    rows = await conn.fetch(
        "SELECT provider_id, tx_ref FROM casino_claim_many($1::bigint[], $2::integer[], $3)",
        sorted(set(keys)),
        [provider_id for provider_id, _ in refs],
        [ref for _, ref in refs],
    )
    return {(row["provider_id"], row["tx_ref"]) for row in rows}


_ROUND_FIELDS = (
    "provider_id", "round_ref", "operator_id", "player_id", "game_id", "game_code",
    "session_id", "currency",
)  # fmt: skip
_ROUND_TYPES = ("integer", "text", "integer", "bigint", "integer", "text", "bigint", "text")


async def open_rounds(
    conn: asyncpg.Connection, rounds: Sequence[dict[str, Any]]
) -> dict[ProviderRef, asyncpg.Record]:
    """``open_round`` for rounds of distinct ids, locked, made where new."""
    columns = ", ".join(_ROUND_FIELDS)
    arrays = ", ".join(f"${i + 1}::{kind}[]" for i, kind in enumerate(_ROUND_TYPES))
    rows = await conn.fetch(
        f"""INSERT INTO casino_rounds AS r ({columns})
            SELECT * FROM unnest({arrays}) ORDER BY 1, 2
            ON CONFLICT (provider_id, round_ref) DO UPDATE SET provider_id = r.provider_id
            RETURNING {ROUND_COLUMNS}""",
        *([round[field] for round in rounds] for field in _ROUND_FIELDS),
    )
    return {(row["provider_id"], row["round_ref"]): row for row in rows}


async def lock_rounds(
    conn: asyncpg.Connection, refs: Sequence[ProviderRef]
) -> dict[ProviderRef, asyncpg.Record]:
    rows = await conn.fetch(
        f"""SELECT {ROUND_COLUMNS} FROM casino_rounds r
             JOIN unnest($1::integer[], $2::text[]) AS u(provider_id, round_ref)
               ON r.provider_id = u.provider_id AND r.round_ref = u.round_ref
            ORDER BY r.id FOR UPDATE OF r""",
        [provider_id for provider_id, _ in refs],
        [ref for _, ref in refs],
    )
    return {(row["provider_id"], row["round_ref"]): row for row in rows}


async def transactions(
    conn: asyncpg.Connection, refs: Sequence[ProviderRef]
) -> dict[ProviderRef, asyncpg.Record]:
    rows = await conn.fetch(
        """SELECT t.provider_id, t.tx_ref, t.kind, t.state, t.player_id, t.round_id
             FROM casino_transactions t
             JOIN unnest($1::integer[], $2::text[]) AS u(provider_id, tx_ref)
               ON t.provider_id = u.provider_id AND t.tx_ref = u.tx_ref""",
        [provider_id for provider_id, _ in refs],
        [ref for _, ref in refs],
    )
    return {(row["provider_id"], row["tx_ref"]): row for row in rows}


# An applied call's stored row, then its round's change (bulk calls never refund).
_OUTCOME_FIELDS = (
    ("provider_id", "integer"), ("tx_ref", "text"), ("kind", "text"), ("operator_id", "integer"),
    ("player_id", "bigint"), ("session_id", "bigint"), ("round_id", "bigint"),
    ("round_ref", "text"), ("game_id", "integer"), ("currency", "text"),
    ("reference_ref", "text"), ("essential_hash", "bytea"), ("response_body", "bytea"),
    ("amount", "bigint"), ("transfer_id", "bigint"),
)  # fmt: skip
_CHANGE_FIELDS = (
    ("round_status", "text"), ("live_debits", "integer"), ("debit", "bigint"),
    ("credit", "bigint"), ("has_credit", "boolean"),
)  # fmt: skip


async def store_applied(
    conn: asyncpg.Connection, outcomes: Sequence[tuple[dict[str, Any], RoundChange]]
) -> None:
    """``store_outcome`` of applied calls on distinct rounds: their rows and their rounds'
    changes in one statement."""
    fields = _OUTCOME_FIELDS + _CHANGE_FIELDS
    names = ", ".join(name for name, _ in fields)
    arrays = ", ".join(f"${i + 1}::{kind}[]" for i, (_, kind) in enumerate(fields))
    columns = [name for name, _ in _OUTCOME_FIELDS]
    rows = [
        [row[name] for name in columns] + [c.status, c.live_debits, c.debit, c.credit, c.has_credit]
        for row, c in outcomes
    ]
    await conn.execute(
        f"""WITH applied_calls AS (SELECT * FROM unnest({arrays}) AS u({names})),
            r AS (UPDATE casino_rounds c
                     SET status = u.round_status, live_debits = c.live_debits + u.live_debits,
                         debit_total = c.debit_total + u.debit,
                         credit_total = c.credit_total + u.credit,
                         has_credit = c.has_credit OR u.has_credit,
                         closed_at = CASE WHEN u.round_status <> 'open'
                                          THEN coalesce(c.closed_at, now()) END
                    FROM applied_calls u WHERE c.id = u.round_id)
            INSERT INTO casino_transactions ({", ".join(columns)}, state, http_status)
            SELECT {", ".join(columns)}, 'applied', 200 FROM applied_calls""",
        *(list(column) for column in zip(*rows, strict=True)),
    )
