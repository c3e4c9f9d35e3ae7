"""Shared set-up for the engagement API suites (no tests here): the app with the engagement
router (mounted here until app.py includes it) and helpers that act through the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from croupier.app import create_app
from croupier.config import Settings
from croupier.engagement.api import pipeline_jobs
from croupier.engagement.api.endpoints import router
from tests import factories
from tests.factories import Session


async def engagement_app(settings: Settings, data_dir: Path) -> AsyncIterator[FastAPI]:
    """The app with the engagement routes; pipeline reports go under ``data_dir``."""
    application = create_app(settings.model_copy(update={"data_dir": data_dir}))
    if not any(getattr(route, "path", "") == "/api/v1/earn" for route in application.routes):
        application.include_router(router, prefix="/api/v1")
    async with application.router.lifespan_context(application):
        yield application
        await pipeline_jobs.shutdown()


@dataclass
class Casino:
    admin: Session  # the platform admin
    operator: dict[str, Any]
    boss: Session  # the operator admin

    @property
    def id(self) -> int:
        return int(self.operator["id"])

    @property
    def slug(self) -> str:
        return str(self.operator["slug"])


async def open_casino(client: httpx.AsyncClient, slug: str = "alpha", **settings: Any) -> Casino:
    admin = await factories.platform_admin(client)
    operator = await factories.create_operator(client, admin, slug, settings=settings)
    boss = await factories.create_operator_admin(
        client, admin, operator["id"], f"boss-{slug}@example.com"
    )
    return Casino(admin, operator, boss)


@dataclass
class Guest:
    token: str
    player_id: int
    secret: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def guest_login(
    client: httpx.AsyncClient, slug: str, device_id: str, secret: str | None = None, **extra: Any
) -> httpx.Response:
    body: dict[str, Any] = {"deviceId": device_id, "operatorSlug": slug, **extra}
    if secret is not None:
        body["deviceSecret"] = secret
    return await client.post("/api/v1/login", json=body)


async def new_guest(client: httpx.AsyncClient, slug: str, device_id: str = "device-1") -> Guest:
    response = await guest_login(client, slug, device_id)
    assert response.status_code == 201, response.text
    data = response.json()
    return Guest(data["token"], data["playerId"], data["deviceSecret"])
