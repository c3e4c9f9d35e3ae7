"""Seed 000's three example responses, each produced by a realistic run of spins: through the
game's telemetry route (POST /api/v1/safety/event) and through the server-side feed
(record_spin), which protects a player whose client sends no telemetry at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from croupier.db.pool import unit_of_work
from croupier.safety import service
from tests.safety.conftest import SEED_CONFIG, Casino, make_casino

NUDGE = {
    "ok": True,
    "risk": {"score": 35, "band": "ELEVATED", "reasons": ["BET_ACCEL"]},
    "action": {
        "actionType": "NUDGE",
        "message": "Quick check-in: your pace/bets changed a lot in the last few minutes. "
        "Want to take a short break?",
    },
}
COOLDOWN = {
    "ok": True,
    "risk": {"score": 60, "band": "TILT_RISK", "reasons": ["LOSS_STREAK", "SPIN_RATE"]},
    "action": {
        "actionType": "COOLDOWN",
        "cooldownSeconds": 90,
        "message": "Let’s pause for 90s. Your balance and session will still be here.",
    },
}
LOSS_LIMIT = {
    "ok": False,
    "code": "LOSS_LIMIT_REACHED",
    "message": "Loss limit reached for this session.",
    "action": {"actionType": "STOP"},
}

# (stake, win, seconds since the previous spin)
Spin = tuple[int, int, float]


def escalating_bets() -> list[Spin]:
    """20 spins at 100 (every fourth wins), then the stake triples: on the 5th raised spin
    the last ten average twice the session's baseline."""
    calm = [(100, 200 if i % 4 == 3 else 0, 5.0) for i in range(20)]
    return calm + [(300, 0, 5.0)] * 5


def fast_losing_streak() -> list[Spin]:
    """A spin every 2.5 s (the game's minimum cycle): 14 alternating wins and losses, then 8
    losses in a row, which for p_loss 0.55 is the 1% streak, at full pace."""
    warm = [(100, 0 if i % 2 == 0 else 200, 2.5) for i in range(14)]
    return warm + [(100, 0, 2.5)] * 8


def losing_to_the_limit() -> list[Spin]:
    return [(500, 0, 6.0)] * 10


def times(spins: list[Spin]) -> list[datetime]:
    start = datetime.now(UTC) - timedelta(seconds=sum(gap for *_, gap in spins) + 5)
    moments, t = [], start
    for *_, gap in spins:
        t += timedelta(seconds=gap)
        moments.append(t)
    return moments


async def play_via_telemetry(
    client: httpx.AsyncClient, casino: Casino, spins: list[Spin], session_id: str
) -> list[dict[str, Any]]:
    headers = {**casino.player.headers, "x-session-id": session_id}
    balance, answers = 100_000, []
    for (stake, win, _), moment in zip(spins, times(spins), strict=True):
        balance += win - stake
        body = {
            "gameKey": "neon-slot",
            "eventType": "SPIN",
            "betCents": stake,
            "winCents": win,
            "balanceCents": balance,
            "clientTs": moment.isoformat().replace("+00:00", "Z"),
            "meta": {"spinMs": 980},
        }
        response = await client.post("/api/v1/safety/event", json=body, headers=headers)
        assert response.status_code == 200, response.text
        answers.append(response.json())
    return answers


async def play_via_server(
    pool: asyncpg.Pool, casino: Casino, spins: list[Spin], p_loss: float, key: str | None = None
) -> list[service.SafetyAssessment]:
    balance, out = 100_000, []
    for (stake, win, _), moment in zip(spins, times(spins), strict=True):
        balance += win - stake
        async with unit_of_work(pool) as uow:
            out.append(
                await service.record_spin(
                    uow.conn,
                    **casino.ids,
                    game_key="neon-fruits",
                    stake=stake,
                    win=win,
                    balance_after=balance,
                    session_key=key,
                    p_loss=p_loss,
                    at=moment,
                )
            )
    return out


def seed_shape(assessment: service.SafetyAssessment) -> dict[str, Any]:
    if assessment.code:
        return {
            "ok": False,
            "code": assessment.code,
            "message": assessment.message,
            "action": assessment.action,
        }
    risk = {"score": assessment.score, "band": assessment.band, "reasons": assessment.reasons}
    return {"ok": True, "risk": risk, "action": assessment.action}


