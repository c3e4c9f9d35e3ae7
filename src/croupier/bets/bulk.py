"""Rounds in bulk: many players' runs of spins in one unit of work, written set-wise.

For the history backfill, which plays a million rounds. The rules are the live spin's
(``bets.spin``): the game must be playable and the stake within its limits and the bonus caps,
cash is spent first, the outcome comes from the CSPRNG, the win follows the stake's funding, the
jackpot takes its contribution and may trigger, the safety engine checks and scores every round,
XP, wagering, GGR and the affiliate share are recorded, and the bet log row carries the
balances after. Only the I/O differs: each player's wallet and safety state are read (locked)
once, the rounds are planned in memory, and the batch is written with a few statements
(``ledger.post_many`` for every debit and settlement, one insert for every bet row).

Live spins use the same path (``live=True``, one round per player: ``bets.batcher``): the
rounds are then pushed like the spin's, and each report carries its bet row and the safety
engine's assessment, for the spin's response.

A round bulk planning cannot follow exactly is played by ``spin.spin`` itself, at the start of
a run (before its first bulk round; later in a run it ends the run, and the caller offers it
again): a stake that cash alone cannot cover (the split would spend bonus money), a round on a
game where the player has free spins, and a stake that could complete a money bonus's wagering
(which converts its money). Otherwise a run ends where planning stops: short funds (the caller
tops up), a refusal (safety, stake limits), the end of the player's session, a safety action,
a jackpot trigger or a cash balance at the voucher-bonus threshold (the money they move is paid
through their own services once the round is written, and the next run plans from there).
Backfilled rounds are not pushed to sockets: they are history, nobody is watching them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from time import perf_counter
from typing import Any, Protocol

import asyncpg
import orjson

from croupier.bets import queries
from croupier.bets.errors import ExternalGameError
from croupier.bets.spin import (
    SpinRequest,
    check_stake,
    p_loss,
    spin,
    spin_event,
    spin_fingerprint,
)
from croupier.bonuses import service as bonuses
from croupier.db.clock import set_clock
from croupier.games import service as games_service
from croupier.games.engine import CsprngStops, get_game_definition
from croupier.games.engine import spin as engine_spin
from croupier.jackpots import service as jackpots
from croupier.kit.errors import CroupierError
from croupier.kit.hashing import request_hash
from croupier.ledger import service as ledger
from croupier.ledger.errors import InsufficientFundsError
from croupier.ledger.service import Leg
from croupier.operators import service as operators
from croupier.realtime import service as realtime
from croupier.safety.engine import SafetyAssessment
from croupier.safety.runs import SpinRun
from croupier.vip import service as vip
from croupier.vouchers import bonus as voucher_bonus
from croupier.wallets import service as wallets


@dataclass(frozen=True, slots=True)
class PlannedRound:
    game_id: int
    stake: int
    idempotency_key: str
    at: datetime
    session_key: str | None = None  # the client's x-session-id, for the safety engine
    channel: str = "web"


@dataclass(frozen=True, slots=True)
class PlayedRound:
    stake: int
    win: int  # the round's win, plus any jackpot
    cash_after: int
    bonus_after: int
    at: datetime


class Player(Protocol):
    """The caller's player: asked for its next round after each one is played."""

    operator_id: int
    player_id: int

    def next_round(self, last: PlayedRound | None) -> PlannedRound | None: ...


# Why a run ended.
DONE, FUNDS, REFUSED, SESSION, SAFETY, JACKPOT, VOUCHER, FULL, LIVE = (
    "done", "funds", "refused", "session", "safety", "jackpot", "voucher", "full", "live",
)  # fmt: skip


