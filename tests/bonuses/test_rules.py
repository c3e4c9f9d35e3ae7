"""Bonus rules: operator admins' CRUD, validation and tenancy."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from tests import factories
from tests.bonuses.helpers import create_rule
from tests.payments.helpers import World


class TestRules:
    async def test_create_list_update_and_deactivate(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        boss = world.alpha.operator_admin
        rule = await create_rule(client, boss, code="welcome", gameWeights={"neon-fruits": 5_000})
        assert rule["code"] == "WELCOME" and rule["operatorId"] == world.alpha.operator_id
        assert rule["validDays"] == 30 and rule["minDeposit"] == 0
        listed = await client.get("/api/v1/operator/bonus-rules", headers=boss.headers)
        assert [r["id"] for r in listed.json()] == [rule["id"]]
        updated = await client.put(
            f"/api/v1/operator/bonus-rules/{rule['id']}",
            json={"active": False, "maxBet": 500},
            headers=boss.headers,
        )
        assert updated.status_code == 200, updated.text
        assert (updated.json()["active"], updated.json()["maxBet"]) == (False, 500)
        cleared = await client.put(
            f"/api/v1/operator/bonus-rules/{rule['id']}",
            json={"name": None},
            headers=boss.headers,
        )
        assert cleared.status_code == 422
        unmatched = await client.put(
            f"/api/v1/operator/bonus-rules/{rule['id']}",
            json={"matchBp": None},
            headers=boss.headers,
        )
        assert unmatched.status_code == 422 and unmatched.json()["code"] == "BONUS_RULE_INVALID"
        active = await client.get("/api/v1/operator/bonus-rules?active=true", headers=boss.headers)
        assert active.json() == []
        duplicate = await client.post(
            "/api/v1/operator/bonus-rules",
            json={"code": "WELCOME", "name": "x", "kind": "no_deposit", "bonusAmount": 100},
            headers=boss.headers,
        )
        assert duplicate.status_code == 409

    @pytest.mark.parametrize(
        "body",
        [
            {"kind": "deposit_match"},
            {"kind": "no_deposit"},
            {"kind": "free_spins", "freeSpins": 5},
            {"kind": "deposit_match", "matchBp": 10_000, "maxBonus": 1.5},
            {"kind": "no_deposit", "bonusAmount": "100"},
            {"kind": "no_deposit", "bonusAmount": -5},
            {"kind": "no_deposit", "bonusAmount": 100, "gameWeights": {"neon-fruits": 20_000}},
            {"kind": "no_deposit", "bonusAmount": 100, "wageringMultiplier": 500},
            {"kind": "no_deposit", "bonusAmount": 100, "sneaky": 1},
            {"kind": "cashback", "bonusAmount": 100},
        ],
    )
    async def test_invalid_rules_are_refused(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World, body: dict
    ) -> None:
        response = await client.post(
            "/api/v1/operator/bonus-rules",
            json={"code": "BAD", "name": "Bad", **body},
            headers=world.alpha.operator_admin.headers,
        )
        assert response.status_code == 422, response.text
        assert await pool.fetchval("SELECT count(*) FROM bonus_rules") == 0

    async def test_free_spin_rules_need_a_playable_game_and_stake(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        await factories.create_category(client, world.admin)
        game = await factories.create_builtin_game(client, world.admin, engine_key="neon-fruits")
        boss = world.alpha.operator_admin
        body = {
            "code": "SPINS",
            "name": "Spins",
            "kind": "free_spins",
            "freeSpins": 10,
            "freeSpinGameId": game["id"],
            "freeSpinValue": 100_000,
        }
        too_big = await client.post("/api/v1/operator/bonus-rules", json=body, headers=boss.headers)
        assert too_big.status_code == 422 and too_big.json()["code"] == "BONUS_RULE_INVALID"
        missing = await client.post(
            "/api/v1/operator/bonus-rules",
            json={**body, "freeSpinGameId": 9_999},
            headers=boss.headers,
        )
        assert missing.status_code == 404
        ok = await client.post(
            "/api/v1/operator/bonus-rules",
            json={**body, "freeSpinValue": 100},
            headers=boss.headers,
        )
        assert ok.status_code == 201, ok.text

    async def test_rules_are_scoped_to_their_operator(
        self, client: httpx.AsyncClient, world2: World
    ) -> None:
        world = world2
        rule = await create_rule(client, world.alpha.operator_admin)
        beta = world.beta.operator_admin.headers
        assert (
            await client.get(f"/api/v1/operator/bonus-rules/{rule['id']}", headers=beta)
        ).status_code == 404
        change = await client.put(
            f"/api/v1/operator/bonus-rules/{rule['id']}", json={"active": False}, headers=beta
        )
        assert change.status_code == 404
        assert (await client.get("/api/v1/operator/bonus-rules", headers=beta)).json() == []
        narrowed = await client.get(
            f"/api/v1/operator/bonus-rules?operatorId={world.alpha.operator_id}", headers=beta
        )
        assert narrowed.status_code == 404
        grant = await client.post(
            f"/api/v1/operator/players/{world.alpha.player_id}/bonuses",
            json={"ruleId": rule["id"]},
            headers=beta,
        )
        assert grant.status_code == 404
        player = await client.get(
            "/api/v1/operator/bonus-rules", headers=world.alpha.player.headers
        )
        assert player.status_code == 403
        no_operator = await client.post(
            "/api/v1/operator/bonus-rules",
            json={"code": "PLAT", "name": "P", "kind": "no_deposit", "bonusAmount": 10},
            headers=world.admin.headers,
        )
        assert no_operator.status_code == 404
        chosen = await client.post(
            f"/api/v1/operator/bonus-rules?operatorId={world.beta.operator_id}",
            json={"code": "PLAT", "name": "P", "kind": "no_deposit", "bonusAmount": 10},
            headers=world.admin.headers,
        )
        assert chosen.status_code == 201 and chosen.json()["operatorId"] == world.beta.operator_id
        listed = await client.get("/api/v1/operator/bonuses", headers=beta)
        assert listed.status_code == 200 and listed.json()["items"] == []
