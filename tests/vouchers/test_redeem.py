"""Redemption: exactly once under concurrency, one generic error for every bad code, throttled
per IP; expired and voided vouchers give their value back to the agent's float."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from croupier.vouchers.audit import voucher_mismatches
from croupier.vouchers.expiry import run_expiry_sweep
from tests.ledger.helpers import assert_audit_ok
from tests.vouchers.conftest import World, agent_view, issue_codes, redeem_and_login, snapshot


def _without_request_id(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    body.pop("requestId")
    return body


async def _redeem(client: httpx.AsyncClient, code: str) -> httpx.Response:
    return await client.post("/api/v1/voucher/redeem", json={"code": code})


async def test_concurrent_redemption_of_one_voucher_makes_one_player(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    (code,) = await issue_codes(client, world.shop.cashier, world.shop.id)
    responses = await asyncio.gather(*(_redeem(client, code) for _ in range(20)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [400] * 19
    assert await pool.fetchval("SELECT count(*) FROM players WHERE kind = 'ephemeral'") == 1
    transfers = await pool.fetchval(
        "SELECT count(*) FROM ledger_transfers WHERE type = 'voucher_redeem'"
    )
    assert transfers == 1
    assert await pool.fetchval("SELECT status FROM vouchers") == "redeemed"
    await assert_audit_ok(pool)
    async with pool.acquire() as conn:
        assert await voucher_mismatches(conn) == []


async def test_every_bad_code_gets_the_same_answer(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    used, expired, voided, good = await issue_codes(
        client, world.shop.owner, world.shop.id, amount=1_000, count=4
    )
    assert (await _redeem(client, used)).status_code == 201
    await pool.execute(
        "UPDATE vouchers SET expires_at = now() - interval '1 second' WHERE code_hint = $1",
        expired[-4:],
    )
    voided_id = await pool.fetchval("SELECT id FROM vouchers WHERE code_hint = $1", voided[-4:])
    response = await client.post(
        f"/api/v1/voucher/agents/{world.shop.id}/vouchers/{voided_id}/void",
        headers=world.shop.owner.headers,
    )
    assert response.status_code == 200 and response.json()["status"] == "voided"
    before = await snapshot(pool)

    answers = [
        await _redeem(client, code)
        for code in (used, expired, voided, "ABCD-EFGH-JKLM-NPQR", "not a code", "0" * 16)
    ]
    assert {response.status_code for response in answers} == {400}
    bodies = [_without_request_id(response) for response in answers]
    assert bodies[0] == {"code": "VOUCHER_INVALID", "message": "This voucher code is not valid."}
    assert all(body == bodies[0] for body in bodies)
    assert await snapshot(pool) == before

    # Case, spaces and hyphens do not matter to a good code.
    typed = good.lower().replace("-", " ")
    assert (await _redeem(client, typed)).status_code == 201
    await assert_audit_ok(pool)


async def test_redemption_is_throttled_per_ip(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    (good,) = await issue_codes(client, world.shop.owner, world.shop.id)
    for attempt in range(20):  # the test settings allow 20 failures per IP in the window
        response = await _redeem(client, f"BAD{attempt:02d}")
        assert response.status_code == 400
    response = await _redeem(client, good)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert await pool.fetchval("SELECT status FROM vouchers") == "active"

    await pool.execute("UPDATE voucher_failed_attempts SET created_at = now() - interval '1 day'")
    assert (await _redeem(client, good)).status_code == 201


async def test_expired_vouchers_give_their_value_back(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    shop = world.shop
    codes = await issue_codes(client, shop.owner, shop.id, amount=10_000, count=3)
    await redeem_and_login(client, codes[0])
    await pool.execute(
        "UPDATE vouchers SET expires_at = now() - interval '1 minute' WHERE status = 'active'"
    )
    view = await agent_view(client, shop.owner, shop.id)
    assert (view["floatBalance"], view["outstanding"]) == (955_000, 30_000)

    response = await client.post("/api/v1/voucher/expire", headers=world.operator_admin.headers)
    assert response.json() == {"released": 2}
    view = await agent_view(client, shop.owner, shop.id)
    assert (view["floatBalance"], view["outstanding"]) == (985_000, 0)
    statuses = await pool.fetch("SELECT status FROM vouchers ORDER BY id")
    assert [row["status"] for row in statuses] == ["redeemed", "expired", "expired"]
    again = await client.post("/api/v1/voucher/expire", headers=world.operator_admin.headers)
    assert again.json() == {"released": 0}
    await assert_audit_ok(pool)
    async with pool.acquire() as conn:
        assert await voucher_mismatches(conn) == []


async def test_issuing_releases_the_agents_expired_vouchers_first(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    shop = await world.add_shop(client, "small", float_amount=15_000)
    await issue_codes(client, shop.owner, shop.id, amount=10_000)
    await pool.execute("UPDATE vouchers SET expires_at = now() - interval '1 second'")
    # The float is empty until the expired voucher's 15,000 comes back, which the issue does.
    (code,) = await issue_codes(client, shop.owner, shop.id, amount=10_000)
    assert (await agent_view(client, shop.owner, shop.id))["floatBalance"] == 0
    assert (await _redeem(client, code)).status_code == 201
    await assert_audit_ok(pool)


async def test_the_expiry_job_releases_every_operator(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    await issue_codes(client, world.shop.owner, world.shop.id, amount=1_000, count=7)
    await pool.execute("UPDATE vouchers SET expires_at = now() - interval '1 second'")
    assert await run_expiry_sweep(pool, batch=3) == 7
    assert await run_expiry_sweep(pool) == 0
    assert (await agent_view(client, world.shop.owner, world.shop.id))["floatBalance"] == 1_000_000
    await assert_audit_ok(pool)


async def test_voiding_is_for_the_agent_and_only_for_active_vouchers(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    shop = world.shop
    redeemed, spare = await issue_codes(client, shop.owner, shop.id, amount=2_000, count=2)
    await redeem_and_login(client, redeemed)
    ids = [row["id"] for row in await pool.fetch("SELECT id FROM vouchers ORDER BY id")]

    def void(voucher_id: int) -> str:
        return f"/api/v1/voucher/agents/{shop.id}/vouchers/{voucher_id}/void"

    assert (await client.post(void(ids[1]), headers=shop.cashier.headers)).status_code == 403
    redeemed_void = await client.post(void(ids[0]), headers=shop.owner.headers)
    assert redeemed_void.status_code == 409
    assert (await client.post(void(ids[1]), headers=shop.owner.headers)).status_code == 200
    assert (await client.post(void(ids[1]), headers=shop.owner.headers)).status_code == 409
    assert (await client.post(void(999), headers=shop.owner.headers)).status_code == 404
    assert (await agent_view(client, shop.owner, shop.id))["floatBalance"] == 1_000_000 - 3_000
    assert (await _redeem(client, spare)).status_code == 400
    listed = await client.get(
        f"/api/v1/voucher/agents/{shop.id}/vouchers?status=voided", headers=shop.cashier.headers
    )
    assert [voucher["id"] for voucher in listed.json()["items"]] == [ids[1]]
    assert listed.json()["items"][0]["code"] is None
    await assert_audit_ok(pool)
