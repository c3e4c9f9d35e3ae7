"""Batched live spins (bets.batcher): concurrent spins of different players share a unit of
work, and each is answered exactly as the lone spin would answer it."""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from croupier.bets import queries
from croupier.bets.batcher import SpinBatcher
from croupier.bets.spin import SpinKeyReusedError, SpinRequest
from croupier.db.pool import asyncpg_dsn, create_pool, unit_of_work
from croupier.kit.errors import CroupierError
from croupier.ledger import service as ledger
from croupier.ledger.errors import InsufficientFundsError
from croupier.ledger.service import Leg
from croupier.realtime.service import CHANNEL, split_notification
from croupier.safety import tools
from tests import factories
from tests.bets.conftest import World
from tests.factories import Session
from tests.ledger.helpers import assert_audit_ok

_names = itertools.count(1)


@pytest.fixture
async def batcher(database_url: str) -> AsyncIterator[SpinBatcher]:
    # One batch at a time, so the batches are predictable: the first spin of a burst is played
    # at once, alone; the rest of the burst waits for it and then forms the next batch.
    spins = SpinBatcher(pool=await create_pool(database_url, min_size=1, max_size=4), in_flight=1)
    yield spins
    await spins.close()


async def _players(client: httpx.AsyncClient, world: World, funds: list[int]) -> list[Session]:
    players = []
    for amount in funds:
        player = await factories.register_player(client, "alpha", f"batch{next(_names)}")
        if amount:
            await factories.fund_player(client, world.operator_admin, player.subject_id, amount)
        players.append(player)
    return players


def _request(
    world: World, player: Session, stake: int = 100, key: str | None = None
) -> SpinRequest:
    return SpinRequest(
        operator_id=world.operator["id"],
        player_id=player.subject_id,
        game_id=world.games["neon-fruits"]["id"],
        stake=stake,
        idempotency_key=key or f"k{next(_names)}",
        channel="mobile",
    )


async def _burst(batcher: SpinBatcher, requests: list[SpinRequest]) -> list[object]:
    return await asyncio.gather(*(batcher.spin(r) for r in requests), return_exceptions=True)


async def _cash(pool: asyncpg.Pool, player_id: int) -> int:
    balance = await pool.fetchval(
        "SELECT balance FROM ledger_accounts WHERE owner_id = $1 AND kind = 'player_cash'",
        player_id,
    )
    return balance or 0  # (no account yet: never funded, never played)


