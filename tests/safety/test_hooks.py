"""The hooks the platform calls, against the real database: pre-checks and what they refuse,
what they never refuse (withdrawals, wins of bets already placed), and deposit limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from croupier.db.pool import unit_of_work
from croupier.safety import service, tools
from croupier.safety.errors import (
    CooldownActiveError,
    DepositLimitReachedError,
    LossLimitReachedError,
    SafetyStopError,
    SelfExcludedError,
    SessionTimeLimitReachedError,
    TimeOutActiveError,
    WagerLimitReachedError,
)
from tests.safety.conftest import SEED_CONFIG, Casino, make_casino


async def spin(pool: asyncpg.Pool, casino: Casino, **kw: object) -> service.SafetyAssessment:
    args: dict[str, object] = {
        "game_key": "neon-fruits",
        "stake": 100,
        "win": 0,
        "balance_after": 100_000,
        "session_key": None,
        "p_loss": 0.72,
        **kw,
    }
    async with unit_of_work(pool) as uow:
        return await service.record_spin(uow.conn, **casino.ids, **args)  # type: ignore[arg-type]


async def check(pool: asyncpg.Pool, casino: Casino, stake: int = 100, **kw: object) -> None:
    async with unit_of_work(pool) as uow:
        await service.check_spin(
            uow.conn, **casino.ids, stake=stake, session_key=kw.pop("session_key", None), **kw
        )  # type: ignore[arg-type]


async def cooled_down(pool: asyncpg.Pool, casino: Casino) -> datetime:
    """Drive a real spin sequence into a COOLDOWN (seed config: 90 s); return when it ends."""
    start = datetime.now(UTC) - timedelta(minutes=2)
    for i in range(30):
        assessment = await spin(pool, casino, at=start + timedelta(seconds=2.5 * i), p_loss=0.55)
        if assessment.action and assessment.action["actionType"] == "COOLDOWN":
            return start + timedelta(seconds=2.5 * i + 90)
    raise AssertionError("no cooldown")


async def test_a_new_player_is_never_refused(client: httpx.AsyncClient, pool: asyncpg.Pool) -> None:
    casino = await make_casino(client, "fresh")
    await check(pool, casino)
    async with unit_of_work(pool) as uow:
        await service.check_login(uow.conn, **casino.ids)
        await service.check_deposit(uow.conn, **casino.ids, amount=10**9)
        assert not await service.is_marketing_suppressed(uow.conn, **casino.ids)
        summary = await service.player_safety_summary(uow.conn, **casino.ids)
    assert summary["band"] == "NORMAL" and summary["limits"] == []


async def test_cooldown_blocks_spins_until_it_ends_but_never_a_win(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    casino = await make_casino(client, "cool", SEED_CONFIG)
    ends = await cooled_down(pool, casino)
    with pytest.raises(CooldownActiveError) as refused:
        await check(pool, casino, at=ends - timedelta(seconds=30))
    assert refused.value.status_code == 403
    assert refused.value.details["cooldownSeconds"] == 30
    # the win of a bet placed before the cooldown still settles: record_spin never refuses
    late = await spin(pool, casino, win=500, at=ends - timedelta(seconds=20), p_loss=0.55)
    assert late.action is not None and late.action["actionType"] == "COOLDOWN"
    await check(pool, casino, at=ends + timedelta(seconds=1))
    async with unit_of_work(pool) as uow:  # a TILT_RISK cooldown suppresses marketing for 24 h
        assert await service.is_marketing_suppressed(uow.conn, **casino.ids)


async def test_self_exclusion_blocks_play_deposits_and_login_never_withdrawals(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    casino = await make_casino(client, "excluded")
    await spin(pool, casino)
    async with unit_of_work(pool) as uow:
        until = (await tools.self_exclude(uow.conn, **casino.ids, months=6))["self_excluded_until"]
    assert until > datetime.now(UTC) + timedelta(days=180)
    with pytest.raises(SelfExcludedError) as refused:
        await check(pool, casino)
    assert refused.value.details["until"] == until.isoformat()
    async with unit_of_work(pool) as uow:
        with pytest.raises(SelfExcludedError):
            await service.check_login(uow.conn, **casino.ids)
        with pytest.raises(SelfExcludedError):
            await service.check_deposit(uow.conn, **casino.ids, amount=100)
        assert await service.is_marketing_suppressed(uow.conn, **casino.ids)
    # a bet placed before the exclusion still settles and scores
    assert (await spin(pool, casino, win=1000)).band == "NORMAL"
    # there is deliberately no withdrawal hook: nothing in safety can hold a player's money
    assert not [name for name in dir(service) if "withdraw" in name.lower()]


async def test_time_out_blocks_until_it_ends(client: httpx.AsyncClient, pool: asyncpg.Pool) -> None:
    casino = await make_casino(client, "timeout")
    async with unit_of_work(pool) as uow:
        until = await tools.start_time_out(uow.conn, **casino.ids, days=1)
        with pytest.raises(TimeOutActiveError):
            await service.check_login(uow.conn, **casino.ids)
        with pytest.raises(TimeOutActiveError):
            await service.check_deposit(uow.conn, **casino.ids, amount=1)
        # a shorter request never shortens it
        assert await tools.start_time_out(uow.conn, **casino.ids, days=1) >= until
    with pytest.raises(TimeOutActiveError):
        await check(pool, casino)
    await check(pool, casino, at=until + timedelta(seconds=1))


async def test_loss_and_wager_limits_refuse_the_stake_that_would_break_them(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    casino = await make_casino(client, "limits")
    async with unit_of_work(pool) as uow:
        await tools.change_limit(uow.conn, **casino.ids, kind="loss", period="7d", amount=1000)
        await tools.change_limit(uow.conn, **casino.ids, kind="loss", period="24h", amount=5000)
        await tools.change_limit(uow.conn, **casino.ids, kind="wager", period="24h", amount=2500)
    for _ in range(9):
        await spin(pool, casino, stake=100, win=0)
    await check(pool, casino, stake=100)  # 900 lost: 100 more fits the lowest (7 d) limit
    with pytest.raises(LossLimitReachedError) as refused:
        await check(pool, casino, stake=101)
    assert (
        refused.value.details["period"] == "7d" and refused.value.details["remainingCents"] == 100
    )
    # wins make room under a loss limit, not under a wager limit
    for _ in range(15):
        await spin(pool, casino, stake=100, win=200)
    await check(pool, casino, stake=100)  # 2,400 wagered of 2,500
    with pytest.raises(WagerLimitReachedError):
        await check(pool, casino, stake=101)


async def test_reaching_a_period_loss_limit_stops_play(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    casino = await make_casino(client, "periodstop")
    async with unit_of_work(pool) as uow:
        await tools.change_limit(uow.conn, **casino.ids, kind="loss", period="24h", amount=300)
    assessments = [await spin(pool, casino, stake=100) for _ in range(3)]
    assert assessments[-1].action == {"actionType": "STOP"}
    assert assessments[-1].code == "LOSS_LIMIT_REACHED"
    with pytest.raises(LossLimitReachedError):
        await check(pool, casino, stake=1)


async def test_session_time_limit(client: httpx.AsyncClient, pool: asyncpg.Pool) -> None:
    casino = await make_casino(client, "sessiontime")
    async with unit_of_work(pool) as uow:
        await tools.change_limit(uow.conn, **casino.ids, kind="time", period="session", amount=30)
    start = datetime.now(UTC) - timedelta(minutes=40)
    for minute in range(0, 31, 2):
        last = await spin(pool, casino, at=start + timedelta(minutes=minute), session_key="tab-1")
    assert last.code == "SESSION_TIME_LIMIT_REACHED"
    with pytest.raises(SessionTimeLimitReachedError):
        await check(pool, casino, session_key="tab-1", at=start + timedelta(minutes=31))


async def test_deposit_limits_lowest_applies_and_count_gross(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    casino = await make_casino(client, "deposits")
    async with unit_of_work(pool) as uow:
        await tools.change_limit(uow.conn, **casino.ids, kind="deposit", period="24h", amount=5000)
        await tools.change_limit(uow.conn, **casino.ids, kind="deposit", period="30d", amount=2000)
        await service.check_deposit(uow.conn, **casino.ids, amount=2000)
        await service.record_deposit(uow.conn, **casino.ids, amount=1500)
        with pytest.raises(DepositLimitReachedError) as refused:
            await service.check_deposit(uow.conn, **casino.ids, amount=501)
        assert refused.value.details == {"period": "30d", "limitCents": 2000, "remainingCents": 500}
        await service.check_deposit(uow.conn, **casino.ids, amount=500)


async def test_three_redeposits_after_going_bust_pause_play(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    casino = await make_casino(client, "bust")
    for _ in range(3):
        await spin(pool, casino, stake=100, win=0, balance_after=40)  # can no longer afford it
        async with unit_of_work(pool) as uow:
            await service.record_deposit(uow.conn, **casino.ids, amount=1000)
    with pytest.raises(CooldownActiveError) as refused:
        await check(pool, casino)
    assert refused.value.details["cooldownSeconds"] == 900
    async with unit_of_work(pool) as uow:
        assert await service.is_marketing_suppressed(uow.conn, **casino.ids)


async def test_a_risk_stop_refuses_spins_and_opens_one_case(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    casino = await make_casino(client, "riskstop", {**SEED_CONFIG, "stopScore": 60})
    start = datetime.now(UTC) - timedelta(minutes=2)
    for i in range(30):
        last = await spin(pool, casino, at=start + timedelta(seconds=2.5 * i), p_loss=0.55)
        if last.action and last.action["actionType"] != "NUDGE":
            break
    assert last.action == {"actionType": "STOP"} and last.code is None
    with pytest.raises(SafetyStopError):
        await check(pool, casino)
    cases = await pool.fetch("SELECT trigger_code, stop_count FROM safety_cases")
    assert [tuple(c) for c in cases] == [("SAFETY_STOP", 1)]


async def test_deposit_velocity_and_limit_increase_requests_feed_the_score(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    casino = await make_casino(client, "markers")
    now = datetime.now(UTC)
    async with unit_of_work(pool) as uow:
        for minutes in (30, 20, 10):  # three deposits within the hour
            await service.record_deposit(
                uow.conn, **casino.ids, amount=2000, at=now - timedelta(minutes=minutes)
            )
        await tools.change_limit(uow.conn, **casino.ids, kind="loss", period="24h", amount=500)
        await tools.change_limit(uow.conn, **casino.ids, kind="loss", period="24h", amount=900)
    assessment = await spin(pool, casino)
    assert assessment.reasons == ["DEPOSIT_VELOCITY", "LIMIT_INCREASE_REQUEST"]
    assert (assessment.score, assessment.band) == (30, "ELEVATED")
    assert assessment.action is not None and assessment.action["actionType"] == "NUDGE"
