"""Safety tests: the app with the safety routers (included here until app.py wires them), and
helpers that create operators and players through the real API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import APIRouter

from croupier.app import create_app
from croupier.config import Settings
from croupier.safety.endpoints import routers
from tests.factories import (
    Session,
    create_operator,
    daytime_zone,
    platform_admin,
    register_player,
)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[object]:
    application = create_app(settings)
    if not any(getattr(r, "path", "") == "/api/v1/safety/event" for r in application.routes):
        api = APIRouter(prefix="/api/v1")
        for router in routers:
            api.include_router(router)
        application.include_router(api)
    async with application.router.lifespan_context(application):
        yield application


# The seed's example configuration: a 90 s first cooldown, and weights under which the seed's
# example scores come out exactly (BET_ACCEL alone 35; LOSS_STREAK + SPIN_RATE 60).
SEED_CONFIG: dict[str, Any] = {
    "cooldownFirstSeconds": 90,
    "defaultPLoss": 0.55,
    "signals": {
        "BET_ACCEL": {"tiers": [[2.0, 35], [3.0, 45]]},
        "LOSS_STREAK": {"tiers": [[1.0, 30]]},
        "SPIN_RATE": {"tiers": [[0.9, 30]]},
    },
}


@dataclass
class Casino:
    operator_id: int
    slug: str
    player: Session

    @property
    def ids(self) -> dict[str, int]:
        return {"operator_id": self.operator_id, "player_id": self.player.subject_id}


async def make_casino(
    client: httpx.AsyncClient, slug: str, safety: dict[str, Any] | None = None, **fields: Any
) -> Casino:
    admin = await platform_admin(client)
    settings = {"safety": safety} if safety is not None else {}
    fields.setdefault("timezone", daytime_zone())
    operator = await create_operator(client, admin, slug, settings=settings, **fields)
    player = await register_player(client, slug, f"{slug.replace('-', '')}player")
    return Casino(int(operator["id"]), slug, player)
