"""The simulation suites: the static demo casino loaded through the services, and the whole app
(every domain's routers, whether or not app.py mounts them yet) served by uvicorn."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import asyncpg
import pytest
import uvicorn
from fastapi import APIRouter, FastAPI

from croupier.app import create_app
from croupier.bonuses import endpoints as bonus_endpoints
from croupier.config import Settings
from croupier.db.pool import unit_of_work
from croupier.payments import endpoints as payment_endpoints
from croupier.providers.routers import mount as mount_providers
from croupier.safety import endpoints as safety_endpoints
from croupier.simulation import endpoints as seed_endpoints
from croupier.simulation.bots import Bot, create_bots
from croupier.simulation.static_seed import seed_static
from croupier.vip import endpoints as vip_endpoints
from croupier.vouchers import endpoints as voucher_endpoints

# A path each domain serves, and its routers (mounted under /api/v1 when the path is missing).
_DOMAINS = [
    ("/api/v1/deposits", payment_endpoints.routers),
    ("/api/v1/bonuses", bonus_endpoints.routers),
    ("/api/v1/vip/status", vip_endpoints.routers),
    ("/api/v1/safety/event", safety_endpoints.routers),
    ("/api/v1/voucher/redeem", voucher_endpoints.routers),
    ("/api/v1/seed/database", (seed_endpoints.router,)),
]


def full_app(settings: Settings) -> FastAPI:
    application = create_app(settings)
    mounted = {getattr(route, "path", "") for route in application.routes}
    api = APIRouter(prefix="/api/v1")
    for marker, routers in _DOMAINS:
        if marker not in mounted:
            for router in routers:
                api.include_router(router)
    application.include_router(api)
    return mount_providers(application)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = full_app(settings)
    async with application.router.lifespan_context(application):
        yield application


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def live_url(settings: Settings) -> AsyncIterator[str]:
    """The full app on a real socket, as `croupier serve` runs it (one worker)."""
    application = full_app(settings)
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
