"""Deposit velocity: attempts and amount per window, per operator, logged for AML review."""

from __future__ import annotations

import asyncpg
import httpx

from tests.payments.helpers import World, count, deposit, set_operator_settings


class TestDepositVelocity:
    async def test_attempts_then_amount_limits(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        await set_operator_settings(
            client,
            world.admin,
            world.alpha.operator_id,
            {"payments": {"velocity": {"depositMaxCount": 3, "depositMaxAmount": 5_000}}},
        )
        player = world.alpha.player
        assert (await deposit(client, player, 2_000, key="d1")).status_code == 201
        assert (await deposit(client, player, 2_000, key="d2")).status_code == 201
        over = await deposit(client, player, 1_500, key="d3")
        assert over.status_code == 403 and over.json()["code"] == "DEPOSIT_AMOUNT_LIMIT_EXCEEDED"
        assert over.json()["details"]["used"] == 4_000
        # A declined card attempt still counts as an attempt (card testing looks like this).
        declined = await deposit(client, player, 113, method="card", key="d4")
        assert declined.json()["status"] == "FAILED"
        burst = await deposit(client, player, 100, key="d5")
        assert burst.status_code == 429 and burst.json()["code"] == "DEPOSIT_VELOCITY_EXCEEDED"
        assert int(burst.headers["retry-after"]) == 3_600
        # A retry of an accepted request is not a new attempt.
        assert (await deposit(client, player, 2_000, key="d1")).status_code == 201
        codes = await pool.fetch("SELECT code FROM payment_risk_events ORDER BY id")
        assert [r["code"] for r in codes] == [
            "DEPOSIT_AMOUNT_LIMIT_EXCEEDED",
            "DEPOSIT_VELOCITY_EXCEEDED",
        ]
        assert await count(pool, "SELECT count(*) FROM deposits") == 3

    async def test_bad_settings_fall_back_to_defaults(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        await set_operator_settings(
            client,
            world.admin,
            world.alpha.operator_id,
            {"payments": {"velocity": {"depositMaxCount": -5}}},
        )
        assert (await deposit(client, world.alpha.player, 1_000)).status_code == 201
