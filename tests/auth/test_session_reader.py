"""Session look-ups shared by concurrent requests (auth.session_reader), on real PostgreSQL."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest

from croupier.auth.session_reader import SessionReader
from croupier.db.pool import create_pool
from croupier.kit.security import token_hash
from tests.factories import create_operator, platform_admin, register_player


async def _players(client: httpx.AsyncClient, count: int) -> list:
    admin = await platform_admin(client)
    await create_operator(client, admin, "readers")
    return [await register_player(client, "readers", f"reader{i}") for i in range(count)]


async def test_concurrent_look_ups_are_read_together_and_each_gets_its_own_session(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    players = await _players(client, 6)
    reader = SessionReader(pool)
    hashes = [token_hash(p.token) for p in players]
    # Twice each token, plus one that is no session: 13 look-ups at once.
    rows = await asyncio.gather(
        *(reader.find(h) for h in [*hashes, *hashes, token_hash("not-a-session")])
    )
    assert [row["subject_id"] for row in rows[:12]] == [p.subject_id for p in players] * 2
    assert all(row["subject_active"] for row in rows[:12])
    assert rows[12] is None
    assert reader.lookups == 13
    assert reader.reads == 1  # all asked before the read began


async def test_look_ups_asked_during_a_read_share_the_next_one(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    players = await _players(client, 5)
    reader = SessionReader(pool)
    first = asyncio.create_task(reader.find(token_hash(players[0].token)))
    await asyncio.sleep(0)  # find() asks, and starts the read
    await asyncio.sleep(0)  # the read takes what is asked so far
    assert reader._reading is not None and not reader._waiting
    rest = await asyncio.gather(*(reader.find(token_hash(p.token)) for p in players[1:]))
    assert (await first)["subject_id"] == players[0].subject_id
    assert [row["subject_id"] for row in rest] == [p.subject_id for p in players[1:]]
    assert (reader.reads, reader.lookups) == (2, 5)


async def test_a_revoked_session_is_not_found(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    (player,) = await _players(client, 1)
    reader = SessionReader(pool)
    assert (await reader.find(token_hash(player.token)))["subject_id"] == player.subject_id
    out = await client.post("/api/v1/auth/logout", headers=player.headers)
    assert out.status_code in (200, 204)
    assert await reader.find(token_hash(player.token)) is None
    # And the spin endpoint, which authenticates through the reader, refuses it.
    spin = await client.post(
        "/api/v1/game/spin", headers=player.headers, json={"gameId": 1, "stake": 10}
    )
    assert spin.status_code == 401


async def test_a_failed_read_reaches_every_waiter_and_the_next_read_works(
    client: httpx.AsyncClient, pool: asyncpg.Pool, database_url: str
) -> None:
    (player,) = await _players(client, 1)
    closed = await create_pool(database_url, min_size=0, max_size=1)
    await closed.close()
    broken = SessionReader(closed)
    results = await asyncio.gather(
        *(broken.find(token_hash(player.token)) for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, Exception) for r in results)
    assert broken._reading is None  # idle again, so the next look-up starts a new read
    reader = SessionReader(pool)
    assert (await reader.find(token_hash(player.token)))["subject_id"] == player.subject_id


@pytest.mark.parametrize("header", [{}, {"Authorization": "Bearer nonsense"}])
async def test_the_spin_endpoint_refuses_a_missing_or_unknown_session(
    client: httpx.AsyncClient, header: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/game/spin", headers=header, json={"gameId": 1, "stake": 10}
    )
    assert response.status_code == 401
