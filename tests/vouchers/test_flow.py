"""Seed 000 end to end: fund agent → issue → redeem → login → spin → popup at ≤ 1.00 FUN → ack →
no second bonus; and the agent is charged exactly 150% of every voucher."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx

from croupier.vouchers.audit import voucher_mismatches
from tests.ledger.helpers import assert_audit_ok
from tests.vouchers.conftest import (
    Player,
    World,
    agent_view,
    issue,
    issue_codes,
    me,
    redeem_and_login,
    snapshot,
)

NEON_LINES = 5  # neon-fruits stakes are multiples of its 5 lines, up to 50,000
NEON_MAX = 50_000


async def spin(client: httpx.AsyncClient, world: World, player: Player, stake: int) -> None:
    response = await client.post(
        "/api/v1/bet/spin",
        json={"gameId": world.game_id, "stake": stake},
        headers=player.session.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["currency"] == "FUN"


async def spin_down(client: httpx.AsyncClient, world: World, player: Player) -> dict[str, Any]:
    """Play all-in until the cash is 1.00 FUN or less, or the bonus popup shows (reading the
    state evaluates the trigger, which may just have credited the bonus); returns that state."""
    # All-in rounds end at the first loss, but a big win can leave far more than the game's
    # maximum bet to lose back: 500 rounds were not enough in ≈ 0.2 % of simulated runs.
    for _ in range(5_000):
        state = await me(client, player)
        cash = state["balances"]["cash"]
        if cash <= 100 or state["bonus"]["popup"]:
            return state
        await spin(client, world, player, min(cash - cash % NEON_LINES, NEON_MAX))
    raise AssertionError("the balance never came down")


async def test_seed_000_flow(client: httpx.AsyncClient, pool: asyncpg.Pool, world: World) -> None:
    shop = world.shop
    before = await agent_view(client, world.operator_admin, shop.id)
    assert before["floatBalance"] == 1_000_000 and before["currency"] == "FUN"

    response = await issue(client, shop.cashier, shop.id, amount=10_000, count=2)
    assert response.status_code == 201, response.text
    batch = response.json()
    assert batch["charged"] == 30_000 and batch["bonus"] == 5_000
    assert batch["floatBalance"] == 970_000
    vouchers = batch["vouchers"]
    assert all(
        v["status"] == "active" and v["cashierId"] == shop.cashier.subject_id for v in vouchers
    )
    assert all(v["region"] == "CA" and v["code"][-4:] == v["codeHint"] for v in vouchers)

    player = await redeem_and_login(client, vouchers[0]["code"])
    state = await me(client, player)
    assert state["loginCode"] == player.login_code and state["agentId"] == shop.id
    assert state["currency"] == "FUN"
    assert state["balances"] == {
        "cash": 10_000,
        "heldBonus": 5_000,
        "reserved": 0,
        "withdrawable": 10_000,
    }
    assert state["bonus"] == {"state": "held", "amount": 5_000, "popup": False, "grantedAt": None}
    row = await pool.fetchrow(
        "SELECT kind, agent_id, cashier_id, region FROM players WHERE id = $1", player.id
    )
    assert dict(row) == {
        "kind": "ephemeral",
        "agent_id": shop.id,
        "cashier_id": shop.cashier.subject_id,
        "region": "CA",
    }
    after_redeem = await agent_view(client, shop.owner, shop.id)
    assert (after_redeem["floatBalance"], after_redeem["outstanding"]) == (970_000, 15_000)

    state = await spin_down(client, world, player)
    assert state["bonus"]["state"] == "granted_unacknowledged"
    assert state["bonus"]["popup"] is True and state["bonus"]["amount"] == 5_000
    assert state["balances"]["heldBonus"] == 0
    assert 5_000 <= state["balances"]["cash"] <= 5_100

    response = await client.post("/api/v1/player/bonus/ack", headers=player.session.headers)
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "acknowledged" and response.json()["popup"] is False
    again = await client.post("/api/v1/player/bonus/ack", headers=player.session.headers)
    assert again.json() == response.json()

    state = await spin_down(client, world, player)
    assert state["bonus"]["state"] == "acknowledged" and state["bonus"]["popup"] is False
    assert state["balances"]["heldBonus"] == 0
    grants = await pool.fetchval(
        "SELECT count(*) FROM ledger_transfers WHERE type = 'voucher_bonus_grant'"
    )
    assert grants == 1
    await assert_audit_ok(pool)
    async with pool.acquire() as conn:
        assert await voucher_mismatches(conn) == []


async def test_agent_is_charged_exactly_150_percent(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    shop = await world.add_shop(client, "exact", float_amount=20_000_000)
    float_balance = 20_000_000
    for amount, count in [(100, 1), (102, 7), (2_468, 13), (9_998, 100), (10_000_000, 1)]:
        response = await issue(client, shop.owner, shop.id, amount=amount, count=count)
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["bonus"] * 2 == amount
        assert body["charged"] * 2 == 3 * amount * count
        float_balance -= 3 * amount * count // 2
        assert body["floatBalance"] == float_balance
        moved = await pool.fetchval(
            """SELECT -e.amount FROM ledger_entries e
               JOIN ledger_transfers t ON t.id = e.transfer_id
               JOIN ledger_accounts a ON a.id = e.account_id
               WHERE t.type = 'voucher_issue' AND a.kind = 'agent_float' AND t.id = (
                   SELECT transfer_id FROM voucher_batches WHERE id = $1)""",
            body["batchId"],
        )
        assert moved * 2 == 3 * amount * count
    view = await agent_view(client, shop.owner, shop.id)
    assert view["floatBalance"] == float_balance
    assert view["outstanding"] == 20_000_000 - float_balance
    await assert_audit_ok(pool)


async def test_odd_amounts_are_refused_and_nothing_changes(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    before = await snapshot(pool)
    response = await issue(client, world.shop.owner, world.shop.id, amount=10_001)
    assert response.status_code == 422
    assert "even" in response.text
    assert await snapshot(pool) == before


async def test_agent_without_float_is_refused_and_nothing_changes(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    broke = await world.add_shop(client, "broke")
    before = await snapshot(pool)
    response = await issue(client, broke.owner, broke.id, amount=10_000)
    assert response.status_code == 402, response.text
    assert response.json()["code"] == "INSUFFICIENT_FLOAT"
    assert response.json()["details"] == {"float": 0, "required": 15_000}
    assert await snapshot(pool) == before


async def test_float_must_cover_amount_and_bonus_to_the_unit(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    shop = await world.add_shop(client, "tight", float_amount=29_999)
    before = await snapshot(pool)
    response = await issue(client, shop.cashier, shop.id, amount=10_000, count=2)
    assert response.status_code == 402
    assert await snapshot(pool) == before
    assert (await agent_view(client, shop.owner, shop.id))["floatBalance"] == 29_999

    response = await issue(client, shop.cashier, shop.id, amount=9_998, count=2)
    assert response.status_code == 201, response.text
    assert response.json()["floatBalance"] == 29_999 - 29_994
    await assert_audit_ok(pool)


async def test_issue_is_idempotent_and_codes_are_shown_once(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    shop = world.shop
    first = await issue(client, shop.owner, shop.id, amount=2_000, count=3, idempotencyKey="b-1")
    again = await issue(client, shop.owner, shop.id, amount=2_000, count=3, idempotencyKey="b-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["replayed"] is True and first.json()["replayed"] is False
    assert [v["id"] for v in again.json()["vouchers"]] == [
        v["id"] for v in first.json()["vouchers"]
    ]
    assert all(v["code"] is None for v in again.json()["vouchers"])
    assert (await agent_view(client, shop.owner, shop.id))["floatBalance"] == 1_000_000 - 9_000

    other = await issue(client, shop.owner, shop.id, amount=4_000, count=3, idempotencyKey="b-1")
    assert other.status_code == 409 and other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"

    codes = await pool.fetchval("SELECT count(DISTINCT code_hash) FROM vouchers")
    assert codes == 3
    await assert_audit_ok(pool)


async def test_codes_are_stored_only_as_hashes(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    (code,) = await issue_codes(client, world.shop.owner, world.shop.id)
    compact = code.replace("-", "")
    assert len(compact) == 16 and not set(compact) & set("01IO")
    dump = await pool.fetchval("SELECT string_agg(v::text, ' ') FROM vouchers v")
    assert compact not in dump and code not in dump


async def test_concurrent_issues_never_overdraw_the_float(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    shop = await world.add_shop(client, "race", float_amount=45_000)
    responses = await asyncio.gather(
        *(issue(client, shop.cashier, shop.id, amount=10_000) for _ in range(8))
    )
    assert sorted(response.status_code for response in responses) == [201] * 3 + [402] * 5
    assert (await agent_view(client, shop.owner, shop.id))["floatBalance"] == 0
    vouchers = await pool.fetchval("SELECT count(*) FROM vouchers WHERE agent_id = $1", shop.id)
    assert vouchers == 3
    await assert_audit_ok(pool)
