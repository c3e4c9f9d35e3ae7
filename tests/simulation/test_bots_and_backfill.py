"""Bot players and the history backfill."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import asyncpg

from croupier.config import Settings
from croupier.simulation.backfill import backfill_with_pool
from croupier.simulation.bots import bot_password
from croupier.simulation.profiles import PROFILES
from tests.ledger.helpers import assert_audit_ok
from tests.simulation.conftest import load_demo


async def test_bots_are_flagged_and_spread_over_operators(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    bots = await load_demo(pool, settings, bots=7)
    assert len(bots) == 7
    rows = await pool.fetch(
        "SELECT operator_id, username, kyc_status, timezone FROM players WHERE is_bot"
    )
    assert len(rows) == 7
    per_operator = Counter(row["operator_id"] for row in rows)
    assert len(per_operator) == 3 and max(per_operator.values()) - min(per_operator.values()) <= 1
    assert all(row["kyc_status"] == "verified" and row["timezone"] for row in rows)
    assert {bot.profile for bot in bots} <= {profile.name for profile in PROFILES}
    # The seed's players are no bots, and a second run numbers on.
    more = await load_demo(pool, settings, bots=2)
    assert {bot.username for bot in more}.isdisjoint({bot.username for bot in bots})
    assert bot_password(settings, bots[0].username) != bot_password(settings, bots[1].username)


async def test_backfill_spreads_seeded_bets_over_the_period(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    await load_demo(pool, settings, bots=6)
    report = await backfill_with_pool(pool, settings, days=30, bets=240, concurrency=4, seed=7)
    # Every planned round is played: a round a safety pause skipped is played in a later
    # session, unless the bot is refused again and again (the shortfall, reported).
    assert report.failed_units == 0 and report.bets + report.shortfall == 240
    assert report.bets >= 200
    bets = await pool.fetchrow(
        """SELECT count(*) AS n, bool_and(is_seeded) AS seeded, min(created_at) AS first,
                  max(created_at) AS last, count(DISTINCT operator_id) AS operators
           FROM bets"""
    )
    now = datetime.now(UTC)
    assert bets["n"] == report.bets and bets["seeded"] and bets["operators"] == 3
    assert bets["first"] >= now - timedelta(days=30, minutes=1)
    assert bets["last"] - bets["first"] > timedelta(days=10)
    # The ledger's rows are dated like their bets, and nothing is left on the clock.
    dated = await pool.fetchval(
        """SELECT count(*) FROM bets b
           JOIN ledger_transfers t ON t.id::text = b.debit_transfer_id::text
           WHERE t.created_at = b.created_at"""
    )
    assert dated == report.bets
    assert report.deposits + report.top_ups >= 3
    assert await pool.fetchval("SELECT current_setting('croupier.clock', true)") in (None, "")
    await assert_audit_ok(pool)
