"""/ws on a real uvicorn server: events arrive after commit, from any worker, never on rollback."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
import uvicorn
import websockets

from croupier.app import create_app
from croupier.config import Settings
from croupier.realtime import service as realtime
from tests import factories
from tests.bets.conftest import World, build_world


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def second_worker(settings: Settings) -> AsyncIterator[int]:
    """Another app instance with its own pool and LISTEN connection, served by uvicorn: what a
    second worker process is, minus the process."""
    app = create_app(settings)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    for _ in range(200):  # uvicorn exposes no start event; poll its flag for up to 10 s
        if server.started:
            break
        await asyncio.sleep(0.05)
    yield port
    server.should_exit = True
    await task


async def _next_event(ws: websockets.ClientConnection, wait: float = 5) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), wait))


class TestPlayerFeed:
    async def test_spin_event_reaches_a_socket_on_another_worker(
        self, client: httpx.AsyncClient, second_worker: int
    ) -> None:
        world: World = await build_world(client)
        await factories.fund_player(client, world.operator_admin, world.player.subject_id, 10_000)
        url = f"ws://127.0.0.1:{second_worker}/ws?token={world.player.token}"
        async with websockets.connect(url) as ws:
            await asyncio.sleep(0.2)
            spin = (await world.spin(client)).json()  # served by the first app instance
            event = await _next_event(ws)
        assert event["topic"] == "spin"
        assert event["data"]["roundId"] == spin["roundId"]
        assert event["data"]["balances"] == spin["balances"]

    async def test_rolled_back_spin_sends_nothing(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, second_worker: int
    ) -> None:
        world = await build_world(client)
        await factories.fund_player(client, world.operator_admin, world.player.subject_id, 10_000)
        # Make the commit of the next spin fail after its event was queued: a deferred check
        # that runs at COMMIT, the last moment a transaction can still roll back.
        await pool.execute("""
            CREATE FUNCTION refuse_spin_event() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'commit refused by the test'; END $$;
            CREATE CONSTRAINT TRIGGER refuse_spin_event AFTER INSERT ON outbox
                DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
                WHEN (NEW.topic = 'spin') EXECUTE FUNCTION refuse_spin_event();
        """)
        try:
            url = f"ws://127.0.0.1:{second_worker}/ws?token={world.player.token}"
            async with websockets.connect(url) as ws:
                await asyncio.sleep(0.2)
                failed = await world.spin(client)
                assert failed.status_code == 500
                with pytest.raises(TimeoutError):
                    await _next_event(ws, wait=1.5)
        finally:
            await pool.execute(
                "DROP TRIGGER refuse_spin_event ON outbox; DROP FUNCTION refuse_spin_event();"
            )
        wallet = (await client.get("/api/v1/wallet", headers=world.player.headers)).json()
        assert wallet["cash"] == 10_000
        assert await pool.fetchval("SELECT count(*) FROM bets") == 0

    async def test_an_event_too_big_for_notify_is_read_from_the_outbox(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, second_worker: int
    ) -> None:
        # 3,000 characters, 9,000 bytes as UTF-8: over NOTIFY's 8,000-byte limit, so only the
        # event's id travels and the worker reads the payload back from the outbox.
        world = await build_world(client)
        text = "€" * 3_000
        url = f"ws://127.0.0.1:{second_worker}/ws?token={world.player.token}"
        async with websockets.connect(url) as ws:
            await asyncio.sleep(0.2)
            async with pool.acquire() as conn, conn.transaction():
                await realtime.publish(
                    conn,
                    audience=realtime.player_audience(world.player.subject_id),
                    topic="notice",
                    payload={"text": text},
                    operator_id=world.operator["id"],
                )
            event = await _next_event(ws)
        assert (event["topic"], event["data"]) == ("notice", {"text": text})

    async def test_events_are_private_to_their_player(
        self, client: httpx.AsyncClient, second_worker: int
    ) -> None:
        world = await build_world(client)
        other = await factories.register_player(client, "alpha", "eavesdropper")
        await factories.fund_player(client, world.operator_admin, world.player.subject_id, 10_000)
        url = f"ws://127.0.0.1:{second_worker}/ws?token={other.token}"
        async with websockets.connect(url) as ws:
            await asyncio.sleep(0.2)
            await world.spin(client)
            with pytest.raises(TimeoutError):
                await _next_event(ws, wait=1.0)

    async def test_unauthenticated_socket_is_refused(self, second_worker: int) -> None:
        for url in (
            f"ws://127.0.0.1:{second_worker}/ws",
            f"ws://127.0.0.1:{second_worker}/ws?token=forged",
        ):
            with pytest.raises(websockets.exceptions.WebSocketException):
                async with websockets.connect(url) as ws:
                    await ws.recv()
