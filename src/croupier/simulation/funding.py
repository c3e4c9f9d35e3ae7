"""What the backfill needs around the spin: the operators' playable games, the bots' balances,
the clock, and top-ups (a card deposit through payments, else an operator's adjustment)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import asyncpg

from croupier.auth.principal import Role
from croupier.config import Settings
from croupier.db.clock import set_clock
from croupier.games import service as games
from croupier.jackpots import service as jackpots
from croupier.kit.errors import CroupierError
from croupier.kit.tenancy import Scope
from croupier.ledger import service as ledger
from croupier.operators import service as operators
from croupier.payments import deposits
from croupier.simulation.profiles import fit_stake
from croupier.wallets import adjustments
from croupier.wallets import service as wallets


@dataclass(frozen=True, slots=True)
class Game:
    id: int
    slug: str
    min_bet: int
    max_bet: int
    lines: int
    jackpot_group: str | None = None

    def fit(self, stake: int) -> int | None:
        return fit_stake(stake, min_bet=self.min_bet, max_bet=self.max_bet, multiple=self.lines)


@dataclass(frozen=True, slots=True)
class OperatorBooks:
    operator_id: int
    slug: str
    currency: str
    admin_id: int | None  # the staff member recorded on adjustments
    games: list[Game] = field(default_factory=list)


async def operator_books(conn: asyncpg.Connection) -> dict[int, OperatorBooks]:
    """Each active operator with the builtin games its players may play."""
    books = {}
    for operator in await operators.list_operators(conn):
        if operator["status"] != "active":
            continue
        scope = Scope(operator_id=operator["id"])
        staff = await operators.list_staff(conn, scope, operator["id"])
        admin = next((row["id"] for row in staff if row["role"] == Role.OPERATOR_ADMIN), None)
        playable = [
            Game(
                row["id"],
                row["slug"],
                row["min_bet"],
                row["max_bet"],
                _lines(row),
                row["jackpot_group"],
            )
            for row in await games.list_games(conn, category=None, operator_id=operator["id"])
            if row["provider"] == "builtin"
        ]
        books[operator["id"]] = OperatorBooks(
            operator["id"], operator["slug"], operator["currency"], admin, playable
        )
    return books


async def open_house_accounts(conn: asyncpg.Connection, books: dict[int, OperatorBooks]) -> None:
    """Create the shared accounts rounds credit (house, jackpot pools) up front, in one
    order: concurrent units creating them on first use could deadlock on each other."""
    for operator_id in sorted(books):
        book = books[operator_id]
        await ledger.ensure_account(
            conn, operator_id=operator_id, kind="house", currency=book.currency
        )
        for group in sorted({game.jackpot_group for game in book.games if game.jackpot_group}):
            pool = await jackpots.pool_for_group(conn, group, book.currency)
            if pool is not None:
                await jackpots.pool_account(conn, operator_id=operator_id, pool=pool)


def _lines(game: asyncpg.Record) -> int:
    paytable = game["paytable"] or {}
    return int(paytable.get("lines") or 1)


async def balance(conn: asyncpg.Connection, bot: asyncpg.Record) -> int:
    current = await wallets.get_balances(conn, operator_id=bot["operator_id"], player_id=bot["id"])
    return current.cash + current.bonus - current.reserved


async def top_up(
    conn: asyncpg.Connection,
    settings: Settings,
    books: OperatorBooks,
    bot: asyncpg.Record,
    *,
    amount: int,
    at: datetime,
    key: str,
) -> Literal["deposit", "adjustment"]:
    """A card deposit (completed at once by the demo provider). If payments refuses it (its
    velocity limits count in real time, and history is generated in minutes), the operator
    credits the demo player by hand instead."""
    await set_clock(conn, at)
    try:
        async with conn.transaction():  # a savepoint: a refusal leaves nothing behind
            row = await deposits.create_deposit(
                conn,
                settings,
                deposits.DepositRequest(
                    operator_id=bot["operator_id"],
                    player_id=bot["id"],
                    amount=amount,
                    method="card",
                    provider="demo",
                    idempotency_key=key,
                ),
            )
            if row["status"] != "COMPLETED":
                raise _NotCompleted()
        return "deposit"
    except (CroupierError, _NotCompleted):
        if books.admin_id is None:
            raise
    await adjustments.adjust(
        conn,
        Scope(operator_id=bot["operator_id"]),
        player_id=bot["id"],
        staff_id=books.admin_id,
        amount=amount,
        account="cash",
        reason="Demo history top-up",
        idempotency_key=key,
    )
    return "adjustment"


class _NotCompleted(Exception):
    """The deposit stayed pending or failed: nothing was credited."""
