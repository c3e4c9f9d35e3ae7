"""Parallel callbacks: duplicates apply once, balances never go negative, races resolve cleanly."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from croupier.ledger import service as ledger
from croupier.ledger.service import PLAYER_CASH, Leg
from tests.ledger.helpers import assert_audit_ok
from tests.providers.conftest import Demo, money, new_id


async def _set_balance(pool: asyncpg.Pool, demo: Demo, amount: int) -> None:
    async with pool.acquire() as conn, conn.transaction():
        (cash,) = await ledger.ensure_accounts(
            conn,
            operator_id=demo.operator_id,
            owner_id=demo.user,
            kinds=[PLAYER_CASH],
            currency="USD",
        )
        house = await ledger.ensure_account(
            conn, operator_id=demo.operator_id, kind="house", currency="USD"
        )
        delta = amount - cash.balance
        await ledger.post(
            conn,
            operator_id=demo.operator_id,
            type="adjustment",
            idempotency_key=new_id(),
            request={"delta": delta},
            legs=[Leg(cash.id, delta), Leg(house, -delta)],
        )


async def test_twenty_identical_debits_make_one_transfer(
    client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
) -> None:
    token = await demo.launch(client)
    bet = money(token, demo.user, new_id(), new_id(), amount=1000)
    responses = await asyncio.gather(*(demo.call(client, "debit", bet) for _ in range(20)))
    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1
    assert await pool.fetchval("SELECT count(*) FROM ledger_transfers WHERE type = 'bet'") == 1
    assert await demo.balance(pool) == 999_000
    await assert_audit_ok(pool)


async def test_twenty_different_debits_on_a_small_balance_never_overdraw(
    client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
) -> None:
    token = await demo.launch(client)
    await _set_balance(pool, demo, 5_500)
    bets = [money(token, demo.user, new_id(), new_id(), amount=1000) for _ in range(20)]
    responses = await asyncio.gather(*(demo.call(client, "debit", bet) for bet in bets))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 5 + [402] * 15
    balances = sorted(int(r.json()["balance"]) for r in responses if r.status_code == 200)
    assert balances == [500, 1500, 2500, 3500, 4500]
    assert await demo.balance(pool) == 500
    assert (
        await pool.fetchval("SELECT count(*) FROM casino_transactions WHERE state = 'rejected'")
        == 15
    )
    await assert_audit_ok(pool)


async def test_twenty_identical_rollbacks_refund_once(
    client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
) -> None:
    token, round_id = await demo.launch(client), new_id()
    bet = money(token, demo.user, new_id(), round_id, amount=1000)
    await demo.call(client, "debit", bet)
    undo = money(token, demo.user, new_id(), round_id, originalTransactionId=bet["transactionId"])
    other = [
        money(token, demo.user, new_id(), round_id, originalTransactionId=bet["transactionId"])
        for _ in range(5)
    ]
    responses = await asyncio.gather(
        *(demo.call(client, "rollback", body) for body in [undo] * 15 + other)
    )
    assert {r.status_code for r in responses} == {200}
    assert await pool.fetchval("SELECT count(*) FROM ledger_transfers WHERE type = 'rollback'") == 1
    assert await demo.balance(pool) == 1_000_000
    await assert_audit_ok(pool)


async def test_a_payout_racing_a_rollback_of_its_stake(
    client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
) -> None:
    token = await demo.launch(client)
    for _ in range(5):
        round_id = new_id()
        bet = money(token, demo.user, new_id(), round_id, amount=1000)
        await demo.call(client, "debit", bet)
        before = await demo.balance(pool)
        win = money(
            token,
            demo.user,
            new_id(),
            round_id,
            amount=3000,
            relatedTransactionId=bet["transactionId"],
        )
        undo = money(
            token, demo.user, new_id(), round_id, originalTransactionId=bet["transactionId"]
        )
        paid, undone = await asyncio.gather(
            demo.call(client, "credit", win), demo.call(client, "rollback", undo)
        )
        # Exactly one of them happens, whichever took the round first.
        if paid.status_code == 200:
            assert undone.json()["code"] == "BET_ALREADY_SETTLED"
            assert await demo.balance(pool) == before + 3000
        else:
            assert paid.json()["code"] == "TRANSACTION_ROLLED_BACK"
            assert undone.status_code == 200
            assert await demo.balance(pool) == before + 1000
    await assert_audit_ok(pool)
