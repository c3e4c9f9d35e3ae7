"""The wallet service other domains call: cash-first debits, credits, transfers, holds."""

from __future__ import annotations

import asyncpg
import pytest

from croupier.ledger import service as ledger
from croupier.ledger.errors import InsufficientFundsError
from croupier.wallets import service as wallets
from tests.ledger.helpers import Books, assert_audit_ok, make_player


async def _player(
    conn: asyncpg.Connection, books: Books, cash: int = 0, bonus: int = 0
) -> tuple[int, wallets.PlayerAccounts]:
    player_id = await make_player(conn, books.operator_id)
    accounts = await wallets.player_accounts(
        conn, operator_id=books.operator_id, player_id=player_id, currency=books.currency
    )
    if cash:
        await books.fund(conn, accounts.cash_id, cash)
    if bonus:
        await books.fund(conn, accounts.bonus_id, bonus)
    return player_id, accounts


async def _bet(
    conn: asyncpg.Connection,
    books: Books,
    player_id: int,
    amount: int,
    key: str,
    use_bonus: bool = True,
) -> wallets.DebitResult:
    return await wallets.debit(
        conn,
        operator_id=books.operator_id,
        player_id=player_id,
        amount=amount,
        to_account_id=books.house,
        type="bet",
        idempotency_key=key,
        request={"stake": amount},
        use_bonus=use_bonus,
    )


