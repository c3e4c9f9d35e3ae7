"""Free-to-play coins: earn (idempotent, capped per day and reason, race-safe) and balance."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from croupier.config import Settings
from tests.engagement.test_api_world import Guest, engagement_app, new_guest, open_casino
from tests.ledger.helpers import assert_audit_ok


@pytest.fixture(scope="module")
async def app(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    async for application in engagement_app(settings, tmp_path_factory.mktemp("coins")):
        yield application


async def _earn(
    client: httpx.AsyncClient, guest: Guest, amount: object, reason: str, key: str
) -> httpx.Response:
    body = {"amount": amount, "reason": reason, "idempotencyKey": key}
    return await client.post("/api/v1/earn", json=body, headers=guest.headers)


async def _coins(client: httpx.AsyncClient, guest: Guest) -> int:
    response = await client.get("/api/v1/balance", headers=guest.headers)
    assert response.status_code == 200, response.text
    return response.json()["coins"]


async def test_earn_credits_coins_from_marketing_and_balance_shows_them(
    client: httpx.AsyncClient, pool: asyncpg.Pool
):
    casino = await open_casino(client)
    guest = await new_guest(client, casino.slug)
    response = await _earn(client, guest, 300, "daily_login", "k1")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["coins"] == 300 and body["earnedToday"] == 300 and body["dailyCap"] == 500
    assert body["replayed"] is False
    balance = (await client.get("/api/v1/balance", headers=guest.headers)).json()
    assert balance == {"currency": "USD", "coins": 300, "cash": 0, "bonus": 0}
    kinds = await pool.fetch(
        """SELECT a.kind, e.amount FROM ledger_entries e JOIN ledger_accounts a
           ON a.id = e.account_id WHERE e.transfer_id = $1 ORDER BY e.amount""",
        body["transferId"],
    )
    assert [(r["kind"], r["amount"]) for r in kinds] == [("marketing", -300), ("player_coins", 300)]
    await assert_audit_ok(pool)


async def test_same_key_replays_and_a_changed_body_is_409(
    client: httpx.AsyncClient, pool: asyncpg.Pool
):
    casino = await open_casino(client)
    guest = await new_guest(client, casino.slug)
    first = await _earn(client, guest, 100, "ad_reward", "same")
    again = await _earn(client, guest, 100, "ad_reward", "same")
    assert again.status_code == 200
    assert again.json() == {**first.json(), "replayed": True}
    assert await _coins(client, guest) == 100
    changed = await _earn(client, guest, 150, "ad_reward", "same")
    assert changed.status_code == 409
    assert changed.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await _coins(client, guest) == 100
    await assert_audit_ok(pool)


async def test_idempotency_key_may_come_as_the_header(client: httpx.AsyncClient):
    casino = await open_casino(client)
    guest = await new_guest(client, casino.slug)
    headers = {**guest.headers, "Idempotency-Key": "hdr-1"}
    body = {"amount": 500, "reason": "daily_login"}  # seed 004's body
    first = await client.post("/api/v1/earn", json=body, headers=headers)
    again = await client.post("/api/v1/earn", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json()["replayed"] is True
    missing = await client.post("/api/v1/earn", json=body, headers=guest.headers)
    assert missing.status_code == 422


async def test_the_daily_cap_credits_nothing_past_it(client: httpx.AsyncClient, pool: asyncpg.Pool):
    casino = await open_casino(client)
    guest = await new_guest(client, casino.slug)
    assert (await _earn(client, guest, 300, "daily_login", "a")).status_code == 200
    over = await _earn(client, guest, 300, "daily_login", "b")
    assert over.status_code == 429
    assert over.json()["code"] == "EARN_CAP_REACHED"
    assert over.json()["details"]["remaining"] == 200
    assert int(over.headers["Retry-After"]) > 0
    assert await _coins(client, guest) == 300
    assert (await _earn(client, guest, 200, "daily_login", "c")).status_code == 200
    assert (await _earn(client, guest, 1, "daily_login", "d")).status_code == 429
    # Another reason has its own cap.
    assert (await _earn(client, guest, 2000, "ad_reward", "e")).status_code == 200
    assert await _coins(client, guest) == 2500
    await assert_audit_ok(pool)


async def test_two_parallel_earns_at_the_cap_edge_only_one_passes(
    client: httpx.AsyncClient, pool: asyncpg.Pool
):
    casino = await open_casino(client)
    guest = await new_guest(client, casino.slug)
    assert (await _earn(client, guest, 400, "daily_login", "base")).status_code == 200
    for round_no in range(3):
        results = await asyncio.gather(
            _earn(client, guest, 100, "daily_login", f"race-{round_no}-a"),
            _earn(client, guest, 100, "daily_login", f"race-{round_no}-b"),
        )
        statuses = sorted(r.status_code for r in results)
        expected = [200, 429] if round_no == 0 else [429, 429]
        assert statuses == expected, [r.text for r in results]
    assert await _coins(client, guest) == 500
    await assert_audit_ok(pool)


async def test_operator_caps_replace_the_defaults(client: httpx.AsyncClient):
    casino = await open_casino(
        client, earnCaps={"daily_login": 50, "spin_wheel": 10, "ad_reward": 0}
    )
    guest = await new_guest(client, casino.slug)
    assert (await _earn(client, guest, 51, "daily_login", "a")).status_code == 429
    assert (await _earn(client, guest, 10, "spin_wheel", "b")).status_code == 200
    withdrawn = await _earn(client, guest, 1, "ad_reward", "c")
    assert withdrawn.status_code == 422
    assert withdrawn.json()["code"] == "EARN_REASON_UNKNOWN"
    assert "spin_wheel" in withdrawn.json()["details"]["allowed"]


async def test_bad_earn_input_is_422_and_credits_nothing(client: httpx.AsyncClient):
    casino = await open_casino(client)
    guest = await new_guest(client, casino.slug)
    bad_bodies = [
        {"amount": 5.0, "reason": "daily_login", "idempotencyKey": "x1"},
        {"amount": 5.5, "reason": "daily_login", "idempotencyKey": "x2"},
        {"amount": "5", "reason": "daily_login", "idempotencyKey": "x3"},
        {"amount": True, "reason": "daily_login", "idempotencyKey": "x4"},
        {"amount": 0, "reason": "daily_login", "idempotencyKey": "x5"},
        {"amount": -5, "reason": "daily_login", "idempotencyKey": "x6"},
        {"amount": 5, "reason": "Daily Login", "idempotencyKey": "x7"},
        {"amount": 5, "reason": "r" * 41, "idempotencyKey": "x8"},
        {"amount": 5, "reason": "daily_login", "idempotencyKey": "x9", "extra": 1},
        {"amount": 5, "reason": "not_a_reason", "idempotencyKey": "x10"},
        {"amount": 5, "reason": "daily_login", "idempotencyKey": "bad key"},
    ]
    for body in bad_bodies:
        response = await client.post("/api/v1/earn", json=body, headers=guest.headers)
        assert response.status_code == 422, (body, response.text)
    assert await _coins(client, guest) == 0


async def test_only_players_earn(client: httpx.AsyncClient):
    casino = await open_casino(client)
    body = {"amount": 5, "reason": "daily_login", "idempotencyKey": "k"}
    client.cookies.clear()  # the staff logins above left session cookies behind
    assert (await client.post("/api/v1/earn", json=body)).status_code == 401
    staff = await client.post("/api/v1/earn", json=body, headers=casino.boss.headers)
    assert staff.status_code == 403
