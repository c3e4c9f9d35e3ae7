"""API error rates: the middleware counts requests and 4xx/5xx per route template and operator,
off the request path; the analytics loop flushes them and /ops reports the rates."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import httpx

from croupier.analytics import api_errors, worker
from tests import factories
from tests.analytics.conftest import fold


def test_buffer_counts_per_minute_and_bounds_error_rows() -> None:
    buffer = api_errors.Buffer()
    at = datetime(2026, 3, 8, 10, 0, 30, tzinfo=UTC)
    for status in (200, 200, 404, 503):
        buffer.record(at, 7, "GET", "/x", status, None)
    minute = at.replace(second=0)
    assert buffer.counts[(minute, 7, "GET", "/x", "requests")] == 4
    assert buffer.counts[(minute, 7, "GET", "/x", "errors_4xx")] == 1
    assert buffer.counts[(minute, 7, "GET", "/x", "errors_5xx")] == 1
    assert len(buffer.errors) == 2
    taken = buffer.drain()
    assert len(taken.errors) == 2 and not buffer.counts and not buffer.errors


async def test_error_rates_reach_the_ops_report(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    admin = await factories.platform_admin(client)
    operator = await factories.create_operator(client, admin, "err-co")
    boss = await factories.create_operator_admin(client, admin, operator["id"], "err@co.io")
    api_errors.BUFFER.drain()  # whatever earlier tests left in this process
    url, path = "/api/v1/admin/analytics/overview", "/admin/analytics/overview"  # route template
    assert (await client.get(url, headers=boss.headers)).status_code == 200
    assert (await client.get(f"{url}?bucket=month", headers=boss.headers)).status_code == 422
    assert (
        await client.get(f"{url}?timezone=Nowhere/Land", headers=boss.headers)
    ).status_code == 422
    await worker.run_once(pool)  # flushes this process's counts, like the app's loop does
    await fold(pool)
    ops = (await client.get("/api/v1/admin/analytics/ops", headers=boss.headers)).json()
    route = next(r for r in ops["api"]["routes"] if r["route"] == path)
    assert (route["requests"], route["errors4xx"], route["errors5xx"]) == (3, 2, 0)
    assert route["clientErrorRate"] == round(2 / 3, 6) and route["errorRate"] == 0.0
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT operator_id, status FROM api_error_events WHERE route = $1", path
        )
    assert sorted((r["operator_id"], r["status"]) for r in rows) == [(operator["id"], 422)] * 2
    other = await factories.create_operator(client, admin, "other-co")
    spy = await factories.create_operator_admin(client, admin, other["id"], "spy@co.io")
    await worker.run_once(pool)
    theirs = (await client.get("/api/v1/admin/analytics/ops", headers=spy.headers)).json()
    assert all(r["route"] != path for r in theirs["api"]["routes"])