class TestDebit:
    async def test_cash_first_then_bonus_in_one_transfer(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        async with pool.acquire() as conn:
            player_id, _ = await _player(conn, books, cash=100, bonus=50)
            debit = await _bet(conn, books, player_id, 130, "bet-1")
            assert (debit.result.status, debit.cash_part, debit.bonus_part) == ("posted", 100, 30)
            assert (debit.balances.cash, debit.balances.bonus) == (0, 20)
            entries = await conn.fetchval(
                "SELECT count(*) FROM ledger_entries WHERE transfer_id = $1",
                debit.result.transfer_id,
            )
            assert entries == 3
            replay = await _bet(conn, books, player_id, 130, "bet-1")
            assert replay.result.replayed
            assert (replay.cash_part, replay.bonus_part) == (100, 30)
        await assert_audit_ok(pool)

    async def test_cash_alone_and_bonus_alone(self, pool: asyncpg.Pool, books: Books) -> None:
        async with pool.acquire() as conn:
            player_id, _ = await _player(conn, books, cash=100, bonus=50)
            cash_only = await _bet(conn, books, player_id, 60, "a")
            assert (cash_only.cash_part, cash_only.bonus_part) == (60, 0)
            await _bet(conn, books, player_id, 40, "b")
            bonus_only = await _bet(conn, books, player_id, 50, "c")
            assert (bonus_only.cash_part, bonus_only.bonus_part) == (0, 50)
            assert (bonus_only.balances.cash, bonus_only.balances.bonus) == (0, 0)
        await assert_audit_ok(pool)

    async def test_short_of_funds_is_a_stored_rejection(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        async with pool.acquire() as conn:
            player_id, _ = await _player(conn, books, cash=100, bonus=50)
            without_bonus = await _bet(conn, books, player_id, 101, "x", use_bonus=False)
            assert without_bonus.result.status == "rejected"
            too_much = await _bet(conn, books, player_id, 151, "y")
            assert (too_much.result.status, too_much.cash_part, too_much.bonus_part) == (
                "rejected",
                0,
                0,
            )
            with pytest.raises(InsufficientFundsError) as caught:
                wallets.raise_if_rejected(too_much)
            assert caught.value.commit_work and caught.value.status_code == 402
            assert caught.value.details == {"balance": 150, "cash": 100, "bonus": 50}
            wallets.raise_if_rejected(await _bet(conn, books, player_id, 150, "z"))
        await assert_audit_ok(pool)

    async def test_reserved_cash_is_not_spent(self, pool: asyncpg.Pool, books: Books) -> None:
        async with pool.acquire() as conn:
            player_id, _ = await _player(conn, books, cash=100, bonus=10)
            hold = await wallets.hold_cash(
                conn,
                operator_id=books.operator_id,
                player_id=player_id,
                currency="USD",
                amount=80,
                idempotency_key="w",
                request={},
            )
            assert hold.status == "pending"
            debit = await _bet(conn, books, player_id, 30, "bet")
            assert (debit.cash_part, debit.bonus_part) == (20, 10)
            balances = await wallets.get_balances(
                conn, operator_id=books.operator_id, player_id=player_id
            )
            assert (balances.cash, balances.reserved, balances.withdrawable) == (80, 80, 0)
            await wallets.void_hold(
                conn, operator_id=books.operator_id, hold_id=hold.transfer_id, idempotency_key="v"
            )
            balances = await wallets.get_balances(
                conn, operator_id=books.operator_id, player_id=player_id
            )
            assert (balances.reserved, balances.withdrawable) == (0, 80)
        await assert_audit_ok(pool)

    async def test_the_split_holds_whatever_the_account_ids(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        # Bonus account created before the cash account: the debit takes its locks in id order
        # through the locked path instead of the fast one.
        async with pool.acquire() as conn:
            player_id = await make_player(conn, books.operator_id)
            (bonus,) = await ledger.ensure_accounts(
                conn,
                operator_id=books.operator_id,
                owner_id=player_id,
                kinds=["player_bonus"],
                currency="USD",
            )
            accounts = await wallets.player_accounts(
                conn, operator_id=books.operator_id, player_id=player_id, currency="USD"
            )
            assert accounts.bonus_id == bonus.id < accounts.cash_id
            await books.fund(conn, accounts.cash_id, 10)
            await books.fund(conn, accounts.bonus_id, 10)
            debit = await _bet(conn, books, player_id, 15, "bet")
            assert (debit.cash_part, debit.bonus_part) == (10, 5)
        await assert_audit_ok(pool)


class TestCreditsTransfersAndHolds:
    async def test_credit_transfer_and_withdrawal(self, pool: asyncpg.Pool, books: Books) -> None:
        async with pool.acquire() as conn:
            alice, alice_accounts = await _player(conn, books)
            bob, bob_accounts = await _player(conn, books)
            credited = await wallets.credit(
                conn,
                operator_id=books.operator_id,
                player_id=alice,
                amount=500,
                from_account_id=books.world,
                type="deposit",
                idempotency_key="dep",
                request={"psp": "evt-1"},
            )
            assert credited.balances == {alice_accounts.cash_id: 500}
            coins = await wallets.credit(
                conn,
                operator_id=books.operator_id,
                player_id=alice,
                amount=1_000,
                from_account_id=books.world,
                type="coins",
                idempotency_key="coins",
                request={},
                to_kind="player_coins",
            )
            assert coins.balances == {alice_accounts.coins_id: 1_000}
            moved = await wallets.transfer(
                conn,
                operator_id=books.operator_id,
                from_account_id=alice_accounts.cash_id,
                to_account_id=bob_accounts.cash_id,
                amount=200,
                type="p2p",
                idempotency_key="p2p",
                request={},
            )
            assert moved.balances == {alice_accounts.cash_id: 300, bob_accounts.cash_id: 200}
            hold = await wallets.hold_cash(
                conn,
                operator_id=books.operator_id,
                player_id=bob,
                currency="USD",
                amount=150,
                idempotency_key="wd",
                request={},
            )
            paid = await wallets.post_hold(
                conn,
                operator_id=books.operator_id,
                hold_id=hold.transfer_id,
                to_account_id=books.clearing,
                idempotency_key="wd-paid",
            )
            assert paid.balances == {bob_accounts.cash_id: 50}
            alice_balances = await wallets.get_balances(
                conn, operator_id=books.operator_id, player_id=alice
            )
            assert (alice_balances.cash, alice_balances.coins) == (300, 1_000)
        await assert_audit_ok(pool)

    async def test_balances_of_a_player_without_accounts_are_zero(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        player_id = await make_player(pool, books.operator_id)
        balances = await wallets.get_balances(
            pool, operator_id=books.operator_id, player_id=player_id
        )
        assert balances == wallets.WalletBalances("USD", 0, 0, 0, 0)
        assert (
            await pool.fetchval(
                "SELECT count(*) FROM ledger_accounts WHERE owner_id = $1", player_id
            )
            == 0
        )
