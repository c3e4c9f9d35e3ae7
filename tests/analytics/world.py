"""A fixed casino history for the analytics tests: every figure below is known to the minor
unit (spin outcomes are random, so their stake and wins are read back from the spin responses)."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg
import httpx

from tests import factories
from tests.analytics.conftest import Provider, deposit, withdraw
from tests.bets.conftest import World, build_world
from tests.factories import Session

# Every builtin spin triggers the jackpot (probability stake × trigger / 10^12 = 1).
JACKPOT = {"seedAmount": 5000, "contributionBp": 100, "triggerPpt": 10**10}


@dataclass
class History:
    world: World
    bonus_player: Session
    provider_game: dict
    spins: list[dict] = field(default_factory=list)
    bet_transfer: int = 0

    @property
    def operator_id(self) -> int:
        return self.world.operator["id"]


async def make_history(client: httpx.AsyncClient, pool: asyncpg.Pool) -> History:
    world = await build_world(client, jackpot=JACKPOT)
    admin, op_admin = world.admin, world.operator_admin
    provider_game = (
        await client.post(
            "/api/v1/admin/games",
            json={
                "slug": "acme-slot",
                "name": "Acme Slot",
                "category": "slots",
                "provider": "acme",
                "rtp": "0.960000",
                "volatility": "medium",
                "minBet": 10,
                "maxBet": 100000,
            },
            headers=admin.headers,
        )
    ).json()
    bonus_player = await factories.register_player(client, "alpha", "bonusy")
    history = History(world, bonus_player, provider_game)
    a, b = world.player.subject_id, bonus_player.subject_id
    op = world.operator["id"]

    await factories.fund_player(client, op_admin, a, 10_000)  # adjustment, cash
    await factories.fund_player(client, op_admin, b, 1_000, account="bonus")  # adjustment, bonus
    await deposit(pool, op, a, 5_000, "a1")  # the FTD
    await deposit(pool, op, a, 2_000, "a2")
    for n in range(3):
        response = await world.spin(client, "neon-fruits", 100, key=f"a-{n}")
        assert response.status_code == 200, response.text
        history.spins.append(response.json())
    response = await world.spin(client, "pharaoh-gold", 100, key="b-0", session=bonus_player)
    assert response.status_code == 200, response.text
    history.spins.append(response.json())

    acme = Provider(pool, op, provider_game["id"])
    await acme.bet(a, "r1", 300)
    await acme.pay(a, "r1", 450)
    history.bet_transfer = await acme.bet(a, "r2", 200)
    await acme.pay(a, "r2", 200, type="rollback", reverses=history.bet_transfer)
    await withdraw(pool, op, a, 1_000, "w1")
    return history
