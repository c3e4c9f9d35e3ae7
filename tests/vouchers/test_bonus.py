"""The 1.00 FUN trigger: the spin hook grants each voucher's bonus once, also under concurrent
spins, inside the spin's unit of work; GET /player/me evaluates it too."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from croupier.vouchers.audit import voucher_mismatches
from croupier.vouchers.bonus import after_spin
from tests import factories
from tests.ledger.helpers import assert_audit_ok
from tests.vouchers.conftest import Player, World, issue_codes, me, redeem_and_login


async def _player(client: httpx.AsyncClient, world: World, amount: int = 10_000) -> Player:
    (code,) = await issue_codes(client, world.shop.cashier, world.shop.id, amount=amount)
    return await redeem_and_login(client, code)


async def _after_spin(pool: asyncpg.Pool, world: World, player: Player, cash: int) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await after_spin(
            conn, operator_id=world.operator_id, player_id=player.id, cash_balance_after=cash
        )


async def _grants(pool: asyncpg.Pool) -> int:
    return await pool.fetchval(
        "SELECT count(*) FROM ledger_transfers WHERE type = 'voucher_bonus_grant'"
    )


async def test_the_hook_grants_at_one_fun_or_less_and_only_once(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    player = await _player(client, world)
    await _after_spin(pool, world, player, 101)
    assert (await me(client, player))["bonus"]["state"] == "held"

    await _after_spin(pool, world, player, 100)
    state = await me(client, player)
    assert state["bonus"]["state"] == "granted_unacknowledged" and state["bonus"]["popup"]
    assert state["balances"]["cash"] == 15_000 and state["balances"]["heldBonus"] == 0
    event = await pool.fetchrow("SELECT audience, payload FROM outbox WHERE topic = 'bonus'")
    assert event["audience"] == f"player:{player.id}"
    assert event["payload"]["event"] == "voucher_bonus_granted"
    assert event["payload"]["amount"] == 5_000 and event["payload"]["popup"] is True

    await _after_spin(pool, world, player, 0)
    assert await _grants(pool) == 1
    assert (await me(client, player))["balances"]["cash"] == 15_000
    await assert_audit_ok(pool)


async def test_concurrent_spins_grant_the_bonus_once(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    player = await _player(client, world)
    await asyncio.gather(*(_after_spin(pool, world, player, 0) for _ in range(12)))
    assert await _grants(pool) == 1
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE topic = 'bonus'") == 1
    assert (await me(client, player))["balances"]["cash"] == 15_000
    await assert_audit_ok(pool)
    async with pool.acquire() as conn:
        assert await voucher_mismatches(conn) == []


async def test_a_grant_rolls_back_with_the_spin_that_made_it(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    player = await _player(client, world)
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        await after_spin(
            conn, operator_id=world.operator_id, player_id=player.id, cash_balance_after=0
        )
        await transaction.rollback()
    assert await _grants(pool) == 0
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE topic = 'bonus'") == 0
    assert (await me(client, player))["bonus"]["state"] == "held"


async def test_a_balance_already_at_the_line_gets_its_bonus_on_reading_the_state(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    player = await _player(client, world, amount=100)
    state = await me(client, player)
    assert state["bonus"] == {
        "state": "granted_unacknowledged",
        "amount": 50,
        "popup": True,
        "grantedAt": state["bonus"]["grantedAt"],
    }
    assert state["balances"]["cash"] == 150
    ack = await client.post("/api/v1/player/bonus/ack", headers=player.session.headers)
    assert ack.json()["popup"] is False
    assert (await me(client, player))["bonus"]["state"] == "acknowledged"
    assert await _grants(pool) == 1
    await assert_audit_ok(pool)


async def test_players_without_a_voucher_are_left_alone(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    regular = await factories.register_player(client, "playtime", "regular")
    async with pool.acquire() as conn, conn.transaction():
        await after_spin(
            conn, operator_id=world.operator_id, player_id=regular.subject_id, cash_balance_after=0
        )
    response = await client.get("/api/v1/player/me", headers=regular.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["loginCode"] is None and body["agentId"] is None
    assert body["bonus"] == {"state": "none", "amount": 0, "popup": False, "grantedAt": None}
    ack = await client.post("/api/v1/player/bonus/ack", headers=regular.headers)
    assert ack.status_code == 200 and ack.json()["state"] == "none"
