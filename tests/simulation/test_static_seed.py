"""The static seed: what `croupier up` loads, and that loading it again changes nothing."""

from __future__ import annotations

import asyncpg

from croupier.config import Settings
from croupier.db.pool import unit_of_work
from croupier.simulation.static_seed import seed_static
from tests.ledger.helpers import assert_audit_ok

_COUNTED = (
    "operators",
    "staff_users",
    "players",
    "agents",
    "game_categories",
    "games",
    "jackpot_pools",
    "affiliates",
    "vip_levels",
    "bonus_rules",
    "ledger_accounts",
    "ledger_transfers",
    "ledger_entries",
)


async def _counts(pool: asyncpg.Pool) -> dict[str, int]:
    return {table: await pool.fetchval(f"SELECT count(*) FROM {table}") for table in _COUNTED}


async def _seed(pool: asyncpg.Pool, settings: Settings) -> list[tuple[str, str, str, str]]:
    async with unit_of_work(pool) as uow:
        return await seed_static(uow.conn, settings)


async def test_static_seed_builds_a_demo_casino(pool: asyncpg.Pool, settings: Settings) -> None:
    logins = await _seed(pool, settings)
    operators = await pool.fetch("SELECT slug, mode, currency FROM operators ORDER BY id")
    assert len(operators) >= 3
    assert {"sweepstakes"} <= {row["mode"] for row in operators}
    fun = next(row for row in operators if row["slug"] == "playtime-usa")
    assert fun["currency"] == "FUN"
    assert await pool.fetchval("SELECT count(*) FROM game_categories") >= 5
    assert await pool.fetchval("SELECT count(*) FROM games") >= 20
    assert await pool.fetchval("SELECT count(DISTINCT provider) FROM games") >= 2
    # Seed 003's examples name player 1 and game 1.
    assert await pool.fetchval("SELECT slug FROM games WHERE id = 1") == "SLOTS_001"
    assert await pool.fetchval("SELECT username FROM players WHERE id = 1") == "seed003-user-1"
    assert await pool.fetchval("SELECT count(*) FROM vip_levels") >= 3
    assert await pool.fetchval("SELECT count(*) FROM bonus_rules") >= 3
    assert await pool.fetchval("SELECT count(*) FROM agents") >= 1
    roles = {row[0] for row in logins}
    assert {"platform admin", "operator admin", "agent", "cashier"} <= roles
    staff = {r["email"] for r in await pool.fetch("SELECT email FROM staff_users")}
    assert {login[2] for login in logins if login[0] != "seed 003 demo player"} <= staff
    await assert_audit_ok(pool)


async def test_static_seed_twice_changes_nothing(pool: asyncpg.Pool, settings: Settings) -> None:
    await _seed(pool, settings)
    before = await _counts(pool)
    logins = await _seed(pool, settings)
    assert await _counts(pool) == before
    assert len(logins) == len(set(logins))
    await assert_audit_ok(pool)
