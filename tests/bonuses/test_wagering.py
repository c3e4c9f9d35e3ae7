"""Deposit bonuses and wagering: matching, progress by game weight, conversion with a cap,
withdrawal gating and forfeiture, the max bet, queueing, expiry and suppression."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from croupier.bonuses import service as bonuses
from croupier.bonuses.errors import BonusMaxBetError
from croupier.config import Settings
from croupier.db.pool import unit_of_work
from croupier.safety import tools as safety_tools
from tests import factories
from tests.bonuses.helpers import by_kind, create_rule, my_bonuses, wager
from tests.ledger.helpers import assert_audit_ok
from tests.payments.helpers import World, completed_deposit, deposit, wallet, withdraw


async def _topics(pool: asyncpg.Pool, topic: str) -> list[dict]:
    rows = await pool.fetch("SELECT payload FROM outbox WHERE topic = $1 ORDER BY id", topic)
    return [row["payload"] for row in rows]


class TestDepositMatch:
    async def test_match_wagering_and_capped_conversion(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, world: World
    ) -> None:
        casino = world.alpha
        await create_rule(
            client, casino.operator_admin, maxConversion=600, gameWeights={"pharaoh-gold": 5_000}
        )
        await completed_deposit(client, settings, casino.player, 1_000, bonusCode="welcome")
        balances = await wallet(client, casino.player)
        assert (balances["cash"], balances["bonus"]) == (1_000, 1_000)
        grants = await my_bonuses(client, casino.player)
        match = by_kind(grants, "deposit_match")
        assert (match["status"], match["wageringRequired"]) == ("active", 2_000)
        assert by_kind(grants, "deposit_wagering")["wageringRequired"] == 1_000

        blocked = await withdraw(client, casino.player, 500)
        assert blocked.status_code == 403 and blocked.json()["code"] == "WAGERING_INCOMPLETE"
        # Half weight: 1200 staked on pharaoh-gold counts 600.
        await wager(
            pool,
            operator_id=casino.operator_id,
            player_id=casino.player_id,
            stake_cash=1_200,
            game_key="pharaoh-gold",
        )
        match = by_kind(await my_bonuses(client, casino.player), "deposit_match")
        assert match["wageringProgress"] == 600
        await wager(
            pool, operator_id=casino.operator_id, player_id=casino.player_id, stake_cash=1_400
        )
        grants = await my_bonuses(client, casino.player, "completed")
        assert by_kind(grants, "deposit_wagering")["wageringRemaining"] == 0
        match = by_kind(grants, "deposit_match")
        assert (match["convertedAmount"], match["forfeitedAmount"]) == (600, 400)
        balances = await wallet(client, casino.player)
        assert (balances["cash"], balances["bonus"]) == (1_600, 0)
        assert [e["status"] for e in await _topics(pool, "bonus")][-1] == "completed"
        assert (await withdraw(client, casino.player, 1_600)).status_code == 201
        await assert_audit_ok(pool)

    async def test_bad_codes_refuse_the_deposit(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        await create_rule(client, world.alpha.operator_admin, minDeposit=5_000)
        unknown = await deposit(client, world.alpha.player, 1_000, bonusCode="NOPE")
        assert unknown.status_code == 422 and unknown.json()["code"] == "BONUS_CODE_INVALID"
        small = await deposit(client, world.alpha.player, 1_000, bonusCode="WELCOME")
        assert small.status_code == 422
        assert await pool.fetchval("SELECT count(*) FROM deposits") == 0

    async def test_withdrawal_forfeits_the_bonus(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, world: World
    ) -> None:
        casino = world.alpha
        await create_rule(client, casino.operator_admin, maxBet=200)
        await completed_deposit(client, settings, casino.player, 1_000, bonusCode="WELCOME")
        async with unit_of_work(pool) as uow:
            with pytest.raises(BonusMaxBetError):
                (
                    await bonuses.open_spin(uow.conn, player_id=casino.player_id, game_id=1)
                ).check_stake(201)
            (await bonuses.open_spin(uow.conn, player_id=casino.player_id, game_id=1)).check_stake(
                200
            )
        await wager(
            pool, operator_id=casino.operator_id, player_id=casino.player_id, stake_cash=1_000
        )
        response = await withdraw(client, casino.player, 400)
        assert response.status_code == 201, response.text
        balances = await wallet(client, casino.player)
        assert (balances["cash"], balances["bonus"], balances["reserved"]) == (1_000, 0, 400)
        forfeited = by_kind(await my_bonuses(client, casino.player, "forfeited"), "deposit_match")
        assert (forfeited["forfeitedAmount"], forfeited["endReason"]) == (
            1_000,
            "withdrawal_requested",
        )
        async with unit_of_work(pool) as uow:  # no bonus, no cap
            (await bonuses.open_spin(uow.conn, player_id=casino.player_id, game_id=1)).check_stake(
                10_000
            )
        await assert_audit_ok(pool)

    async def test_vip_boost_raises_the_match(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, world: World
    ) -> None:
        level = await client.post(
            "/api/v1/admin/vip-levels",
            json={"level": 1, "name": "Silver", "xpRequired": 1, "depositBonusBoostBp": 5_000},
            headers=world.admin.headers,
        )
        assert level.status_code == 201, level.text
        await create_rule(client, world.alpha.operator_admin, matchBp=5_000)
        await client.post(
            "/api/v1/vip/add-xp",
            json={"playerId": world.alpha.player_id, "xp": 5},
            headers=world.admin.headers,
        )
        await completed_deposit(client, settings, world.alpha.player, 1_000, bonusCode="WELCOME")
        # 50% of 1000 = 500, raised by 50% for the VIP level.
        assert (await wallet(client, world.alpha.player))["bonus"] == 750
        await assert_audit_ok(pool)


class TestDepositTurnover:
    async def test_each_deposit_is_wagered_once_oldest_first(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, world: World
    ) -> None:
        casino = world.alpha
        await completed_deposit(client, settings, casino.player, 1_000, key="first")
        await completed_deposit(client, settings, casino.player, 2_000, key="second")
        await wager(
            pool, operator_id=casino.operator_id, player_id=casino.player_id, stake_cash=1_500
        )
        tasks = sorted(
            (g["wageringRequired"], g["wageringProgress"], g["status"])
            for g in await my_bonuses(client, casino.player, "active")
            + await my_bonuses(client, casino.player, "completed")
        )
        assert tasks == [(1_000, 1_000, "completed"), (2_000, 500, "active")]
        blocked = await withdraw(client, casino.player, 100)
        assert blocked.json()["details"]["remaining"] == 1_500
        await wager(
            pool, operator_id=casino.operator_id, player_id=casino.player_id, stake_cash=1_500
        )
        assert (await withdraw(client, casino.player, 100)).status_code == 201


class TestQueueExpiryAndLoss:
    async def test_second_bonus_waits_for_the_first(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, world: World
    ) -> None:
        casino = world.alpha
        await create_rule(client, casino.operator_admin, wageringMultiplier=1)
        await create_rule(
            client,
            casino.operator_admin,
            code="FREE10",
            kind="no_deposit",
            bonusAmount=300,
            wageringMultiplier=0,
        )
        await completed_deposit(client, settings, casino.player, 1_000, bonusCode="WELCOME")
        claimed = await client.post(
            "/api/v1/bonuses/claim", json={"code": "free10"}, headers=casino.player.headers
        )
        assert claimed.status_code == 201 and claimed.json()["status"] == "queued"
        twice = await client.post(
            "/api/v1/bonuses/claim", json={"code": "FREE10"}, headers=casino.player.headers
        )
        assert twice.status_code == 409
        assert (await wallet(client, casino.player))["bonus"] == 1_000
        await wager(
            pool, operator_id=casino.operator_id, player_id=casino.player_id, stake_cash=1_000
        )
        # The match converted; the queued no-deposit bonus then activated and, with nothing to
        # wager, converted at once.
        balances = await wallet(client, casino.player)
        assert (balances["cash"], balances["bonus"]) == (2_300, 0)
        assert await my_bonuses(client, casino.player) == []
        await assert_audit_ok(pool)

    async def test_expiry_returns_the_bonus_to_marketing(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, world: World
    ) -> None:
        casino = world.alpha
        await create_rule(client, casino.operator_admin)
        await completed_deposit(client, settings, casino.player, 1_000, bonusCode="WELCOME")
        await pool.execute(
            "UPDATE bonus_grants SET expires_at = now() - interval '1 second' WHERE kind = $1",
            "deposit_match",
        )
        async with unit_of_work(pool) as uow:
            await bonuses.expire_due(uow.conn)
        assert (await wallet(client, casino.player))["bonus"] == 0
        expired = by_kind(await my_bonuses(client, casino.player, "expired"), "deposit_match")
        assert expired["forfeitedAmount"] == 1_000
        await assert_audit_ok(pool)

    async def test_bonus_spent_to_zero_is_lost(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, world: World
    ) -> None:
        casino = world.alpha
        await create_rule(client, casino.operator_admin)
        await completed_deposit(client, settings, casino.player, 1_000, bonusCode="WELCOME")
        await factories.fund_player(
            client, casino.operator_admin, casino.player_id, -1_000, account="bonus", key="spent"
        )
        await wager(
            pool,
            operator_id=casino.operator_id,
            player_id=casino.player_id,
            stake_cash=0,
            stake_bonus=100,
        )
        lost = by_kind(await my_bonuses(client, casino.player, "lost"), "deposit_match")
        assert lost["endReason"] == "bonus_balance_spent"
        await assert_audit_ok(pool)

    async def test_suppressed_players_get_no_bonus(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, world: World
    ) -> None:
        casino = world.alpha
        await create_rule(client, casino.operator_admin)
        await create_rule(
            client, casino.operator_admin, code="FREE", kind="no_deposit", bonusAmount=100
        )
        async with unit_of_work(pool) as uow:
            await safety_tools.start_time_out(
                uow.conn, operator_id=casino.operator_id, player_id=casino.player_id, days=1
            )
        claim = await client.post(
            "/api/v1/bonuses/claim", json={"code": "FREE"}, headers=casino.player.headers
        )
        assert claim.status_code == 403 and claim.json()["code"] == "BONUS_NOT_AVAILABLE"
        assert (
            await pool.fetchval(
                "SELECT count(*) FROM bonus_grants WHERE kind <> 'deposit_wagering'"
            )
            == 0
        )