@dataclass
class RunReport:
    rounds: list[PlayedRound] = field(default_factory=list)
    stop: str = DONE
    unplayed: PlannedRound | None = None  # the round the run stopped before, if any
    refusal: CroupierError | None = None
    # Live runs only (``live=True``), one per played round: the bet row as the spin returns
    # it (a lone spin's record, or a bulk round's view of the same columns), and the safety
    # engine's assessment of the round.
    bets: list[Mapping[str, Any]] = field(default_factory=list)
    assessments: list[SafetyAssessment | None] = field(default_factory=list)
    safety_ms: float = 0.0  # wall time in the safety engine (its part of Server-Timing)


async def play(
    conn: asyncpg.Connection,
    players: Sequence[Player],
    *,
    max_rounds: int = 25,
    is_seeded: bool = True,
    live: bool = False,
) -> list[RunReport]:
    """Play up to ``max_rounds`` rounds of each player (distinct players), in the caller's
    unit of work; one report per player, in order. ``live``: push each round to the player
    and return its bet row and safety assessment in the report."""
    batch = _Batch(conn, is_seeded, live)
    return await batch.play(players, max_rounds)


@dataclass
class _Round:
    """A round planned in memory, written by the batch."""

    player: _Run
    plan: PlannedRound
    game: asyncpg.Record
    round_id: uuid.UUID
    outcome: Any
    contribution: int
    cash_after: int
    pool: asyncpg.Record | None
    debit: int = 0  # indices into the batch's transfers
    settle: int | None = None
    jackpot: jackpots.JackpotWin | None = None
    bet_id: int = 0
    fingerprint: dict[str, Any] = field(default_factory=dict)  # the spin request's

    @property
    def win(self) -> int:
        return self.outcome.total_win

    @cached_property
    def outcome_json(self) -> dict[str, Any]:
        return self.outcome.to_json()

    @cached_property
    def round_ref(self) -> str:  # the round's reference, read four times
        return str(self.round_id)


@dataclass
class _Run:
    player: Player
    accounts: wallets.PlayerAccounts
    currency: str
    house: int
    cash: int = 0  # available: balance - reserved
    reserved: int = 0
    bonus: int = 0
    entry: bonuses.BulkEntry | None = None
    staked: int = 0  # by the run's bulk rounds
    report: RunReport = field(default_factory=RunReport)
    safety: SpinRun | None = None
    checked: bool = False  # the safety engine has checked one of the run's rounds
    first: PlannedRound | None = None  # the player's first round, asked before planning
    asked_first: bool = False
    rounds: list[_Round] = field(default_factory=list)  # bulk rounds only

    @property
    def cash_balance(self) -> int:
        return self.cash + self.reserved


