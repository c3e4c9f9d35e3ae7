"""Guest/device login: the secret is issued once, required afterwards, and never bypassed."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from croupier.config import Settings
from tests.engagement.test_api_world import engagement_app, guest_login, new_guest, open_casino


@pytest.fixture(scope="module")
async def app(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    async for application in engagement_app(settings, tmp_path_factory.mktemp("guest")):
        yield application


async def test_first_login_creates_a_guest_and_returns_a_secret_once(
    client: httpx.AsyncClient, pool: asyncpg.Pool
):
    casino = await open_casino(client)
    first = await guest_login(client, casino.slug, "phone-42")
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["created"] is True and body["operatorId"] == casino.id
    secret = body["deviceSecret"]
    assert len(secret) >= 43  # token_urlsafe(32): 256 bits

    row = await pool.fetchrow(
        """SELECT p.kind, d.secret_hash FROM engagement_devices d
           JOIN players p ON p.id = d.player_id WHERE d.device_id = 'phone-42'"""
    )
    assert row["kind"] == "guest"
    assert bytes(row["secret_hash"]) == hashlib.sha256(secret.encode()).digest()

    again = await guest_login(client, casino.slug, "phone-42", secret)
    assert again.status_code == 200, again.text
    assert again.json()["playerId"] == body["playerId"]
    assert "deviceSecret" not in again.json()
    me = await client.get(
        "/api/v1/balance", headers={"Authorization": f"Bearer {again.json()['token']}"}
    )
    assert me.status_code == 200


async def test_seed_body_with_user_id_and_operator_header(client: httpx.AsyncClient):
    await open_casino(client)
    response = await client.post(
        "/api/v1/login", json={"userId": "player_001"}, headers={"X-Operator": "alpha"}
    )
    assert response.status_code == 201, response.text
    secret = response.json()["deviceSecret"]
    again = await client.post(
        "/api/v1/login",
        json={"userId": "player_001", "deviceSecret": secret},
        headers={"X-Operator": "alpha"},
    )
    assert again.status_code == 200


@pytest.mark.parametrize("secret", [None, "wrong-secret", ""])
async def test_login_by_id_alone_or_a_wrong_secret_never_yields_a_token(
    client: httpx.AsyncClient, pool: asyncpg.Pool, secret: str | None
):
    casino = await open_casino(client)
    await new_guest(client, casino.slug, "victim-device")
    response = await guest_login(client, casino.slug, "victim-device", secret)
    assert response.status_code in (401, 422)
    assert "token" not in response.text
    if secret != "":
        assert response.status_code == 401
        assert response.json()["code"] == "INVALID_DEVICE_CREDENTIALS"
        failures = await pool.fetchval("SELECT count(*) FROM engagement_login_failures")
        assert failures == 1
    sessions = await pool.fetchval(
        "SELECT count(*) FROM auth_sessions WHERE subject_type = 'player'"
    )
    assert sessions == 1  # only the victim's own first login


async def test_another_devices_secret_does_not_open_a_device(client: httpx.AsyncClient):
    casino = await open_casino(client)
    await new_guest(client, casino.slug, "victim")
    attacker = await new_guest(client, casino.slug, "attacker")
    response = await guest_login(client, casino.slug, "victim", attacker.secret)
    assert response.status_code == 401


async def test_unknown_device_with_a_secret_is_the_same_401(client: httpx.AsyncClient):
    casino = await open_casino(client)
    response = await guest_login(client, casino.slug, "never-seen", "made-up-secret")
    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_DEVICE_CREDENTIALS"


async def test_device_ids_are_per_operator(client: httpx.AsyncClient):
    alpha = await open_casino(client, "alpha")
    beta = await open_casino(client, "beta")
    in_alpha = await new_guest(client, alpha.slug, "shared-id")
    in_beta = await new_guest(client, beta.slug, "shared-id")
    assert in_alpha.player_id != in_beta.player_id
    cross = await guest_login(client, beta.slug, "shared-id", in_alpha.secret)
    assert cross.status_code == 401


async def test_failures_are_throttled_per_device_with_retry_after(client: httpx.AsyncClient):
    casino = await open_casino(client)
    guest = await new_guest(client, casino.slug, "target")
    for _ in range(5):  # the test settings allow 5 failures per account
        assert (await guest_login(client, casino.slug, "target", "nope")).status_code == 401
    blocked = await guest_login(client, casino.slug, "target", "nope")
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    # Even the right secret waits: the throttle is decided before any secret is checked.
    assert (await guest_login(client, casino.slug, "target", guest.secret)).status_code == 429
    other = await new_guest(client, casino.slug, "bystander")
    assert (await guest_login(client, casino.slug, "bystander", other.secret)).status_code == 200


async def test_failures_are_throttled_per_ip_across_devices(client: httpx.AsyncClient):
    casino = await open_casino(client)
    for n in range(20):  # the test settings allow 20 failures per IP
        response = await guest_login(client, casino.slug, f"scan-{n}", "guess")
        assert response.status_code == 401
    blocked = await guest_login(client, casino.slug, "scan-x", "guess")
    assert blocked.status_code == 429
    assert "Retry-After" in blocked.headers


async def test_guest_creation_is_limited_per_ip(client: httpx.AsyncClient):
    casino = await open_casino(client, guestsPerIpPerHour=2)
    await new_guest(client, casino.slug, "one")
    await new_guest(client, casino.slug, "two")
    third = await guest_login(client, casino.slug, "three")
    assert third.status_code == 429


async def test_operator_is_required_and_guest_login_can_be_disabled(client: httpx.AsyncClient):
    await open_casino(client, "alpha")
    await open_casino(client, "closed", guestLogin=False)
    missing = await client.post("/api/v1/login", json={"deviceId": "d1"})
    assert missing.status_code == 422
    assert missing.json()["code"] == "OPERATOR_UNKNOWN"
    unknown = await guest_login(client, "nowhere", "d1")
    assert unknown.status_code == 422
    disabled = await guest_login(client, "closed", "d1")
    assert disabled.status_code == 403
    assert disabled.json()["code"] == "GUEST_LOGIN_DISABLED"


async def test_bad_login_bodies_are_422(client: httpx.AsyncClient):
    await open_casino(client)
    for body in (
        {"deviceId": "has space"},
        {"deviceId": "x" * 129},
        {"deviceId": "d1", "unexpected": 1},
        {"deviceId": 12345},
        {"deviceId": "d1", "userId": "d2"},
        {},
    ):
        response = await client.post("/api/v1/login", json=body, headers={"X-Operator": "alpha"})
        assert response.status_code == 422, (body, response.text)
