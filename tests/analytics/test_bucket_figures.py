"""Figures land in the right local bucket at DST switches (America/Los_Angeles, 8 March and
1 November 2026) and at +05:30 day edges (Asia/Kolkata): bets placed one second either side of
each edge, folded at the event level with their own timestamps."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import httpx

from croupier.analytics import rollups
from tests import factories

BETS = [  # (UTC instant, stake)
    (datetime(2026, 3, 7, 18, 29, 59, tzinfo=UTC), 5),  # Kolkata 7 Mar 23:59:59
    (datetime(2026, 3, 7, 18, 30, tzinfo=UTC), 7),  # Kolkata 8 Mar 00:00
    (datetime(2026, 3, 8, 7, 59, 59, tzinfo=UTC), 100),  # LA 7 Mar 23:59:59 PST
    (datetime(2026, 3, 8, 8, 0, tzinfo=UTC), 200),  # LA 8 Mar 00:00 PST
    (datetime(2026, 3, 8, 9, 59, 59, tzinfo=UTC), 400),  # LA 01:59:59 PST
    (datetime(2026, 3, 8, 10, 0, tzinfo=UTC), 800),  # LA 03:00 PDT
    (datetime(2026, 3, 9, 6, 59, 59, tzinfo=UTC), 1600),  # LA 8 Mar 23:59:59 PDT
    (datetime(2026, 3, 9, 7, 0, tzinfo=UTC), 3200),  # LA 9 Mar 00:00 PDT
    (datetime(2026, 11, 1, 8, 30, tzinfo=UTC), 10),  # LA 01:30 PDT
    (datetime(2026, 11, 1, 9, 30, tzinfo=UTC), 20),  # LA 01:30 PST
]


async def _seed(pool: asyncpg.Pool, operator_id: int) -> None:
    async with pool.acquire() as conn, conn.transaction():
        ids = await conn.fetch(
            """INSERT INTO ledger_events (operator_id, type, occurred_at, fact_at, rounds, stake,
                                          stake_cash, cash_delta, stake_level)
               SELECT $1, 'bet', at, at, 1, stake, stake, -stake, an_stake_level(stake)
               FROM unnest($2::timestamptz[], $3::bigint[]) AS b(at, stake) RETURNING id""",
            operator_id,
            [at for at, _ in BETS],
            [stake for _, stake in BETS],
        )
        await rollups.fold_events(conn, min(r["id"] for r in ids), max(r["id"] for r in ids))


async def _series(client: httpx.AsyncClient, headers: dict, query: str) -> list[tuple[str, int]]:
    response = await client.get(f"/api/v1/admin/analytics/revenue?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return [(p["bucket"], p["handle"]) for p in response.json()["series"]]


async def test_dst_and_half_hour_zone_buckets(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    admin = await factories.platform_admin(client)
    operator = await factories.create_operator(client, admin, "tz-co")
    boss = await factories.create_operator_admin(client, admin, operator["id"], "tz@co.io")
    await _seed(pool, operator["id"])
    h = boss.headers

    days = await _series(client, h, "from=2026-03-07&to=2026-03-10&timezone=America/Los_Angeles")
    assert days == [
        ("2026-03-07T00:00:00-08:00", 5 + 7 + 100),
        ("2026-03-08T00:00:00-08:00", 200 + 400 + 800 + 1600),
        ("2026-03-09T00:00:00-07:00", 3200),
    ]
    spring = await _series(
        client, h, "from=2026-03-08&to=2026-03-09&bucket=hour&timezone=America/Los_Angeles"
    )
    assert len(spring) == 23
    assert spring[:3] == [
        ("2026-03-08T00:00:00-08:00", 200),
        ("2026-03-08T01:00:00-08:00", 400),
        ("2026-03-08T03:00:00-07:00", 800),
    ]
    assert spring[-1] == ("2026-03-08T23:00:00-07:00", 1600)
    assert sum(v for _, v in spring[3:-1]) == 0

    fall = await _series(
        client, h, "from=2026-11-01&to=2026-11-02&bucket=hour&timezone=America/Los_Angeles"
    )
    assert len(fall) == 25
    assert fall[1:3] == [("2026-11-01T01:00:00-07:00", 10), ("2026-11-01T01:00:00-08:00", 20)]
    week = await _series(client, h, "from=2026-10-26&to=2026-11-02&bucket=week")
    assert week == [("2026-10-26T00:00:00-07:00", 30)]

    kolkata = await _series(client, h, "from=2026-03-07&to=2026-03-10&timezone=Asia/Kolkata")
    assert kolkata == [
        ("2026-03-07T00:00:00+05:30", 5),
        ("2026-03-08T00:00:00+05:30", 7 + 100 + 200 + 400 + 800),
        ("2026-03-09T00:00:00+05:30", 1600 + 3200),
    ]
    hours = await _series(
        client,
        h,
        "from=2026-03-07T23:00:00&to=2026-03-08T01:00:00&bucket=hour&timezone=Asia/Kolkata",
    )
    assert hours == [("2026-03-07T23:00:00+05:30", 5), ("2026-03-08T00:00:00+05:30", 7)]
