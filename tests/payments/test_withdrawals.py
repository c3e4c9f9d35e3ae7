"""Withdrawals: eligibility, holds, review exactly once, payouts and their failures, tenancy."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest

from croupier.config import Settings
from croupier.db.pool import unit_of_work
from croupier.payments.adapters import get_provider
from croupier.payments.adapters.base import PayoutResult
from croupier.payments.payouts import process_payouts, record_payout
from croupier.payments.worker import PaymentWorker
from tests import factories
from tests.bets.conftest import build_world as build_bet_world
from tests.ledger.helpers import assert_audit_ok
from tests.payments.helpers import (
    World,
    count,
    review,
    set_operator_settings,
    verify_kyc,
    wallet,
    withdraw,
)


async def _fund(client: httpx.AsyncClient, world: World, amount: int = 5_000) -> None:
    await factories.fund_player(client, world.alpha.operator_admin, world.alpha.player_id, amount)


async def _pay_out(pool: asyncpg.Pool, settings: Settings) -> None:
    """Run the payout step until no approved withdrawal is left (the app's own worker, woken by
    the approval, may have claimed some already)."""
    for _ in range(200):
        await process_payouts(pool, settings)
        if not await count(pool, "SELECT count(*) FROM withdrawals WHERE status = 'APPROVED'"):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("approved withdrawals were not paid out")


async def _status(pool: asyncpg.Pool, withdrawal_id: int) -> str:
    return await pool.fetchval("SELECT status FROM withdrawals WHERE id = $1", withdrawal_id)


class TestRequest:
    async def test_request_holds_the_cash(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        await _fund(client, world)
        response = await withdraw(client, world.alpha.player, 3_000)
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "PENDING"
        balances = await wallet(client, world.alpha.player)
        assert (balances["cash"], balances["reserved"], balances["withdrawable"]) == (
            5_000,
            3_000,
            2_000,
        )
        more = await withdraw(client, world.alpha.player, 2_500, key="more")
        assert more.status_code == 402 and more.json()["code"] == "INSUFFICIENT_WITHDRAWABLE_FUNDS"
        again = await withdraw(client, world.alpha.player, 3_000)
        assert again.json()["id"] == response.json()["id"]
        reused = await withdraw(client, world.alpha.player, 1_000)
        assert reused.status_code == 201  # another key: a second, independent request
        conflict = await withdraw(client, world.alpha.player, 1_500, key="wd-1000")
        assert conflict.status_code == 409
        assert (await wallet(client, world.alpha.player))["reserved"] == 4_000
        cancel = await client.delete(
            f"/api/v1/withdrawals/{response.json()['id']}", headers=world.alpha.player.headers
        )
        assert cancel.status_code == 405  # players cannot reverse a withdrawal
        await assert_audit_ok(pool)

    async def test_held_funds_cannot_be_bet(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        bet_world = await build_bet_world(client)
        player = bet_world.player
        await verify_kyc(pool, player.subject_id)
        await factories.fund_player(client, bet_world.operator_admin, player.subject_id, 1_000)
        assert (await withdraw(client, player, 1_000)).status_code == 201
        spin = await bet_world.spin(client, stake=100)
        assert spin.status_code == 402, spin.text
        balances = await wallet(client, player)
        assert (balances["cash"], balances["reserved"]) == (1_000, 1_000)
        await assert_audit_ok(pool)

    async def test_eligibility_kyc_and_velocity(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        await _fund(client, world)
        await pool.execute("UPDATE players SET kyc_status = 'pending'")
        kyc = await withdraw(client, world.alpha.player, 1_000)
        assert kyc.status_code == 403 and kyc.json()["code"] == "KYC_REQUIRED"
        await set_operator_settings(
            client,
            world.admin,
            world.alpha.operator_id,
            {"payments": {"withdrawalKycRequired": False, "velocity": {"withdrawalMaxCount": 2}}},
        )
        for key in ("w1", "w2"):
            assert (await withdraw(client, world.alpha.player, 500, key=key)).status_code == 201
        third = await withdraw(client, world.alpha.player, 500, key="w3")
        assert third.status_code == 429 and third.json()["code"] == "WITHDRAWAL_VELOCITY_EXCEEDED"
        assert int(third.headers["retry-after"]) > 0
        # The breach is kept for the AML review although the request was refused.
        assert (
            await count(
                pool,
                "SELECT count(*) FROM payment_risk_events WHERE code = $1",
                "WITHDRAWAL_VELOCITY_EXCEEDED",
            )
            == 1
        )
        assert (await wallet(client, world.alpha.player))["reserved"] == 1_000
        await assert_audit_ok(pool)

    @pytest.mark.parametrize(
        "body",
        [
            {"amount": 10.0},
            {"amount": "500"},
            {"amount": -1},
            {"amount": 10**13},
            {"destination": ""},
            {"surprise": True},
            {"method": None},
        ],
    )
    async def test_bad_input_is_422_and_holds_nothing(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World, body: dict
    ) -> None:
        await _fund(client, world)
        payload = {
            "amount": 500,
            "method": "cashapp",
            "destination": "$me",
            "idempotencyKey": "bad",
            **body,
        }
        response = await client.post(
            "/api/v1/withdrawals", json=payload, headers=world.alpha.player.headers
        )
        assert response.status_code == 422, response.text
        assert (await wallet(client, world.alpha.player))["reserved"] == 0
        assert await count(pool, "SELECT count(*) FROM withdrawals") == 0


class TestReview:
    async def test_approve_then_pay_out(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, world: World
    ) -> None:
        await _fund(client, world)
        withdrawal = (await withdraw(client, world.alpha.player, 3_000)).json()
        approved = await review(client, world.alpha.operator_admin, withdrawal["id"], "APPROVED")
        assert approved.status_code == 200 and approved.json()["status"] == "APPROVED"
        balances = await wallet(client, world.alpha.player)
        assert (balances["cash"], balances["reserved"]) == (2_000, 0)
        await _pay_out(pool, settings)
        await _pay_out(pool, settings)
        assert await _status(pool, withdrawal["id"]) == "PAID"
        assert (await wallet(client, world.alpha.player))["cash"] == 2_000
        twice = await review(client, world.alpha.operator_admin, withdrawal["id"], "REJECTED", "x")
        assert twice.status_code == 409 and twice.json()["code"] == "WITHDRAWAL_ALREADY_REVIEWED"
        await assert_audit_ok(pool)

    async def test_reject_needs_a_reason_and_releases_the_hold(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        await _fund(client, world)
        withdrawal = (await withdraw(client, world.alpha.player, 3_000)).json()
        bare = await review(client, world.alpha.operator_admin, withdrawal["id"], "REJECTED")
        assert bare.status_code == 422
        for status in ("PAID", "approved", None):
            odd = await review(client, world.alpha.operator_admin, withdrawal["id"], status)
            assert odd.status_code == 422, status
        rejected = await review(
            client, world.alpha.operator_admin, withdrawal["id"], "REJECTED", "source of funds"
        )
        assert rejected.json()["status"] == "REJECTED"
        assert rejected.json()["reason"] == "source of funds"
        balances = await wallet(client, world.alpha.player)
        assert (balances["cash"], balances["reserved"], balances["withdrawable"]) == (
            5_000,
            0,
            5_000,
        )
        await assert_audit_ok(pool)

    async def test_payout_failure_returns_the_money_exactly_once(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, world: World
    ) -> None:
        await _fund(client, world)
        withdrawal = (await withdraw(client, world.alpha.player, 1_013)).json()  # declines
        await review(client, world.alpha.operator_admin, withdrawal["id"], "APPROVED")
        assert (await wallet(client, world.alpha.player))["cash"] == 5_000 - 1_013
        await _pay_out(pool, settings)
        assert await _status(pool, withdrawal["id"]) == "FAILED"
        assert (await wallet(client, world.alpha.player))["cash"] == 5_000
        # A late or repeated outcome for the same payout changes nothing.
        provider = get_provider("demo", settings)
        async with unit_of_work(pool) as uow:
            again = await record_payout(
                uow.conn, provider, withdrawal["id"], PayoutResult("failed", reason="again")
            )
        assert again is False
        await _pay_out(pool, settings)
        assert (await wallet(client, world.alpha.player))["cash"] == 5_000
        assert (
            await count(
                pool, "SELECT count(*) FROM ledger_transfers WHERE type = 'withdrawal_return'"
            )
            == 1
        )
        await assert_audit_ok(pool)

    async def test_concurrent_approve_and_reject_resolve_once(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, world: World
    ) -> None:
        await _fund(client, world, 10_000)
        boss = world.alpha.operator_admin
        ids = [
            (await withdraw(client, world.alpha.player, 1_000, key=f"c{i}")).json()["id"]
            for i in range(4)
        ]
        for withdrawal_id in ids:
            responses = await asyncio.gather(
                review(client, boss, withdrawal_id, "APPROVED"),
                review(client, boss, withdrawal_id, "REJECTED", "duplicate"),
                review(client, boss, withdrawal_id, "APPROVED"),
            )
            codes = sorted(r.status_code for r in responses)
            assert codes == [200, 409, 409], [r.text for r in responses]
        await _pay_out(pool, settings)
        statuses = [await _status(pool, i) for i in ids]
        paid = statuses.count("PAID")
        assert paid + statuses.count("REJECTED") == 4
        balances = await wallet(client, world.alpha.player)
        assert (balances["cash"], balances["reserved"]) == (10_000 - 1_000 * paid, 0)
        assert (
            await count(pool, "SELECT count(*) FROM ledger_transfers WHERE pending_id IS NOT NULL")
            == 4
        )
        await assert_audit_ok(pool)

    async def test_worker_pays_out_after_approval(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, world: World
    ) -> None:
        await _fund(client, world)
        withdrawal = (await withdraw(client, world.alpha.player, 2_000)).json()
        worker = PaymentWorker(pool, settings, poll_seconds=30)
        await worker.start()
        try:
            await review(client, world.alpha.operator_admin, withdrawal["id"], "APPROVED")
            for _ in range(100):
                if await _status(pool, withdrawal["id"]) == "PAID":
                    break
                await asyncio.sleep(0.05)
        finally:
            await worker.stop()
        # Woken by the approval's commit, well before its 30 s poll.
        assert await _status(pool, withdrawal["id"]) == "PAID"
        await assert_audit_ok(pool)


class TestTenancy:
    async def test_operators_see_and_review_only_their_withdrawals(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world2: World
    ) -> None:
        world = world2
        await _fund(client, world)
        withdrawal = (await withdraw(client, world.alpha.player, 1_000)).json()
        beta = world.beta.operator_admin
        foreign = await review(client, beta, withdrawal["id"], "APPROVED")
        assert foreign.status_code == 404
        assert (await review(client, beta, 999_999, "APPROVED")).status_code == 404
        listed = await client.get("/api/v1/operator/withdrawals", headers=beta.headers)
        assert listed.json()["items"] == []
        narrowed = await client.get(
            f"/api/v1/operator/withdrawals?operatorId={world.alpha.operator_id}",
            headers=beta.headers,
        )
        assert narrowed.status_code == 404
        mine = await client.get(
            "/api/v1/operator/withdrawals?status=PENDING",
            headers=world.alpha.operator_admin.headers,
        )
        assert [w["id"] for w in mine.json()["items"]] == [withdrawal["id"]]
        peek = await client.get(
            f"/api/v1/withdrawals/{withdrawal['id']}", headers=world.beta.player.headers
        )
        assert peek.status_code == 404
        player = await review(client, world.alpha.player, withdrawal["id"], "APPROVED")
        assert player.status_code == 403
        assert await _status(pool, withdrawal["id"]) == "PENDING"
        by_platform = await review(client, world.admin, withdrawal["id"], "APPROVED")
        assert by_platform.status_code == 200
        await assert_audit_ok(pool)
