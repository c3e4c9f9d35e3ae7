"""Who may do what: agent and cashier scoping, cross-operator isolation on every operator route,
and bad input refused with 422 before anything changes."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from tests import factories
from tests.factories import PASSWORD, Session
from tests.vouchers.conftest import (
    World,
    agent_view,
    build_world,
    create_shop,
    issue,
    issue_codes,
    redeem_and_login,
    snapshot,
)


async def test_an_agent_cannot_issue_for_another_agent(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    other = await world.add_shop(client, "other", float_amount=100_000)
    before = await snapshot(pool)
    for staff in (world.shop.owner, world.shop.cashier):
        response = await issue(client, staff, other.id)
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "AGENT_NOT_FOUND"
    for staff in (other.owner, other.cashier):
        response = await issue(client, staff, world.shop.id)
        assert response.status_code == 404
    assert await snapshot(pool) == before


async def test_only_the_shop_issues_vouchers(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    before = await snapshot(pool)
    for staff in (world.admin, world.operator_admin):
        response = await issue(client, staff, world.shop.id)
        assert response.status_code == 403, response.text
    client.cookies.clear()  # the staff logins above left a session cookie behind
    anonymous = await client.post(
        f"/api/v1/voucher/agents/{world.shop.id}/vouchers", json={"amount": 1_000, "count": 1}
    )
    assert anonymous.status_code == 401
    assert await snapshot(pool) == before


async def test_agent_staff_see_only_their_own_tenant(
    client: httpx.AsyncClient, world: World
) -> None:
    other = await world.add_shop(client, "other", float_amount=5_000)
    for staff in (world.shop.owner, world.shop.cashier):
        listed = await client.get("/api/v1/operator/agents", headers=staff.headers)
        assert [agent["id"] for agent in listed.json()["items"]] == [world.shop.id]
        for path in ("", "/cashiers"):
            response = await client.get(
                f"/api/v1/operator/agents/{other.id}{path}", headers=staff.headers
            )
            assert response.status_code == 404, path
        vouchers = await client.get(
            f"/api/v1/voucher/agents/{other.id}/vouchers", headers=staff.headers
        )
        assert vouchers.status_code == 404
    listed = await client.get("/api/v1/operator/agents", headers=world.operator_admin.headers)
    assert [agent["id"] for agent in listed.json()["items"]] == [world.shop.id, other.id]


async def test_cashiers_are_created_by_admins_or_their_own_agent(
    client: httpx.AsyncClient, world: World
) -> None:
    other = await world.add_shop(client, "other")
    body = {"email": "new-till@shops.example.com", "password": PASSWORD}
    by_cashier = await client.post(
        f"/api/v1/operator/agents/{world.shop.id}/cashiers",
        json=body,
        headers=world.shop.cashier.headers,
    )
    assert by_cashier.status_code == 403
    by_other_agent = await client.post(
        f"/api/v1/operator/agents/{world.shop.id}/cashiers", json=body, headers=other.owner.headers
    )
    assert by_other_agent.status_code == 404
    by_owner = await client.post(
        f"/api/v1/operator/agents/{world.shop.id}/cashiers",
        json=body,
        headers=world.shop.owner.headers,
    )
    assert by_owner.status_code == 201, by_owner.text
    assert by_owner.json()["role"] == "cashier" and by_owner.json()["agentId"] == world.shop.id
    listed = await client.get(
        f"/api/v1/operator/agents/{world.shop.id}/cashiers", headers=world.shop.owner.headers
    )
    assert len(listed.json()) == 2


async def test_floats_are_funded_by_operator_staff_only_and_idempotently(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    path = f"/api/v1/operator/agents/{world.shop.id}/float"
    body = {"amount": 50_000, "idempotencyKey": "cash-in-7", "note": "paid at the office"}
    for staff in (world.shop.owner, world.shop.cashier):
        assert (await client.post(path, json=body, headers=staff.headers)).status_code == 403
    first = await client.post(path, json=body, headers=world.operator_admin.headers)
    again = await client.post(path, json=body, headers=world.operator_admin.headers)
    assert first.status_code == again.status_code == 200
    assert first.json()["floatBalance"] == again.json()["floatBalance"] == 1_050_000
    assert (first.json()["replayed"], again.json()["replayed"]) == (False, True)
    reused = await client.post(
        path, json=body | {"amount": 60_000}, headers=world.operator_admin.headers
    )
    assert reused.status_code == 409
    assert (await agent_view(client, world.shop.owner, world.shop.id))["floatBalance"] == 1_050_000
    by_platform = await client.post(
        path, json=body | {"idempotencyKey": "cash-in-8"}, headers=world.admin.headers
    )
    assert by_platform.json()["floatBalance"] == 1_100_000


async def test_agent_codes_and_logins_are_unique_and_leave_nothing_half_made(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    body = {"code": "playtime-1", "name": "Again", "email": "x@shops.example.com"}
    response = await client.post(
        "/api/v1/operator/agents",
        json=body | {"password": PASSWORD},
        headers=world.operator_admin.headers,
    )
    assert response.status_code == 409 and response.json()["code"] == "AGENT_CODE_TAKEN"
    response = await client.post(
        "/api/v1/operator/agents",
        json=body
        | {"code": "fresh", "email": "playtime-1-owner@shops.example.com"}
        | {"password": PASSWORD},
        headers=world.operator_admin.headers,
    )
    assert response.status_code == 409 and response.json()["code"] == "STAFF_EMAIL_TAKEN"
    assert await pool.fetchval("SELECT count(*) FROM agents") == 1


async def test_agents_belong_to_sweepstakes_operators(
    client: httpx.AsyncClient, world: World
) -> None:
    real = await factories.create_operator(client, world.admin, "realmoney")
    response = await client.post(
        "/api/v1/operator/agents",
        json={
            "operatorId": real["id"],
            "code": "shop",
            "name": "Shop",
            "email": "real@shops.example.com",
            "password": PASSWORD,
        },
        headers=world.admin.headers,
    )
    assert response.status_code == 409 and response.json()["code"] == "SWEEPSTAKES_ONLY"


async def test_operators_never_reach_each_others_agents(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    home = await build_world(client, slug="playtime")
    rival_operator = await factories.create_operator(
        client, home.admin, "rival", currency="FUN", mode="sweepstakes"
    )
    rival_admin = await factories.create_operator_admin(
        client, home.admin, rival_operator["id"], "boss@rival.example.com"
    )
    rival = await create_shop(client, rival_admin, "rival-1", float_amount=90_000)
    redeemed, spare = await issue_codes(client, rival.owner, rival.id, count=2)
    player = await redeem_and_login(client, redeemed)
    cashout = await client.post(
        "/api/v1/player/redemptions", json={"amount": 1_000}, headers=player.session.headers
    )
    spare_id = await pool.fetchval("SELECT max(id) FROM vouchers")
    await pool.execute("UPDATE vouchers SET expires_at = now() - interval '1 second'")
    before = await snapshot(pool)

    admin = home.operator_admin
    rival_id = rival_operator["id"]
    calls: list[tuple[Session, str, str, dict[str, Any] | None]] = [
        (admin, "GET", f"/api/v1/operator/agents/{rival.id}", None),
        (admin, "GET", f"/api/v1/operator/agents/{rival.id}/cashiers", None),
        (admin, "GET", f"/api/v1/operator/agents?operatorId={rival_id}", None),
        (admin, "GET", f"/api/v1/voucher/agents/{rival.id}/vouchers", None),
        (admin, "GET", f"/api/v1/voucher/redemptions?operatorId={rival_id}", None),
        (admin, "POST", f"/api/v1/voucher/expire?operatorId={rival_id}", None),
        (
            admin,
            "POST",
            f"/api/v1/operator/agents/{rival.id}/cashiers",
            {"email": "spy@x.example.com", "password": PASSWORD},
        ),
        (
            admin,
            "POST",
            f"/api/v1/operator/agents/{rival.id}/float",
            {"amount": 1, "idempotencyKey": "k"},
        ),
        (
            admin,
            "POST",
            "/api/v1/operator/agents",
            {
                "operatorId": rival_id,
                "code": "mine",
                "name": "Mine",
                "email": "m@shops.example.com",
                "password": PASSWORD,
            },
        ),
        (
            home.shop.owner,
            "POST",
            f"/api/v1/voucher/agents/{rival.id}/vouchers/{spare_id}/void",
            None,
        ),
        (
            home.shop.cashier,
            "PUT",
            f"/api/v1/voucher/redemptions/{cashout.json()['id']}",
            {"status": "PAID"},
        ),
    ]
    for staff, method, path, body in calls:
        response = await client.request(method, path, json=body, headers=staff.headers)
        assert response.status_code == 404, (path, response.text)
    agents = await client.get("/api/v1/operator/agents", headers=admin.headers)
    assert [agent["id"] for agent in agents.json()["items"]] == [home.shop.id]
    queue = await client.get("/api/v1/voucher/redemptions", headers=admin.headers)
    assert queue.json()["items"] == []
    expired = await client.post("/api/v1/voucher/expire", headers=admin.headers)
    assert expired.json() == {"released": 0}
    assert await snapshot(pool) == before

    everyone = await client.get("/api/v1/operator/agents", headers=home.admin.headers)
    assert {agent["id"] for agent in everyone.json()["items"]} == {home.shop.id, rival.id}
    queue = await client.get(
        f"/api/v1/voucher/redemptions?operatorId={rival_id}", headers=home.admin.headers
    )
    assert [item["id"] for item in queue.json()["items"]] == [cashout.json()["id"]]
    assert spare  # printed, expired, and untouched by the other operator


BAD_ISSUES = [
    {"amount": 10_000.0},
    {"amount": "10000"},
    {"amount": True},
    {"amount": -10_000},
    {"amount": 0},
    {"amount": 98},
    {"amount": 10**13},
    {"amount": 10_000, "count": 0},
    {"amount": 10_000, "count": 101},
    {"amount": 10_000, "count": 2.0},
    {"amount": 10_000, "count": "3"},
    {"amount": 10_000, "expiresInDays": 0},
    {"amount": 10_000, "expiresInDays": 366},
    {"amount": 10_000, "idempotencyKey": "has spaces"},
    {"amount": 10_000, "bonus": 10_000},
    {"count": 1},
]


BAD_FUNDINGS = [
    {"amount": 100.5, "idempotencyKey": "k"},
    {"amount": "100", "idempotencyKey": "k"},
    {"amount": -100, "idempotencyKey": "k"},
    {"amount": 0, "idempotencyKey": "k"},
    {"amount": 10**13, "idempotencyKey": "k"},
    {"amount": 100},
    {"amount": 100, "idempotencyKey": "k", "currency": "USD"},
]


async def test_bad_input_is_422_and_changes_nothing(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    before = await snapshot(pool)
    for body in BAD_ISSUES:
        response = await client.post(
            f"/api/v1/voucher/agents/{world.shop.id}/vouchers",
            json=body,
            headers=world.shop.owner.headers,
        )
        assert response.status_code == 422, (body, response.text)
    for body in BAD_FUNDINGS:
        response = await client.post(
            f"/api/v1/operator/agents/{world.shop.id}/float",
            json=body,
            headers=world.operator_admin.headers,
        )
        assert response.status_code == 422, (body, response.text)
    assert await snapshot(pool) == before
