"""The normalising statements find each transfer's accounts and bet by key, whatever the planner
estimates: as joins, they once read the accounts' key index from its start for every transfer
(a merge join) and hashed the whole bets table on every fold."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx

from croupier.analytics import events, rollups
from tests import factories
from tests.analytics.conftest import deposit

LOOKED_UP = {
    "ledger_accounts": ("ledger_accounts_pkey", "account_id"),
    "bets": ("bets_round_id_key", "reference"),
}


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


async def test_accounts_and_bets_are_read_by_key_per_transfer(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    admin = await factories.platform_admin(client)
    operator = await factories.create_operator(client, admin, "plan-co")
    player = await factories.register_player(client, "plan-co", "planner")
    for i in range(3):
        await deposit(pool, operator["id"], player.subject_id, 100 + i, f"plan-{i}")
    async with pool.acquire() as conn, conn.transaction():
        await rollups.custom_plans(conn)
        # A planner that would rather join than loop (as with the estimates of a busy table):
        # a look-up keyed on the outer row can only be a nested loop, a plain join need not be.
        await conn.execute("SET LOCAL enable_nestloop = off")
        horizon = await conn.fetchval("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")
        [row] = await conn.fetch(
            "EXPLAIN (FORMAT JSON) " + events._NORMALISE,
            *events.normalise_arguments("1", horizon),
        )
        [rollbacks] = await conn.fetch(
            "EXPLAIN (FORMAT JSON) " + events._ROLLBACKS, "1", horizon, list(events.PLAYER_KINDS)
        )
    scans = [n for n in _nodes(row[0][0]["Plan"]) if n.get("Relation Name") in LOOKED_UP]
    assert {n["Relation Name"] for n in scans} == set(LOOKED_UP)
    scans += [n for n in _nodes(rollbacks[0][0]["Plan"]) if n.get("Relation Name") in LOOKED_UP]
    assert sum(n["Relation Name"] == "ledger_accounts" for n in scans) == 2
    for scan in scans:
        index, outer_column = LOOKED_UP[scan["Relation Name"]]
        assert scan["Node Type"] == "Index Scan", scan
        assert scan["Index Name"] == index
        # Keyed on the outer row's value: one look-up per transfer, not a scan of the index.
        assert outer_column in scan.get("Index Cond", ""), scan
