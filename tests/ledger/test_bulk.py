"""post_many(): a batch posts exactly what the same transfers posted one by one would, or
nothing at all."""

from __future__ import annotations

import asyncio
import itertools

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from croupier.ledger import service as ledger
from croupier.ledger.errors import IdempotencyKeyReusedError, InvalidTransferError
from croupier.ledger.service import Leg, PlannedTransfer
from tests.ledger.helpers import Books, assert_audit_ok, open_books

_keys = itertools.count(1)


def _move(books: Books, legs: list[Leg], key: str | None = None) -> PlannedTransfer:
    key = key or f"bulk-{next(_keys)}"
    return ledger.planned_post(
        operator_id=books.operator_id,
        type="test",
        idempotency_key=key,
        request={"key": key},
        legs=legs,
    )


async def _state(conn: asyncpg.Connection, ids: list[int]) -> list[tuple]:
    rows = await conn.fetch(
        "SELECT id, balance, reserved, version FROM ledger_accounts WHERE id = ANY($1) ORDER BY id",
        ids,
    )
    return [tuple(row) for row in rows]


async def _counts(conn: asyncpg.Connection) -> tuple[int, int]:
    row = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM ledger_transfers), (SELECT count(*) FROM ledger_entries)"
    )
    return tuple(row)


