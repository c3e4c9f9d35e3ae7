"""Rollbacks and rounds: the decision matrix of provider-wallet.md §2.4 and §2.5."""

from __future__ import annotations

import asyncpg
import httpx

from tests.ledger.helpers import assert_audit_ok
from tests.providers.conftest import Demo, money, new_id


async def _stake(
    client: httpx.AsyncClient,
    demo: Demo,
    token: str,
    round_id: str,
    amount: int,
    user: int | None = None,
) -> str:
    tx = new_id()
    response = await demo.call(
        client, "debit", money(token, user or demo.user, tx, round_id, amount=amount)
    )
    assert response.status_code == 200, response.text
    return tx


def _undo(token: str, user: int, round_id: str, original: str, **rest: object) -> dict:
    return money(token, user, new_id(), round_id, originalTransactionId=original, **rest)


class TestRefunds:
    async def test_refunds_the_stored_amount_whatever_the_request_says(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token, round_id = await demo.launch(client), new_id()
        first = await _stake(client, demo, token, round_id, 3000)
        await _stake(client, demo, token, round_id, 2000)
        response = await demo.call(
            client, "rollback", _undo(token, demo.user, round_id, first, amount=1)
        )
        assert response.status_code == 200
        assert response.json()["balance"] == "998000"  # 3000 back, not 1
        status = await pool.fetchval("SELECT status FROM casino_rounds")
        assert status == "open"  # the other stake keeps the round going
        reversed_id = await pool.fetchval(
            "SELECT reverses_id FROM ledger_transfers WHERE type = 'rollback'"
        )
        assert reversed_id == await pool.fetchval(
            "SELECT transfer_id FROM casino_transactions WHERE tx_ref = $1", first
        )
        await assert_audit_ok(pool)

    async def test_a_second_rollback_of_the_same_stake_changes_nothing(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token, round_id = await demo.launch(client), new_id()
        bet = await _stake(client, demo, token, round_id, 1000)
        await _stake(client, demo, token, round_id, 1000)
        await demo.call(client, "rollback", _undo(token, demo.user, round_id, bet))
        again = await demo.call(client, "rollback", _undo(token, demo.user, round_id, bet))
        assert again.status_code == 200
        assert again.json()["alreadyRolledBack"] is True
        assert again.json()["balance"] == "999000"
        assert await demo.balance(pool) == 999_000

    async def test_rolling_back_a_refused_stake_moves_nothing(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token, round_id = await demo.launch(client), new_id()
        tx = new_id()
        refused = await demo.call(
            client, "debit", money(token, demo.user, tx, round_id, amount=100_001)
        )
        assert refused.json()["code"] == "LIMIT_EXCEEDED"
        response = await demo.call(client, "rollback", _undo(token, demo.user, round_id, tx))
        assert response.status_code == 200 and "tombstone" not in response.json()
        assert await demo.balance(pool) == 1_000_000


class TestRefusedRollbacks:
    async def test_not_after_a_payout(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token, round_id = await demo.launch(client), new_id()
        bet = await _stake(client, demo, token, round_id, 1000)
        await demo.call(
            client,
            "credit",
            money(token, demo.user, new_id(), round_id, amount=5000, relatedTransactionId=bet),
        )
        undo = _undo(token, demo.user, round_id, bet)
        response = await demo.call(client, "rollback", undo)
        assert response.status_code == 400
        assert response.json() == {
            "error": "Cannot rollback: round already has a payout",
            "code": "BET_ALREADY_SETTLED",
            "balance": "1004000",
        }
        again = await demo.call(client, "rollback", undo)
        assert (again.status_code, again.content) == (400, response.content)
        assert await demo.balance(pool) == 1_004_000

    async def test_not_after_a_zero_payout(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token, round_id = await demo.launch(client), new_id()
        bet = await _stake(client, demo, token, round_id, 1000)
        lost = await demo.call(
            client,
            "credit",
            money(token, demo.user, new_id(), round_id, amount=0, relatedTransactionId=bet),
        )
        assert lost.status_code == 200 and lost.json()["balance"] == "999000"
        response = await demo.call(client, "rollback", _undo(token, demo.user, round_id, bet))
        assert (response.status_code, response.json()["code"]) == (400, "BET_ALREADY_SETTLED")
        assert await pool.fetchval("SELECT count(*) FROM ledger_transfers WHERE type = 'win'") == 0

    async def test_only_stakes_can_be_rolled_back(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token, round_id = await demo.launch(client), new_id()
        bet = await _stake(client, demo, token, round_id, 1000)
        await _stake(client, demo, token, round_id, 1000)
        undo = _undo(token, demo.user, round_id, bet)
        await demo.call(client, "rollback", undo)
        promo = money(token, demo.user, new_id(), new_id(), amount=100)
        await demo.call(client, "credit", promo)
        for original in (promo["transactionId"], undo["transactionId"]):
            response = await demo.call(
                client, "rollback", _undo(token, demo.user, round_id, original)
            )
            assert response.status_code == 400
            assert response.json()["error"] == "Cannot rollback: only debits can be rolled back"
            assert response.json()["code"] == "ROLLBACK_NOT_ALLOWED"
        assert await demo.balance(pool) == 999_100

    async def test_another_players_stake_is_untouched_and_no_tombstone_is_made(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        one, two = demo.users
        token1, token2 = await demo.launch(client, one), await demo.launch(client, two)
        round_id = new_id()
        bet = await _stake(client, demo, token1, round_id, 1000, user=one)
        marker = new_id()
        await demo.call(client, "rollback", _undo(token1, one, new_id(), marker))  # one's tombstone
        for original in (bet, marker):
            response = await demo.call(client, "rollback", _undo(token2, two, round_id, original))
            assert (response.status_code, response.json()["code"]) == (400, "ROLLBACK_NOT_ALLOWED")
        assert (
            await pool.fetchval("SELECT count(*) FROM casino_transactions WHERE kind = 'tombstone'")
            == 1
        )
        assert (
            await pool.fetchval("SELECT state FROM casino_transactions WHERE tx_ref = $1", bet)
            == "applied"
        )
        assert (await demo.balance(pool, one), await demo.balance(pool, two)) == (
            999_000,
            1_000_000,
        )
        # and one's own rollback of the stake still works
        response = await demo.call(client, "rollback", _undo(token1, one, round_id, bet))
        assert response.json()["balance"] == "1000000"

    async def test_a_stake_of_another_round(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token = await demo.launch(client)
        bet = await _stake(client, demo, token, new_id(), 1000)
        response = await demo.call(client, "rollback", _undo(token, demo.user, new_id(), bet))
        assert (response.status_code, response.json()["code"]) == (400, "ROLLBACK_NOT_ALLOWED")


class TestTombstones:
    async def test_rollback_first_blocks_the_late_stake_and_its_win(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token, round_id, late = await demo.launch(client), new_id(), new_id()
        response = await demo.call(client, "rollback", _undo(token, demo.user, round_id, late))
        assert response.json() == {
            "transactionId": response.json()["transactionId"],
            "balance": "1000000",
            "currency": "USD",
            "status": "ok",
            "tombstone": True,
        }
        debit = await demo.call(
            client, "debit", money(token, demo.user, late, round_id, amount=1000)
        )
        assert debit.status_code == 409
        assert debit.json() == {
            "error": "Transaction was rolled back",
            "code": "TRANSACTION_ROLLED_BACK",
            "balance": "1000000",
        }
        win = money(token, demo.user, new_id(), round_id, amount=2000, relatedTransactionId=late)
        refused = await demo.call(client, "credit", win)
        assert (refused.status_code, refused.json()["code"]) == (409, "TRANSACTION_ROLLED_BACK")
        again = await demo.call(client, "rollback", _undo(token, demo.user, round_id, late))
        assert again.json()["tombstone"] is True
        assert await demo.balance(pool) == 1_000_000
        assert (
            await pool.fetchval(
                "SELECT count(*) FROM ledger_transfers WHERE reference LIKE 'prov:%'"
            )
            == 0
        )
        await assert_audit_ok(pool)

    async def test_a_stake_rolled_back_is_dead_for_its_retries_and_wins(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token, round_id = await demo.launch(client), new_id()
        bet = money(token, demo.user, new_id(), round_id, amount=1000)
        await demo.call(client, "debit", bet)
        await demo.call(client, "rollback", _undo(token, demo.user, round_id, bet["transactionId"]))
        retry = await demo.call(client, "debit", bet)
        assert (retry.status_code, retry.json()["code"]) == (409, "TRANSACTION_ROLLED_BACK")
        win = money(
            token,
            demo.user,
            new_id(),
            round_id,
            amount=10,
            relatedTransactionId=bet["transactionId"],
        )
        refused = await demo.call(client, "credit", win)
        assert (refused.status_code, refused.json()["code"]) == (409, "TRANSACTION_ROLLED_BACK")
        assert await pool.fetchval("SELECT status FROM casino_rounds") == "voided"
        for call, body in (
            ("credit", money(token, demo.user, new_id(), round_id, amount=10)),
            ("debit", money(token, demo.user, new_id(), round_id, amount=1000)),
        ):
            response = await demo.call(client, call, body)
            assert (response.status_code, response.json()["code"]) == (409, "ROUND_CLOSED")
        assert await demo.balance(pool) == 1_000_000


class TestRounds:
    async def test_a_settled_round_takes_no_stake_and_no_second_win(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token, round_id = await demo.launch(client), new_id()
        bet = await _stake(client, demo, token, round_id, 1000)
        await demo.call(
            client,
            "credit",
            money(token, demo.user, new_id(), round_id, amount=1500, relatedTransactionId=bet),
        )
        stake = await demo.call(
            client, "debit", money(token, demo.user, new_id(), round_id, amount=1000)
        )
        win = await demo.call(
            client,
            "credit",
            money(token, demo.user, new_id(), round_id, amount=1000, relatedTransactionId=bet),
        )
        assert stake.json()["code"] == win.json()["code"] == "ROUND_CLOSED"
        jackpot = await demo.call(
            client, "credit", money(token, demo.user, new_id(), round_id, amount=300)
        )
        assert jackpot.status_code == 200  # a payout with no stake behind it may come late
        assert await demo.balance(pool) == 1_000_800

    async def test_cascading_payouts_keep_the_round_open_until_told(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token, round_id = await demo.launch(client), new_id()
        bet = await _stake(client, demo, token, round_id, 1000)
        for closed in (False, None):
            response = await demo.call(
                client,
                "credit",
                money(
                    token,
                    demo.user,
                    new_id(),
                    round_id,
                    amount=400,
                    relatedTransactionId=bet,
                    roundClosed=closed,
                ),
            )
            assert response.status_code == 200, response.text
        assert await pool.fetchval("SELECT status FROM casino_rounds") == "settled"
        assert await demo.balance(pool) == 999_800

    async def test_a_win_must_name_a_live_stake_of_this_player_and_round(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token, round_id = await demo.launch(client), new_id()
        other_round = await _stake(client, demo, token, new_id(), 1000)
        for related in (new_id(), other_round):
            response = await demo.call(
                client,
                "credit",
                money(
                    token, demo.user, new_id(), round_id, amount=10, relatedTransactionId=related
                ),
            )
            assert (response.status_code, response.json()["code"]) == (404, "TRANSACTION_NOT_FOUND")
        assert await demo.balance(pool) == 999_000

    async def test_a_round_belongs_to_one_player(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        one, two = demo.users
        token1, token2 = await demo.launch(client, one), await demo.launch(client, two)
        round_id = new_id()
        await _stake(client, demo, token1, round_id, 1000, user=one)
        response = await demo.call(
            client, "debit", money(token2, two, new_id(), round_id, amount=1000)
        )
        assert (response.status_code, response.json()["code"]) == (400, "INVALID_REQUEST")
        assert await demo.balance(pool, two) == 1_000_000
