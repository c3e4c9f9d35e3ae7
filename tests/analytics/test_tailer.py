"""The tailer: never skips a transfer of a transaction still in flight, folds a spin within
seconds when running as a loop, and pushes it to that operator's admins only."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
import uvicorn
import websockets

from croupier.analytics import worker
from croupier.app import create_app
from croupier.config import Settings
from croupier.ledger import service as ledger
from croupier.wallets import service as wallets
from tests import factories
from tests.analytics.conftest import deposit, fold
from tests.bets.conftest import build_world


async def _deposits(pool: asyncpg.Pool) -> list[int]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT cash_delta FROM ledger_events WHERE type = 'deposit' ORDER BY id"
        )
    return [r["cash_delta"] for r in rows]


async def test_a_transaction_in_flight_is_folded_after_it_commits(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    admin = await factories.platform_admin(client)
    operator = await factories.create_operator(client, admin, "tail-co")
    player = await factories.register_player(client, "tail-co", "tailer")
    other = await factories.register_player(client, "tail-co", "quick")
    op, pid = operator["id"], player.subject_id
    await deposit(pool, op, pid, 100, "first")

    slow = await pool.acquire()
    try:
        tx = slow.transaction()
        await tx.start()
        world = await ledger.ensure_account(slow, operator_id=op, kind="world", currency="USD")
        await wallets.credit(
            slow,
            operator_id=op,
            player_id=pid,
            amount=300,
            from_account_id=world,
            type="deposit",
            idempotency_key="slow",
            request={},
            reference="deposit:slow",
        )  # its xid is older than the next deposit's, which commits first
        await deposit(pool, op, other.subject_id, 200, "fast")
        await worker.run_once(pool)
        await asyncio.sleep(1.5)  # and let the app's own loop try too
        assert await _deposits(pool) == [100]  # the horizon stops below the open transaction
        await tx.commit()
    finally:
        await pool.release(slow)
    await fold(pool)
    assert sorted(await _deposits(pool)) == [100, 200, 300]
    await fold(pool)
    assert len(await _deposits(pool)) == 3  # folded exactly once


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def ws_server(settings: Settings) -> AsyncIterator[int]:
    app = create_app(settings)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    yield port
    server.should_exit = True
    await task


async def test_a_spin_is_live_within_seconds_for_its_operator_only(
    client: httpx.AsyncClient, pool: asyncpg.Pool, ws_server: int
) -> None:
    world = await build_world(client)
    beta = await factories.create_operator(client, world.admin, "beta")
    beta_admin = await factories.create_operator_admin(client, world.admin, beta["id"], "b@beta.io")
    await factories.fund_player(client, world.operator_admin, world.player.subject_id, 10_000)
    await fold(pool)

    stop = asyncio.Event()
    loop = asyncio.create_task(worker.run_forever(pool, stop))
    base = f"ws://127.0.0.1:{ws_server}/ws/operator?token="
    try:
        async with (
            websockets.connect(base + world.operator_admin.token) as alpha_ws,
            websockets.connect(base + beta_admin.token) as beta_ws,
        ):
            await asyncio.sleep(0.3)
            started = time.monotonic()
            spin = (await world.spin(client, stake=100, key="live-1")).json()
            seen = None
            while seen is None and time.monotonic() - started < 5:
                overview = (
                    await client.get(
                        "/api/v1/admin/analytics/overview", headers=world.operator_admin.headers
                    )
                ).json()
                seen = overview if overview["totals"]["rounds"] == 1 else None
                await asyncio.sleep(0.1)
            delay = time.monotonic() - started
            assert seen is not None and delay < 5, delay
            assert seen["totals"]["handle"] == 100
            assert seen["totals"]["payout"] == spin["win"] + spin["jackpotWin"]

            topics = {}
            while len(topics) < 2:
                message = json.loads(await asyncio.wait_for(alpha_ws.recv(), 5))
                topics[message["topic"]] = message["data"]
            assert topics["analytics.kpis"]["delta"]["handle"] == 100
            assert {i["type"] for i in topics["analytics.transactions"]["items"]} >= {"bet"}
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(beta_ws.recv(), 1.0)
    finally:
        stop.set()
        await loop
