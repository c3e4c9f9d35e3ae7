"""The per-process cache of account ids, and the debit's read of the wallet in its statement."""

from __future__ import annotations

import asyncpg
import pytest

from croupier.ledger import account_cache
from croupier.ledger import service as ledger
from croupier.wallets import service as wallets
from tests.ledger.helpers import Books, make_player


async def test_an_account_created_by_a_rolled_back_transaction_is_not_remembered(
    pool: asyncpg.Pool, books: Books
) -> None:
    async with pool.acquire() as conn:
        player = await make_player(conn, books.operator_id)
        tx = conn.transaction()
        await tx.start()
        created = await ledger.ensure_account(
            conn,
            operator_id=books.operator_id,
            kind="player_cash",
            currency="USD",
            owner_id=player,
        )
        # Created by this still-open transaction: it may roll back, so it is not kept.
        assert account_cache.get((books.operator_id, player, "player_cash", "USD", 0)) is None
        await tx.rollback()
        assert (
            await conn.fetchval("SELECT count(*) FROM ledger_accounts WHERE id = $1", created) == 0
        )
        again = await ledger.ensure_account(
            conn,
            operator_id=books.operator_id,
            kind="player_cash",
            currency="USD",
            owner_id=player,
        )
        assert again != created


async def test_a_committed_account_is_answered_without_a_query(
    pool: asyncpg.Pool, books: Books
) -> None:
    async with pool.acquire() as conn:
        player = await make_player(conn, books.operator_id)
        first = await wallets.player_accounts(
            conn, operator_id=books.operator_id, player_id=player, currency="USD"
        )  # autocommit: created and committed by this call
        seen = await wallets.player_accounts(
            conn, operator_id=books.operator_id, player_id=player, currency="USD"
        )  # read from the database: now known to be committed
        assert seen == first
    # No connection at all: the ids can only come from the cache.
    cached = await wallets.player_accounts(
        None,  # type: ignore[arg-type]
        operator_id=books.operator_id,
        player_id=player,
        currency="USD",
    )
    assert cached == first
    house_currency = await ledger.account_ids(
        None,  # type: ignore[arg-type]
        operator_id=books.operator_id,
        owner_id=player,
        kinds=["player_bonus"],
        currency_of=first.cash_id,
    )
    assert house_currency == ([first.bonus_id], "USD")


async def test_the_cache_is_bounded() -> None:
    account_cache.forget_all()
    for i in range(account_cache._MAX_ENTRIES + 5):
        account_cache.remember((1, i, "player_cash", "USD", 0), i + 1)
    assert len(account_cache._ids) <= account_cache._MAX_ENTRIES
    account_cache.forget_all()


@pytest.mark.parametrize(("cash", "bonus", "stake"), [(500, 0, 200), (100, 300, 250), (0, 80, 50)])
async def test_a_debit_reports_the_wallet_as_it_left_it(
    pool: asyncpg.Pool, books: Books, cash: int, bonus: int, stake: int
) -> None:
    async with pool.acquire() as conn:
        player = await make_player(conn, books.operator_id)
        accounts = await wallets.player_accounts(
            conn, operator_id=books.operator_id, player_id=player, currency="USD"
        )
        if cash:
            await books.fund(conn, accounts.cash_id, cash)
        if bonus:
            await books.fund(conn, accounts.bonus_id, bonus)
        debit = await wallets.debit(
            conn,
            operator_id=books.operator_id,
            player_id=player,
            amount=stake,
            to_account_id=books.house,
            type="bet",
            idempotency_key=f"debit-{player}",
            request={"stake": stake},
        )
        assert debit.result.posted
        assert debit.cash_part == min(cash, stake)
        assert debit.bonus_part == stake - min(cash, stake)
        assert (debit.balances.cash, debit.balances.bonus) == (
            cash - debit.cash_part,
            bonus - debit.bonus_part,
        )
        stored = await conn.fetch(
            "SELECT kind, balance FROM ledger_accounts WHERE owner_id = $1 AND operator_id = $2",
            player,
            books.operator_id,
        )
        by_kind = {row["kind"]: row["balance"] for row in stored}
        assert by_kind["player_cash"] == debit.balances.cash
        assert by_kind["player_bonus"] == debit.balances.bonus
