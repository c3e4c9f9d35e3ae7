"""Concurrency over many real connections: no overspending, no double posting, no deadlock."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg

from croupier.ledger import service as ledger
from croupier.ledger.service import Leg
from croupier.wallets import service as wallets
from tests.ledger.helpers import Books, assert_audit_ok, make_player

T = TypeVar("T")


async def _all_at_once(
    pool: asyncpg.Pool, count: int, work: Callable[[asyncpg.Connection, int], Awaitable[T]]
) -> list[T]:
    """Run ``work`` on ``count`` connections, each in its own transaction, released together."""
    connections = [await pool.acquire() for _ in range(count)]
    go = asyncio.Event()

    async def one(conn: asyncpg.Connection, i: int) -> T:
        await go.wait()
        async with conn.transaction():
            return await work(conn, i)

    try:
        tasks = [asyncio.create_task(one(conn, i)) for i, conn in enumerate(connections)]
        go.set()
        return await asyncio.gather(*tasks)
    finally:
        for conn in connections:
            await pool.release(conn)


class TestConcurrency:
    async def test_100_debits_of_30_on_100_leave_10(self, pool: asyncpg.Pool, books: Books) -> None:
        async with pool.acquire() as conn:
            player_id = await make_player(conn, books.operator_id)
            accounts = await wallets.player_accounts(
                conn, operator_id=books.operator_id, player_id=player_id, currency="USD"
            )
            await books.fund(conn, accounts.cash_id, 100)
        lowest: list[int] = []
        running = True

        async def watch() -> None:
            # Reads the balance while the debits race: it must never be seen below zero.
            async with pool.acquire() as conn:
                while running:
                    lowest.append(
                        await conn.fetchval(
                            "SELECT balance FROM ledger_accounts WHERE id = $1", accounts.cash_id
                        )
                    )
                    await asyncio.sleep(0)

        watcher = asyncio.create_task(watch())

        async def bet(conn: asyncpg.Connection, i: int) -> wallets.DebitResult:
            return await wallets.debit(
                conn,
                operator_id=books.operator_id,
                player_id=player_id,
                amount=30,
                to_account_id=books.house,
                type="bet",
                idempotency_key=f"bet-{i}",
                request={"i": i},
                use_bonus=i % 2 == 0,
            )

        results = await _all_at_once(pool, 100, bet)
        running = False
        await watcher
        assert Counter(r.result.status for r in results) == {"posted": 3, "rejected": 97}
        assert all(r.cash_part == 30 for r in results if r.result.posted)
        assert min(lowest) >= 0
        balances = await wallets.get_balances(
            pool, operator_id=books.operator_id, player_id=player_id
        )
        assert (balances.cash, balances.bonus) == (10, 0)
        assert await ledger.account_balance(pool, books.house) == 90
        await assert_audit_ok(pool)

    async def test_concurrent_debits_split_cash_then_bonus_exactly(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        async with pool.acquire() as conn:
            player_id = await make_player(conn, books.operator_id)
            accounts = await wallets.player_accounts(
                conn, operator_id=books.operator_id, player_id=player_id, currency="USD"
            )
            await books.fund(conn, accounts.cash_id, 100)
            await books.fund(conn, accounts.bonus_id, 100)

        async def bet(conn: asyncpg.Connection, i: int) -> wallets.DebitResult:
            return await wallets.debit(
                conn,
                operator_id=books.operator_id,
                player_id=player_id,
                amount=30,
                to_account_id=books.house,
                type="bet",
                idempotency_key=f"split-{i}",
                request={"i": i},
            )

        results = await _all_at_once(pool, 50, bet)
        posted = [r for r in results if r.result.posted]
        assert len(posted) == 6
        assert sum(r.cash_part for r in posted) == 100
        assert sum(r.bonus_part for r in posted) == 80
        balances = await wallets.get_balances(
            pool, operator_id=books.operator_id, player_id=player_id
        )
        assert (balances.cash, balances.bonus) == (0, 20)
        await assert_audit_ok(pool)

    async def test_50_parallel_retries_of_one_key_post_once(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        async with pool.acquire() as conn:
            player = await books.player(conn)
            await books.fund(conn, player.cash_id, 1_000)

        async def retry(conn: asyncpg.Connection, _: int) -> ledger.TransferResult:
            return await ledger.post(
                conn,
                operator_id=books.operator_id,
                type="bet",
                idempotency_key="the-one-bet",
                request={"stake": 25},
                legs=[Leg(player.cash_id, -25), Leg(books.house, 25)],
            )

        results = await _all_at_once(pool, 50, retry)
        assert len({r.transfer_id for r in results}) == 1
        assert Counter(r.replayed for r in results) == {True: 49, False: 1}
        assert {r.status for r in results} == {"posted"}
        assert all(r.balances == {player.cash_id: 975} for r in results)
        assert (
            await pool.fetchval(
                "SELECT count(*) FROM ledger_transfers WHERE idempotency_key = 'the-one-bet'"
            )
            == 1
        )
        assert await ledger.account_balance(pool, player.cash_id) == 975
        await assert_audit_ok(pool)

    async def test_opposite_transfers_in_parallel_never_deadlock(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        async with pool.acquire() as conn:
            a, b, c = [await books.player(conn) for _ in range(3)]
            for player in (a, b, c):
                await books.fund(conn, player.cash_id, 10_000)
        deadlocks_before = await pool.fetchval(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        )
        rings = [
            [a.cash_id, b.cash_id],
            [b.cash_id, a.cash_id],
            [c.cash_id, b.cash_id, a.cash_id],
            [a.cash_id, c.cash_id, b.cash_id],
        ]

        async def move(conn: asyncpg.Connection, i: int) -> ledger.TransferResult:
            # The first account of the ring pays the others, listed in the ring's own order.
            payer, *payees = rings[i % len(rings)]
            legs = [Leg(payer, -2)] + [Leg(payee, 2 // len(payees)) for payee in payees]
            return await ledger.post(
                conn,
                operator_id=books.operator_id,
                type="p2p",
                idempotency_key=f"move-{i}",
                request={"i": i},
                legs=legs,
            )

        results = await _all_at_once(pool, 100, move)
        assert {r.status for r in results} == {"posted"}
        deadlocks_after = await pool.fetchval(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        )
        assert deadlocks_after == deadlocks_before
        balances = [await ledger.account_balance(pool, p.cash_id) for p in (a, b, c)]
        assert sum(balances) == 30_000 and balances != [10_000] * 3
        await assert_audit_ok(pool)
