"""VIP cashback: a share of the period's net real-money loss, paid once per player and period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from croupier.vip import cashback
from tests import factories
from tests.bets.conftest import World as BetWorld
from tests.bets.conftest import build_world
from tests.ledger.helpers import assert_audit_ok
from tests.payments.helpers import set_operator_settings, wallet


async def _losing_world(
    client: httpx.AsyncClient, pool: asyncpg.Pool, cashback_as: str
) -> tuple[BetWorld, int]:
    """A player who has lost real money today: spins until the net loss is at least 100."""
    world = await build_world(client)
    response = await client.post(
        "/api/v1/admin/vip-levels",
        json={
            "level": 0,
            "name": "Base",
            "xpRequired": 0,
            "cashbackBp": 1_000,
            "cashbackAs": cashback_as,
        },
        headers=world.admin.headers,
    )
    assert response.status_code == 201, response.text
    await set_operator_settings(
        client, world.admin, world.operator["id"], {"vip": {"cashbackPeriod": "daily"}}
    )
    await factories.fund_player(client, world.operator_admin, world.player.subject_id, 50_000)
    net_loss = 0
    max_bet = world.games["neon-fruits"]["maxBet"]  # a multiple of its 5 lines
    for _ in range(500):
        # Stake the player's lead plus 100 (multiples of neon-fruits' 5 lines): then any round
        # that wins nothing leaves a net loss of at least 100. At a flat 100 a round, an early
        # big win took more than 200 rounds to lose back in ≈ 2.5 % of runs (simulated). Never
        # over the game's maximum: a lead past it (wins at rising stakes, ≈ 0.05 % of runs) got a
        # 422; capped, ≈ 0.006 % of runs still led after 200 rounds, hence 500 (simulated).
        stake = max(100, 100 - net_loss)
        stake = min(stake + -stake % 5, max_bet)
        assert (await world.spin(client, stake=stake)).status_code == 200
        net_loss = await pool.fetchval(
            """SELECT sum(stake_cash - win_cash - jackpot_win)::bigint
               FROM bets WHERE player_id = $1""",
            world.player.subject_id,
        )
        if net_loss >= 100:
            return world, net_loss
    raise AssertionError("no net loss of 100 after 500 spins")


class TestCashback:
    async def test_cash_cashback_is_paid_once_per_period(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        world, net_loss = await _losing_world(client, pool, "cash")
        before = (await wallet(client, world.player))["cash"]
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        (run,) = await cashback.run_due(pool, now=tomorrow)
        expected = net_loss * 1_000 // 10_000
        assert (run.paid, run.amount) == (1, expected)
        assert (await wallet(client, world.player))["cash"] == before + expected
        (again,) = await cashback.run_due(pool, now=tomorrow)
        assert again.paid == 0
        assert (await wallet(client, world.player))["cash"] == before + expected
        # The period is today in the operator's timezone (UTC here).
        assert run.period_end - run.period_start == timedelta(days=1)
        await assert_audit_ok(pool)

    async def test_bonus_cashback_becomes_a_grant(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        world, net_loss = await _losing_world(client, pool, "bonus")
        expected = net_loss * 1_000 // 10_000
        await cashback.run_due(pool, now=datetime.now(UTC) + timedelta(days=1))
        balances = await wallet(client, world.player)
        grants = await pool.fetch("SELECT kind, bonus_amount, status FROM bonus_grants")
        assert [tuple(g) for g in grants] == [("cashback", expected, "active")]
        assert balances["bonus"] == expected
        row = await pool.fetchrow("SELECT net_loss, amount, paid_as, status FROM vip_cashbacks")
        assert tuple(row) == (net_loss, expected, "bonus", "paid")
        await assert_audit_ok(pool)

    async def test_a_period_with_nobody_to_pay_writes_nothing(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        # The app's housekeeping runs this every minute for every operator.
        world = await build_world(client)
        await factories.fund_player(client, world.operator_admin, world.player.subject_id, 1_000)
        assert (await world.spin(client, stake=100)).status_code == 200
        accounts = await pool.fetchval("SELECT count(*) FROM ledger_accounts")
        transfers = await pool.fetchval("SELECT count(*) FROM ledger_transfers")
        runs = await cashback.run_due(pool)  # the last period ended before today's spin
        assert [(r.paid, r.suppressed) for r in runs] == [(0, 0)] * len(runs)
        assert await pool.fetchval("SELECT count(*) FROM ledger_accounts") == accounts
        assert await pool.fetchval("SELECT count(*) FROM ledger_transfers") == transfers
        assert await pool.fetchval("SELECT count(*) FROM vip_cashbacks") == 0

    def test_periods_follow_the_operator_calendar(self) -> None:
        now = datetime(2026, 3, 11, 15, 0, tzinfo=UTC)  # a Wednesday
        malta = ZoneInfo("Europe/Malta")
        start, end = cashback.last_period(now, malta, "weekly")
        assert (start.astimezone(malta).isoformat(), end.astimezone(malta).isoformat()) == (
            "2026-03-02T00:00:00+01:00",
            "2026-03-09T00:00:00+01:00",
        )
        start, end = cashback.last_period(now, ZoneInfo("America/New_York"), "daily")
        assert (start, end) == (
            datetime(2026, 3, 10, 4, tzinfo=UTC),
            datetime(2026, 3, 11, 4, tzinfo=UTC),
        )
