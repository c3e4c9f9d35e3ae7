"""POST /casino/launchGame and the demo provider's own endpoints."""

from __future__ import annotations

import json

import asyncpg
import httpx
from fastapi import FastAPI

from croupier.providers.http import TRANSPORT_STATE
from croupier.providers.signature import sign
from tests import factories
from tests.providers.conftest import Demo, new_id


async def test_a_demo_player_launches_without_logging_in(
    client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
) -> None:
    response = await client.post("/casino/launchGame", json={"userId": 1, "gameId": "SLOTS_001"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in ("userId", "gameId", "currency", "minBet", "maxBet")} == {
        "userId": 1,
        "gameId": "SLOTS_001",
        "currency": "USD",
        "minBet": "1000",
        "maxBet": "100000",
    }
    stored = await pool.fetchrow("SELECT provider_session_id, token_hash FROM casino_sessions")
    assert stored["provider_session_id"] == body["providerSessionId"]
    assert body["sessionToken"].encode() not in bytes(stored["token_hash"])  # kept hashed
    provider_side = await pool.fetchrow(
        "SELECT session_token, casino_session_id FROM provider_sessions"
    )
    assert tuple(provider_side) == (body["sessionToken"], body["casinoSessionId"])
    await demo.launch(client)
    live = await pool.fetchval("SELECT count(*) FROM casino_sessions WHERE superseded_at IS NULL")
    assert live == 1


async def test_other_players_launch_only_for_themselves(
    client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
) -> None:
    alice = await factories.register_player(client, "lucky-star", "alice-player")
    bob = await factories.register_player(client, "lucky-star", "bob-player")
    body = {"userId": alice.subject_id, "gameId": 1}
    anonymous = await client.post("/casino/launchGame", json=body, headers={"cookie": ""})
    assert (anonymous.status_code, anonymous.json()["code"]) == (404, "PLAYER_NOT_FOUND")
    as_bob = await client.post("/casino/launchGame", json=body, headers=bob.headers)
    assert as_bob.status_code == 404
    as_alice = await client.post("/casino/launchGame", json=body, headers=alice.headers)
    assert as_alice.status_code == 200, as_alice.text
    stale = await client.post(
        "/casino/launchGame", json=body, headers={"Authorization": "Bearer nope"}
    )
    assert stale.status_code == 401


async def test_builtin_games_unknown_players_and_a_provider_that_is_down(
    client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo, app: FastAPI
) -> None:
    await factories.create_category(client, demo.admin)
    builtin = await factories.create_builtin_game(client, demo.admin, engine_key="neon-fruits")
    response = await client.post("/casino/launchGame", json={"userId": 1, "gameId": builtin["id"]})
    assert (response.status_code, response.json()["code"]) == (400, "INVALID_GAME")
    response = await client.post("/casino/launchGame", json={"userId": 99, "gameId": 1})
    assert (response.status_code, response.json()["code"]) == (404, "PLAYER_NOT_FOUND")

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    routed = getattr(app.state, TRANSPORT_STATE)
    setattr(app.state, TRANSPORT_STATE, httpx.MockTransport(refuse))
    try:
        down = await client.post("/casino/launchGame", json={"userId": 1, "gameId": 1})
    finally:
        setattr(app.state, TRANSPORT_STATE, routed)
    assert (down.status_code, down.json()["code"]) == (502, "PROVIDER_UNAVAILABLE")
    # The session was opened but never handed to a provider: it has no provider session.
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM casino_sessions WHERE provider_session_id IS NULL"
        )
        == 1
    )


async def test_the_provider_checks_the_casinos_signature_and_session(
    client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
) -> None:
    launched = (await client.post("/casino/launchGame", json={"userId": 1, "gameId": 1})).json()
    secret = demo.settings.provider_secret.get_secret_value()
    body = {
        "sessionToken": launched["sessionToken"],
        "casinoSessionId": 1,
        "userId": 1,
        "gameId": "SLOTS_001",
        "currency": "USD",
        "casinoCode": "JAQPOT",
    }
    raw = json.dumps(body).encode()
    unsigned = await client.post(
        "/provider/launch", content=raw, headers={"x-provider-signature": sign("wrong", raw)}
    )
    assert unsigned.status_code == 401
    assert unsigned.json() == {"error": "Invalid signature", "code": "INVALID_SIGNATURE"}
    unknown = json.dumps(body | {"gameId": "NOPE"}).encode()
    response = await client.post(
        "/provider/launch", content=unknown, headers={"x-provider-signature": sign(secret, unknown)}
    )
    assert (response.status_code, response.json()["code"]) == (400, "INVALID_GAME")
    simulate = {k: body[k] for k in ("sessionToken", "userId", "gameId", "currency", "casinoCode")}
    for session_id, user, status in ((launched["providerSessionId"], 2, 400), (new_id(), 1, 404)):
        raw = json.dumps(simulate | {"providerSessionId": session_id, "userId": user}).encode()
        response = await client.post(
            "/provider/simulate", content=raw, headers={"x-provider-signature": sign(secret, raw)}
        )
        assert response.status_code == status, response.text
    assert await pool.fetchval("SELECT count(*) FROM casino_transactions") == 0