async def test_nudge_for_bet_acceleration(client: httpx.AsyncClient, pool: asyncpg.Pool) -> None:
    casino = await make_casino(client, "nudge", SEED_CONFIG)
    answers = await play_via_telemetry(client, casino, escalating_bets(), "game-session-1")
    assert answers[-1] == NUDGE
    assert all(a["action"] is None for a in answers[:-1])
    # a fresh player: the first one's risk memory (band, nudge rate limit) carries over
    other = await make_casino(client, "nudge-server", SEED_CONFIG)
    assessments = await play_via_server(pool, other, escalating_bets(), 0.72, "server-1")
    assert seed_shape(assessments[-1]) == NUDGE


async def test_cooldown_for_a_fast_losing_streak_in_a_90s_configuration(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    casino = await make_casino(client, "cooldown", SEED_CONFIG)
    answers = await play_via_telemetry(client, casino, fast_losing_streak(), "game-session-2")
    assert answers[-1] == COOLDOWN
    assert all(a["action"] is None for a in answers[:-1])

    other = await make_casino(client, "cooldown-server", SEED_CONFIG)
    assessments = await play_via_server(pool, other, fast_losing_streak(), 0.55)
    assert seed_shape(assessments[-1]) == COOLDOWN


async def test_default_configuration_pauses_for_five_minutes(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    """Reference weights: chasing losses with doubled stakes at full pace is TILT_RISK."""
    casino = await make_casino(client, "defaults")
    warm = [(100, 0 if i % 2 == 0 else 200, 2.5) for i in range(21)]
    martingale = [(200, 0, 2.5), (400, 0, 2.5), (800, 0, 2.5), (1600, 0, 2.5)]
    assessments = await play_via_server(pool, casino, warm + martingale, 0.72)
    assert assessments[-2].band == "ELEVATED" and assessments[-2].action is not None
    last = assessments[-1]
    assert (last.score, last.band) == (60, "TILT_RISK")
    assert last.reasons == ["BET_ACCEL", "LOSS_CHASE", "SPIN_RATE"]
    assert last.action is not None and last.action["cooldownSeconds"] == 300


async def test_session_loss_limit_reached(client: httpx.AsyncClient, pool: asyncpg.Pool) -> None:
    casino = await make_casino(client, "losslimit")
    headers = {**casino.player.headers, "x-session-id": "game-session-3"}
    response = await client.post(
        "/api/v1/safety/loss-limit", json={"lossLimitCents": 5000}, headers=headers
    )
    assert response.json() == {"ok": True, "lossLimitCents": 5000, "locked": True}
    answers = await play_via_telemetry(client, casino, losing_to_the_limit(), "game-session-3")
    assert answers[-1] == LOSS_LIMIT
    assert all(a["ok"] for a in answers[:-1])

    # the same through the server-side feed, in the server's own session
    async with unit_of_work(pool) as uow:
        await service.set_session_loss_limit(uow.conn, **casino.ids, session_key=None, amount=5000)
    assessments = await play_via_server(pool, casino, losing_to_the_limit(), 0.72)
    assert seed_shape(assessments[-1]) == LOSS_LIMIT


async def test_a_spin_recorded_by_the_server_is_not_counted_again_by_telemetry(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    casino = await make_casino(client, "dedupe", SEED_CONFIG)
    spins = fast_losing_streak()
    assessments = await play_via_server(pool, casino, spins, 0.55, "tab-1")
    assert assessments[-1].action == COOLDOWN["action"]
    headers = {**casino.player.headers, "x-session-id": "tab-1"}
    body = {
        "gameKey": "neon-fruits",
        "eventType": "SPIN",
        "betCents": 100,
        "winCents": 0,
        "balanceCents": 98_000,
        "clientTs": datetime.now(UTC).isoformat(),
        "meta": {"spinMs": 900},
    }
    first = (await client.post("/api/v1/safety/event", json=body, headers=headers)).json()
    assert first == COOLDOWN  # the action the server issued for the spin this event reports
    second = (await client.post("/api/v1/safety/event", json=body, headers=headers)).json()
    assert second["action"]["actionType"] == "COOLDOWN"  # a reminder, with the time left
    assert second["action"]["cooldownSeconds"] <= 90
    state = await pool.fetchval(
        "SELECT state FROM safety_sessions WHERE player_id = $1 AND session_key = 'tab-1'",
        casino.player.subject_id,
    )
    assert state["spins"] == len(spins) and state["staked"] == 100 * len(spins)
    assert state["ring"][-1][3] == 900  # the telemetry refined the latest spin
