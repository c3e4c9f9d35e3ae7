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


async def taken_keys(conn: asyncpg.Connection, spins: list[tuple[int, int, str]]) -> set[int]:
    """Which of ``spins`` (operator, player, Idempotency-Key) already have a bet: positions."""
    rows = await conn.fetch(
        """SELECT u.ord - 1 AS i
           FROM unnest($1::integer[], $2::bigint[], $3::text[])
                WITH ORDINALITY AS u(operator_id, player_id, key, ord)
           WHERE EXISTS (SELECT FROM bets b WHERE b.operator_id = u.operator_id
                         AND b.player_id = u.player_id AND b.idempotency_key = u.key)""",
        *(list(column) for column in zip(*spins, strict=True)),
    )
    return {row["i"] for row in rows}


def _affiliate_share(ggr: str, bp: str) -> str:
    """The affiliate's revenue share of a round's GGR, rounded toward the operator (floor)."""
    return f"floor({ggr} * {bp} / 10000.0)::bigint"


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
                    (SELECT {_affiliate_share(ggr, "revenue_share_bp")} FROM terms), 0))
                RETURNING *
            )
            SELECT {BET_COLUMNS} FROM b JOIN games g ON g.id = b.game_id
            LEFT JOIN fair_seeds fs ON fs.id = b.fair_seed_id""",
        *bet.values(),
    )


# insert_bets' row: the columns a bulk round sets (bets.bulk), in order; the rows are sent as
# one array of the type bet_bulk_row (migration 0016), whose columns these must stay.
BULK_COLUMNS = (
    ("operator_id", "integer"),
    ("player_id", "bigint"),
    ("game_id", "integer"),
    ("round_id", "uuid"),
    ("idempotency_key", "text"),
    ("request_hash", "bytea"),
    ("currency", "text"),
    ("stake", "bigint"),
    ("stake_cash", "bigint"),
    ("win", "bigint"),
    ("win_cash", "bigint"),
    ("jackpot_contribution", "bigint"),
    ("jackpot_win", "bigint"),
    ("ggr", "bigint"),
    ("xp_gained", "bigint"),
    ("outcome", "text"),
    ("cash_after", "bigint"),
    ("bonus_after", "bigint"),
    ("debit_transfer_id", "text"),
    ("settle_transfer_id", "text"),
    ("is_seeded", "boolean"),
    ("game_version", "integer"),
    ("created_at", "timestamptz"),
    ("channel", "text"),
)
_BULK_NAMES = tuple(name for name, _ in BULK_COLUMNS)
_SELECTED = (f"u.{name}::json" if name == "outcome" else f"u.{name}" for name in _BULK_NAMES)
_BULK_INSERT = f"""
INSERT INTO bets ({", ".join(_BULK_NAMES)}, stake_bonus, win_bonus, rng,
                  affiliate_id, affiliate_share)
SELECT {", ".join(_SELECTED)},
       0, 0, 'csprng', a.id, coalesce({_affiliate_share("u.ggr", "a.revenue_share_bp")}, 0)
FROM unnest($1::bet_bulk_row[]) WITH ORDINALITY AS u({", ".join(_BULK_NAMES)}, ord)
JOIN players p ON p.id = u.player_id
LEFT JOIN affiliates a ON a.id = p.affiliate_id
ORDER BY u.ord
"""
_BULK_INSERT_RETURNING = f"{_BULK_INSERT} RETURNING id, round_id, affiliate_id, affiliate_share"


async def insert_bets(
    conn: asyncpg.Connection, rows: list[tuple[Any, ...]]
) -> list[asyncpg.Record]:
    """Log many cash rounds at once (rows in BULK_COLUMNS order), with the affiliate share as
    insert_bet takes it (the player's terms now, on the GGR, floored). For each bet, in order:
    what the database adds to the row (id, round_id, affiliate_id, affiliate_share); the caller
    has the rest (``bets.bulk`` builds a live round's view of its bet from the two)."""
    returned = await conn.fetch(_BULK_INSERT_RETURNING, rows)
    by_round = {row["round_id"]: row for row in returned}
    return [by_round[row[3]] for row in rows]


# What a bulk round's bet holds beyond its BULK_COLUMNS row: a cash round of the CSPRNG, with
# no provably-fair seed (the columns ``_BULK_INSERT`` leaves to their defaults or sets itself).
_BULK_DEFAULTS = {
    "stake_bonus": 0, "stake_free": 0, "win_bonus": 0, "rng": "csprng", "fair_seed_id": None,
    "client_seed": None, "nonce": None, "server_seed_hash": None, "server_seed": None,
}  # fmt: skip
_BULK_ONLY = ("is_seeded", "game_version", "channel")  # written, but not among BET_COLUMNS


def bulk_bet(
    row: tuple[Any, ...], added: asyncpg.Record, *, game: asyncpg.Record, outcome: dict[str, Any]
) -> dict[str, Any]:
    """A bet :func:`insert_bets` wrote, with the columns BET_COLUMNS gives (as
    :func:`insert_bet` returns a lone spin's), from its row, what the insert added, its game
    and its outcome: nothing read back."""
    bet = dict(zip(_BULK_NAMES, row, strict=True))
    for name in _BULK_ONLY:
        del bet[name]
    bet.update(_BULK_DEFAULTS)
    bet.update(added)  # id, round_id, affiliate_id, affiliate_share
    bet.update(game_key=game["slug"], game_name=game["name"], outcome=outcome)
    return bet


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
