"""The provider suites: an app whose casino and demo provider talk over real HTTP through the app
itself, seed 003's demo data, and signed-callback helpers."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from croupier.app import create_app
from croupier.config import Settings
from croupier.db.pool import unit_of_work
from croupier.providers.demo_seed import seed_provider_demo
from croupier.providers.http import TRANSPORT_STATE
from croupier.providers.signature import sign
from tests import factories
from tests.factories import Session


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    # The casino -> provider -> casino calls of a simulation go through the app itself.
    setattr(application.state, TRANSPORT_STATE, httpx.ASGITransport(app=application))
    async with application.router.lifespan_context(application):
        yield application


@dataclass
class Demo:
    settings: Settings
    operator_id: int
    operator_admin: Session
    admin: Session
    users: list[int]
    games: list[int]

    @property
    def user(self) -> int:
        return self.users[0]

    async def launch(
        self, client: httpx.AsyncClient, user: int | None = None, game: int = 1
    ) -> str:
        response = await client.post(
            "/casino/launchGame", json={"userId": user or self.user, "gameId": game}
        )
        assert response.status_code == 200, response.text
        return response.json()["sessionToken"]

    async def call(
        self,
        client: httpx.AsyncClient,
        endpoint: str,
        body: dict[str, Any] | bytes,
        *,
        secret: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        signed = {
            "content-type": "application/json",
            "x-casino-signature": sign(
                secret or self.settings.casino_secret.get_secret_value(), raw
            ),
        }
        return await client.post(
            f"/casino/{endpoint}", content=raw, headers=signed | (headers or {})
        )

    async def balance(self, pool: asyncpg.Pool, user: int | None = None) -> int:
        return await pool.fetchval(
            """SELECT balance - reserved FROM ledger_accounts
               WHERE owner_id = $1 AND kind = 'player_cash'""",
            user or self.user,
        )


def new_id() -> str:
    return str(uuid.uuid4())


def money(token: str, user: int, tx: str, round_id: str, **rest: Any) -> dict[str, Any]:
    return {"sessionToken": token, "userId": user, "transactionId": tx, "roundId": round_id, **rest}


async def build_demo(client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings) -> Demo:
    admin = await factories.platform_admin(client)
    operator = await factories.create_operator(client, admin, "lucky-star")
    operator_admin = await factories.create_operator_admin(
        client, admin, operator["id"], "boss-lucky@example.com"
    )
    async with unit_of_work(pool) as uow:
        await seed_provider_demo(uow.conn, settings)
    users = [r["id"] for r in await pool.fetch("SELECT id FROM players ORDER BY id")]
    games = [r["id"] for r in await pool.fetch("SELECT id FROM games ORDER BY id")]
    return Demo(settings, operator["id"], operator_admin, admin, users, games)


@pytest.fixture
async def demo(client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings) -> Demo:
    return await build_demo(client, pool, settings)