class TestBatches:
    async def test_a_burst_of_players_is_one_batch_with_the_spins_money_rows_and_pushes(
        self,
        client: httpx.AsyncClient,
        pool: asyncpg.Pool,
        world: World,
        batcher: SpinBatcher,
        database_url: str,
    ) -> None:
        players = await _players(client, world, [10_000] * 12)
        notified: list[dict] = []
        listener = await asyncpg.connect(asyncpg_dsn(database_url))

        def on_notify(*args: object) -> None:
            audiences, bodies = split_notification(str(args[3]))
            for audience, body in zip(audiences, bodies, strict=True):
                notified.append({**json.loads(body), "audience": audience})

        await listener.add_listener(CHANNEL, on_notify)
        try:
            results = await _burst(batcher, [_request(world, p) for p in players])
            await asyncio.sleep(0.2)  # NOTIFY arrives on the listener's connection
        finally:
            await listener.close()
        assert (batcher.batches, batcher.largest_batch) == (1, 11)  # the first spin went alone
        assert batcher.played_alone == 1

        bets = {b["id"]: b for b in await pool.fetch("SELECT * FROM bets")}
        assert len(bets) == 12
        for player, result in zip(players, results, strict=True):
            assert not isinstance(result, BaseException), result
            bet = result.bet  # type: ignore[attr-defined]
            row = bets[bet["id"]]
            assert row["player_id"] == player.subject_id and bet["game_key"] == "neon-fruits"
            assert (bet["stake"], bet["win"], bet["cash_after"]) == (
                100, row["win"], 10_000 - 100 + row["win"],
            )  # fmt: skip
            assert row["channel"] == "mobile" and not row["is_seeded"] and row["rng"] == "csprng"
            assert row["xp_gained"] == 100 and row["jackpot_contribution"] == 1
            assert await _cash(pool, player.subject_id) == row["cash_after"]
            assert result.safety is not None  # type: ignore[attr-defined]
            # A batched bet is built from the row written, not read back: it must be the bet
            # as the database holds it, column for column, as a lone spin's is.
            async with pool.acquire() as conn:
                stored = await queries.bet_by_key(
                    conn, world.operator["id"], player.subject_id, row["idempotency_key"]
                )
            assert stored is not None and dict(bet) == dict(stored)
        xp = await pool.fetch("SELECT vip_experience FROM players WHERE vip_experience > 0")
        assert len(xp) == 12 and {r["vip_experience"] for r in xp} == {100}
        assert await pool.fetchval("SELECT count(*) FROM safety_sessions") == 12
        spins = [n for n in notified if n["topic"] == "spin"]
        assert sorted(n["payload"]["betId"] for n in spins) == sorted(bets)
        assert {n["audience"] for n in spins} == {f"player:{p.subject_id}" for p in players}
        await assert_audit_ok(pool)

    async def test_a_played_batch_leaves_no_reference_cycle_for_the_cyclic_gc(
        self, client: httpx.AsyncClient, world: World, batcher: SpinBatcher
    ) -> None:
        # A batch is freed by reference counting as soon as it is answered: the workers run with
        # a high young-generation GC threshold (app.GC_YOUNG_THRESHOLD), which a per-round cycle
        # would turn into memory growth and long collections.
        players = await _players(client, world, [10_000] * 6)
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            results = await _burst(batcher, [_request(world, p) for p in players])
            assert batcher.largest_batch == 5
            del results
            gc.collect()
            stranded = [o for o in gc.garbage if type(o).__module__.startswith("croupier.")]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
        assert not {type(o).__qualname__ for o in stranded}

    async def test_one_players_spins_are_played_in_turn(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World, batcher: SpinBatcher
    ) -> None:
        [player, other] = await _players(client, world, [10_000, 10_000])
        requests = [_request(world, player, key=f"turn-{i}") for i in range(6)]
        requests.insert(1, _request(world, other))
        results = await _burst(batcher, requests)
        assert not any(isinstance(r, BaseException) for r in results)
        rows = await pool.fetch(
            "SELECT idempotency_key, stake, win, cash_after FROM bets WHERE player_id = $1"
            " ORDER BY id",
            player.subject_id,
        )
        assert [r["idempotency_key"] for r in rows] == [f"turn-{i}" for i in range(6)]
        cash = 10_000
        for row in rows:
            cash += row["win"] - row["stake"]
            assert row["cash_after"] == cash
        assert batcher.largest_batch == 2  # never two spins of one player in a batch


