"""VIP: levels (platform admin), status, XP from bets and deposits, level-up rewards once."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest

from croupier.config import Settings
from croupier.db.pool import unit_of_work
from croupier.vip import service as vip
from tests import factories
from tests.ledger.helpers import assert_audit_ok
from tests.payments.helpers import World, completed_deposit


async def _level(client: httpx.AsyncClient, world: World, **fields: object) -> dict:
    response = await client.post(
        "/api/v1/admin/vip-levels", json=fields, headers=world.admin.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _ladder(client: httpx.AsyncClient, world: World) -> int:
    await factories.create_category(client, world.admin)
    game = await factories.create_builtin_game(client, world.admin, engine_key="neon-fruits")
    await _level(client, world, level=0, name="Bronze", xpRequired=0)
    await _level(
        client,
        world,
        level=1,
        name="Silver",
        xpRequired=1_000,
        freeSpins=5,
        freeSpinGameId=game["id"],
        freeSpinValue=50,
        cashbackBp=500,
    )
    await _level(client, world, level=2, name="Gold", xpRequired=5_000, cashbackBp=1_000)
    return game["id"]


async def _status(
    client: httpx.AsyncClient, world: World, path: str = "/api/v1/vip/status"
) -> dict:
    response = await client.get(path, headers=world.alpha.player.headers)
    assert response.status_code == 200, response.text
    return response.json()


class TestLevels:
    async def test_platform_admin_manages_the_ladder(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        await _ladder(client, world)
        admin = world.admin.headers
        levels = (await client.get("/api/v1/admin/vip-levels", headers=admin)).json()
        assert [lv["name"] for lv in levels] == ["Bronze", "Silver", "Gold"]
        gold = levels[2]
        changed = await client.put(
            f"/api/v1/admin/vip-levels/{gold['id']}", json={"cashbackAs": "cash"}, headers=admin
        )
        assert changed.json()["cashbackAs"] == "cash"
        disorder = await client.put(
            f"/api/v1/admin/vip-levels/{gold['id']}", json={"xpRequired": 500}, headers=admin
        )
        assert disorder.status_code == 422 and disorder.json()["code"] == "VIP_LEVEL_ORDER"
        taken = await client.post(
            "/api/v1/admin/vip-levels",
            json={"level": 2, "name": "Again", "xpRequired": 9_000},
            headers=admin,
        )
        assert taken.status_code == 409
        spins_without_game = await client.post(
            "/api/v1/admin/vip-levels",
            json={"level": 3, "name": "P", "xpRequired": 9_000, "freeSpins": 3},
            headers=admin,
        )
        assert spins_without_game.status_code == 422
        assert (
            await client.delete(f"/api/v1/admin/vip-levels/{gold['id']}", headers=admin)
        ).status_code == 204
        for staff in (world.alpha.operator_admin, world.alpha.player):
            denied = await client.post(
                "/api/v1/admin/vip-levels",
                json={"level": 9, "name": "X", "xpRequired": 99},
                headers=staff.headers,
            )
            assert denied.status_code == 403

    @pytest.mark.parametrize(
        "body",
        [
            {"level": 1, "name": "X", "xpRequired": 1.5},
            {"level": "1", "name": "X", "xpRequired": 1},
            {"level": 1, "name": "X", "xpRequired": -1},
            {"level": 1, "name": "X", "xpRequired": 1, "cashbackBp": 10_001},
            {"level": 1, "name": "X", "xpRequired": 1, "bogus": 1},
        ],
    )
    async def test_bad_levels_are_422(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World, body: dict
    ) -> None:
        response = await client.post(
            "/api/v1/admin/vip-levels", json=body, headers=world.admin.headers
        )
        assert response.status_code == 422
        assert await pool.fetchval("SELECT count(*) FROM vip_levels") == 0


class TestProgress:
    async def test_status_and_level_up_reward_granted_once(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        await _ladder(client, world)
        start = await _status(client, world)
        assert (start["level"], start["xp"], start["xpToNextLevel"]) == (0, 0, 1_000)
        assert start["nextLevel"]["name"] == "Silver"

        body = {"playerId": world.alpha.player_id, "xp": 600}
        results = await asyncio.gather(
            *(
                client.post("/api/v1/vip/add-xp", json=body, headers=world.admin.headers)
                for _ in range(4)
            )
        )
        assert all(r.status_code == 200 for r in results), [r.text for r in results]
        assert sorted(lv for r in results for lv in r.json()["levelsReached"]) == [1]
        status = await _status(client, world, "/api/v1/vip/status")
        assert (status["level"], status["xp"], status["levelName"]) == (1, 2_400, "Silver")
        assert status["benefits"]["cashbackBp"] == 500
        (level_up,) = status["levelUps"]
        assert level_up["rewardStatus"] == "granted"
        grants = await pool.fetch("SELECT kind, free_spins_left FROM bonus_grants")
        assert [tuple(g) for g in grants] == [("vip_reward", 5)]
        events = await pool.fetch("SELECT payload FROM outbox WHERE topic = 'vip.level_up'")
        assert [e["payload"]["level"] for e in events] == [1]

    async def test_wager_and_deposit_xp(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, world: World
    ) -> None:
        await _ladder(client, world)
        async with unit_of_work(pool) as uow:
            xp = await vip.award_wager_xp(
                uow.conn,
                operator_id=world.alpha.operator_id,
                player_id=world.alpha.player_id,
                stake=700,
            )
        assert xp == 700
        await completed_deposit(client, settings, world.alpha.player, 4_500)
        status = await _status(client, world)
        assert (status["xp"], status["level"]) == (5_200, 2)
        assert [lu["level"] for lu in status["levelUps"]] == [1, 2]
        assert [lu["rewardStatus"] for lu in status["levelUps"]] == ["granted", "none"]
        await assert_audit_ok(pool)

    async def test_add_xp_is_internal(self, client: httpx.AsyncClient, world: World) -> None:
        body = {"playerId": world.alpha.player_id, "xp": 10}
        for staff in (world.alpha.operator_admin, world.alpha.player):
            denied = await client.post("/api/v1/vip/add-xp", json=body, headers=staff.headers)
            assert denied.status_code == 403
        missing = await client.post(
            "/api/v1/vip/add-xp", json={"playerId": 999_999, "xp": 1}, headers=world.admin.headers
        )
        assert missing.status_code == 404
        bad = await client.post(
            "/api/v1/vip/add-xp", json={**body, "xp": 0}, headers=world.admin.headers
        )
        assert bad.status_code == 422
        staff_status = await client.get(
            "/api/v1/vip/status", headers=world.alpha.operator_admin.headers
        )
        assert staff_status.status_code == 403
