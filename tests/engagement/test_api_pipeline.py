"""POST /run-pipeline: background runs on the platform's data (or a data folder), one at a
time per operator, visible only to that operator's staff."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from croupier.config import Settings
from croupier.engagement.api.attribution import link_click
from croupier.engagement.pipeline.sample import generate_sample
from croupier.ledger import service as ledger
from croupier.ledger.service import Leg
from croupier.wallets import service as wallets
from tests import factories
from tests.bets.conftest import build_world
from tests.engagement.test_api_world import engagement_app, new_guest, open_casino
from tests.factories import Session
from tests.ledger.helpers import assert_audit_ok

REPORTS = (
    "purchases_curated.csv",
    "reconciliation.json",
    "roas_d1.json",
    "roas_anomaly.json",
    "arpdau_d1.json",
    "revenue_chargeback_adjusted.json",
    "bad_rows.json",
)
CHARTS = ("roas_by_campaign.png", "arpdau_trend.png", "match_rate.png")


@pytest.fixture(scope="module")
async def app(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    async for application in engagement_app(settings, tmp_path_factory.mktemp("pipeline")):
        yield application


async def _money(
    pool: asyncpg.Pool, operator_id: int, player_id: int, amount: int, ref: str, **kind: Any
) -> None:
    """A deposit into the player's cash (or, with reversal=..., its chargeback), posted the way
    the payments domain posts them."""
    reversal = kind.get("reversal")
    async with pool.acquire() as conn, conn.transaction():
        accounts = await wallets.player_accounts(
            conn, operator_id=operator_id, player_id=player_id, currency="USD"
        )
        world = await ledger.ensure_account(
            conn, operator_id=operator_id, kind="world", currency="USD"
        )
        sign = -1 if reversal else 1
        await ledger.post(
            conn,
            operator_id=operator_id,
            type="deposit_reversal" if reversal else "deposit",
            idempotency_key=f"test:{ref}:{reversal or 'credit'}",
            request={"ref": ref},
            legs=[Leg(world, -sign * amount), Leg(accounts.cash_id, sign * amount)],
            reference=f"deposit:{ref}",
            metadata={"status": reversal} if reversal else {},
        )


def _cost_row(day: str, spend: int) -> dict[str, Any]:
    return {
        "date": day,
        "mediaSource": "fb",
        "campaign": "spring",
        "adset": "a1",
        "spendMinor": spend,
    }


async def _start(client: httpx.AsyncClient, session: Session, **body: Any) -> httpx.Response:
    return await client.post("/api/v1/run-pipeline", json=body, headers=session.headers)


async def _wait(client: httpx.AsyncClient, session: Session, job_id: int) -> dict[str, Any]:
    for _ in range(1500):
        response = await client.get(f"/api/v1/run-pipeline/{job_id}", headers=session.headers)
        assert response.status_code == 200, response.text
        if response.json()["status"] in ("succeeded", "failed"):
            return response.json()
        await asyncio.sleep(0.05)
    raise AssertionError(f"pipeline job {job_id} did not finish")


async def test_platform_run_reports_on_deposits_bets_clicks_and_costs(
    client: httpx.AsyncClient, pool: asyncpg.Pool
):
    world = await build_world(client)
    alpha = int(world.operator["id"])
    spinner = world.player.subject_id
    click = {"operator": "alpha", "media_source": "fb", "campaign": "spring", "adset": "a1"}
    await client.get("/api/v1/track", params={**click, "click_id": "clk-spinner"})
    async with pool.acquire() as conn:  # what /auth/register will do once it calls link_click
        assert await link_click(conn, operator_id=alpha, player_id=spinner, click_id="clk-spinner")
    organic = await factories.register_player(client, "alpha", "organic")
    await _money(pool, alpha, spinner, 5000, "d1")
    await _money(pool, alpha, spinner, 1000, "d2")
    await _money(pool, alpha, spinner, 1000, "d2", reversal="CHARGED_BACK")
    await _money(pool, alpha, organic.subject_id, 2000, "d3")
    for _ in range(3):
        assert (await world.spin(client, stake=100)).status_code == 200
    today = datetime.now(UTC).date()
    costs = await client.post(
        "/api/v1/operator/ad-costs",
        json={"rows": [_cost_row(today.isoformat(), 2500)]},
        headers=world.operator_admin.headers,
    )
    assert costs.status_code == 200, costs.text

    # As of tomorrow, so today is the complete D1 cohort.
    tomorrow = (today + timedelta(days=1)).isoformat()
    started = await _start(client, world.operator_admin, asOf=tomorrow)
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "queued" and started.json()["source"] == "platform"
    job = await _wait(client, world.operator_admin, started.json()["id"])
    assert job["status"] == "succeeded", job
    summary = job["summary"]
    assert summary["counts"]["MATCHED_KEY"] == 2 and summary["counts"]["PG_ONLY"] == 1
    assert summary["matchRate"] == 1.0 and summary["badRows"] == 0
    assert summary["exportedRows"] == {
        "purchases_raw.csv": 2,
        "confirmed_purchases.csv": 4,
        "sessions.csv": 2,
        "costs_daily.csv": 1,
    }
    out = Path(job["outputDir"])
    assert (out.parent.name, out.name) == ("alpha", str(job["id"]))
    for name in (*REPORTS, *CHARTS):
        assert (out / name).stat().st_size > 0, name
    roas = json.loads((out / "roas_d1.json").read_text())
    assert roas["cohort_day"] == today.isoformat()
    (spring,) = [c for c in roas["campaigns"] if c["campaign"] == "spring"]
    assert (spring["spend_minor"], spring["net_revenue_minor"], spring["roas"]) == (2500, 5000, 2.0)
    adjusted = json.loads((out / "revenue_chargeback_adjusted.json").read_text())
    assert adjusted["rates"]["charged_back_purchases"] == 1
    await assert_audit_ok(pool)


async def test_one_run_at_a_time_per_operator(client: httpx.AsyncClient, pool: asyncpg.Pool):
    alpha = await open_casino(client, "alpha")
    beta = await open_casino(client, "beta")
    first, second = await asyncio.gather(
        _start(client, alpha.boss, charts=False), _start(client, alpha.boss, charts=False)
    )
    assert sorted((first.status_code, second.status_code)) == [202, 409]
    running = first if first.status_code == 202 else second
    refused = second if running is first else first
    assert refused.json()["code"] == "PIPELINE_ALREADY_RUNNING"
    other = await _start(client, beta.boss, charts=False)  # another operator is independent
    assert other.status_code == 202
    assert (await _wait(client, alpha.boss, running.json()["id"]))["status"] == "succeeded"
    assert (await _wait(client, beta.boss, other.json()["id"]))["status"] == "succeeded"
    again = await _start(client, alpha.boss, charts=False)
    assert again.status_code == 202
    await _wait(client, alpha.boss, again.json()["id"])
    listed = await client.get("/api/v1/run-pipeline", headers=alpha.boss.headers)
    assert [job["operatorId"] for job in listed.json()["items"]] == [alpha.id, alpha.id]


async def test_a_stale_unfinished_run_does_not_block_forever(
    client: httpx.AsyncClient, pool: asyncpg.Pool
):
    alpha = await open_casino(client)
    stale = await pool.fetchval(
        """INSERT INTO pipeline_jobs (operator_id, status, source, charts, updated_at)
           VALUES ($1, 'running', 'platform', false, now() - interval '2 hours') RETURNING id""",
        alpha.id,
    )
    started = await _start(client, alpha.boss, charts=False)
    assert started.status_code == 202
    await _wait(client, alpha.boss, started.json()["id"])
    old = await client.get(f"/api/v1/run-pipeline/{stale}", headers=alpha.boss.headers)
    assert old.json()["status"] == "failed" and "abandoned" in old.json()["error"]


async def test_jobs_are_scoped_to_their_operator_and_staff(client: httpx.AsyncClient):
    alpha = await open_casino(client, "alpha")
    beta = await open_casino(client, "beta")
    started = await _start(client, alpha.boss, charts=False)
    job_url = f"/api/v1/run-pipeline/{started.json()['id']}"
    assert (await client.get(job_url, headers=beta.boss.headers)).status_code == 404
    assert (await _start(client, beta.boss, operatorId=alpha.id)).status_code == 404
    listed = await client.get("/api/v1/run-pipeline", headers=beta.boss.headers)
    assert listed.json()["items"] == []
    guest = await new_guest(client, alpha.slug)
    as_player = {"Authorization": f"Bearer {guest.token}"}
    run = await client.post("/api/v1/run-pipeline", json={}, headers=as_player)
    assert run.status_code == 403
    assert (await client.get(job_url, headers=as_player)).status_code == 403
    unscoped = await _start(client, alpha.admin)  # a platform admin must name the operator
    assert unscoped.status_code == 404
    assert (await client.get(job_url, headers=alpha.admin.headers)).status_code == 200
    await _wait(client, alpha.boss, started.json()["id"])


async def test_data_folder_runs_are_for_platform_admins(client: httpx.AsyncClient, tmp_path: Path):
    alpha = await open_casino(client)
    generate_sample(tmp_path / "data", 300, seed=3)
    as_boss = await _start(client, alpha.boss, dataDir=str(tmp_path / "data"))
    assert as_boss.status_code == 403
    missing = await _start(client, alpha.admin, operatorId=alpha.id, dataDir=str(tmp_path / "no"))
    assert missing.status_code == 422
    started = await _start(
        client, alpha.admin, operatorId=alpha.id, dataDir=str(tmp_path / "data"), charts=False
    )
    assert started.status_code == 202, started.text
    job = await _wait(client, alpha.admin, started.json()["id"])
    assert job["status"] == "succeeded", job
    assert job["source"] == "data_dir" and job["summary"]["counts"]["MATCHED_FUZZY"] > 0
    assert (Path(job["outputDir"]) / "reconciliation.json").is_file()


async def test_a_failed_run_says_why(client: httpx.AsyncClient, tmp_path: Path):
    admin = await factories.platform_admin(client)
    odd = await factories.create_operator(client, admin, "odd", currency="XTS")
    boss = await factories.create_operator_admin(client, admin, odd["id"], "boss-odd@example.com")
    started = await _start(client, boss, charts=False)
    job = await _wait(client, boss, started.json()["id"])
    assert job["status"] == "failed" and "XTS" in job["error"]
    (tmp_path / "empty").mkdir()
    started = await _start(client, admin, operatorId=odd["id"], dataDir=str(tmp_path / "empty"))
    job = await _wait(client, admin, started.json()["id"])
    assert job["status"] == "failed" and "not found" in job["error"]


async def test_ad_costs_json_and_csv(client: httpx.AsyncClient, pool: asyncpg.Pool):
    alpha = await open_casino(client)
    csv_body = (
        "date,media_source,campaign,adset,spend_minor,currency\n"
        "2026-03-01,fb,spring,a1,1200,USD\n"
        "2026-03-01,google,brand,,300,\n"
    )
    uploaded = await client.post(
        "/api/v1/operator/ad-costs/csv",
        content=csv_body,
        headers={**alpha.boss.headers, "Content-Type": "text/csv"},
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["upserted"] == 2
    replaced = await client.post(
        "/api/v1/operator/ad-costs",
        json={"rows": [_cost_row("2026-03-01", 1500)]},
        headers=alpha.boss.headers,
    )
    assert replaced.status_code == 200
    rows = await pool.fetch("SELECT media_source, adset, spend_minor FROM ad_costs ORDER BY 1")
    assert [tuple(r) for r in rows] == [("fb", "a1", 1500), ("google", "(none)", 300)]
    for bad in (
        "date,media_source,spend_minor\n2026-03-01,fb,12.5\n",
        "date,media_source,spend_minor,currency\n2026-03-01,fb,100,EUR\n",
        "date,media_source,spend_minor\n",
    ):
        response = await client.post(
            "/api/v1/operator/ad-costs/csv",
            content=bad,
            headers={**alpha.boss.headers, "Content-Type": "text/csv"},
        )
        assert response.status_code == 422, (bad, response.text)
