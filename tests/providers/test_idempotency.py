"""Strict idempotency by the provider's transaction id (provider-wallet.md §2.3)."""

from __future__ import annotations

import time

import asyncpg
import httpx

from croupier.providers.signature import sign_v1
from tests.ledger.helpers import assert_audit_ok
from tests.providers.conftest import Demo, money, new_id


async def _bet_count(pool: asyncpg.Pool) -> int:
    return await pool.fetchval("SELECT count(*) FROM ledger_transfers WHERE type = 'bet'")


class TestReplays:
    async def test_same_id_same_fields_gets_the_first_response_bytes(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token = await demo.launch(client)
        bet = money(token, demo.user, new_id(), new_id(), amount=1000)
        first = await demo.call(client, "debit", bet)
        assert first.status_code == 200
        assert first.json()["balance"] == "999000"
        win = money(token, demo.user, new_id(), bet["roundId"], amount=500)
        await demo.call(client, "credit", win)
        again = await demo.call(client, "debit", bet)
        assert (again.status_code, again.content) == (200, first.content)  # the cached bytes
        assert await demo.balance(pool) == 999_500
        assert await _bet_count(pool) == 1
        await assert_audit_ok(pool)

    async def test_a_retry_with_a_new_token_and_signature_scheme_is_the_same_call(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token = await demo.launch(client)
        bet = money(token, demo.user, new_id(), new_id(), amount=1000)
        first = await demo.call(client, "debit", bet)
        fresh = await demo.launch(client)  # supersedes the first token
        retry = bet | {"sessionToken": fresh}
        raw = httpx.Request("POST", "/", json=retry).content
        stamp = int(time.time())
        headers = {
            "x-casino-timestamp": str(stamp),
            "x-casino-signature": sign_v1(
                demo.settings.casino_secret.get_secret_value(), raw, stamp
            ),
            "content-type": "application/json",
        }
        again = await client.post("/casino/debit", content=raw, headers=headers)
        assert (again.status_code, again.content) == (200, first.content)
        assert await _bet_count(pool) == 1

    async def test_duplicate_rollback_and_credit_replay(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token = await demo.launch(client)
        round_id = new_id()
        bet = money(token, demo.user, new_id(), round_id, amount=1000)
        await demo.call(client, "debit", bet)
        undo = money(
            token, demo.user, new_id(), round_id, originalTransactionId=bet["transactionId"]
        )
        first = await demo.call(client, "rollback", undo)
        again = await demo.call(client, "rollback", undo)
        assert first.status_code == again.status_code == 200
        assert first.content == again.content
        assert await demo.balance(pool) == 1_000_000
        promo = money(token, demo.user, new_id(), new_id(), amount=700)
        paid = await demo.call(client, "credit", promo)
        repaid = await demo.call(client, "credit", promo)
        assert paid.content == repaid.content
        assert await demo.balance(pool) == 1_000_700
        await assert_audit_ok(pool)

    async def test_balance_reads_are_never_cached(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token = await demo.launch(client)
        read = {"sessionToken": token, "userId": demo.user}
        assert (await demo.call(client, "getBalance", read)).json()["balance"] == "1000000"
        await demo.call(client, "debit", money(token, demo.user, new_id(), new_id(), amount=2500))
        assert (await demo.call(client, "getBalance", read)).json() == {
            "userId": demo.user,
            "balance": "997500",
            "currency": "USD",
        }


class TestMismatches:
    async def test_same_id_with_another_amount_is_409_without_effect(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token = await demo.launch(client)
        bet = money(token, demo.user, new_id(), new_id(), amount=1000)
        await demo.call(client, "debit", bet)
        for changed in ({"amount": 2000}, {"roundId": new_id()}, {"currency": "USD"}):
            response = await demo.call(client, "debit", bet | changed)
            assert response.status_code == 409
            assert response.json() == {
                "error": "Duplicate transactionId with different parameters",
                "code": "DUPLICATE_TRANSACTION",
                "balance": "999000",
            }
        assert await demo.balance(pool) == 999_000

    async def test_one_namespace_across_endpoints(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token = await demo.launch(client)
        bet = money(token, demo.user, new_id(), new_id(), amount=1000)
        await demo.call(client, "debit", bet)
        win = bet | {"amount": 1000}
        assert (await demo.call(client, "credit", win)).json()["code"] == "DUPLICATE_TRANSACTION"
        undo = money(
            token, demo.user, bet["transactionId"], bet["roundId"], originalTransactionId=new_id()
        )
        assert (await demo.call(client, "rollback", undo)).json()["code"] == "DUPLICATE_TRANSACTION"
        assert await demo.balance(pool) == 999_000

    async def test_an_id_reused_for_another_player_is_a_duplicate(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token1 = await demo.launch(client, demo.users[0])
        token2 = await demo.launch(client, demo.users[1])
        tx = new_id()
        await demo.call(client, "debit", money(token1, demo.users[0], tx, new_id(), amount=1000))
        response = await demo.call(
            client, "debit", money(token2, demo.users[1], tx, new_id(), amount=1000)
        )
        assert (response.status_code, response.json()["code"]) == (409, "DUPLICATE_TRANSACTION")
        assert "balance" not in response.json()  # the id's owner's balance is not disclosed
        assert await demo.balance(pool, demo.users[1]) == 1_000_000


class TestStoredRejections:
    async def test_a_refused_stake_stays_refused_after_the_player_can_afford_it(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token = await demo.launch(client)
        round_id = new_id()
        await demo.call(client, "debit", money(token, demo.user, new_id(), round_id, amount=99_000))
        big = money(token, demo.user, new_id(), new_id(), amount=100_000)
        for _ in range(9):  # drain to 10,000 so that the next stake cannot be covered
            await demo.call(client, "debit", big | {"transactionId": new_id(), "roundId": new_id()})
        assert await demo.balance(pool) == 1_000
        refused = await demo.call(client, "debit", big)
        assert refused.status_code == 402
        assert refused.json() == {
            "error": "Insufficient funds",
            "code": "INSUFFICIENT_FUNDS",
            "balance": "1000",
        }
        # A payout makes the stake affordable; its late retry is still refused, byte for byte.
        await demo.call(
            client, "credit", money(token, demo.user, new_id(), round_id, amount=500_000)
        )
        again = await demo.call(client, "debit", big)
        assert (again.status_code, again.content) == (402, refused.content)
        assert await demo.balance(pool) == 501_000
        row = await pool.fetchrow(
            "SELECT state, error_code FROM casino_transactions WHERE tx_ref = $1",
            big["transactionId"],
        )
        assert tuple(row) == ("rejected", "INSUFFICIENT_FUNDS")
        await assert_audit_ok(pool)

    async def test_a_business_rejection_is_replayed_even_once_the_cause_is_gone(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token = await demo.launch(client)
        await pool.execute("UPDATE players SET status = 'blocked' WHERE id = $1", demo.user)
        bet = money(token, demo.user, new_id(), new_id(), amount=1000)
        blocked = await demo.call(client, "debit", bet)
        assert (blocked.status_code, blocked.json()["code"]) == (403, "PLAYER_BLOCKED")
        await pool.execute("UPDATE players SET status = 'active' WHERE id = $1", demo.user)
        again = await demo.call(client, "debit", bet)
        assert (again.status_code, again.content) == (403, blocked.content)
        assert await demo.balance(pool) == 1_000_000
