"""Two-phase holds: reserve, then post or void, exactly once."""

from __future__ import annotations

import asyncpg
import pytest

from croupier.ledger import service as ledger
from croupier.ledger.errors import (
    HoldAlreadyResolvedError,
    HoldNotFoundError,
    IdempotencyKeyReusedError,
)
from croupier.ledger.service import Leg
from tests.ledger.helpers import Books, assert_audit_ok, open_books


async def _hold(
    conn: asyncpg.Connection, books: Books, account: int, amount: int, key: str
) -> ledger.TransferResult:
    return await ledger.hold(
        conn,
        operator_id=books.operator_id,
        idempotency_key=key,
        request={"amount": amount},
        account_id=account,
        amount=amount,
    )


async def _account(conn: asyncpg.Connection, account_id: int) -> tuple[int, int, int]:
    row = await conn.fetchrow(
        "SELECT balance, reserved, version FROM ledger_accounts WHERE id = $1", account_id
    )
    return tuple(row)


class TestHolds:
    async def test_hold_then_post(self, pool: asyncpg.Pool, books: Books) -> None:
        async with pool.acquire() as conn:
            player = await books.player(conn)
            await books.fund(conn, player.cash_id, 100)
            hold = await _hold(conn, books, player.cash_id, 70, "w-1")
            assert (hold.status, hold.balances) == ("pending", {player.cash_id: 100})
            assert await _account(conn, player.cash_id) == (100, 70, 1)
            await assert_audit_ok(conn)
            # The reserved cash cannot be spent meanwhile.
            bet = await ledger.post(
                conn,
                operator_id=books.operator_id,
                type="bet",
                idempotency_key="bet",
                request={},
                legs=[Leg(player.cash_id, -31), Leg(books.house, 31)],
            )
            assert bet.status == "rejected"
            posted = await ledger.post_hold(
                conn,
                operator_id=books.operator_id,
                hold_id=hold.transfer_id,
                idempotency_key="w-1-post",
                to_account_id=books.clearing,
            )
            assert (posted.status, posted.balances) == ("posted", {player.cash_id: 30})
            assert await _account(conn, player.cash_id) == (30, 0, 2)
            assert await ledger.account_balance(conn, books.clearing) == 70
            again = await ledger.post_hold(
                conn,
                operator_id=books.operator_id,
                hold_id=hold.transfer_id,
                idempotency_key="w-1-post",
                to_account_id=books.clearing,
            )
            assert again.replayed and again.transfer_id == posted.transfer_id
            with pytest.raises(HoldAlreadyResolvedError):
                await ledger.void_hold(
                    conn,
                    operator_id=books.operator_id,
                    hold_id=hold.transfer_id,
                    idempotency_key="w-1-void",
                )
            with pytest.raises(IdempotencyKeyReusedError):
                await ledger.void_hold(
                    conn,
                    operator_id=books.operator_id,
                    hold_id=hold.transfer_id,
                    idempotency_key="w-1-post",
                )
        await assert_audit_ok(pool)

    async def test_hold_then_void(self, pool: asyncpg.Pool, books: Books) -> None:
        async with pool.acquire() as conn:
            player = await books.player(conn)
            await books.fund(conn, player.cash_id, 100)
            hold = await _hold(conn, books, player.cash_id, 100, "w-2")
            voided = await ledger.void_hold(
                conn,
                operator_id=books.operator_id,
                hold_id=hold.transfer_id,
                idempotency_key="w-2-void",
            )
            assert (voided.status, voided.balances) == ("voided", {player.cash_id: 100})
            assert await _account(conn, player.cash_id) == (100, 0, 1)
            with pytest.raises(HoldAlreadyResolvedError):
                await ledger.post_hold(
                    conn,
                    operator_id=books.operator_id,
                    hold_id=hold.transfer_id,
                    idempotency_key="w-2-post",
                    to_account_id=books.clearing,
                )
        await assert_audit_ok(pool)

    async def test_a_hold_beyond_the_available_balance_is_rejected_and_stored(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        async with pool.acquire() as conn:
            player = await books.player(conn)
            await books.fund(conn, player.cash_id, 100)
            await _hold(conn, books, player.cash_id, 60, "first")
            second = await _hold(conn, books, player.cash_id, 41, "second")
            assert (second.status, second.reject_code) == ("rejected", "INSUFFICIENT_FUNDS")
            assert (await _hold(conn, books, player.cash_id, 41, "second")).replayed
            assert await _account(conn, player.cash_id) == (100, 60, 1)
            with pytest.raises(HoldNotFoundError):  # a rejected hold has nothing to resolve
                await ledger.void_hold(
                    conn,
                    operator_id=books.operator_id,
                    hold_id=second.transfer_id,
                    idempotency_key="void-second",
                )
        await assert_audit_ok(pool)

    async def test_another_operators_hold_is_not_found(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        async with pool.acquire() as conn:
            other = await open_books(conn)
            player = await books.player(conn)
            await books.fund(conn, player.cash_id, 100)
            hold = await _hold(conn, books, player.cash_id, 10, "mine")
            with pytest.raises(HoldNotFoundError):
                await ledger.post_hold(
                    conn,
                    operator_id=other.operator_id,
                    hold_id=hold.transfer_id,
                    idempotency_key="steal",
                    to_account_id=other.clearing,
                )
        await assert_audit_ok(pool)