class TestPostMany:
    async def test_a_batch_posts_in_order_with_running_balances(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        async with pool.acquire() as conn:
            player = await books.player(conn)
            await books.fund(conn, player.cash_id, 100)
            # Spend 80 of 100, win 50 back, spend 70: only possible in this order.
            batch = [
                _move(books, [Leg(player.cash_id, -80), Leg(books.house, 80)]),
                _move(books, [Leg(books.house, -50), Leg(player.cash_id, 50)]),
                _move(books, [Leg(player.cash_id, -70), Leg(books.house, 70)]),
            ]
            async with conn.transaction():
                ids = await ledger.post_many(conn, batch)
            assert ids[0] < ids[1] < ids[2]
            statuses = await conn.fetch(
                "SELECT id, status FROM ledger_transfers WHERE id = ANY($1::bigint[])", ids
            )
            assert {row["id"]: row["status"] for row in statuses} == dict.fromkeys(ids, "posted")
            entries = await conn.fetch(
                """SELECT transfer_id, entry_no, amount, balance_after, account_version
                   FROM ledger_entries WHERE account_id = $1 ORDER BY account_version""",
                player.cash_id,
            )
            assert [tuple(e)[2:] for e in entries] == [
                (100, 100, 1),
                (-80, 20, 2),
                (50, 70, 3),
                (-70, 0, 4),
            ]
            assert [e["entry_no"] for e in entries[1:]] == [1, 2, 1]
            assert [e["transfer_id"] for e in entries[1:]] == ids  # the ids, in batch order
            assert await _state(conn, [player.cash_id]) == [(player.cash_id, 0, 0, 4)]
            assert await ledger.account_balance(conn, books.house) == 100
        await assert_audit_ok(pool, books.operator_id)

    async def test_an_overdraft_anywhere_in_the_batch_posts_nothing(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        async with pool.acquire() as conn:
            player = await books.player(conn)
            await books.fund(conn, player.cash_id, 100)
            before = (await _state(conn, [player.cash_id]), await _counts(conn))
            # Ends at +30, but dips to -20 after the first transfer.
            batch = [
                _move(books, [Leg(player.cash_id, -120), Leg(books.house, 120)]),
                _move(books, [Leg(books.house, -50), Leg(player.cash_id, 50)]),
            ]
            with pytest.raises(InvalidTransferError, match="overdraw"):
                async with conn.transaction():
                    await ledger.post_many(conn, batch)
            assert (await _state(conn, [player.cash_id]), await _counts(conn)) == before

    async def test_a_reserved_amount_is_not_spendable(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        async with pool.acquire() as conn:
            player = await books.player(conn)
            await books.fund(conn, player.cash_id, 100)
            held = await ledger.hold(
                conn,
                operator_id=books.operator_id,
                idempotency_key=f"hold-{next(_keys)}",
                request={},
                account_id=player.cash_id,
                amount=60,
            )
            assert held.status == "pending"
            with pytest.raises(InvalidTransferError, match="overdraw"):
                async with conn.transaction():
                    await ledger.post_many(
                        conn, [_move(books, [Leg(player.cash_id, -50), Leg(books.house, 50)])]
                    )

    @pytest.mark.parametrize("where", ["taken", "twice"])
    async def test_a_used_key_posts_nothing(
        self, pool: asyncpg.Pool, books: Books, where: str
    ) -> None:
        async with pool.acquire() as conn:
            player = await books.player(conn)
            funded = await books.fund(conn, player.cash_id, 100)
            key = f"bulk-dup-{next(_keys)}"
            if where == "taken":
                await ledger.post(
                    conn,
                    operator_id=books.operator_id,
                    type="test",
                    idempotency_key=key,
                    request={"key": key},
                    legs=[Leg(player.cash_id, -10), Leg(books.house, 10)],
                )
                batch = [_move(books, [Leg(player.cash_id, -5), Leg(books.house, 5)], key)]
            else:
                batch = [
                    _move(books, [Leg(player.cash_id, -5), Leg(books.house, 5)], key),
                    _move(books, [Leg(player.cash_id, -5), Leg(books.house, 5)], key),
                ]
            before = (await _state(conn, [player.cash_id]), await _counts(conn))
            with pytest.raises(IdempotencyKeyReusedError):
                async with conn.transaction():
                    await ledger.post_many(conn, batch)
            assert (await _state(conn, [player.cash_id]), await _counts(conn)) == before
            assert funded.posted

    async def test_invalid_transfers_post_nothing(self, pool: asyncpg.Pool, books: Books) -> None:
        async with pool.acquire() as conn:
            player = await books.player(conn)
            other = await open_books(conn)
            stranger = await other.player(conn)
            await books.fund(conn, player.cash_id, 100)
            pool_account = await ledger.ensure_account(
                conn, operator_id=books.operator_id, kind="jackpot_pool", currency="USD", owner_id=1
            )
            await ledger.post(
                conn,
                operator_id=books.operator_id,
                type="test",
                idempotency_key=f"jp-{next(_keys)}",
                request={},
                legs=[Leg(player.cash_id, -10), Leg(pool_account, 10)],
            )
            bad = {
                "unbalanced": [Leg(player.cash_id, -10), Leg(books.house, 9)],
                "one leg": [Leg(player.cash_id, 0)],
                "zero": [Leg(player.cash_id, 0), Leg(books.house, 0)],
                "same account twice": [Leg(player.cash_id, -5), Leg(player.cash_id, 5)],
                "other operator": [Leg(player.cash_id, -5), Leg(stranger.cash_id, 5)],
                "jackpot payout": [Leg(pool_account, -5), Leg(player.cash_id, 5)],
                "unknown account": [Leg(player.cash_id, -5), Leg(10**12, 5)],
            }
            before = (await _state(conn, [player.cash_id]), await _counts(conn))
            for name, legs in bad.items():
                good = _move(books, [Leg(player.cash_id, -1), Leg(books.house, 1)])
                with pytest.raises(InvalidTransferError):
                    async with conn.transaction():
                        await ledger.post_many(conn, [good, _move(books, legs)])
                assert (await _state(conn, [player.cash_id]), await _counts(conn)) == before, name

    async def test_a_bulk_debit_replays_through_post_debit(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        """The stored request hash is post_debit's: a retry of the key there replays it."""
        async with pool.acquire() as conn:
            player = await books.player(conn)
            await books.fund(conn, player.cash_id, 30)
            await ledger.post(
                conn,
                operator_id=books.operator_id,
                type="test",
                idempotency_key=f"bonus-{next(_keys)}",
                request={},
                legs=[Leg(books.house, -50), Leg(player.bonus_id, 50)],
            )
            key = f"bulk-debit-{next(_keys)}"
            planned = ledger.planned_debit(
                operator_id=books.operator_id,
                type="bet",
                idempotency_key=key,
                request={"stake": 40},
                cash_account_id=player.cash_id,
                bonus_account_id=player.bonus_id,
                cash_part=30,
                bonus_part=10,
                to_account_id=books.house,
            )
            async with conn.transaction():
                [posted] = await ledger.post_many(conn, [planned])
            replay = await ledger.post_debit(
                conn,
                operator_id=books.operator_id,
                type="bet",
                idempotency_key=key,
                request={"stake": 40},
                cash_account_id=player.cash_id,
                bonus_account_id=player.bonus_id,
                amount=40,
                to_account_id=books.house,
            )
            assert replay.replayed and replay.transfer_id == posted
            assert replay.amounts == {player.cash_id: -30, player.bonus_id: -10}
        await assert_audit_ok(pool, books.operator_id)


_amounts = st.integers(min_value=-60, max_value=60).filter(bool)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(moves=st.lists(st.tuples(st.integers(0, 2), _amounts), min_size=1, max_size=12))
async def test_a_batch_equals_the_same_transfers_posted_one_by_one(
    pool: asyncpg.Pool, moves: list[tuple[int, int]]
) -> None:
    """Property: for any sequence of player <-> house moves, post_many succeeds exactly when
    posting them one by one would never be short, and then leaves the same balances, versions
    and entries."""
    async with pool.acquire() as conn:
        bulk_books, single_books = await open_books(conn), await open_books(conn)
        bulk_players = [await bulk_books.player(conn) for _ in range(3)]
        single_players = [await single_books.player(conn) for _ in range(3)]
        for player in bulk_players + single_players:
            owner = bulk_books if player in bulk_players else single_books
            await owner.fund(conn, player.cash_id, 50)

        all_posted = True
        for index, amount in moves:
            player = single_players[index]
            result = await ledger.post(
                conn,
                operator_id=single_books.operator_id,
                type="test",
                idempotency_key=f"single-{next(_keys)}",
                request={},
                legs=[Leg(player.cash_id, amount), Leg(single_books.house, -amount)],
            )
            all_posted &= result.posted
        batch = [
            _move(
                bulk_books,
                [Leg(bulk_players[index].cash_id, amount), Leg(bulk_books.house, -amount)],
            )
            for index, amount in moves
        ]
        if not all_posted:
            with pytest.raises(InvalidTransferError):
                async with conn.transaction():
                    await ledger.post_many(conn, batch)
            return
        async with conn.transaction():
            await ledger.post_many(conn, batch)

        async def history(players: list) -> list[list[tuple]]:
            return [
                [
                    tuple(row)
                    for row in await conn.fetch(
                        """SELECT amount, balance_after, account_version FROM ledger_entries
                           WHERE account_id = $1 ORDER BY account_version""",
                        p.cash_id,
                    )
                ]
                for p in players
            ]

        assert await history(bulk_players) == await history(single_players)
        assert [row[1:] for row in await _state(conn, [p.cash_id for p in bulk_players])] == [
            row[1:] for row in await _state(conn, [p.cash_id for p in single_players])
        ]
    await assert_audit_ok(pool, bulk_books.operator_id)


async def test_concurrent_batches_and_single_debits_never_overdraw(
    pool: asyncpg.Pool, books: Books
) -> None:
    """Batches and single debits race on the same small balances over many connections: each
    batch either posts whole or not at all, no balance goes below zero, the books balance."""
    async with pool.acquire() as conn:
        players = [await books.player(conn) for _ in range(4)]
        for player in players:
            await books.fund(conn, player.cash_id, 100)

    async def batch(worker: int) -> int:
        async with pool.acquire() as conn:
            moves = [
                _move(books, [Leg(players[(worker + i) % 4].cash_id, -7), Leg(books.house, 7)])
                for i in range(4)
            ]
            try:
                async with conn.transaction():
                    await ledger.post_many(conn, moves)
            except InvalidTransferError:
                return 0
            return 28

    async def single(worker: int) -> int:
        async with pool.acquire() as conn:
            result = await ledger.post_debit(
                conn,
                operator_id=books.operator_id,
                type="bet",
                idempotency_key=f"single-debit-{next(_keys)}",
                request={},
                cash_account_id=players[worker % 4].cash_id,
                bonus_account_id=None,
                amount=9,
                to_account_id=books.house,
            )
            return 9 if result.posted else 0

    spent = await asyncio.gather(*(batch(i) if i % 2 else single(i) for i in range(40)))
    async with pool.acquire() as conn:
        balances = [b for _, b, _, _ in await _state(conn, [p.cash_id for p in players])]
        assert min(balances) >= 0
        assert sum(balances) == 400 - sum(spent)
        assert await ledger.account_balance(conn, books.house) == sum(spent)
    await assert_audit_ok(pool, books.operator_id)