class _Batch:
    def __init__(self, conn: asyncpg.Connection, is_seeded: bool, live: bool) -> None:
        self.conn, self.is_seeded, self.live = conn, is_seeded, live
        self.games: dict[tuple[int, int], asyncpg.Record] = {}
        self.pools: dict[tuple[str, str], asyncpg.Record | None] = {}
        self.transfers: list[ledger.PlannedTransfer] = []

    async def play(self, players: Sequence[Player], max_rounds: int) -> list[RunReport]:
        conn = self.conn
        runs = [await self._open(player) for player in players]
        locked = await ledger.lock_balances(
            conn, [i for run in runs for i in (run.accounts.cash_id, run.accounts.bonus_id)]
        )
        entries = await bonuses.peek_spins(conn, [run.player.player_id for run in runs])
        ordered = sorted(runs, key=lambda r: r.player.player_id)  # safety rows' lock order
        for run in ordered:
            cash, run.reserved = locked.get(run.accounts.cash_id, (0, 0))
            run.cash, run.bonus = cash - run.reserved, locked.get(run.accounts.bonus_id, (0, 0))[0]
            run.entry = entries.get(run.player.player_id)
            if max_rounds:
                run.first, run.asked_first = run.player.next_round(None), True
        try:
            await self._open_safety(ordered)
            for run in ordered:
                await self._plan(run, max_rounds)
            await self._write(runs)
        finally:
            # A run and its rounds point at each other: break the cycle, so the batch (with
            # each player's safety state, ≈100 objects a round) is freed when it ends, not
            # left to the cyclic GC, whose collections it made cost ≈10 % of a worker's CPU.
            for run in runs:
                run.rounds.clear()
        return [run.report for run in runs]

    async def _open_safety(self, runs: list[_Run]) -> None:
        """Lock and read the safety rows of every run that starts with a bulk round, at once
        (a run that starts with a live round opens its own after it: the spin writes them)."""
        ready = [
            (run, plan) for run in runs if (plan := run.first) and not self._needs_live(run, plan)
        ]
        if not ready:
            return
        started = perf_counter()
        opened = await SpinRun.open_many(
            self.conn,
            [(r.player.operator_id, r.player.player_id, p.session_key, p.at) for r, p in ready],
        )
        share = (perf_counter() - started) * 1000 / len(ready)
        for (run, _), safety in zip(ready, opened, strict=True):
            run.safety = safety  # (None: no such player; the round's own open refuses it)
            run.report.safety_ms += share

    async def _open(self, player: Player) -> _Run:
        currency = await operators.operator_currency(self.conn, player.operator_id)
        accounts = await wallets.player_accounts(
            self.conn, operator_id=player.operator_id, player_id=player.player_id,
            currency=currency,
        )  # fmt: skip
        house = await ledger.ensure_account(
            self.conn, operator_id=player.operator_id, kind="house", currency=currency
        )
        return _Run(player, accounts, currency, house)

    # ---- planning -----------------------------------------------------------------------

    async def _plan(self, run: _Run, max_rounds: int) -> None:
        report, last = run.report, None
        while True:
            if len(report.rounds) >= max_rounds:
                report.stop = FULL
                return
            if run.asked_first:
                plan, run.first, run.asked_first = run.first, None, False
            else:
                plan = run.player.next_round(last)
            if plan is None:
                return
            if self._needs_live(run, plan):
                if run.safety is not None:  # bulk rounds are planned: the live one goes first
                    report.stop, report.unplayed = LIVE, plan
                    return
                last = await self._play_live(run, plan)
                if last is None:
                    return
                continue
            stop = await self._refuse(run, plan)
            if stop is not None:
                report.stop, report.unplayed = stop, plan
                return
            planned = await self._plan_round(run, plan)
            last = PlayedRound(plan.stake, planned.win, planned.cash_after, run.bonus, plan.at)
            report.rounds.append(last)
            if report.stop != DONE:
                return

    @staticmethod
    def _needs_live(run: _Run, plan: PlannedRound) -> bool:
        """Whether this round's rules reach beyond bulk planning (see the module docstring)."""
        if plan.stake > run.cash:
            return plan.stake <= run.cash + run.bonus  # bonus money would be spent
        entry = run.entry
        if entry is None:
            return False
        if plan.game_id in entry.free_spin_games:
            return True
        left = entry.money_wagering_left
        return left is not None and run.staked + plan.stake >= left

    async def _refuse(self, run: _Run, plan: PlannedRound) -> str | None:
        """Why this round cannot be played now, if it cannot (the refusal is reported)."""
        report = run.report
        try:
            game = await self._game(run.player.operator_id, plan.game_id)
            check_stake(get_game_definition(game["engine_key"]), game, plan.stake)
            if run.entry is not None:
                run.entry.check_stake(plan.stake)
            if run.cash < plan.stake:
                return FUNDS  # (cash and bonus together: _needs_live sent it to the spin)
            started = perf_counter()
            try:
                if run.safety is None:
                    run.safety = await SpinRun.open(
                        self.conn, operator_id=run.player.operator_id,
                        player_id=run.player.player_id, session_key=plan.session_key,
                        at=plan.at,
                    )  # fmt: skip
                elif run.checked and not run.safety.continues(plan.at):
                    return SESSION
                run.checked = True
                run.safety.check(plan.stake, plan.at)
            finally:
                report.safety_ms += (perf_counter() - started) * 1000
        except CroupierError as refusal:
            report.refusal = refusal
            return REFUSED
        return None

    async def _plan_round(self, run: _Run, plan: PlannedRound) -> _Round:
        player = run.player
        game = await self._game(player.operator_id, plan.game_id)
        definition = get_game_definition(game["engine_key"])
        outcome = engine_spin(definition, plan.stake, CsprngStops())
        pool = await self._pool(game["jackpot_group"], run.currency)
        contribution = jackpots.contribution(plan.stake, pool["contribution_bp"]) if pool else 0
        # Cash alone covers the stake (else _needs_live): the stake and the win are all cash.
        run.cash += outcome.total_win - plan.stake
        run.staked += plan.stake
        planned = _Round(
            run, plan, game, uuid.uuid4(), outcome, contribution, run.cash_balance, pool
        )
        planned.fingerprint = spin_fingerprint(plan.game_id, plan.stake, False)  # never fair
        key = f"spin:{player.player_id}:{plan.idempotency_key}"
        planned.debit = len(self.transfers)
        self.transfers.append(
            ledger.planned_debit(
                operator_id=player.operator_id,
                type="bet",
                idempotency_key=key,
                request={"player": player.player_id, **planned.fingerprint},
                cash_account_id=run.accounts.cash_id,
                bonus_account_id=run.accounts.bonus_id,
                cash_part=plan.stake,
                bonus_part=0,
                to_account_id=run.house,
                reference=planned.round_ref,
                at=plan.at,
            )
        )
        legs = [Leg(run.accounts.cash_id, planned.win)]
        if contribution:
            account = await jackpots.pool_account(
                self.conn, operator_id=player.operator_id, pool=pool
            )
            legs.append(Leg(account, contribution))
        legs = [leg for leg in legs if leg.amount]
        if legs:
            legs.append(Leg(run.house, -sum(leg.amount for leg in legs)))
            planned.settle = len(self.transfers)
            self.transfers.append(
                ledger.planned_post(
                    operator_id=player.operator_id,
                    type="win" if planned.win else "jackpot_contribution",
                    idempotency_key=f"{key}:settle",
                    request={
                        "round": planned.round_ref,
                        "win": planned.win,
                        "contribution": contribution,
                    },
                    legs=legs,
                    reference=planned.round_ref,
                    at=plan.at,
                )
            )
        run.rounds.append(planned)
        if pool is not None and jackpots.triggered(plan.stake, pool["trigger_ppt"]):
            run.report.stop = JACKPOT  # paid once the round is written; scored then
            return planned
        assert run.safety is not None
        started = perf_counter()
        assessment, acted = run.safety.record(
            game_key=game["slug"], stake=plan.stake, win=planned.win,
            balance_after=run.cash_balance + run.bonus, p_loss=p_loss(game), at=plan.at,
        )  # fmt: skip
        run.report.safety_ms += (perf_counter() - started) * 1000
        run.report.assessments.append(assessment)
        if acted:
            run.report.stop = SAFETY
        elif run.cash_balance <= voucher_bonus.BONUS_TRIGGER_BALANCE:
            run.report.stop = VOUCHER
        return planned

    async def _game(self, operator_id: int, game_id: int) -> asyncpg.Record:
        key = (operator_id, game_id)
        if key not in self.games:
            game = await games_service.playable_game(self.conn, game_id, operator_id)
            if game["provider"] != "builtin":
                raise ExternalGameError()
            self.games[key] = game
        return self.games[key]

    async def _pool(self, group: str | None, currency: str) -> asyncpg.Record | None:
        if group is None:
            return None
        if (group, currency) not in self.pools:
            self.pools[group, currency] = await jackpots.pool_for_group(self.conn, group, currency)
        return self.pools[group, currency]

    # ---- writing --------------------------------------------------------------------------

    async def _write(self, runs: list[_Run]) -> None:
        conn = self.conn
        rounds = [planned for run in runs for planned in run.rounds]
        if rounds:  # (runs played live only have nothing left to write)
            posted = await ledger.post_many(conn, self.transfers)
            for run in runs:
                if run.report.stop == JACKPOT:
                    await self._pay_jackpot(run, run.rounds[-1])
            rows = [self._bet_row(planned, posted) for planned in rounds]
            added = await queries.insert_bets(conn, rows)
            for planned, bet in zip(rounds, added, strict=True):
                planned.bet_id = bet["id"]
                if planned.jackpot is not None:
                    await jackpots.attach_bet(conn, planned.jackpot, bet["id"])
            if self.live:
                # The spin's response and its push: each bet as the database now holds it,
                # from the row just written and what the insert added (not read back).
                await self._push(
                    rounds,
                    [
                        queries.bulk_bet(row, bet, game=planned.game, outcome=planned.outcome_json)
                        for planned, row, bet in zip(rounds, rows, added, strict=True)
                    ],
                )
        await self._close(runs)

    async def _push(self, rounds: list[_Round], rows: list[Mapping[str, Any]]) -> None:
        """Live rounds: the spin's push for each, and its bet row for the response."""
        await realtime.publish_many(
            self.conn,
            [
                realtime.Event(
                    audience=realtime.player_audience(row["player_id"]),
                    topic="spin",
                    payload=spin_event(row),
                    operator_id=row["operator_id"],
                )
                for row in rows
            ],
        )
        for planned, row in zip(rounds, rows, strict=True):
            planned.player.report.bets.append(row)

    async def _pay_jackpot(self, run: _Run, planned: _Round) -> None:
        player = run.player
        await set_clock(self.conn, planned.plan.at)
        assert planned.pool is not None
        planned.jackpot = await jackpots.try_win(
            self.conn,
            pool=planned.pool,
            operator_id=player.operator_id,
            player_id=player.player_id,
            player_cash_account=run.accounts.cash_id,
            round_ref=planned.round_ref,
        )
        amount = planned.jackpot.amount if planned.jackpot else 0
        planned.cash_after += amount
        run.cash += amount
        played = run.report.rounds[-1]
        run.report.rounds[-1] = PlayedRound(
            played.stake, played.win + amount, planned.cash_after, run.bonus, played.at
        )
        assert run.safety is not None
        started = perf_counter()
        assessment, _ = run.safety.record(
            game_key=planned.game["slug"], stake=played.stake, win=played.win + amount,
            balance_after=planned.cash_after + run.bonus, p_loss=p_loss(planned.game),
            at=played.at,
        )  # fmt: skip
        run.report.safety_ms += (perf_counter() - started) * 1000
        run.report.assessments.append(assessment)
        await set_clock(self.conn, None)

    async def _close(self, runs: list[_Run]) -> None:
        """Per player: XP, wagering, the safety state, and a due voucher bonus; XP and the
        safety rows of all players with one statement each."""
        conn = self.conn
        await vip.add_xp_many(
            conn,
            [
                (run.player.operator_id, run.player.player_id, vip.wager_xp(stakes))
                for run in runs
                if (stakes := sum(planned.plan.stake for planned in run.rounds))
            ],
        )
        for run in runs:
            if run.entry is not None and run.rounds:
                await self._wager(run)
        checked = [run for run in runs if run.safety is not None and run.checked]
        if checked:
            started = perf_counter()
            await SpinRun.close_many(conn, [run.safety for run in checked if run.safety])
            share = (perf_counter() - started) * 1000 / len(checked)
            for run in checked:
                run.report.safety_ms += share
        for run in runs:
            if run.report.stop == VOUCHER:
                await set_clock(conn, run.rounds[-1].plan.at)
                await voucher_bonus.after_spin(
                    conn,
                    operator_id=run.player.operator_id,
                    player_id=run.player.player_id,
                    cash_balance_after=run.cash_balance,
                )
                await set_clock(conn, None)

    async def _wager(self, run: _Run) -> None:
        """Wagering progress. No bulk round spends bonus money or can complete a money grant
        (see _needs_live), so no money moves here. A money grant weights each stake by its
        game, rounded down per round: counted round by round. Deposit requirements count
        stakes in full: one call per run of one game holds the same total."""
        assert run.entry is not None
        per_round = run.entry.money_wagering_left is not None
        counted: list[tuple[asyncpg.Record, int]] = []
        for planned in run.rounds:
            if not per_round and counted and counted[-1][0]["id"] == planned.game["id"]:
                counted[-1] = (planned.game, counted[-1][1] + planned.plan.stake)
            else:
                counted.append((planned.game, planned.plan.stake))
        for game, staked in counted:
            await bonuses.record_wager(
                self.conn,
                operator_id=run.player.operator_id,
                player_id=run.player.player_id,
                game_id=game["id"],
                game_key=game["slug"],
                stake_cash=staked,
                stake_bonus=0,
                round_ref=run.rounds[-1].round_ref,
            )

    def _bet_row(self, planned: _Round, posted: list[int]) -> tuple[Any, ...]:
        plan, player = planned.plan, planned.player.player
        jackpot = planned.jackpot.amount if planned.jackpot else 0
        settle = posted[planned.settle] if planned.settle is not None else None
        return (
            player.operator_id,
            player.player_id,
            plan.game_id,
            planned.round_id,
            plan.idempotency_key,
            request_hash(planned.fingerprint),
            planned.player.currency,
            plan.stake,
            plan.stake,  # stake_cash
            planned.win,
            planned.win,  # win_cash
            planned.contribution,
            jackpot,
            plan.stake - planned.win - jackpot,  # ggr
            vip.wager_xp(plan.stake),
            orjson.dumps(planned.outcome_json).decode(),
            planned.cash_after,
            planned.player.bonus,  # bonus_after: no bulk round moves bonus money
            str(posted[planned.debit]),
            None if settle is None else str(settle),
            self.is_seeded,
            planned.game["version"],
            plan.at,
            plan.channel,
        )

    # ---- one by one ------------------------------------------------------------------------

    async def _play_live(self, run: _Run, plan: PlannedRound) -> PlayedRound | None:
        """One round through the live spin (its rules, its writes, its push); None if the run
        ends here."""
        report, player = run.report, run.player
        try:
            async with self.conn.transaction():  # a refused round leaves nothing behind
                await set_clock(self.conn, plan.at)
                result = await spin(self.conn, _spin_request(player, plan, self.is_seeded))
        except InsufficientFundsError:
            report.stop, report.unplayed = FUNDS, plan
            return None
        except CroupierError as refusal:
            report.stop, report.unplayed, report.refusal = REFUSED, plan, refusal
            return None
        finally:
            await set_clock(self.conn, None)
        bet = result.bet
        run.cash, run.bonus = bet["cash_after"] - run.reserved, bet["bonus_after"]
        # The spin may have taken a free spin or moved wagering on: read the grants again.
        run.entry = (await bonuses.peek_spins(self.conn, [player.player_id])).get(player.player_id)
        played = PlayedRound(
            bet["stake"], bet["win"] + bet["jackpot_win"], bet["cash_after"], bet["bonus_after"],
            plan.at,
        )  # fmt: skip
        report.rounds.append(played)
        report.bets.append(bet)
        report.assessments.append(result.safety)
        report.safety_ms += result.safety_ms
        return played


def _spin_request(player: Player, plan: PlannedRound, is_seeded: bool) -> SpinRequest:
    return SpinRequest(
        operator_id=player.operator_id,
        player_id=player.player_id,
        game_id=plan.game_id,
        stake=plan.stake,
        idempotency_key=plan.idempotency_key,
        is_seeded=is_seeded,
        at=plan.at,
        session_key=plan.session_key,
        channel=plan.channel,
    )
