"""Derived (insert-only) accounts: balances, rollup snapshots, guarded pools."""

from __future__ import annotations

import asyncio

import asyncpg

from croupier.ledger import service as ledger
from croupier.ledger.service import Leg
from tests.ledger.helpers import Books, assert_audit_ok


async def _bet(
    conn: asyncpg.Connection, books: Books, cash: int, amount: int, key: str
) -> ledger.TransferResult:
    return await ledger.post(
        conn,
        operator_id=books.operator_id,
        type="bet",
        idempotency_key=key,
        request={},
        legs=[Leg(cash, -amount), Leg(books.house, amount)],
    )


async def _roll_up_past_every_entry(conn: asyncpg.Connection, account_id: int) -> int:
    """Roll up until the account's snapshot covers all its entries; return the snapshot.

    A rollup folds only up to the oldest transaction still running in the cluster, and the
    app's background jobs run transactions alongside the tests: one of them can hold the
    horizon back for a moment, so the fold is retried until the horizon has passed.
    """
    for _ in range(200):
        await ledger.rollup_derived(conn)
        row = await conn.fetchrow(
            """SELECT s.balance, s.upto_xid > (SELECT max(created_xid) FROM ledger_entries
                                                WHERE account_id = $1) AS covers_all
                 FROM ledger_derived_snapshots s WHERE s.account_id = $1""",
            account_id,
        )
        if row is not None and row["covers_all"]:
            return row["balance"]
        await asyncio.sleep(0.05)
    raise AssertionError(f"the rollup never passed account {account_id}'s last entry")


class TestDerivedAccounts:
    async def test_the_house_is_never_updated_and_its_balance_is_derived(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        async with pool.acquire() as conn:
            player = await books.player(conn)
            await books.fund(conn, player.cash_id, 1_000)
            for i in range(5):
                await _bet(conn, books, player.cash_id, 10, f"bet-{i}")
            house = await conn.fetchrow(
                "SELECT balance, version, xmin::text FROM ledger_accounts WHERE id = $1",
                books.house,
            )
            assert (house["balance"], house["version"]) == (0, 0)
            assert await ledger.account_balance(conn, books.house) == 50

            assert await ledger.rollup_derived(conn) == 3  # world, house, clearing
            assert await ledger.account_balance(conn, books.house) == 50
            for i in range(5, 8):
                await _bet(conn, books, player.cash_id, 10, f"bet-{i}")
            assert await ledger.account_balance(conn, books.house) == 80
            assert await _roll_up_past_every_entry(conn, books.house) == 80
            assert await ledger.account_balance(conn, books.house) == 80
            xmin_after = await conn.fetchval(
                "SELECT xmin::text FROM ledger_accounts WHERE id = $1", books.house
            )
            assert xmin_after == house["xmin"]  # not one row version written
        await assert_audit_ok(pool)

    async def test_the_rollup_never_folds_an_uncommitted_entry(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        async with pool.acquire() as writer, pool.acquire() as roller:
            player = await books.player(writer)
            await books.fund(writer, player.cash_id, 100)
            async with writer.transaction():
                await _bet(writer, books, player.cash_id, 40, "in-flight")
                await ledger.rollup_derived(roller)  # the bet is not committed yet
            await ledger.rollup_derived(roller)
            assert await ledger.account_balance(roller, books.house) == 40
        await assert_audit_ok(pool)

    async def test_a_jackpot_pool_pays_out_at_most_its_balance(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        async with pool.acquire() as conn:
            player = await books.player(conn)
            jackpot = await ledger.ensure_account(
                conn, operator_id=books.operator_id, kind="jackpot_pool", currency="USD", owner_id=7
            )
            await books.fund(conn, jackpot, 500)

            async def payout(amount: int, key: str) -> ledger.TransferResult:
                return await ledger.post(
                    conn,
                    operator_id=books.operator_id,
                    type="jackpot_win",
                    idempotency_key=key,
                    request={},
                    legs=[Leg(jackpot, -amount), Leg(player.cash_id, amount)],
                )

            assert (await payout(501, "too-much")).status == "rejected"
            assert (await payout(500, "all")).status == "posted"
            assert (await payout(1, "empty")).status == "rejected"
            assert await ledger.account_balance(conn, jackpot) == 0
        await assert_audit_ok(pool)
