"""Cash-outs: the player's request holds the cash; the agent's own staff pay (the FUN goes back
to the float) or reject (the hold is voided); a cash-out that empties the balance forfeits the
held bonus to the agent."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx

from croupier.vouchers.audit import voucher_mismatches
from tests import factories
from tests.factories import Session
from tests.ledger.helpers import assert_audit_ok
from tests.vouchers.conftest import (
    Player,
    World,
    agent_view,
    issue_codes,
    me,
    redeem_and_login,
    snapshot,
)


async def _player(client: httpx.AsyncClient, world: World, amount: int = 10_000) -> Player:
    (code,) = await issue_codes(client, world.shop.owner, world.shop.id, amount=amount)
    return await redeem_and_login(client, code)


async def _request(
    client: httpx.AsyncClient, player: Player, amount: int, **extra: Any
) -> httpx.Response:
    return await client.post(
        "/api/v1/player/redemptions",
        json={"amount": amount, **extra},
        headers=player.session.headers,
    )


async def _resolve(
    client: httpx.AsyncClient, staff: Session, cashout_id: int, status: str, **extra: Any
) -> httpx.Response:
    return await client.put(
        f"/api/v1/voucher/redemptions/{cashout_id}",
        json={"status": status, **extra},
        headers=staff.headers,
    )


async def test_the_shop_pays_a_cash_out(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    shop = world.shop
    player = await _player(client, world)
    response = await _request(client, player, 4_000, idempotencyKey="out-1")
    assert response.status_code == 201, response.text
    cashout = response.json()
    assert cashout["status"] == "PENDING" and cashout["agentId"] == shop.id
    state = await me(client, player)
    assert state["balances"]["reserved"] == 4_000 and state["balances"]["withdrawable"] == 6_000
    retried = await _request(client, player, 4_000, idempotencyKey="out-1")
    assert retried.json()["id"] == cashout["id"]
    assert (await _request(client, player, 5_000, idempotencyKey="out-1")).status_code == 409

    queue = await client.get(
        "/api/v1/voucher/redemptions?status=PENDING", headers=shop.cashier.headers
    )
    assert [item["id"] for item in queue.json()["items"]] == [cashout["id"]]
    other = await world.add_shop(client, "other")
    assert (await _resolve(client, other.cashier, cashout["id"], "PAID")).status_code == 404
    assert (await _resolve(client, world.operator_admin, cashout["id"], "PAID")).status_code == 403
    empty = await client.get("/api/v1/voucher/redemptions", headers=other.owner.headers)
    assert empty.json()["items"] == []

    paid = await _resolve(client, shop.cashier, cashout["id"], "PAID")
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "PAID"
    assert paid.json()["cashierId"] == shop.cashier.subject_id
    assert paid.json()["resolvedBy"] == shop.cashier.subject_id
    assert (await _resolve(client, shop.owner, cashout["id"], "PAID")).status_code == 409

    state = await me(client, player)
    assert state["balances"]["cash"] == 6_000 and state["balances"]["reserved"] == 0
    assert state["bonus"]["state"] == "held"  # 60.00 FUN left: play goes on, the bonus waits
    view = await agent_view(client, shop.owner, shop.id)
    assert view["floatBalance"] == 1_000_000 - 15_000 + 4_000
    mine = await client.get("/api/v1/player/redemptions", headers=player.session.headers)
    assert [item["status"] for item in mine.json()["items"]] == ["PAID"]
    await assert_audit_ok(pool)


async def test_two_cashiers_pay_one_cash_out_once(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    player = await _player(client, world)
    cashout = (await _request(client, player, 3_000)).json()
    responses = await asyncio.gather(
        _resolve(client, world.shop.cashier, cashout["id"], "PAID"),
        _resolve(client, world.shop.owner, cashout["id"], "PAID"),
        _resolve(client, world.shop.owner, cashout["id"], "REJECTED", reason="late"),
    )
    assert sorted(response.status_code for response in responses) == [200, 409, 409]
    view = await agent_view(client, world.shop.owner, world.shop.id)
    winner = next(r.json() for r in responses if r.status_code == 200)
    expected = 1_000_000 - 15_000 + (3_000 if winner["status"] == "PAID" else 0)
    assert view["floatBalance"] == expected
    await assert_audit_ok(pool)


async def test_a_rejected_cash_out_gives_the_cash_back(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    player = await _player(client, world)
    cashout = (await _request(client, player, 10_000)).json()
    assert (await me(client, player))["balances"]["withdrawable"] == 0
    no_reason = await _resolve(client, world.shop.owner, cashout["id"], "REJECTED")
    assert no_reason.status_code == 422
    rejected = await _resolve(
        client, world.shop.owner, cashout["id"], "REJECTED", reason="ID did not match"
    )
    assert rejected.status_code == 200 and rejected.json()["cashierId"] is None
    state = await me(client, player)
    assert state["balances"] == {
        "cash": 10_000,
        "heldBonus": 5_000,
        "reserved": 0,
        "withdrawable": 10_000,
    }
    await assert_audit_ok(pool)


async def test_cashing_out_everything_forfeits_the_held_bonus_to_the_agent(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    player = await _player(client, world)
    cashout = (await _request(client, player, 9_950)).json()
    assert (await me(client, player))["bonus"]["state"] == "held"  # pending: still the player's
    await _resolve(client, world.shop.cashier, cashout["id"], "PAID")
    state = await me(client, player)
    assert state["balances"] == {"cash": 50, "heldBonus": 0, "reserved": 0, "withdrawable": 50}
    assert state["bonus"] == {
        "state": "forfeited",
        "amount": 5_000,
        "popup": False,
        "grantedAt": None,
    }
    view = await agent_view(client, world.shop.owner, world.shop.id)
    assert view["floatBalance"] == 1_000_000 - 15_000 + 9_950 + 5_000
    await assert_audit_ok(pool)
    async with pool.acquire() as conn:
        assert await voucher_mismatches(conn) == []


async def test_cash_outs_are_refused_beyond_the_withdrawable_balance(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    player = await _player(client, world)
    before = await snapshot(pool)
    response = await _request(client, player, 10_001)
    assert response.status_code == 402 and response.json()["code"] == "INSUFFICIENT_WITHDRAWABLE"
    for bad in (100.0, "100", -5, 0, True):
        assert (await _request(client, player, bad)).status_code == 422  # type: ignore[arg-type]
    assert await snapshot(pool) == before


async def test_only_voucher_players_cash_out_at_a_shop(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    regular = await factories.register_player(client, "playtime", "regular")
    response = await client.post(
        "/api/v1/player/redemptions", json={"amount": 100}, headers=regular.headers
    )
    assert response.status_code == 403 and response.json()["code"] == "NOT_VOUCHER_PLAYER"
