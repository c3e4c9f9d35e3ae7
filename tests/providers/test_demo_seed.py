"""Seed 003's demo data in `croupier up`'s order, and `croupier simulate`'s table."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest
import typer
from typer.testing import CliRunner

from croupier.config import Settings
from croupier.db.pool import unit_of_work
from croupier.operators import service as operators
from croupier.providers import cli
from croupier.providers.demo_seed import seed_provider_demo
from croupier.simulation import demo_data
from croupier.simulation.static_seed import seed_static


async def test_the_seed_ids_on_a_fresh_install(
    client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    async with unit_of_work(pool) as uow:
        everything = await seed_static(uow.conn, settings)  # what `croupier up` loads
        logins = await seed_provider_demo(uow.conn, settings)  # idempotent: nothing new
    assert all(login in everything for login in logins)
    players = await pool.fetch("SELECT id, username, operator_id FROM players ORDER BY id")
    assert [(p["id"], p["username"]) for p in players[:2]] == [
        (1, "seed003-user-1"),
        (2, "seed003-user-2"),
    ]
    games = await pool.fetch("SELECT id, slug, provider FROM games ORDER BY id LIMIT 2")
    assert [tuple(g) for g in games] == [(1, "SLOTS_001", "jaqpot"), (2, "SLOTS_002", "jaqpot")]
    assert [login[2] for login in logins] == [
        "seed003-user-1 (userId 1)",
        "seed003-user-2 (userId 2)",
    ]
    # The seed's curl, as written, against that install.
    response = await client.post(
        "/casino/simulateRound",
        content=b'{"userId": 1, "gameId": 1}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["finalBalance"] == "1001000"


@pytest.fixture
async def report(client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings) -> Any:
    async with unit_of_work(pool) as uow:
        await operators.create_operator(uow.conn, **demo_data.OPERATORS[0])
        await seed_provider_demo(uow.conn, settings)
    response = await client.post("/casino/simulateRound", json={"userId": 1, "gameId": 1})
    return response.json()


def _run(monkeypatch: pytest.MonkeyPatch, reply: httpx.Response, *args: str) -> Any:
    calls: list[str] = []

    def post(url: str, **_: object) -> httpx.Response:
        calls.append(url)
        return reply

    monkeypatch.setattr(cli.httpx, "post", post)
    monkeypatch.setenv("COLUMNS", "200")  # one line per step
    app = typer.Typer()
    app.command()(cli.simulate)
    result = CliRunner().invoke(app, ["--url", "http://casino.test", *args])
    return result, calls


async def test_croupier_simulate_prints_the_seed_table(
    monkeypatch: pytest.MonkeyPatch, report: Any
) -> None:
    result, calls = _run(monkeypatch, httpx.Response(200, json=report), "--runs", "2")
    assert result.exit_code == 0, result.output
    assert calls == ["http://casino.test/casino/simulateRound"] * 2
    for text in ("Idempotency retry (bet 1)", "1,001,000", "-1,000", "+2,000", "--"):
        assert text in result.output
    assert "Final balance: 1,001,000 cents ($10,010.00) — as in the seed." in result.output

    report["steps"][6]["balanceAfter"] = "1000000"  # a double charge would show like this
    result, _ = _run(monkeypatch, httpx.Response(200, json=report))
    assert result.exit_code == 1
    assert "seed says 1,001,000" in result.output
