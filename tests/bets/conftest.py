"""A casino world for bet tests: one operator, its admin, a funded player and three slots."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from tests import factories
from tests.factories import Session


@dataclass
class World:
    admin: Session
    operator: dict
    operator_admin: Session
    player: Session
    games: dict[str, dict]

    async def spin(
        self,
        client: httpx.AsyncClient,
        game: str = "neon-fruits",
        stake: int = 100,
        key: str | None = None,
        session: Session | None = None,
        **extra: object,
    ) -> httpx.Response:
        headers = dict((session or self.player).headers)
        if key:
            headers["Idempotency-Key"] = key
        body = {"gameId": self.games[game]["id"], "stake": stake, **extra}
        return await client.post("/api/v1/game/spin", json=body, headers=headers)


async def build_world(client: httpx.AsyncClient, *, jackpot: dict | None = None) -> World:
    admin = await factories.platform_admin(client)
    operator = await factories.create_operator(client, admin, "alpha")
    operator_admin = await factories.create_operator_admin(
        client, admin, operator["id"], "boss-alpha@example.com"
    )
    await factories.create_category(client, admin)
    pool = jackpot or {"seedAmount": 0, "contributionBp": 100, "triggerPpt": 0}
    response = await client.post(
        "/api/v1/admin/jackpots",
        json={"slug": "mega-usd", "group": "mega", "name": "Mega", "currency": "USD", **pool},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    games = {
        key: await factories.create_builtin_game(
            client, admin, engine_key=key, jackpot_group="mega"
        )
        for key in ("neon-fruits", "pharaoh-gold", "dragon-vault")
    }
    player = await factories.register_player(client, "alpha", "spinner")
    return World(admin, operator, operator_admin, player, games)


@pytest.fixture
async def world(client: httpx.AsyncClient) -> World:
    return await build_world(client)
