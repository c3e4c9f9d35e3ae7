"""SQL for the casino side of the provider integration (the ``casino_*`` tables)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

_PROVIDER = """p.id, p.code, p.name, p.casino_code, p.api_base_url, p.callback_secrets,
    p.outbound_secret, p.is_default, p.token_ttl_seconds, p.signature_skew_seconds, p.status,
    p.created_at, p.updated_at"""
_SESSION = """s.id AS session_id, s.operator_id, s.player_id, s.game_id, s.game_code,
    s.currency, s.expires_at, s.superseded_at"""


_CALLER = """SELECT {columns}
      FROM {keys}
      JOIN casino_providers p ON p.id = CASE
           WHEN u.code IS NOT NULL THEN (SELECT id FROM casino_providers WHERE code = u.code)
           ELSE coalesce(
                (SELECT provider_id FROM casino_sessions WHERE token_hash = u.token_hash),
                (SELECT id FROM casino_providers WHERE is_default))
           END
      LEFT JOIN casino_sessions s ON s.provider_id = p.id AND s.token_hash = u.token_hash"""

CallerKey = tuple[str | None, bytes | None]  # (x-provider-code, the token's hash)


async def load_caller(
    conn: asyncpg.Connection, provider_code: str | None, token_hash: bytes | None
) -> asyncpg.Record | None:
    """The calling provider (named, else the token's, else the default) and the token's session
    if it is one of that provider's: one round trip before the signature can be checked."""
    return await conn.fetchrow(
        _CALLER.format(
            columns=f"{_PROVIDER}, {_SESSION}",
            keys="(SELECT $1::text, $2::bytea) AS u(code, token_hash)",
        ),
        provider_code,
        token_hash,
    )


async def load_callers(
    conn: asyncpg.Connection, keys: list[CallerKey]
) -> dict[CallerKey, asyncpg.Record]:
    """``load_caller`` for many (provider code, token hash) keys, with one statement."""
    rows = await conn.fetch(
        _CALLER.format(
            columns=f"u.ord, {_PROVIDER}, {_SESSION}",
            keys="unnest($1::text[], $2::bytea[]) WITH ORDINALITY AS u(code, token_hash, ord)",
        ),
        [code for code, _ in keys],
        [token_hash for _, token_hash in keys],
    )
    return {keys[row["ord"] - 1]: row for row in rows}


async def provider_by_code(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {_PROVIDER} FROM casino_providers p WHERE p.code = $1", code
    )


async def list_providers(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(f"SELECT {_PROVIDER} FROM casino_providers p ORDER BY p.code")


async def insert_provider(
    conn: asyncpg.Connection, fields: dict[str, Any]
) -> asyncpg.Record | None:
    columns = list(fields)
    values = ", ".join(f"${i + 1}" for i in range(len(columns)))
    return await conn.fetchrow(
        f"""INSERT INTO casino_providers AS p ({", ".join(columns)}) VALUES ({values})
            ON CONFLICT (code) DO NOTHING RETURNING {_PROVIDER}""",
        *fields.values(),
    )


async def update_provider(
    conn: asyncpg.Connection, code: str, changes: dict[str, Any]
) -> asyncpg.Record | None:
    sets = ", ".join(f"{column} = ${i + 2}" for i, column in enumerate(changes))
    return await conn.fetchrow(
        f"""UPDATE casino_providers AS p SET {sets}, updated_at = now() WHERE p.code = $1
            RETURNING {_PROVIDER}""",
        code,
        *changes.values(),
    )


async def clear_default_provider(conn: asyncpg.Connection) -> None:
    await conn.execute("UPDATE casino_providers SET is_default = false WHERE is_default")


async def claim(
    conn: asyncpg.Connection, keys: list[int], provider_id: int, tx_ref: str
) -> asyncpg.Record | None:
    """Lock the ids' keys for this transaction, then read what is stored under ``tx_ref``."""
    return await conn.fetchrow(
        "SELECT * FROM casino_claim($1::bigint[], $2, $3)", sorted(set(keys)), provider_id, tx_ref
    )


_TX = """t.id, t.provider_id, t.tx_ref, t.kind, t.state, t.operator_id, t.player_id,
    t.session_id, t.round_id, t.round_ref, t.game_id, t.currency, t.amount, t.reference_ref,
    t.rolled_back_by, t.essential_hash, t.http_status, t.response_body, t.error_code,
    t.transfer_id, t.created_at"""


async def transaction(
    conn: asyncpg.Connection, provider_id: int, tx_ref: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {_TX} FROM casino_transactions t WHERE t.provider_id = $1 AND t.tx_ref = $2",
        provider_id,
        tx_ref,
    )


@dataclass(frozen=True, slots=True)
class RoundChange:
    """What a call does to its round: the new status and what to add to its totals."""

    id: int
    status: str
    live_debits: int = 0
    debit: int = 0
    credit: int = 0
    refund: int = 0
    has_credit: bool = False


async def store_outcome(
    conn: asyncpg.Connection,
    row: dict[str, Any],
    *,
    round_change: RoundChange | None = None,
    reversed_tx: int | None = None,
) -> None:
    """Insert a call's row and, in the same statement, apply its effect on its round and mark
    the stake it reversed: one round trip for all of a call's bookkeeping."""
    args: list[Any] = list(row.values())

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    steps = []
    if round_change is not None:
        c = round_change
        status = arg(c.status)
        steps.append(
            f"""r AS (UPDATE casino_rounds
                SET status = {status}, live_debits = live_debits + {arg(c.live_debits)},
                    debit_total = debit_total + {arg(c.debit)},
                    credit_total = credit_total + {arg(c.credit)},
                    refund_total = refund_total + {arg(c.refund)},
                    has_credit = has_credit OR {arg(c.has_credit)},
                    closed_at = CASE WHEN {status} <> 'open' THEN coalesce(closed_at, now()) END
                WHERE id = {arg(c.id)})"""
        )
    if reversed_tx is not None:
        steps.append(
            f"""t AS (UPDATE casino_transactions SET state = 'rolled_back',
                rolled_back_by = {arg(row["tx_ref"])} WHERE id = {arg(reversed_tx)})"""
        )
    values = ", ".join(f"${i + 1}" for i in range(len(row)))
    prefix = f"WITH {', '.join(steps)} " if steps else ""
    await conn.execute(
        f"{prefix}INSERT INTO casino_transactions ({', '.join(row)}) VALUES ({values})", *args
    )


ROUND_COLUMNS = """r.id, r.provider_id, r.round_ref, r.operator_id, r.player_id, r.game_id,
    r.game_code, r.session_id, r.currency, r.status, r.has_credit, r.live_debits, r.debit_total,
    r.credit_total, r.refund_total, r.created_at, r.closed_at"""


async def lock_round(
    conn: asyncpg.Connection, provider_id: int, round_ref: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""SELECT {ROUND_COLUMNS} FROM casino_rounds r
             WHERE r.provider_id = $1 AND r.round_ref = $2 FOR UPDATE""",
        provider_id,
        round_ref,
    )


async def open_round(conn: asyncpg.Connection, fields: dict[str, Any]) -> asyncpg.Record:
    """The round, locked: made from ``fields`` if new, else the existing one (the no-op update
    takes its row lock, and waits for a concurrent insert of it, in the same round trip)."""
    columns = list(fields)
    values = ", ".join(f"${i + 1}" for i in range(len(columns)))
    return await conn.fetchrow(
        f"""INSERT INTO casino_rounds AS r ({", ".join(columns)}) VALUES ({values})
            ON CONFLICT (provider_id, round_ref) DO UPDATE SET provider_id = r.provider_id
            RETURNING {ROUND_COLUMNS}""",
        *fields.values(),
    )


async def lock_player_sessions(
    conn: asyncpg.Connection, provider_id: int, player_id: int, game_id: int
) -> None:
    # Two launches of one game at once must not both stay live.
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('casino_launch:' || $1 || ':' || $2"
        " || ':' || $3, 0))",
        str(provider_id),
        str(player_id),
        str(game_id),
    )


async def supersede_sessions(
    conn: asyncpg.Connection, provider_id: int, player_id: int, game_id: int
) -> None:
    await conn.execute(
        """UPDATE casino_sessions SET superseded_at = now()
            WHERE provider_id = $1 AND player_id = $2 AND game_id = $3
              AND superseded_at IS NULL""",
        provider_id,
        player_id,
        game_id,
    )


async def insert_session(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    provider_id: int,
    player_id: int,
    game_id: int,
    game_code: str,
    currency: str,
    token_hash: bytes,
    expires_at: datetime,
) -> int:
    return await conn.fetchval(
        """INSERT INTO casino_sessions (operator_id, provider_id, player_id, game_id, game_code,
                                        currency, token_hash, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id""",
        operator_id,
        provider_id,
        player_id,
        game_id,
        game_code,
        currency,
        token_hash,
        expires_at,
    )


async def set_provider_session(
    conn: asyncpg.Connection, session_id: int, provider_session_id: str
) -> None:
    await conn.execute(
        "UPDATE casino_sessions SET provider_session_id = $2 WHERE id = $1",
        session_id,
        provider_session_id,
    )


async def demo_player(conn: asyncpg.Connection, player_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT player_id, operator_id, reset_balance FROM casino_demo_players
            WHERE player_id = $1""",
        player_id,
    )


async def add_demo_player(
    conn: asyncpg.Connection, operator_id: int, player_id: int, reset_balance: int = 1_000_000
) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO casino_demo_players (player_id, operator_id, reset_balance)
           VALUES ($1, $2, $3)
           ON CONFLICT (player_id) DO UPDATE SET reset_balance = EXCLUDED.reset_balance
           RETURNING player_id, operator_id, reset_balance, created_at""",
        player_id,
        operator_id,
        reset_balance,
    )
