"""Seed 001 §4.7's seeding routes: platform admins only, validated, one simulation at a time."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from croupier.simulation.service import _LOCK
from tests import factories


async def test_seed_routes_are_for_the_platform_admin_only(client: httpx.AsyncClient) -> None:
    admin = await factories.platform_admin(client)
    operator = await factories.create_operator(client, admin, "alpha")
    boss = await factories.create_operator_admin(client, admin, operator["id"], "boss@a.example")
    player = await factories.register_player(client, "alpha", "someone")
    for session in (boss, player):
        for method, path in (
            ("POST", "/api/v1/seed/database"),
            ("POST", "/api/v1/seed/bots?count=1"),
            ("POST", "/api/v1/seed/simulate?duration=1&intensity=low"),
            ("GET", "/api/v1/seed/simulate"),
        ):
            response = await client.request(method, path, headers=session.headers)
            assert response.status_code == 403, (path, response.text)
    anonymous = await client.post("/api/v1/seed/database")
    assert anonymous.status_code in (401, 403)


async def test_seed_database_and_bots_through_http(client: httpx.AsyncClient) -> None:
    admin = await factories.platform_admin(client)
    seeded = await client.post("/api/v1/seed/database", headers=admin.headers)
    assert seeded.status_code == 200, seeded.text
    assert {login["role"] for login in seeded.json()["logins"]} >= {"platform admin", "agent"}
    again = await client.post("/api/v1/seed/database", headers=admin.headers)
    assert again.json() == seeded.json()
    bots = await client.post("/api/v1/seed/bots?count=3", headers=admin.headers)
    assert bots.status_code == 201, bots.text
    assert bots.json()["created"] == 3
    assert len({bot["operatorSlug"] for bot in bots.json()["bots"]}) == 3
    for bad in ("count=0", "count=100000", "count=x", ""):
        response = await client.post(f"/api/v1/seed/bots?{bad}", headers=admin.headers)
        assert response.status_code == 422, bad


async def test_simulate_validates_and_runs_one_at_a_time(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    admin = await factories.platform_admin(client)
    for bad in ("duration=0", "duration=abc", "intensity=extreme", "duration=100000"):
        response = await client.post(f"/api/v1/seed/simulate?{bad}", headers=admin.headers)
        assert response.status_code == 422, bad
    idle = await client.get("/api/v1/seed/simulate", headers=admin.headers)
    assert idle.status_code == 200 and idle.json()["state"] in ("idle", "finished", "failed")
    # A run held by another worker process (its advisory lock) refuses a second start.
    async with pool.acquire() as other_worker:
        await other_worker.execute("SELECT pg_advisory_lock($1)", _LOCK)
        try:
            busy = await client.post("/api/v1/seed/simulate?duration=1", headers=admin.headers)
            assert busy.status_code == 409 and busy.json()["code"] == "SIMULATION_RUNNING"
            status = await client.get("/api/v1/seed/simulate", headers=admin.headers)
            assert status.json()["state"] == "running"
        finally:
            await other_worker.execute("SELECT pg_advisory_unlock($1)", _LOCK)
    # Here no bot can reach the test transport's host: the run starts, then fails, and says so.
    started = await client.post(
        "/api/v1/seed/simulate?duration=1&intensity=high", headers=admin.headers
    )
    assert started.status_code == 202, started.text
    assert started.json()["state"] == "running"
    for _ in range(100):
        state = (await client.get("/api/v1/seed/simulate", headers=admin.headers)).json()
        if state["state"] != "running":
            break
        await asyncio.sleep(0.1)
    assert state["state"] == "failed" and "platform admin" in state["error"]
