"""The simulation suites: the static demo casino loaded through the services, and the whole app
served by uvicorn."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import asyncpg
import pytest
import uvicorn

from croupier.app import create_app
from croupier.config import Settings
from croupier.db.pool import unit_of_work
from croupier.simulation.bots import Bot, create_bots
from croupier.simulation.static_seed import seed_static


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def live_url(settings: Settings) -> AsyncIterator[str]:
    """The full app on a real socket, as `croupier serve` runs it (one worker)."""
    application = create_app(settings)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(400):  # uvicorn exposes no start event; poll its flag for up to 20 s
        if server.started:
            break
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def load_demo(pool: asyncpg.Pool, settings: Settings, bots: int = 0) -> list[Bot]:
    async with unit_of_work(pool) as uow:
        await seed_static(uow.conn, settings)
        return await create_bots(uow.conn, settings, bots)