class TestEachSpinAnsweredAsAlone:
    async def test_refusals_replays_and_short_funds_inside_a_batch(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World, batcher: SpinBatcher
    ) -> None:
        first, normal, short, replay, reused, excluded, bonus = await _players(
            client, world, [10_000, 10_000, 50, 10_000, 10_000, 10_000, 30]
        )
        await factories.fund_player(
            client, world.operator_admin, bonus.subject_id, 5_000, account="bonus"
        )
        played = await batcher.spin(_request(world, replay, key="again"))
        await batcher.spin(_request(world, reused, key="taken"))
        async with unit_of_work(pool) as uow:
            await tools.start_time_out(
                uow.conn, operator_id=world.operator["id"], player_id=excluded.subject_id, days=1
            )
        before = await pool.fetchval("SELECT count(*) FROM bets")
        results = await _burst(
            batcher,
            [
                _request(world, first),
                _request(world, normal),
                _request(world, short),
                _request(world, replay, key="again"),
                _request(world, reused, stake=200, key="taken"),
                _request(world, excluded),
                _request(world, bonus),
                _request(world, normal, stake=7),  # not a multiple of the game's lines
            ],
        )
        ok, ok_normal, short_r, replay_r, reused_r, excluded_r, bonus_r, bad_stake = results
        # The first spin went alone; the second spin of `normal` waited for the next batch.
        assert batcher.largest_batch == 6
        assert ok.bet["player_id"] == first.subject_id  # type: ignore[union-attr]
        assert ok_normal.bet["stake"] == 100  # type: ignore[union-attr]
        assert isinstance(short_r, InsufficientFundsError)
        assert short_r.details == {"balance": 50, "cash": 50, "bonus": 0}
        assert replay_r.bet["id"] == played.bet["id"]  # type: ignore[union-attr]
        assert isinstance(reused_r, SpinKeyReusedError)
        assert isinstance(excluded_r, CroupierError) and excluded_r.code == "TIME_OUT_ACTIVE"
        split = bonus_r.bet  # type: ignore[union-attr]
        assert (split["stake_cash"], split["stake_bonus"]) == (30, 70)
        assert isinstance(bad_stake, CroupierError) and bad_stake.code == "STAKE_OUT_OF_RANGE"
        # Three new rounds (first, normal, bonus); the refused wrote nothing.
        assert await pool.fetchval("SELECT count(*) FROM bets") == before + 3
        assert await _cash(pool, short.subject_id) == 50
        assert await _cash(pool, excluded.subject_id) == 10_000
        # The two set-up spins, the first, the four the batch could not play, the stake of 7.
        assert batcher.played_alone == 2 + 1 + 4 + 1
        await assert_audit_ok(pool)

    async def test_a_failed_batch_plays_its_spins_alone_and_moves_money_once(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World, batcher: SpinBatcher
    ) -> None:
        players = await _players(client, world, [10_000] * 5)
        poisoned = _request(world, players[2], key="poisoned")
        # A transfer already holds the key this spin's settlement would claim: the batch's
        # bulk posting refuses the whole batch, and the lone spin gets the ledger's answer.
        async with unit_of_work(pool) as uow:
            house = await ledger.ensure_account(
                uow.conn, operator_id=world.operator["id"], kind="house", currency="USD"
            )
            marketing = await ledger.ensure_account(
                uow.conn, operator_id=world.operator["id"], kind="marketing", currency="USD"
            )
            await ledger.post(
                uow.conn,
                operator_id=world.operator["id"],
                type="adjustment",
                idempotency_key=f"spin:{players[2].subject_id}:poisoned:settle",
                request={"other": True},
                legs=[Leg(house, -1), Leg(marketing, 1)],
            )
        requests = [_request(world, p) for p in players]
        requests[2] = poisoned
        results = await _burst(batcher, requests)
        assert batcher.batches == 0 and batcher.played_alone == 5
        for player, result in zip(players, results, strict=True):
            if player is players[2]:  # every round settles (the jackpot takes 1 %): refused
                assert isinstance(result, CroupierError), result
                assert await _cash(pool, player.subject_id) == 10_000
                continue
            assert not isinstance(result, BaseException), result
            bet = result.bet  # type: ignore[union-attr]
            assert await _cash(pool, player.subject_id) == bet["cash_after"]
        assert await pool.fetchval("SELECT count(*) FROM bets") == 4
        await assert_audit_ok(pool)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    funds=st.lists(st.integers(min_value=0, max_value=600), min_size=2, max_size=10),
    stakes=st.lists(st.sampled_from([5, 25, 100, 250, 500]), min_size=10, max_size=10),
)
async def test_any_batch_keeps_every_wallet_exact_and_never_overdraws(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    world: World,
    batcher: SpinBatcher,
    funds: list[int],
    stakes: list[int],
) -> None:
    """Property: whatever the balances and stakes, each spin is played or refused with short
    funds, and each wallet ends at its funding plus the wins less the stakes of its rounds."""
    players = await _players(client, world, funds)
    requests = [_request(world, p, stake) for p, stake in zip(players, stakes, strict=False)]
    results = await _burst(batcher, requests)
    for player, fund, request, result in zip(players, funds, requests, results, strict=False):
        if isinstance(result, BaseException):
            assert isinstance(result, InsufficientFundsError) and request.stake > fund
            assert await _cash(pool, player.subject_id) == fund
            continue
        bet = result.bet  # type: ignore[attr-defined]
        assert request.stake <= fund and bet["cash_after"] == fund - request.stake + bet["win"]
        assert await _cash(pool, player.subject_id) == bet["cash_after"] >= 0
    await assert_audit_ok(pool)


async def test_level_ups_in_a_batch_are_recorded_and_pushed_once_each(
    client: httpx.AsyncClient, pool: asyncpg.Pool, world: World, batcher: SpinBatcher
) -> None:
    response = await client.post(
        "/api/v1/admin/vip-levels",
        json={"level": 1, "name": "Silver", "xpRequired": 150},
        headers=world.admin.headers,
    )
    assert response.status_code == 201, response.text
    players = await _players(client, world, [10_000] * 6)
    for stake in (100, 100):  # 100 XP, then 200: the second burst crosses the threshold
        results = await _burst(batcher, [_request(world, p, stake) for p in players])
        assert not any(isinstance(r, BaseException) for r in results)
    assert batcher.largest_batch == 5
    ups = await pool.fetch("SELECT player_id, level FROM vip_level_ups ORDER BY player_id")
    assert [(u["player_id"], u["level"]) for u in ups] == [(p.subject_id, 1) for p in players]
    events = await pool.fetch("SELECT audience FROM outbox WHERE topic = 'vip.level_up'")
    assert sorted(e["audience"] for e in events) == sorted(
        f"player:{p.subject_id}" for p in players
    )
    xp = await pool.fetch("SELECT vip_experience FROM players WHERE vip_experience > 0")
    assert [r["vip_experience"] for r in xp] == [200] * 6
