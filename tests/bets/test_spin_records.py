"""What the bet log records beyond the money: affiliate share, channel and game version."""

from __future__ import annotations

import asyncpg
import httpx

from tests import factories
from tests.bets.conftest import World


async def test_affiliate_share_is_floored_toward_the_operator_on_wins_and_losses(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    affiliate = await pool.fetchval(
        """INSERT INTO affiliates (operator_id, code, name, revenue_share_bp)
           VALUES ($1, 'aff', 'Affiliate', 3333) RETURNING id""",
        world.operator["id"],
    )
    await pool.execute(
        "UPDATE players SET affiliate_id = $1 WHERE id = $2", affiliate, world.player.subject_id
    )
    await factories.fund_player(client, world.operator_admin, world.player.subject_id, 10**7)
    seen_loss = seen_win = False
    for i in range(300):
        response = await world.spin(client, stake=100, key=f"aff-{i}")
        assert response.status_code == 200, response.text
        seen_loss |= response.json()["win"] == 0
        seen_win |= response.json()["win"] > 100
        if seen_loss and seen_win:
            break
    assert seen_loss and seen_win
    rows = await pool.fetch("SELECT ggr, affiliate_id, affiliate_share FROM bets")
    for row in rows:
        assert row["affiliate_id"] == affiliate
        # Python's // floors like the spec: -50 * 0.3333 = -16.665 → -17, 100 * 0.3333 → 33.
        assert row["affiliate_share"] == row["ggr"] * 3333 // 10_000


async def test_no_affiliate_means_no_share(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    await factories.fund_player(client, world.operator_admin, world.player.subject_id, 1_000)
    assert (await world.spin(client, stake=100)).status_code == 200
    row = await pool.fetchrow("SELECT affiliate_id, affiliate_share FROM bets")
    assert (row["affiliate_id"], row["affiliate_share"]) == (None, 0)


async def test_channel_and_game_version_are_recorded(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    await factories.fund_player(client, world.operator_admin, world.player.subject_id, 1_000)
    headers = {**world.player.headers, "X-Channel": "mobile"}
    body = {"gameId": world.games["neon-fruits"]["id"], "stake": 100}
    response = await client.post("/api/v1/game/spin", json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert (await world.spin(client, stake=100)).status_code == 200
    rows = await pool.fetch("SELECT channel, game_version FROM bets ORDER BY id")
    version = await pool.fetchval(
        "SELECT version FROM games WHERE id = $1", world.games["neon-fruits"]["id"]
    )
    assert [(r["channel"], r["game_version"]) for r in rows] == [
        ("mobile", version),
        ("web", version),
    ]


async def test_an_unknown_channel_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    await factories.fund_player(client, world.operator_admin, world.player.subject_id, 1_000)
    transfers = await pool.fetchval("SELECT count(*) FROM ledger_transfers")
    headers = {**world.player.headers, "X-Channel": "Robot Arm"}
    body = {"gameId": world.games["neon-fruits"]["id"], "stake": 100}
    response = await client.post("/api/v1/game/spin", json=body, headers=headers)
    assert response.status_code == 422
    assert "x-channel" in response.text.lower()
    assert await pool.fetchval("SELECT count(*) FROM bets") == 0
    assert await pool.fetchval("SELECT count(*) FROM ledger_transfers") == transfers


async def test_server_timing_reports_the_spin_and_the_safety_engine_share(
    client: httpx.AsyncClient, world: World
) -> None:
    await factories.fund_player(client, world.operator_admin, world.player.subject_id, 1_000)
    response = await world.spin(client, stake=100)
    assert response.status_code == 200
    metrics = {}
    for metric in response.headers["server-timing"].split(","):
        name, _, duration = metric.strip().partition(";dur=")
        metrics[name] = float(duration)
    assert set(metrics) == {"spin", "safety"}
    assert 0 < metrics["safety"] < metrics["spin"]


async def _snapshot(pool: asyncpg.Pool) -> tuple[int, int, list[tuple[int, int]]]:
    balances = await pool.fetch("SELECT id, balance FROM ledger_accounts ORDER BY id")
    return (
        await pool.fetchval("SELECT count(*) FROM ledger_transfers"),
        await pool.fetchval("SELECT count(*) FROM bets"),
        [tuple(row) for row in balances],
    )


async def test_a_refused_player_is_told_so_whether_or_not_the_stake_is_covered(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    """The safety check runs after the stake's debit (for the lock order); a refusal rolls the
    debit back, and a player short of money still hears the refusal rather than a 402."""
    await factories.fund_player(client, world.operator_admin, world.player.subject_id, 150)
    assert (await world.spin(client, stake=100, key="before")).status_code == 200
    excluded = await client.post(
        "/api/v1/safety/self-exclusion",
        json={"months": 6, "confirm": True},
        headers=world.player.headers,
    )
    assert excluded.status_code == 200, excluded.text
    before = await _snapshot(pool)
    for stake, key in ((10, "covered"), (10_000, "not-covered")):
        refused = await world.spin(client, stake=stake, key=key)
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "SELF_EXCLUDED"
        assert await _snapshot(pool) == before
