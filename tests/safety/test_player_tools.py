"""The player's tools over HTTP: session loss limit, limits, reality checks, time-out,
self-exclusion, and the input they refuse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from croupier.db.pool import unit_of_work
from croupier.safety import service, tools
from croupier.safety.errors import (
    DepositLimitReachedError,
    LimitChangeNotDueError,
    SelfExcludedError,
    TimeOutActiveError,
)
from tests.safety.conftest import Casino, make_casino

API = "/api/v1/safety"
HOUR_MS = 3_600_000


async def age_pending_changes(pool: asyncpg.Pool, casino: Casino, hours: int) -> None:
    """Move a pending limit change back in time, as if the player came back later."""
    limits = await pool.fetchval(
        "SELECT limits FROM safety_players WHERE player_id = $1", casino.player.subject_id
    )
    for limit in limits:
        if limit["pending_effective_ms"]:
            limit["pending_effective_ms"] -= hours * HOUR_MS
            limit["pending_requested_ms"] -= hours * HOUR_MS
    await pool.execute(
        "UPDATE safety_players SET limits = $2 WHERE player_id = $1",
        casino.player.subject_id,
        limits,
    )


async def put_limit(client: httpx.AsyncClient, casino: Casino, **body: Any) -> httpx.Response:
    return await client.put(f"{API}/limits", json=body, headers=casino.player.headers)


async def test_session_loss_limit_lowers_but_never_rises(client: httpx.AsyncClient) -> None:
    casino = await make_casino(client, "seedlimit")
    headers = {**casino.player.headers, "x-session-id": "s-1"}
    post = f"{API}/loss-limit"
    first = await client.post(post, json={"lossLimitCents": 5000}, headers=headers)
    assert first.json() == {"ok": True, "lossLimitCents": 5000, "locked": True}
    lower = await client.post(post, json={"lossLimitCents": 3000}, headers=headers)
    assert lower.json() == {"ok": True, "lossLimitCents": 3000, "locked": True}
    higher = await client.post(post, json={"lossLimitCents": 6000}, headers=headers)
    assert higher.status_code == 409
    assert higher.json()["code"] == "LOSS_LIMIT_LOCKED"
    assert higher.json()["details"] == {"lossLimitCents": 3000}
    # it is the player's standing session limit too: a new session starts with it, and
    # raising it there is refused as well (that goes through the 24 h increase instead)
    other = {**casino.player.headers, "x-session-id": "s-2"}
    raised = await client.post(post, json={"lossLimitCents": 8000}, headers=other)
    assert raised.status_code == 409
    limits = (await client.get(f"{API}/limits", headers=casino.player.headers)).json()
    assert [(x["kind"], x["period"], x["amount"]) for x in limits] == [("loss", "session", 3000)]


async def test_a_lowered_standing_limit_bites_in_a_running_session(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    casino = await make_casino(client, "runningsession")
    headers = {**casino.player.headers, "x-session-id": "live"}
    await client.post(f"{API}/loss-limit", json={"lossLimitCents": 5000}, headers=headers)
    response = await put_limit(client, casino, kind="loss", period="session", amount=1000)
    assert response.json()["status"] == "applied"
    lowered = await client.post(f"{API}/loss-limit", json={"lossLimitCents": 2000}, headers=headers)
    assert lowered.status_code == 409  # the running session is now locked at 1,000


async def test_limit_decrease_is_immediate_increase_waits_and_needs_confirmation(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    casino = await make_casino(client, "statemachine")
    set_ = await put_limit(client, casino, kind="deposit", period="24h", amount=1000)
    assert set_.status_code == 200 and set_.json()["status"] == "applied"
    lower = (await put_limit(client, casino, kind="deposit", period="24h", amount=500)).json()
    assert lower["status"] == "applied" and lower["limit"]["amount"] == 500
    raise_ = (await put_limit(client, casino, kind="deposit", period="24h", amount=2000)).json()
    assert raise_["status"] == "pending" and raise_["limit"]["amount"] == 500
    effective = datetime.fromisoformat(raise_["effectiveAt"])
    assert timedelta(hours=23, minutes=59) < effective - datetime.now(UTC) <= timedelta(hours=24)
    assert raise_["limit"]["pending"]["confirmable"] is False
    confirm = f"{API}/limits/deposit/24h/confirm"
    early = await client.post(confirm, headers=casino.player.headers)
    assert early.status_code == 409 and early.json()["code"] == "LIMIT_CHANGE_NOT_DUE"
    async with unit_of_work(pool) as uow:  # still 500 for deposits
        with pytest.raises(DepositLimitReachedError):
            await service.check_deposit(uow.conn, **casino.ids, amount=501)
    await age_pending_changes(pool, casino, 25)
    done = await client.post(confirm, headers=casino.player.headers)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "applied" and done.json()["limit"]["amount"] == 2000
    again = await client.post(confirm, headers=casino.player.headers)
    assert again.json()["code"] == "NO_PENDING_LIMIT_CHANGE"
    audit = await pool.fetch(
        """SELECT action, subject, old_value, new_value, requested_at, effective_at
           FROM safety_audit WHERE player_id = $1 ORDER BY id""",
        casino.player.subject_id,
    )
    assert [(a["action"], a["old_value"], a["new_value"]) for a in audit] == [
        ("limit.request", None, 1000),
        ("limit.request", 1000, 500),
        ("limit.request", 500, 2000),
        ("limit.confirm", 500, 2000),
    ]
    assert audit[2]["effective_at"] - audit[2]["requested_at"] == timedelta(hours=24)


async def test_increase_with_injected_clock(client: httpx.AsyncClient, pool: asyncpg.Pool) -> None:
    casino = await make_casino(client, "clock")
    t0 = datetime.now(UTC)
    async with unit_of_work(pool) as uow:
        conn = uow.conn
        await tools.change_limit(conn, **casino.ids, kind="wager", period="7d", amount=100, at=t0)
        await tools.change_limit(conn, **casino.ids, kind="wager", period="7d", amount=900, at=t0)
        with pytest.raises(LimitChangeNotDueError):
            await tools.confirm_limit(
                conn, **casino.ids, kind="wager", period="7d", at=t0 + timedelta(hours=23)
            )
    async with unit_of_work(pool) as uow:
        change = await tools.confirm_limit(
            uow.conn, **casino.ids, kind="wager", period="7d", at=t0 + timedelta(hours=24)
        )
    assert change["limit"]["amount"] == 900


async def test_removing_a_limit_is_an_increase(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    casino = await make_casino(client, "removal")
    await put_limit(client, casino, kind="loss", period="30d", amount=700)
    remove = await client.delete(f"{API}/limits/loss/30d", headers=casino.player.headers)
    assert remove.json()["status"] == "pending"
    await age_pending_changes(pool, casino, 24)
    done = await client.post(f"{API}/limits/loss/30d/confirm", headers=casino.player.headers)
    assert done.json()["status"] == "removed" and done.json()["limit"] is None
    assert (await client.get(f"{API}/limits", headers=casino.player.headers)).json() == []
    missing = await client.delete(f"{API}/limits/loss/30d", headers=casino.player.headers)
    assert missing.status_code == 404


async def test_reality_check_shows_time_and_net_position(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    casino = await make_casino(client, "reality")
    headers = {**casino.player.headers, "x-session-id": "rc"}
    empty = (await client.get(f"{API}/reality-check", headers=headers)).json()
    assert empty["elapsedSeconds"] == 0 and empty["intervalMinutes"] == 60
    start = datetime.now(UTC) - timedelta(minutes=20)
    for i, win in enumerate([0, 250, 0]):
        async with unit_of_work(pool) as uow:
            await service.record_spin(
                uow.conn,
                **casino.ids,
                game_key="neon-fruits",
                stake=100,
                win=win,
                balance_after=5000,
                session_key="rc",
                p_loss=0.72,
                at=start + timedelta(minutes=5 * i),
            )
    put = await client.put(f"{API}/reality-check", json={"intervalMinutes": 15}, headers=headers)
    assert put.status_code == 200
    view = put.json()
    assert view["intervalMinutes"] == 15 and view["netPositionCents"] == -50
    assert 20 * 60 - 5 <= view["elapsedSeconds"] <= 20 * 60 + 60
    next_check = datetime.fromisoformat(view["nextCheckAt"])  # state keeps milliseconds
    assert abs(next_check - (start + timedelta(minutes=15))) < timedelta(milliseconds=1)


async def test_time_out(client: httpx.AsyncClient, pool: asyncpg.Pool) -> None:
    casino = await make_casino(client, "takeabreak")
    response = await client.post(
        f"{API}/time-out", json={"period": "7d"}, headers=casino.player.headers
    )
    until = datetime.fromisoformat(response.json()["timeOutUntil"])
    assert abs(until - datetime.now(UTC) - timedelta(days=7)) < timedelta(minutes=1)
    custom = await client.post(f"{API}/time-out", json={"days": 42}, headers=casino.player.headers)
    assert datetime.fromisoformat(custom.json()["timeOutUntil"]) > until
    async with unit_of_work(pool) as uow:
        with pytest.raises(TimeOutActiveError):
            await service.check_login(uow.conn, **casino.ids)
    status = (await client.get(f"{API}/status", headers=casino.player.headers)).json()
    assert status["restrictions"]["timeOutUntil"] == custom.json()["timeOutUntil"]


async def test_self_exclusion_cannot_be_undone_early(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    casino = await make_casino(client, "exclusion")
    headers = casino.player.headers
    short = await client.post(
        f"{API}/self-exclusion", json={"months": 5, "confirm": True}, headers=headers
    )
    assert short.status_code == 422
    unconfirmed = await client.post(
        f"{API}/self-exclusion", json={"months": 6, "confirm": False}, headers=headers
    )
    assert unconfirmed.status_code == 422
    done = await client.post(
        f"{API}/self-exclusion", json={"months": 6, "confirm": True}, headers=headers
    )
    assert done.status_code == 200
    until = datetime.fromisoformat(done.json()["selfExcludedUntil"])
    assert until - datetime.now(UTC) > timedelta(days=180)
    lift = await client.delete(f"{API}/self-exclusion", headers=headers)
    assert lift.status_code == 409 and lift.json()["code"] == "SELF_EXCLUSION_LOCKED"
    async with unit_of_work(pool) as uow:
        with pytest.raises(SelfExcludedError):
            await service.check_login(uow.conn, **casino.ids)
    # a shorter request does not shorten it either
    again = await client.post(
        f"{API}/self-exclusion", json={"months": 6, "confirm": True}, headers=headers
    )
    assert datetime.fromisoformat(again.json()["selfExcludedUntil"]) >= until
    actions = await pool.fetch(
        "SELECT action FROM safety_audit WHERE player_id = $1 ORDER BY id",
        casino.player.subject_id,
    )
    assert [a["action"] for a in actions] == [
        "self_exclusion.start",
        "self_exclusion.lift_refused",
        "self_exclusion.start",
    ]


EVENT = {
    "gameKey": "neon-slot",
    "eventType": "SPIN",
    "betCents": 100,
    "winCents": 0,
    "balanceCents": 1000,
    "clientTs": "2026-01-01T00:00:00Z",
}
BAD_INPUT: list[tuple[str, dict[str, Any]]] = [
    ("/limits", {"kind": "loss", "period": "24h", "amount": -5}),
    ("/limits", {"kind": "loss", "period": "24h", "amount": 0}),
    ("/limits", {"kind": "loss", "period": "24h", "amount": 10.5}),
    ("/limits", {"kind": "loss", "period": "24h", "amount": "100"}),
    ("/limits", {"kind": "loss", "period": "1y", "amount": 100}),
    ("/limits", {"kind": "deposit", "period": "session", "amount": 100}),
    ("/limits", {"kind": "time", "period": "24h", "amount": 100}),
    ("/limits", {"kind": "loss", "period": "24h", "amount": 100, "note": "x"}),
    ("/loss-limit", {"lossLimitCents": -1}),
    ("/loss-limit", {"lossLimitCents": 50.5}),
    ("/loss-limit", {"lossLimitCents": "5000"}),
    ("/loss-limit", {"lossLimitCents": 5000, "extra": 1}),
    ("/time-out", {"days": 43}),
    ("/time-out", {"period": "24h", "days": 2}),
    ("/time-out", {"period": "1y"}),
    ("/reality-check", {"intervalMinutes": 2}),
    ("/event", {**EVENT, "betCents": -1}),
    ("/event", {**EVENT, "winCents": 1.5}),
    ("/event", {**EVENT, "eventType": "BET"}),
    ("/event", {k: v for k, v in EVENT.items() if k != "clientTs"}),
    ("/event", {**EVENT, "clientTs": "2026-01-01T00:00:00"}),  # no timezone
    ("/event", {**EVENT, "meta": {"spinMs": 900, "autoplay": True}}),
]


async def test_bad_input_is_refused(client: httpx.AsyncClient) -> None:
    casino = await make_casino(client, "badinput")
    for path, body in BAD_INPUT:
        method = "PUT" if path in ("/limits", "/reality-check") else "POST"
        response = await client.request(
            method, API + path, json=body, headers=casino.player.headers
        )
        assert response.status_code == 422, (path, body, response.text)
        assert response.json()["code"] == "VALIDATION_ERROR"
    assert (await client.get(f"{API}/limits", headers=casino.player.headers)).json() == []


async def test_bad_session_header_and_path_are_refused(client: httpx.AsyncClient) -> None:
    casino = await make_casino(client, "badheader")
    headers = {**casino.player.headers, "x-session-id": "bad id with spaces"}
    response = await client.post(f"{API}/loss-limit", json={"lossLimitCents": 1}, headers=headers)
    assert response.status_code == 422
    bad_path = await client.post(f"{API}/limits/loss/1y/confirm", headers=casino.player.headers)
    assert bad_path.status_code == 422


async def test_player_routes_need_a_player(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{API}/limits")).status_code == 401
    from tests.factories import platform_admin

    admin = await platform_admin(client)
    assert (await client.get(f"{API}/limits", headers=admin.headers)).status_code == 403
