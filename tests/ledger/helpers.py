"""Helpers for any test suite that moves money: the audit assertion and fast SQL set-up."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import asyncpg

from croupier.kit.tenancy import Scope
from croupier.ledger import service as ledger
from croupier.ledger.audit import AuditReport, run_audit
from croupier.ledger.service import Leg, TransferResult
from croupier.wallets import service as wallets

_slugs = itertools.count(1)


async def assert_audit_ok(
    db: asyncpg.Pool | asyncpg.Connection, operator_id: int | None = None
) -> AuditReport:
    """Fail the test, naming the broken checks and offenders, unless the ledger audits clean."""
    if isinstance(db, asyncpg.Pool):
        async with db.acquire() as conn:
            report = await run_audit(conn, Scope(operator_id=operator_id))
    else:
        report = await run_audit(db, Scope(operator_id=operator_id))
    failed = {c.name: (c.count, c.sample_ids) for c in report.checks if not c.ok}
    assert report.ok, f"ledger audit failed: {failed}"
    return report


async def make_operator(
    db: asyncpg.Pool | asyncpg.Connection, *, currency: str = "USD", mode: str = "real"
) -> int:
    """An operator straight in SQL (same columns as the platform API writes)."""
    return await db.fetchval(
        """INSERT INTO operators (slug, name, currency, timezone, mode)
           VALUES ($1, $1, $2, 'UTC', $3) RETURNING id""",
        f"ledger-op-{next(_slugs)}",
        currency,
        mode,
    )


async def make_player(db: asyncpg.Pool | asyncpg.Connection, operator_id: int) -> int:
    return await db.fetchval(
        "INSERT INTO players (operator_id, kind) VALUES ($1, 'guest') RETURNING id", operator_id
    )


_keys = itertools.count(1)


@dataclass
class Books:
    operator_id: int
    currency: str
    world: int
    house: int
    clearing: int

    async def player(self, conn: asyncpg.Connection) -> wallets.PlayerAccounts:
        player_id = await make_player(conn, self.operator_id)
        return await wallets.player_accounts(
            conn, operator_id=self.operator_id, player_id=player_id, currency=self.currency
        )

    async def fund(self, conn: asyncpg.Connection, account_id: int, amount: int) -> TransferResult:
        """Money in from the outside world (a deposit)."""
        return await ledger.post(
            conn,
            operator_id=self.operator_id,
            type="deposit",
            idempotency_key=f"fund-{next(_keys)}",
            request={"account": account_id, "amount": amount},
            legs=[Leg(self.world, -amount), Leg(account_id, amount)],
        )


async def open_books(
    conn: asyncpg.Connection, currency: str = "USD", operator_id: int | None = None
) -> Books:
    """The world, house and clearing accounts of an operator (a new one unless given)."""
    if operator_id is None:
        operator_id = await make_operator(conn, currency=currency)

    async def account(kind: str) -> int:
        return await ledger.ensure_account(
            conn, operator_id=operator_id, kind=kind, currency=currency
        )

    return Books(
        operator_id=operator_id,
        currency=currency,
        world=await account("world"),
        house=await account("house"),
        clearing=await account("payment_clearing"),
    )
