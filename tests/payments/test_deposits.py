"""Deposits: instructions, signed webhooks, exactly-once completion, reversals and lists."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from croupier.config import Settings
from croupier.db.pool import unit_of_work
from croupier.payments import deposit_outcomes
from croupier.payments.adapters.demo import DemoProvider, demo_event
from tests import factories
from tests.ledger.helpers import assert_audit_ok
from tests.payments.helpers import (
    World,
    completed_deposit,
    count,
    deposit,
    send_event,
    signed_webhook,
    wallet,
)


async def _deposit_row(client: httpx.AsyncClient, world: World, deposit_id: int) -> dict:
    response = await client.get(
        f"/api/v1/deposits/{deposit_id}", headers=world.alpha.player.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


class TestDepositFlow:
    async def test_deposit_webhook_credits_cash_once(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, world: World
    ) -> None:
        created = await deposit(client, world.alpha.player, 5_000)
        assert created.status_code == 201, created.text
        row = created.json()
        assert row["status"] == "PENDING"
        assert row["instructions"]["tag"] == "$CroupierDemo"
        assert row["instructions"]["reference"] == row["reference"]
        assert row["instructions"]["expiresAt"]
        assert (await wallet(client, world.alpha.player))["cash"] == 0

        first = await send_event(client, settings, "deposit.completed", row, event_id="evt_1")
        assert first.status_code == 200 and first.json()["outcome"] == "applied", first.text
        assert (await wallet(client, world.alpha.player))["cash"] == 5_000
        assert (await _deposit_row(client, world, row["id"]))["status"] == "COMPLETED"
        pushed = await pool.fetch("SELECT audience, payload FROM outbox WHERE topic = 'deposit'")
        assert {p["audience"] for p in pushed} == {
            f"player:{world.alpha.player_id}",
            f"operator:{world.alpha.operator_id}",
        }
        assert all(p["payload"]["status"] == "COMPLETED" for p in pushed)

        replay = await send_event(client, settings, "deposit.completed", row, event_id="evt_1")
        assert replay.json() == {
            "received": True,
            "outcome": "duplicate",
            "reason": "DUPLICATE_EVENT",
        }
        another = await send_event(client, settings, "deposit.completed", row, event_id="evt_2")
        assert another.json()["outcome"] == "ignored"
        assert another.json()["reason"] == "DEPOSIT_NOT_PENDING"
        assert (await wallet(client, world.alpha.player))["cash"] == 5_000
        assert (
            await count(pool, "SELECT count(*) FROM ledger_transfers WHERE type = 'deposit'") == 1
        )
        assert (
            await count(
                pool, "SELECT vip_experience FROM players WHERE id = $1", world.alpha.player_id
            )
            == 5_000
        )
        await assert_audit_ok(pool)

    async def test_parallel_duplicate_webhooks_complete_once(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, world: World
    ) -> None:
        row = (await deposit(client, world.alpha.player, 2_500)).json()
        same = [
            send_event(client, settings, "deposit.completed", row, event_id="evt_same")
            for _ in range(8)
        ]
        distinct = [
            send_event(client, settings, "deposit.completed", row, event_id=f"evt_{i}")
            for i in range(4)
        ]
        responses = await asyncio.gather(*same, *distinct)
        outcomes = [r.json()["outcome"] for r in responses]
        assert all(r.status_code == 200 for r in responses)
        assert outcomes.count("applied") == 1
        assert (await wallet(client, world.alpha.player))["cash"] == 2_500
        assert await count(pool, "SELECT count(*) FROM payment_events") == 5
        await assert_audit_ok(pool)

    async def test_out_of_order_events_change_nothing(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, world: World
    ) -> None:
        failed = (await deposit(client, world.alpha.player, 1_000, key="a")).json()
        await send_event(client, settings, "deposit.failed", failed)
        late = await send_event(client, settings, "deposit.completed", failed)
        assert late.json()["reason"] == "DEPOSIT_NOT_PENDING"
        assert (await _deposit_row(client, world, failed["id"]))["status"] == "FAILED"

        early = (await deposit(client, world.alpha.player, 2_000, key="b")).json()
        refund = await send_event(client, settings, "deposit.refunded", early)
        assert refund.json()["reason"] == "DEPOSIT_NOT_COMPLETED"
        chargeback = await send_event(client, settings, "deposit.chargeback", early)
        assert chargeback.json()["outcome"] == "ignored"
        assert (await wallet(client, world.alpha.player))["cash"] == 0
        done = await send_event(client, settings, "deposit.completed", early)
        assert done.json()["outcome"] == "applied"
        assert (await wallet(client, world.alpha.player))["cash"] == 2_000
        await assert_audit_ok(pool)

    async def test_card_deposit_completes_at_once_and_declines_by_marker(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        paid = await deposit(client, world.alpha.player, 3_000, method="card", key="c1")
        assert paid.status_code == 201 and paid.json()["status"] == "COMPLETED", paid.text
        declined = await deposit(client, world.alpha.player, 3_013, method="card", key="c2")
        assert declined.json()["status"] == "FAILED"
        assert declined.json()["failureReason"] == "card_declined"
        assert (await wallet(client, world.alpha.player))["cash"] == 3_000
        await assert_audit_ok(pool)


class TestWebhookSecurity:
    async def test_bad_signatures_and_stale_timestamps_change_nothing(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, world: World
    ) -> None:
        row = (await deposit(client, world.alpha.player, 4_000)).json()
        event = demo_event(
            "deposit.completed",
            reference=row["reference"],
            amount=4_000,
            currency="USD",
            event_id="evt_sec",
        )
        body, headers = signed_webhook(settings, event)
        tampered = body.replace(b"4000", b"9000")
        forged = DemoProvider(b"not-the-secret").signed_webhook(event)
        cases = [
            (tampered, headers, "WEBHOOK_SIGNATURE_INVALID"),
            (forged[0], forged[1], "WEBHOOK_SIGNATURE_INVALID"),
            (body, {}, "WEBHOOK_SIGNATURE_INVALID"),
            (body, {"Demo-Signature": "t=abc,v1=00"}, "WEBHOOK_SIGNATURE_INVALID"),
            (
                *signed_webhook(settings, event, at=datetime.now(UTC) - timedelta(minutes=6)),
                "WEBHOOK_TIMESTAMP_OUT_OF_WINDOW",
            ),
            (
                *signed_webhook(settings, event, at=datetime.now(UTC) + timedelta(minutes=6)),
                "WEBHOOK_TIMESTAMP_OUT_OF_WINDOW",
            ),
        ]
        for content, hdrs, code in cases:
            response = await client.post("/api/v1/webhooks/demo", content=content, headers=hdrs)
            assert response.status_code == 401, response.text
            assert response.json()["code"] == code
        assert await count(pool, "SELECT count(*) FROM payment_events") == 0
        assert (await _deposit_row(client, world, row["id"]))["status"] == "PENDING"
        assert (await wallet(client, world.alpha.player))["cash"] == 0
        # The genuine event, replayed within the window, still works exactly once.
        ok = await client.post("/api/v1/webhooks/demo", content=body, headers=headers)
        assert ok.json()["outcome"] == "applied"
        await assert_audit_ok(pool)

    async def test_unknown_references_mismatches_and_payloads(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, world: World
    ) -> None:
        row = (await deposit(client, world.alpha.player, 1_500)).json()
        unknown = await send_event(
            client, settings, "deposit.completed", {**row, "reference": "DEP-NOPE"}
        )
        assert unknown.json()["reason"] == "UNKNOWN_DEPOSIT"
        mismatch = await send_event(client, settings, "deposit.completed", row, amount=1_499)
        assert mismatch.json()["reason"] == "AMOUNT_MISMATCH"
        bad_type = demo_event(
            "deposit.bogus", reference=row["reference"], amount=1_500, currency="USD"
        )
        body, headers = signed_webhook(settings, bad_type)
        response = await client.post("/api/v1/webhooks/demo", content=body, headers=headers)
        assert response.status_code == 422 and response.json()["code"] == "WEBHOOK_PAYLOAD_INVALID"
        body, headers = signed_webhook(settings, {"id": "x", "type": "deposit.completed"})
        response = await client.post("/api/v1/webhooks/demo", content=body, headers=headers)
        assert response.status_code == 422
        missing = await client.post("/api/v1/webhooks/nope", content=b"{}")
        assert missing.status_code == 404
        logged = await pool.fetch("SELECT outcome, reason FROM payment_events ORDER BY reason")
        assert [tuple(r) for r in logged] == [
            ("ignored", "AMOUNT_MISMATCH"),
            ("ignored", "UNKNOWN_DEPOSIT"),
        ]
        assert (await wallet(client, world.alpha.player))["cash"] == 0


class TestDepositInput:
    async def test_idempotency_key_replays_or_conflicts(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        first = await deposit(client, world.alpha.player, 1_000, key="k1")
        again = await deposit(client, world.alpha.player, 1_000, key="k1")
        assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
        other = await deposit(client, world.alpha.player, 2_000, key="k1")
        assert other.status_code == 409 and other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
        parallel = await asyncio.gather(
            *(deposit(client, world.alpha.player, 700, key="k2") for _ in range(6))
        )
        assert {r.json()["id"] for r in parallel} == {parallel[0].json()["id"]}
        assert await count(pool, "SELECT count(*) FROM deposits") == 2

    @pytest.mark.parametrize(
        "body",
        [
            {"amount": 10.5},
            {"amount": "1000"},
            {"amount": -100},
            {"amount": 0},
            {"amount": 10**13},
            {"amount": True},
            {"extra": 1},
            {"idempotencyKey": "has spaces"},
            {"method": "CARD!"},
            {"bonusCode": "x"},
        ],
    )
    async def test_bad_input_is_422_and_creates_nothing(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World, body: dict
    ) -> None:
        payload = {"amount": 1_000, "method": "cashapp", "idempotencyKey": "bad", **body}
        response = await client.post(
            "/api/v1/deposits", json=payload, headers=world.alpha.player.headers
        )
        assert response.status_code == 422, response.text
        assert await count(pool, "SELECT count(*) FROM deposits") == 0

    async def test_rules_refuse_methods_providers_and_amounts(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        method = await deposit(client, world.alpha.player, 1_000, method="wire")
        assert method.json()["code"] == "PAYMENT_METHOD_NOT_SUPPORTED"
        provider = await deposit(client, world.alpha.player, 1_000, provider="acme")
        assert provider.status_code == 404
        small = await deposit(client, world.alpha.player, 99)
        assert small.status_code == 422 and small.json()["code"] == "AMOUNT_OUT_OF_RANGE"
        staff = await client.post(
            "/api/v1/deposits",
            json={"amount": 1_000, "method": "card", "idempotencyKey": "s"},
            headers=world.alpha.operator_admin.headers,
        )
        assert staff.status_code == 403
        assert await count(pool, "SELECT count(*) FROM deposits") == 0


class TestReversals:
    async def test_refund_takes_the_deposit_back(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, world: World
    ) -> None:
        row = await completed_deposit(client, settings, world.alpha.player, 5_000)
        response = await send_event(client, settings, "deposit.refunded", row)
        assert response.json()["outcome"] == "applied"
        assert (await wallet(client, world.alpha.player))["cash"] == 0
        again = await send_event(client, settings, "deposit.refunded", row)
        assert again.json()["reason"] == "DEPOSIT_NOT_COMPLETED"
        assert (await _deposit_row(client, world, row["id"]))["status"] == "REFUNDED"
        # The deposit's wagering requirement went with it.
        assert (
            await count(pool, "SELECT count(*) FROM bonus_grants WHERE status = 'cancelled'") == 1
        )
        await assert_audit_ok(pool)

    async def test_chargeback_beyond_the_balance_books_a_debt(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, world: World
    ) -> None:
        row = await completed_deposit(client, settings, world.alpha.player, 5_000)
        await factories.fund_player(
            client, world.alpha.operator_admin, world.alpha.player_id, -3_000, key="spent"
        )
        response = await send_event(client, settings, "deposit.chargeback", row)
        assert response.json()["outcome"] == "applied"
        balances = await wallet(client, world.alpha.player)
        assert balances["cash"] == 0
        detail = await _deposit_row(client, world, row["id"])
        assert detail["status"] == "CHARGED_BACK" and detail["reversalShortfall"] == 3_000
        debt = await pool.fetchval(
            """SELECT coalesce(sum(e.amount), 0) FROM ledger_entries e
               JOIN ledger_accounts a ON a.id = e.account_id
               WHERE a.kind = 'player_receivable' AND a.owner_id = $1""",
            world.alpha.player_id,
        )
        assert debt == -3_000
        await assert_audit_ok(pool)


class TestExpiry:
    async def test_expired_deposits_close_and_ignore_late_completions(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, world: World
    ) -> None:
        row = (await deposit(client, world.alpha.player, 1_200)).json()
        # Time travel: the deposit's window has passed.
        await pool.execute("UPDATE deposits SET expires_at = now() - interval '1 minute'")
        async with unit_of_work(pool) as uow:
            await deposit_outcomes.expire_due(uow.conn)
        assert (await _deposit_row(client, world, row["id"]))["status"] == "EXPIRED"
        late = await send_event(client, settings, "deposit.completed", row)
        assert late.json()["reason"] == "DEPOSIT_NOT_PENDING"
        assert (await wallet(client, world.alpha.player))["cash"] == 0


class TestLists:
    async def test_player_and_operator_lists_are_scoped(
        self, client: httpx.AsyncClient, settings: Settings, world2: World
    ) -> None:
        world = world2
        for i in range(3):
            await completed_deposit(client, settings, world.alpha.player, 1_000 + i, key=f"a{i}")
        await deposit(client, world.alpha.player, 2_000, key="pending")
        await completed_deposit(client, settings, world.beta.player, 9_000, key="b")

        mine = await client.get("/api/v1/deposits?limit=2", headers=world.alpha.player.headers)
        page = mine.json()
        assert len(page["items"]) == 2 and page["nextCursor"]
        rest = await client.get(
            f"/api/v1/deposits?cursor={page['nextCursor']}", headers=world.alpha.player.headers
        )
        assert len(rest.json()["items"]) == 2
        other = page["items"][0]["id"]
        assert (
            await client.get(f"/api/v1/deposits/{other}", headers=world.beta.player.headers)
        ).status_code == 404

        alpha = world.alpha.operator_admin.headers
        listed = await client.get("/api/v1/operator/deposits?status=COMPLETED", headers=alpha)
        assert {d["playerId"] for d in listed.json()["items"]} == {world.alpha.player_id}
        assert len(listed.json()["items"]) == 3
        by_player = await client.get(
            f"/api/v1/operator/deposits?playerId={world.beta.player_id}", headers=alpha
        )
        assert by_player.json()["items"] == []
        future = (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
        empty = await client.get(
            "/api/v1/operator/deposits", params={"from": future}, headers=alpha
        )
        assert empty.json()["items"] == []
        foreign = await client.get(
            f"/api/v1/operator/deposits?operatorId={world.beta.operator_id}", headers=alpha
        )
        assert foreign.status_code == 404
        admin = await client.get(
            f"/api/v1/operator/deposits?operatorId={world.beta.operator_id}",
            headers=world.admin.headers,
        )
        assert [d["amount"] for d in admin.json()["items"]] == [9_000]
        player = await client.get("/api/v1/operator/deposits", headers=world.alpha.player.headers)
        assert player.status_code == 403
