"""The simulator against a real server: bots of every profile play through HTTP, no 5xx."""

from __future__ import annotations

import asyncpg

from croupier.config import Settings
from croupier.simulation.simulator import SimulationConfig, simulate
from tests.ledger.helpers import assert_audit_ok
from tests.simulation.conftest import load_demo


async def test_bots_play_through_http_without_server_errors(
    pool: asyncpg.Pool, settings: Settings, live_url: str
) -> None:
    bots = await load_demo(pool, settings, bots=10)
    assert len({bot.profile for bot in bots}) >= 3
    config = SimulationConfig(base_url=live_url, duration=40, intensity="high", seed=3)
    tally = await simulate(config, settings)
    assert tally.server_errors == 0, tally
    # A request may time out on a machine this busy (the server shares the test's loop), never
    # fail with a 5xx.
    assert tally.transport_errors <= sum(tally.requests.values()) // 20, tally
    assert tally.bets > 20
    assert tally.events["deposit"] > 0
    statuses = tally.by_status()
    assert statuses[200] + statuses[201] > tally.bets
    played = await pool.fetchval("SELECT count(DISTINCT player_id) FROM bets")
    assert played >= 3
    operators = await pool.fetchval("SELECT count(DISTINCT operator_id) FROM bets")
    assert operators == 3
    await assert_audit_ok(pool)
