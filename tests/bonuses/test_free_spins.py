"""Free spins: claimed by code, consumed one at a time (also concurrently), winnings paid as
bonus money that must be wagered before it converts."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from croupier.bonuses import service as bonuses
from croupier.bonuses.service import FreeSpin
from croupier.db.pool import unit_of_work
from tests import factories
from tests.bonuses.helpers import create_rule, my_bonuses, wager
from tests.ledger.helpers import assert_audit_ok
from tests.payments.helpers import World, wallet


async def _spins_rule(client: httpx.AsyncClient, world: World, **fields: object) -> dict:
    await factories.create_category(client, world.admin)
    game = await factories.create_builtin_game(client, world.admin, engine_key="neon-fruits")
    other = await factories.create_builtin_game(client, world.admin, engine_key="dragon-vault")
    await create_rule(
        client,
        world.alpha.operator_admin,
        code="SPINS",
        kind="free_spins",
        freeSpins=3,
        freeSpinGameId=game["id"],
        freeSpinValue=100,
        wageringMultiplier=2,
        **fields,
    )
    claimed = await client.post(
        "/api/v1/bonuses/claim", json={"code": "SPINS"}, headers=world.alpha.player.headers
    )
    assert claimed.status_code == 201, claimed.text
    return {"game": game["id"], "other": other["id"], "grant": claimed.json()}


async def _take(pool: asyncpg.Pool, world: World, game_id: int) -> FreeSpin | None:
    async with unit_of_work(pool) as uow:
        entry = await bonuses.open_spin(uow.conn, player_id=world.alpha.player_id, game_id=game_id)
        return entry.free_spin


async def _play(pool: asyncpg.Pool, world: World, game_id: int, win: int, ref: str) -> None:
    """One free spin as the spin plays it: take, then settle, in one unit of work."""
    async with unit_of_work(pool) as uow:
        spin = (
            await bonuses.open_spin(uow.conn, player_id=world.alpha.player_id, game_id=game_id)
        ).free_spin
        assert spin is not None and spin.stake_value == 100
        await bonuses.settle_free_spin(
            uow.conn,
            operator_id=world.alpha.operator_id,
            player_id=world.alpha.player_id,
            free_spin=spin,
            win=win,
            round_ref=ref,
        )


class TestFreeSpins:
    async def test_winnings_are_bonus_money_wagered_before_conversion(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        setup = await _spins_rule(client, world)
        assert setup["grant"]["freeSpinsLeft"] == 3 and setup["grant"]["status"] == "active"
        assert await _take(pool, world, setup["other"]) is None
        await _play(pool, world, setup["game"], 250, "r1")
        await _play(pool, world, setup["game"], 0, "r2")
        await _play(pool, world, setup["game"], 50, "r3")
        assert await _take(pool, world, setup["game"]) is None
        (grant,) = await my_bonuses(client, world.alpha.player)
        assert (grant["freeSpinsLeft"], grant["freeSpinWinnings"]) == (0, 300)
        assert grant["wageringRequired"] == 600
        balances = await wallet(client, world.alpha.player)
        assert (balances["cash"], balances["bonus"]) == (0, 300)

        await wager(
            pool,
            operator_id=world.alpha.operator_id,
            player_id=world.alpha.player_id,
            stake_cash=0,
            stake_bonus=600,
        )
        balances = await wallet(client, world.alpha.player)
        assert (balances["cash"], balances["bonus"]) == (300, 0)
        (done,) = await my_bonuses(client, world.alpha.player, "completed")
        assert done["convertedAmount"] == 300
        await assert_audit_ok(pool)

    async def test_spins_without_winnings_complete_with_nothing(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        setup = await _spins_rule(client, world)
        for ref in ("a", "b", "c"):
            await _play(pool, world, setup["game"], 0, ref)
        (done,) = await my_bonuses(client, world.alpha.player, "completed")
        assert done["convertedAmount"] == 0
        assert (await wallet(client, world.alpha.player))["bonus"] == 0

    async def test_concurrent_takes_never_exceed_the_spins(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        setup = await _spins_rule(client, world)
        taken = await asyncio.gather(*(_take(pool, world, setup["game"]) for _ in range(10)))
        assert sum(spin is not None for spin in taken) == 3
        (grant,) = await my_bonuses(client, world.alpha.player)
        assert grant["freeSpinsLeft"] == 0

    async def test_operator_grants_free_spins_once(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        await factories.create_category(client, world.admin)
        game = await factories.create_builtin_game(client, world.admin, engine_key="neon-fruits")
        rule = await create_rule(
            client,
            world.alpha.operator_admin,
            code="GIFT",
            kind="free_spins",
            freeSpins=5,
            freeSpinGameId=game["id"],
            freeSpinValue=50,
        )
        url = f"/api/v1/operator/players/{world.alpha.player_id}/bonuses"
        boss = world.alpha.operator_admin.headers
        first = await client.post(url, json={"ruleId": rule["id"]}, headers=boss)
        assert first.status_code == 201 and first.json()["freeSpinsTotal"] == 5
        again = await client.post(url, json={"ruleId": rule["id"]}, headers=boss)
        assert again.status_code == 409
        listed = await client.get(
            f"/api/v1/operator/bonuses?playerId={world.alpha.player_id}", headers=boss
        )
        assert [g["id"] for g in listed.json()["items"]] == [first.json()["id"]]
