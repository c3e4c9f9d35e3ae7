"""RTP monitoring (reference B2.3): the z-test, the volume gate, WARN and ALERT, and the games
route flagging a game whose observed RTP is off by five standard errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from math import sqrt

import asyncpg
import httpx

from croupier.analytics import rtp_monitor
from croupier.analytics.rtp_monitor import SliceStats, assess
from tests import factories
from tests.analytics.conftest import fold

N, STAKE, SIGMA, RTP = 100_000, 100, 5.0, Decimal("0.96")
SE = SIGMA / sqrt(N)  # N_eff = N for equal stakes


def _stats(z: float, rounds: int = N) -> SliceStats:
    stake = rounds * STAKE
    return SliceStats(rounds, stake, float(rounds * STAKE * STAKE), round(stake * (0.96 + z * SE)))


def test_critical_value_matches_the_reference() -> None:
    assert round(rtp_monitor.z_critical(500), 2) == 4.26
    assert rtp_monitor.z_critical(2) == rtp_monitor.Z_WARN


def test_statuses() -> None:
    common = {"expected_rtp": RTP, "sigma": SIGMA, "p_top": None, "slices": 500}
    assert assess(_stats(0.5), **common).status == "OK"
    assert assess(_stats(3.5), **common).status == "WARN"
    assert assess(_stats(-3.5), **common).status == "WARN"
    assert assess(_stats(4.5), **common).status == "ALERT"
    assert assess(_stats(9, rounds=40_000), **common).status == "INSUFFICIENT_VOLUME"
    gated = assess(_stats(4.5), **{**common, "p_top": 1e-6})  # needs N_eff >= 10 / p_top
    assert gated.status == "INSUFFICIENT_VOLUME" and gated.required_n_eff == 1e7
    streak = assess(_stats(3.5), **common, previous_days=[_stats(3.4), _stats(3.6)])
    assert streak.status == "ALERT"
    broken = assess(_stats(3.5), **common, previous_days=[_stats(3.4), _stats(1.0)])
    assert broken.status == "WARN"
    assert (
        assess(_stats(0), expected_rtp=None, sigma=None, p_top=None, slices=1).status == "NO_CONFIG"
    )
    z = assess(_stats(3.5), **common).z
    assert z is not None and abs(z - 3.5) < 1e-3


async def test_games_route_flags_an_alert(client: httpx.AsyncClient, pool: asyncpg.Pool) -> None:
    admin = await factories.platform_admin(client)
    operator = await factories.create_operator(client, admin, "rtp-co")
    boss = await factories.create_operator_admin(client, admin, operator["id"], "rtp@co.io")
    await factories.create_category(client, admin)
    body = {
        "slug": "acme-slot",
        "name": "Acme",
        "category": "slots",
        "provider": "acme",
        "rtp": "0.960000",
        "volatility": "medium",
        "minBet": 10,
        "maxBet": 10000,
    }
    game = (await client.post("/api/v1/admin/games", json=body, headers=admin.headers)).json()
    await fold(pool)  # fills game_configs: catalogue RTP, sigma 5.0 for medium volatility
    off = _stats(5.0)
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=3)
    async with pool.acquire() as conn:
        await conn.execute(
            """INSERT INTO an_rollups (operator_id, grain, ts, game_id, stake_level, agent_id,
                                       cashier_id, region, is_seeded, rounds, stake, stake_cash,
                                       stake_sq, win)
               SELECT $1, grain, $2, $3, 7, 0, 0, '', false, $4, $5, $5, $6, $7
               FROM generate_series(0, 2) AS grain""",
            operator["id"],
            day,
            game["id"],
            off.rounds,
            off.stake,
            off.stake_sq,
            off.win,
        )
    games = (await client.get("/api/v1/admin/analytics/games", headers=boss.headers)).json()
    item = games["items"][0]
    assert item["monitor"]["status"] == "ALERT" and abs(item["monitor"]["z"] - 5.0) < 1e-3
    assert item["monitor"]["nEff"] == N and item["stakeLevels"][0]["monitor"]["status"] == "ALERT"
    assert games["flags"] == [{"gameId": game["id"], "status": "ALERT"}]
