"""post(): double entry, idempotency, stored rejections, validation, reversals."""

from __future__ import annotations

import asyncpg
import pytest

from croupier.ledger import service as ledger
from croupier.ledger.errors import (
    IdempotencyKeyReusedError,
    InvalidTransferError,
    TransferAlreadyReversedError,
)
from croupier.ledger.service import Leg
from croupier.wallets import service as wallets
from tests.ledger.helpers import Books, assert_audit_ok, make_player, open_books


async def _post(
    conn: asyncpg.Connection, books: Books, key: str, legs: list[Leg], **request: object
) -> ledger.TransferResult:
    return await ledger.post(
        conn,
        operator_id=books.operator_id,
        type="test",
        idempotency_key=key,
        request=request or {"key": key},
        legs=legs,
    )


async def _snapshot(conn: asyncpg.Connection) -> list[tuple]:
    accounts = await conn.fetch(
        "SELECT id, balance, reserved, version FROM ledger_accounts ORDER BY id"
    )
    counts = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM ledger_transfers) t, (SELECT count(*) FROM ledger_entries) e"
    )
    return [tuple(r) for r in accounts] + [tuple(counts)]


class TestPost:
    async def test_a_deposit_moves_money_and_appends_entries(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        async with pool.acquire() as conn:
            player = await books.player(conn)
            result = await books.fund(conn, player.cash_id, 100)
            assert (result.status, result.replayed, result.reject_code) == ("posted", False, None)
            assert result.balances == {player.cash_id: 100}
            assert result.amounts == {player.cash_id: 100}
            entries = await conn.fetch(
                """SELECT account_id, amount, balance_after, account_version FROM ledger_entries
                   WHERE transfer_id = $1 ORDER BY entry_no""",
                result.transfer_id,
            )
            assert sorted(tuple(e) for e in entries) == sorted(
                [(books.world, -100, None, None), (player.cash_id, 100, 100, 1)]
            )
            assert await ledger.account_balance(conn, books.world) == -100
            assert await ledger.account_balance(conn, player.cash_id) == 100
        await assert_audit_ok(pool)

    async def test_same_key_same_request_replays_the_stored_result(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        async with pool.acquire() as conn:
            player = await books.player(conn)
            await books.fund(conn, player.cash_id, 500)
            legs = [Leg(player.cash_id, -200), Leg(books.house, 200)]
            first = await _post(conn, books, "bet-1", legs)
            await books.fund(conn, player.cash_id, 1)  # later movements don't change the replay
            before = await _snapshot(conn)
            again = await _post(conn, books, "bet-1", list(reversed(legs)))
            assert again.replayed and not first.replayed
            assert (again.transfer_id, again.status, again.balances, again.created_at) == (
                first.transfer_id,
                "posted",
                {player.cash_id: 300},
                first.created_at,
            )
            assert await _snapshot(conn) == before
        await assert_audit_ok(pool)

    async def test_same_key_with_another_request_is_refused(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        async with pool.acquire() as conn:
            player = await books.player(conn)
            await books.fund(conn, player.cash_id, 500)
            await _post(conn, books, "k", [Leg(player.cash_id, -10), Leg(books.house, 10)])
            before = await _snapshot(conn)
            with pytest.raises(IdempotencyKeyReusedError) as caught:
                await _post(conn, books, "k", [Leg(player.cash_id, -11), Leg(books.house, 11)])
            assert caught.value.status_code == 409
            assert caught.value.code == "IDEMPOTENCY_KEY_REUSED"
            with pytest.raises(IdempotencyKeyReusedError):
                await _post(conn, books, "k", [Leg(player.cash_id, -10), Leg(books.house, 10)], x=1)
            assert await _snapshot(conn) == before

    async def test_keys_are_per_operator(self, pool: asyncpg.Pool, books: Books) -> None:
        async with pool.acquire() as conn:
            other = await open_books(conn)
            mine, theirs = await books.player(conn), await other.player(conn)
            first = await _post(conn, books, "same", [Leg(books.world, -5), Leg(mine.cash_id, 5)])
            second = await _post(
                conn, other, "same", [Leg(other.world, -5), Leg(theirs.cash_id, 5)]
            )
            assert not second.replayed and second.transfer_id != first.transfer_id
        await assert_audit_ok(pool)

    async def test_short_of_funds_is_rejected_stored_and_replayed(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        async with pool.acquire() as conn:
            player = await books.player(conn)
            await books.fund(conn, player.cash_id, 100)
            legs = [Leg(player.cash_id, -150), Leg(books.house, 150)]
            before = await _snapshot(conn)
            rejected = await _post(conn, books, "big-bet", legs)
            assert (rejected.status, rejected.reject_code) == ("rejected", "INSUFFICIENT_FUNDS")
            assert rejected.balances == {player.cash_id: 100} and rejected.amounts == {}
            after = await _snapshot(conn)
            assert after[:-1] == before[:-1]  # no account changed
            assert after[-1] == (before[-1][0] + 1, before[-1][1])  # the rejection is stored
            await books.fund(conn, player.cash_id, 100)  # now it would fit, yet a retry...
            replay = await _post(conn, books, "big-bet", legs)
            assert (replay.transfer_id, replay.status, replay.replayed) == (
                rejected.transfer_id,
                "rejected",
                True,
            )
            assert replay.balances == {player.cash_id: 200}
        await assert_audit_ok(pool)

    async def test_a_rejection_undoes_the_legs_already_applied(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        async with pool.acquire() as conn:
            low, high = await books.player(conn), await books.player(conn)
            await books.fund(conn, low.cash_id, 10)
            await books.fund(conn, high.cash_id, 10)
            before = await _snapshot(conn)
            # low.cash_id < high.cash_id: its credit is applied before the debit fails.
            result = await _post(conn, books, "p2p", [Leg(low.cash_id, 50), Leg(high.cash_id, -50)])
            assert result.status == "rejected"
            assert (await _snapshot(conn))[:-1] == before[:-1]
        await assert_audit_ok(pool)

    async def test_invalid_transfers_are_refused_and_write_nothing(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        async with pool.acquire() as conn:
            other = await open_books(conn)
            euro = await ledger.ensure_account(
                conn, operator_id=books.operator_id, kind="world", currency="EUR"
            )
            player = await books.player(conn)
            await books.fund(conn, player.cash_id, 100)
            before = await _snapshot(conn)
            for legs in (
                [Leg(books.world, -5), Leg(player.cash_id, 4)],  # unbalanced
                [Leg(player.cash_id, 0), Leg(books.world, 0)],  # zero amounts
                [Leg(books.world, -5)],  # one leg
                [Leg(books.world, -5), Leg(books.world, 5)],  # the same account twice
                [Leg(other.world, -5), Leg(player.cash_id, 5)],  # another operator's account
                [Leg(999_999, -5), Leg(player.cash_id, 5)],  # no such account
                [Leg(euro, -5), Leg(player.cash_id, 5)],  # balanced across currencies only
            ):
                with pytest.raises(InvalidTransferError):
                    await _post(conn, books, f"bad-{legs}", legs)
            assert await _snapshot(conn) == before

    async def test_legs_balance_per_currency(self, pool: asyncpg.Pool, books: Books) -> None:
        async with pool.acquire() as conn:
            player_id = await make_player(conn, books.operator_id)
            player = await wallets.player_accounts(
                conn, operator_id=books.operator_id, player_id=player_id, currency="USD"
            )
            await books.fund(conn, player.cash_id, 100)
            euro_world = await ledger.ensure_account(
                conn, operator_id=books.operator_id, kind="world", currency="EUR"
            )
            (euro_cash,) = await ledger.ensure_accounts(
                conn,
                operator_id=books.operator_id,
                owner_id=player_id,
                kinds=["player_cash"],
                currency="EUR",
            )
            exchange = await _post(
                conn,
                books,
                "fx-1",
                [
                    Leg(player.cash_id, -100),
                    Leg(books.world, 100),
                    Leg(euro_world, -92),
                    Leg(euro_cash.id, 92),
                ],
            )
            assert exchange.balances == {player.cash_id: 0, euro_cash.id: 92}
        await assert_audit_ok(pool)

    async def test_a_transfer_is_reversed_at_most_once(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        async with pool.acquire() as conn:
            player = await books.player(conn)
            await books.fund(conn, player.cash_id, 100)
            bet = await _post(conn, books, "bet", [Leg(player.cash_id, -30), Leg(books.house, 30)])

            async def reverse(key: str) -> ledger.TransferResult:
                return await ledger.post(
                    conn,
                    operator_id=books.operator_id,
                    type="rollback",
                    idempotency_key=key,
                    request={"bet": bet.transfer_id},
                    legs=[Leg(books.house, -30), Leg(player.cash_id, 30)],
                    reverses_id=bet.transfer_id,
                )

            refund = await reverse("rollback-1")
            assert refund.balances == {player.cash_id: 100}
            assert (await reverse("rollback-1")).replayed
            with pytest.raises(TransferAlreadyReversedError):
                await reverse("rollback-2")
        await assert_audit_ok(pool)
