"""A sweepstakes world for voucher tests, built through the API: a FUN operator in sweepstakes
mode with its admin, an agent (shop) with its owner's login and a cashier, and a slot to spin."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from tests import factories
from tests.factories import PASSWORD, Session

_keys = itertools.count(1)


@dataclass
class Shop:
    """One agent of a sweepstakes operator, with the people who act for it."""

    id: int
    owner: Session  # staff role 'agent'
    cashier: Session


@dataclass
class World:
    admin: Session
    operator_id: int
    operator_admin: Session
    shop: Shop
    game_id: int

    async def add_shop(self, client: httpx.AsyncClient, code: str, **fields: Any) -> Shop:
        return await create_shop(client, self.operator_admin, code, **fields)


async def create_shop(
    client: httpx.AsyncClient,
    operator_admin: Session,
    code: str,
    *,
    region: str = "CA",
    float_amount: int = 0,
) -> Shop:
    response = await client.post(
        "/api/v1/operator/agents",
        json={
            "code": code,
            "name": f"Shop {code}",
            "region": region,
            "email": f"{code}-owner@shops.example.com",
            "password": PASSWORD,
        },
        headers=operator_admin.headers,
    )
    assert response.status_code == 201, response.text
    agent_id = response.json()["id"]
    response = await client.post(
        f"/api/v1/operator/agents/{agent_id}/cashiers",
        json={"email": f"{code}-till@shops.example.com", "password": PASSWORD},
        headers=operator_admin.headers,
    )
    assert response.status_code == 201, response.text
    owner = await factories.login(client, f"{code}-owner@shops.example.com", PASSWORD)
    cashier = await factories.login(client, f"{code}-till@shops.example.com", PASSWORD)
    if float_amount:
        await fund(client, operator_admin, agent_id, float_amount)
    return Shop(agent_id, owner, cashier)


async def fund(
    client: httpx.AsyncClient, staff: Session, agent_id: int, amount: int
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/operator/agents/{agent_id}/float",
        json={"amount": amount, "idempotencyKey": f"fund-{next(_keys)}"},
        headers=staff.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def build_world(
    client: httpx.AsyncClient, *, slug: str = "playtime", float_amount: int = 1_000_000
) -> World:
    admin = await factories.platform_admin(client)
    # These tests spin balances down quickly on purpose; the safety engine (tested on its own)
    # would rightly pause such play, so this operator only lets it act at the maximum score.
    quiet_safety = {"elevatedAt": 100, "tiltAt": 100, "cooldownScore": 100, "stopScore": 100}
    operator = await factories.create_operator(
        client, admin, slug, currency="FUN", mode="sweepstakes", settings={"safety": quiet_safety}
    )
    operator_admin = await factories.create_operator_admin(
        client, admin, operator["id"], f"boss@{slug}.example.com"
    )
    game_id = await _game(client, admin)
    shop = await create_shop(client, operator_admin, f"{slug}-1", float_amount=float_amount)
    return World(admin, operator["id"], operator_admin, shop, game_id)


async def _game(client: httpx.AsyncClient, admin: Session) -> int:
    await factories.create_category(client, admin)
    game = await factories.create_builtin_game(client, admin, engine_key="neon-fruits")
    return game["id"]


@pytest.fixture
async def world(client: httpx.AsyncClient) -> World:
    return await build_world(client)


async def issue(
    client: httpx.AsyncClient,
    staff: Session,
    agent_id: int,
    *,
    amount: int = 10_000,
    count: int = 1,
    **extra: Any,
) -> httpx.Response:
    return await client.post(
        f"/api/v1/voucher/agents/{agent_id}/vouchers",
        json={"amount": amount, "count": count, **extra},
        headers=staff.headers,
    )


async def issue_codes(
    client: httpx.AsyncClient, staff: Session, agent_id: int, **fields: Any
) -> list[str]:
    response = await issue(client, staff, agent_id, **fields)
    assert response.status_code == 201, response.text
    return [voucher["code"] for voucher in response.json()["vouchers"]]


@dataclass
class Player:
    id: int
    login_code: str
    pin: str
    session: Session


async def redeem_and_login(client: httpx.AsyncClient, code: str) -> Player:
    response = await client.post("/api/v1/voucher/redeem", json={"code": code})
    assert response.status_code == 201, response.text
    redeemed = response.json()
    response = await client.post(
        "/api/v1/player/login", json={"loginCode": redeemed["loginCode"], "pin": redeemed["pin"]}
    )
    assert response.status_code == 200, response.text
    data = response.json()
    session = Session(data["accessToken"], "", data["playerId"], data["operatorId"])
    return Player(redeemed["playerId"], redeemed["loginCode"], redeemed["pin"], session)


async def me(client: httpx.AsyncClient, player: Player) -> dict[str, Any]:
    response = await client.get("/api/v1/player/me", headers=player.session.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def agent_view(client: httpx.AsyncClient, staff: Session, agent_id: int) -> dict[str, Any]:
    response = await client.get(f"/api/v1/operator/agents/{agent_id}", headers=staff.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def snapshot(pool: asyncpg.Pool) -> dict[str, Any]:
    """Everything a refused request must leave untouched."""
    return dict(
        await pool.fetchrow(
            """SELECT (SELECT count(*) FROM ledger_transfers) AS transfers,
                      (SELECT count(*) FROM ledger_entries) AS entries,
                      (SELECT count(*) FROM vouchers) AS vouchers,
                      (SELECT count(*) FROM voucher_batches) AS batches,
                      (SELECT count(*) FROM players) AS players,
                      (SELECT coalesce(sum(balance), 0) FROM ledger_accounts) AS balances,
                      (SELECT coalesce(array_agg(balance ORDER BY id), '{}')
                       FROM ledger_accounts WHERE NOT derived) AS cached"""
        )
    )
