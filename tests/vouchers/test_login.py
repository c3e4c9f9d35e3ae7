"""Player login with login code + PIN: one error for every failure, throttled per login code and
per IP, refused during a safety time-out; the PIN is never stored in the clear."""

from __future__ import annotations

import asyncpg
import httpx

from croupier.safety import tools as safety_tools
from tests.vouchers.conftest import Player, World, issue_codes, redeem_and_login


async def _login(
    client: httpx.AsyncClient, login_code: str, pin: str, **extra: str
) -> httpx.Response:
    return await client.post(
        "/api/v1/player/login", json={"loginCode": login_code, "pin": pin, **extra}
    )


async def _player(client: httpx.AsyncClient, world: World) -> Player:
    (code,) = await issue_codes(client, world.shop.owner, world.shop.id)
    return await redeem_and_login(client, code)


def _wrong(pin: str) -> str:
    return f"{(int(pin) + 1) % 1_000_000:06d}"


async def test_one_error_for_wrong_pin_and_unknown_code(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    player = await _player(client, world)
    wrong_pin = await _login(client, player.login_code, _wrong(player.pin))
    unknown = await _login(client, "ZZZZZ-ZZZZZ", player.pin)
    other_operator = await _login(client, player.login_code, player.pin, operatorSlug="nowhere")
    assert wrong_pin.status_code == unknown.status_code == 401
    assert {wrong_pin.json()["message"], unknown.json()["message"]} == {
        "Invalid login code or PIN."
    }
    assert other_operator.status_code == 422

    typed = player.login_code.lower().replace("-", "")
    response = await _login(client, typed, player.pin, operatorSlug="playtime")
    assert response.status_code == 200 and response.json()["tokenType"] == "Bearer"
    assert response.json()["playerId"] == player.id

    stored = await pool.fetchval("SELECT pin_hash FROM players WHERE id = $1", player.id)
    assert stored.startswith("$argon2id$") and player.pin not in stored
    bad_format = await _login(client, player.login_code, "12345")
    assert bad_format.status_code == 422


async def test_login_is_throttled_per_login_code(client: httpx.AsyncClient, world: World) -> None:
    player = await _player(client, world)
    for _ in range(5):  # the test settings allow 5 failures per account in the window
        assert (await _login(client, player.login_code, _wrong(player.pin))).status_code == 401
    blocked = await _login(client, player.login_code, player.pin)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0


async def test_login_is_throttled_per_ip(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    player = await _player(client, world)
    for attempt in range(20):
        assert (await _login(client, f"AAAAA-{attempt:05d}", "000000")).status_code == 401
    assert (await _login(client, player.login_code, player.pin)).status_code == 429
    await pool.execute("UPDATE voucher_failed_attempts SET created_at = now() - interval '1 day'")
    assert (await _login(client, player.login_code, player.pin)).status_code == 200


async def test_a_safety_time_out_refuses_the_login(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    player = await _player(client, world)
    async with pool.acquire() as conn, conn.transaction():
        await safety_tools.start_time_out(
            conn, operator_id=world.operator_id, player_id=player.id, days=1
        )
    response = await _login(client, player.login_code, player.pin)
    assert response.status_code == 403, response.text
    sessions = await pool.fetchval(
        "SELECT count(*) FROM auth_sessions WHERE subject_type = 'player' AND subject_id = $1",
        player.id,
    )
    assert sessions == 1  # the one from before the time-out
