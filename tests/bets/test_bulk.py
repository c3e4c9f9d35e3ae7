"""Rounds in bulk (bets.bulk): the live spin's money, bet log, XP and safety records, written
set-wise; runs end where bulk planning cannot follow."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from croupier.bets import bulk
from croupier.bets.bulk import PlannedRound, PlayedRound
from croupier.bonuses import service as bonuses
from croupier.db.pool import unit_of_work
from croupier.safety import tools
from tests import factories
from tests.bets.conftest import World, build_world
from tests.ledger.helpers import assert_audit_ok

_keys = itertools.count(1)
START = datetime(2026, 9, 1, 12, tzinfo=UTC)


@dataclass
class Scripted:
    """A player that plays the given stakes, three seconds apart."""

    operator_id: int
    player_id: int
    game_id: int
    stakes: list[int]
    start: datetime = START
    seen: list[PlayedRound] = field(default_factory=list)
    asked: int = 0
    games: list[int] | None = None  # per round, else game_id
    pending: PlannedRound | None = None  # a round handed back by the last run

    def next_round(self, last: PlayedRound | None) -> PlannedRound | None:
        if last is not None:
            self.seen.append(last)
        if self.pending is not None:
            plan, self.pending = self.pending, None
            return plan
        if self.asked >= len(self.stakes):
            return None
        self.asked += 1
        return PlannedRound(
            self.games[self.asked - 1] if self.games else self.game_id,
            self.stakes[self.asked - 1],
            f"bulk-{next(_keys)}",
            self.start + timedelta(seconds=3 * self.asked),
        )


def _scripted(world: World, stakes: list[int], player_id: int | None = None) -> Scripted:
    return Scripted(
        world.operator["id"],
        player_id or world.player.subject_id,
        world.games["neon-fruits"]["id"],
        stakes,
    )


async def _play(pool: asyncpg.Pool, players: list, **options: object) -> list[bulk.RunReport]:
    async with unit_of_work(pool) as uow:
        return await bulk.play(uow.conn, players, **options)


async def _cash(pool: asyncpg.Pool, player_id: int) -> int:
    return await pool.fetchval(
        "SELECT balance FROM ledger_accounts WHERE owner_id = $1 AND kind = 'player_cash'",
        player_id,
    )


class TestBulkRounds:
    async def test_rounds_move_money_log_bets_xp_and_safety_like_spins(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        player_id = world.player.subject_id
        await factories.fund_player(client, world.operator_admin, player_id, 10_000)
        script = _scripted(world, [100, 50, 200, 100, 25])
        [report] = await _play(pool, [script])
        assert report.stop == bulk.DONE and report.unplayed is None
        assert [r.stake for r in report.rounds] == [100, 50, 200, 100, 25]

        bets = await pool.fetch("SELECT * FROM bets ORDER BY id")
        assert len(bets) == 5
        cash = 10_000
        for bet, played in zip(bets, report.rounds, strict=True):
            cash += bet["win"] - bet["stake"]
            assert (bet["cash_after"], bet["bonus_after"]) == (cash, 0)
            assert (played.cash_after, played.win) == (cash, bet["win"])
            assert bet["ggr"] == bet["stake"] - bet["win"]
            assert bet["jackpot_contribution"] == bet["stake"] // 100
            assert bet["xp_gained"] == bet["stake"] and bet["is_seeded"]
            assert bet["created_at"] == played.at
            assert bet["outcome"]["totalWin"] == bet["win"]
            debit = await pool.fetch(
                "SELECT account_id, amount FROM ledger_entries WHERE transfer_id = $1",
                int(bet["debit_transfer_id"]),
            )
            assert sorted(e["amount"] for e in debit) == [-bet["stake"], bet["stake"]]
            moved = bet["win"] + bet["jackpot_contribution"]
            if bet["settle_transfer_id"] is None:  # nothing to settle: no transfer
                assert moved == 0
                continue
            settle = await pool.fetchval(
                "SELECT sum(amount) FILTER (WHERE amount > 0) FROM ledger_entries"
                " WHERE transfer_id = $1",
                int(bet["settle_transfer_id"]),
            )
            assert settle == moved
        assert script.seen == report.rounds  # each round was shown to the player
        assert await _cash(pool, player_id) == cash
        assert (
            await pool.fetchval("SELECT vip_experience FROM players WHERE id = $1", player_id)
            == 475
        )
        state = await pool.fetchrow(
            "SELECT state, net_loss FROM safety_sessions WHERE player_id = $1", player_id
        )
        assert state["state"]["server_spins"] == 5
        assert state["net_loss"] == 475 - sum(b["win"] for b in bets)
        # Nothing was pushed: bulk rounds are history.
        assert await pool.fetchval("SELECT count(*) FROM outbox WHERE topic = 'spin'") == 0
        await assert_audit_ok(pool)

    async def test_a_run_stops_before_a_stake_it_cannot_pay(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        player_id = world.player.subject_id
        await factories.fund_player(client, world.operator_admin, player_id, 300)
        script = _scripted(world, [100] * 50)
        [report] = await _play(pool, [script])
        # A run also ends after 25 rounds, or at 1.00 or less for the voucher hook: play on.
        while report.stop in (bulk.VOUCHER, bulk.FULL):
            [report] = await _play(pool, [script])
        cash = await _cash(pool, player_id)
        if report.stop == bulk.DONE:  # 50 rounds on 300: only a lucky streak gets here
            assert script.asked == 50
        else:
            assert report.stop == bulk.FUNDS
            assert report.unplayed is not None and report.unplayed.stake == 100
            assert 0 <= cash < 100
        bets = await pool.fetchrow("SELECT sum(stake) s, sum(win) w FROM bets")
        assert cash == 300 - bets["s"] + bets["w"]
        await assert_audit_ok(pool)

    async def test_refusals_end_the_run_and_write_nothing_for_it(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        player_id = world.player.subject_id
        await factories.fund_player(client, world.operator_admin, player_id, 10_000)
        [report] = await _play(pool, [_scripted(world, [7])])  # not a multiple of the lines
        assert report.stop == bulk.REFUSED and report.refusal is not None
        assert report.refusal.code == "STAKE_OUT_OF_RANGE"
        async with unit_of_work(pool) as uow:
            await tools.self_exclude(
                uow.conn, operator_id=world.operator["id"], player_id=player_id, months=6
            )
        [report] = await _play(pool, [_scripted(world, [100, 100])])
        assert report.stop == bulk.REFUSED and report.rounds == []
        assert report.refusal is not None and report.refusal.code == "SELF_EXCLUDED"
        assert await pool.fetchval("SELECT count(*) FROM bets") == 0
        assert await _cash(pool, player_id) == 10_000

    async def test_stakes_that_would_spend_bonus_money_go_through_the_live_spin(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        player_id = world.player.subject_id
        await factories.fund_player(client, world.operator_admin, player_id, 5_000, account="bonus")
        [report] = await _play(pool, [_scripted(world, [100, 100, 100])])
        assert report.stop == bulk.DONE and len(report.rounds) == 3
        bets = await pool.fetch("SELECT * FROM bets ORDER BY id")
        # No cash: every stake is bonus money, split and won back as the spin does it, and
        # each round was pushed like a live spin.
        assert [(b["stake_cash"], b["stake_bonus"]) for b in bets] == [(0, 100)] * 3
        assert all(b["win_cash"] == 0 for b in bets)
        assert await pool.fetchval("SELECT count(*) FROM outbox WHERE topic = 'spin'") == 3
        await assert_audit_ok(pool)

    async def test_cash_stakes_of_a_player_holding_bonus_money_stay_in_bulk(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        player_id = world.player.subject_id
        await factories.fund_player(client, world.operator_admin, player_id, 10_000)
        await factories.fund_player(client, world.operator_admin, player_id, 5_000, account="bonus")
        [report] = await _play(pool, [_scripted(world, [100] * 5)])
        assert report.stop == bulk.DONE and len(report.rounds) == 5
        bets = await pool.fetch("SELECT * FROM bets ORDER BY id")
        assert all(b["stake_bonus"] == 0 and b["bonus_after"] == 5_000 for b in bets)
        assert all(r.bonus_after == 5_000 for r in report.rounds)
        assert await pool.fetchval("SELECT count(*) FROM outbox WHERE topic = 'spin'") == 0
        await assert_audit_ok(pool)

    async def test_free_spins_are_taken_by_the_live_spin_and_wagering_counts(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        player_id, operator_id = world.player.subject_id, world.operator["id"]
        await factories.fund_player(client, world.operator_admin, player_id, 10_000)
        neon, pharaoh = world.games["neon-fruits"]["id"], world.games["pharaoh-gold"]["id"]
        async with unit_of_work(pool) as uow:
            await bonuses.grant_vip_free_spins(
                uow.conn, operator_id=operator_id, player_id=player_id, currency="USD",
                level=2, count=2, game_id=pharaoh, spin_value=100,
            )  # fmt: skip
        # Two bulk rounds on neon, then a pharaoh round: live, so the run stops before it;
        # the next run starts with it, live (a free spin), then goes on in bulk.
        script = Scripted(operator_id, player_id, neon, [100, 100, 100, 100])
        script.games = [neon, neon, pharaoh, neon]
        [first] = await _play(pool, [script])
        assert first.stop == bulk.LIVE and len(first.rounds) == 2
        assert first.unplayed is not None and first.unplayed.game_id == pharaoh
        script.pending = first.unplayed
        [second] = await _play(pool, [script])
        assert second.stop == bulk.DONE, second.refusal
        assert len(second.rounds) == 2
        bets = await pool.fetch("SELECT * FROM bets ORDER BY id")
        assert [b["game_id"] for b in bets] == [neon, neon, pharaoh, neon]
        assert bets[2]["stake_free"] == 100 and bets[2]["free_spin_grant_id"] is not None
        assert (
            await pool.fetchval(
                "SELECT free_spins_left FROM bonus_grants WHERE player_id = $1", player_id
            )
            == 1
        )
        # The free spin's win (if any) set a wagering requirement on the money it paid: only
        # the round after it counts toward it (a free spin itself does not wager).
        grant = await pool.fetchrow(
            "SELECT wagering_progress, wagering_required FROM bonus_grants WHERE player_id = $1",
            player_id,
        )
        assert grant["wagering_progress"] == min(grant["wagering_required"], 100)
        await assert_audit_ok(pool)

    async def test_a_jackpot_trigger_is_paid_and_ends_the_run(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        world = await build_world(
            client, jackpot={"seedAmount": 5_000, "contributionBp": 100, "triggerPpt": 10**10}
        )
        player_id = world.player.subject_id
        await factories.fund_player(client, world.operator_admin, player_id, 10_000)
        [report] = await _play(pool, [_scripted(world, [100, 100, 100])])
        assert report.stop == bulk.JACKPOT and len(report.rounds) == 1
        bet = await pool.fetchrow("SELECT * FROM bets")
        assert bet["jackpot_win"] == 5_001  # the seed and this round's contribution
        assert bet["ggr"] == 100 - bet["win"] - 5_001
        assert bet["cash_after"] == 10_000 - 100 + bet["win"] + 5_001
        assert report.rounds[0].cash_after == bet["cash_after"] == await _cash(pool, player_id)
        win = await pool.fetchrow("SELECT bet_id, amount FROM jackpot_wins")
        assert (win["bet_id"], win["amount"]) == (bet["id"], 5_001)
        await assert_audit_ok(pool)


async def test_bulk_runs_and_live_spins_of_one_player_never_overdraw(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
) -> None:
    """Bulk units (own connections) race with live HTTP spins of the same player on a small
    balance: nothing overdraws, every bet row is money that moved, the books balance."""
    player_id = world.player.subject_id
    await factories.fund_player(client, world.operator_admin, player_id, 2_000)

    async def unit() -> None:
        await _play(pool, [_scripted(world, [100] * 10)])

    async def live() -> None:
        await world.spin(client, stake=100, key=f"live-{next(_keys)}")

    await asyncio.gather(*(unit() if i % 2 else live() for i in range(16)))
    cash = await _cash(pool, player_id)
    bets = await pool.fetchrow("SELECT count(*) n, sum(stake) s, sum(win) w FROM bets")
    assert bets["n"] > 0 and cash >= 0
    assert cash == 2_000 - bets["s"] + bets["w"]
    await assert_audit_ok(pool)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    balance=st.integers(min_value=0, max_value=3_000),
    stakes=st.lists(st.sampled_from([5, 25, 100, 500, 1_000]), min_size=1, max_size=30),
)
async def test_any_run_keeps_the_books_and_never_overdraws(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World, balance: int, stakes: list[int]
) -> None:
    """Property: whatever the balance and stakes, a run plays a prefix of them, stops only for
    funds (before a stake above the cash), and its bet rows chain the balance exactly."""
    player = await factories.register_player(client, "alpha", f"prop{next(_keys)}")
    if balance:
        await factories.fund_player(client, world.operator_admin, player.subject_id, balance)
    script = _scripted(world, stakes, player.subject_id)
    [report] = await _play(pool, [script])
    played = [r.stake for r in report.rounds]
    assert played == stakes[: len(played)]
    cash = balance
    for round_ in report.rounds:
        assert round_.stake <= cash
        cash += round_.win - round_.stake
        assert round_.cash_after == cash >= 0
    if report.stop == bulk.FUNDS:
        assert report.unplayed is not None and report.unplayed.stake > cash
    else:
        assert report.stop in (bulk.DONE, bulk.VOUCHER, bulk.SAFETY)
    assert await _cash(pool, player.subject_id) == cash
    await assert_audit_ok(pool)
