"""The loss-chaser's pattern (stakes doubling after losses, fast spins) makes the safety engine
act, and the bot obeys it."""

from __future__ import annotations

from typing import Any

import asyncpg

from croupier.config import Settings
from croupier.simulation import profiles
from croupier.simulation.bots import bot_password
from croupier.simulation.client import Api, Tally
from croupier.simulation.player_bot import PlayerBot
from croupier.simulation.runtime import INTENSITIES, Runtime
from croupier.simulation.simulator import _discover, _platform_admin
from tests.ledger.helpers import assert_audit_ok
from tests.simulation.conftest import load_demo


async def test_loss_chaser_meets_the_safety_engine(
    pool: asyncpg.Pool, settings: Settings, live_url: str
) -> None:
    (bot,) = await load_demo(pool, settings, bots=1)
    api = Api(live_url, Tally())
    # A generous budget for unlucky draws; the run ends as soon as the engine steps in.
    runtime = Runtime(api, settings, INTENSITIES["high"], duration=120, seed=5)

    try:
        await _discover(runtime, await _platform_admin(runtime))
        chaser = PlayerBot(
            runtime,
            runtime.operators[bot.operator_id],
            player_id=bot.player_id,
            username=bot.username,
            password=bot_password(settings, bot.username),
            profile=profiles.BY_NAME["loss_chaser"],
        )
        obey = chaser.obey

        async def obey_and_end_the_run(action: dict[str, Any], code: str | None = None) -> None:
            if action.get("actionType") in ("COOLDOWN", "STOP"):
                runtime.stop.set()  # seen what we came for: no need to sit out the pause
            await obey(action, code)

        chaser.obey = obey_and_end_the_run  # type: ignore[method-assign]
        await chaser._login()
        while not (runtime.stopping() or chaser.done):
            await chaser.session()
    finally:
        await api.close()
    tally = runtime.tally
    assert tally.server_errors == 0
    # How many spins it takes before the engine steps in depends on the draws; a chase needs a few.
    assert tally.events["bet"] >= 5
    actions = {a: tally.events[f"safety_{a}"] for a in ("nudge", "cooldown", "stop")}
    assert actions["cooldown"] + actions["stop"] >= 1, (actions, dict(tally.events))
    stakes = [r["stake"] for r in await pool.fetch("SELECT stake FROM bets ORDER BY id")]
    assert max(stakes) >= 4 * min(stakes)  # it doubled up after losses
    await assert_audit_ok(pool)
