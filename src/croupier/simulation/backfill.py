"""``croupier seed history``: months of past play, generated fast, through the live services.

Every round is played by ``bets.bulk`` (seeded), every top-up is a card deposit through the
payments service, so the ledger, jackpots, VIP, wagering, safety and the bet log are written by
the same rules as live play. Only the clock differs: each row carries its planned past time.

Speed comes from doing the I/O in bulk, not from shortcuts: a unit of work plays a run of up to
25 consecutive rounds for each of a group of bots, planned in memory from their locked wallets
and safety state and written set-wise (``ledger.post_many``); a few groups run at once; commits
do not wait for the WAL flush (``synchronous_commit = off``: a crash may lose the last moments
of generated history, never its consistency).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import asyncpg
import structlog

from croupier.bets import bulk
from croupier.bets.bulk import PlannedRound, PlayedRound
from croupier.config import Settings
from croupier.db.clock import set_clock
from croupier.db.pool import create_pool, unit_of_work
from croupier.simulation import funding, history_plan, profiles, queries
from croupier.simulation.funding import OperatorBooks

log = structlog.get_logger("croupier.simulation.backfill")


@dataclass(frozen=True, slots=True)
class Batching:
    """How rounds are grouped into units of work. The defaults are the fast ones; the spin
    benchmark's analysis plays one round per bot per unit, as batched live spins would."""

    rounds_per_run: int = 25  # one bot's consecutive rounds in a unit of work
    bots_per_unit: int = 40  # bots whose runs share a unit of work


@dataclass
class BackfillReport:
    bets: int = 0
    deposits: int = 0
    top_ups: int = 0
    failed_units: int = 0
    # Rounds a refusal (the safety engine's, mostly) made a bot skip: it leaves the session,
    # as a real player would have to, and plays them in its next session; ``shortfall`` of
    # them were never played (refused at the very end of the period).
    safety_skipped: int = 0
    shortfall: int = 0
    seconds: float = 0.0
    first: datetime | None = None
    last: datetime | None = None
    by_operator: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.bets / self.seconds if self.seconds else 0.0


Progress = Callable[[int], None]


async def backfill(
    url: str,
    settings: Settings,
    *,
    days: int,
    bets: int,
    concurrency: int = 4,
    seed: int | None = None,
    progress: Progress | None = None,
    part: tuple[int, int] = (0, 1),
    batching: Batching = Batching(),
) -> BackfillReport:
    """Play ``bets`` seeded rounds spread over the last ``days`` days across the bots."""
    pool = await create_pool(url, min_size=1, max_size=concurrency + 1)
    try:
        return await backfill_with_pool(
            pool, settings, days=days, bets=bets, concurrency=concurrency, seed=seed,
            progress=progress, part=part, batching=batching,
        )  # fmt: skip
    finally:
        await pool.close()


async def backfill_with_pool(
    pool: asyncpg.Pool,
    settings: Settings,
    *,
    days: int,
    bets: int,
    concurrency: int = 4,
    seed: int | None = None,
    progress: Progress | None = None,
    part: tuple[int, int] = (0, 1),
    batching: Batching = Batching(),
) -> BackfillReport:
    """``part`` (index, parts): play only the bots whose id falls in this part, for a backfill
    split over several processes. ``concurrency``: units of work in flight at once."""
    async with unit_of_work(pool) as uow:
        rows = await queries.bots(uow.conn)
        books = await funding.operator_books(uow.conn)
        await funding.open_house_accounts(uow.conn, books)
    index, parts = part
    rows = [
        bot
        for bot in rows
        if bot["id"] % parts == index and bot["operator_id"] in books
        and books[bot["operator_id"]].games
    ]  # fmt: skip
    if not rows:
        raise LookupError("No bot players to play with: run `croupier seed bots N` first.")
    rng = random.Random(seed)
    end = datetime.now(UTC)
    start = end - timedelta(days=days)
    run = f"{int(end.timestamp())}{rng.randrange(10**6):06d}"
    report = BackfillReport()
    bots = [
        _Bot(row, books[row["operator_id"]], quota, run, start, end, random.Random(rng.random()))
        for row, quota in zip(rows, history_plan.split(bets, len(rows)), strict=True)
        if quota
    ]
    started = time.perf_counter()
    # Each worker owns a fixed share of the bots, so no two units ever lock the same wallet.
    workers = max(1, min(concurrency, len(bots)))
    await asyncio.gather(
        *(
            _Worker(pool, settings, bots[w::workers], report, progress, batching).run()
            for w in range(workers)
        )
    )
    report.seconds = time.perf_counter() - started
    report.shortfall = sum(bot.owed for bot in bots)
    if progress is not None and report.shortfall:
        progress(report.shortfall)  # never to be played: the bar completes
    log.info("history_backfilled", bets=report.bets, seconds=round(report.seconds, 1))
    return report


class _Bot:
    """One bot's past: its planned sessions, its stakes, and what it has left to play.

    The bulk service asks it for its next round; a run it could not finish hands the round
    back (``pending``) and it offers it again in the next unit (after a top-up, if short).
    Rounds a pause made a bot skip are added to the next session of a bot still playing
    (``owed``), so the backfill plays the number of rounds asked for."""

    def __init__(
        self,
        row: asyncpg.Record,
        books: OperatorBooks,
        quota: int,
        run: str,
        start: datetime,
        end: datetime,
        rng: random.Random,
    ) -> None:
        self.row, self.books, self.rng = row, books, rng
        self.operator_id: int = row["operator_id"]
        self.player_id: int = row["id"]
        self.profile = profiles.profile_of(row["username"])
        self.key = f"hist-{run}-{row['id']}"
        self.sequence = 0
        self.end = end
        self.owed = 0
        self.sessions = history_plan.plan_sessions(
            profile=self.profile,
            timezone=row["timezone"] or "UTC",
            spins=quota,
            games=len(books.games),
            start=start,
            end=end,
            rng=rng,
            extra=self._take_owed,
        )
        self.times: list[datetime] = []
        self.game = books.games[0]
        self.stake = 0
        self.pending: PlannedRound | None = None
        self.needs_top_up = False
        self.resume_at = start  # a safety stop keeps the bot away until then
        self.done = False

    def next_round(self, last: PlayedRound | None) -> PlannedRound | None:
        if last is not None:
            self._after(last)
        if self.pending is not None:
            plan, self.pending = self.pending, None
            return plan
        while not self.times:
            session = next(self.sessions, None)
            if session is None:
                self.done = True
                return None
            if session.times and session.times[0] < self.resume_at < self.end:
                self.owed += len(session.times)  # still stopped: played in a later session
                continue
            self.game = self.books.games[session.game_index]
            self.times = list(session.times)
            self.stake = self._base_stake()
        moment = self.times.pop(0)
        if not self.profile.chases_losses:
            self.stake = self._base_stake()
        self.sequence += 1
        return PlannedRound(self.game.id, self.stake, f"{self.key}-{self.sequence}", moment)

    def skip_session(self, resume: datetime | None) -> int:
        """The bot was refused play (until ``resume``, if known): it leaves this session; the
        rounds it leaves are returned, for whichever bot will play them (_Worker._hand_over)."""
        skipped = len(self.times) + (1 if self.pending else 0)
        self.times, self.pending = [], None
        if resume is not None:
            self.resume_at = max(self.resume_at, resume)
        return skipped

    def wait(self, pause: timedelta) -> bool:
        """The rest of this session, ``pause`` later (the refused round first); False if
        that is past the period's end."""
        if self.pending is None or self.pending.at + pause > self.end:
            return False
        self.pending = replace(self.pending, at=self.pending.at + pause)
        self.times = [min(moment + pause, self.end) for moment in self.times]
        return True

    def _take_owed(self) -> int:
        owed, self.owed = self.owed, 0
        return owed

    def _base_stake(self) -> int:
        return self.game.fit(profiles.base_stake(self.profile, self.rng)) or self.game.min_bet

    def _after(self, played: PlayedRound) -> None:
        if self.profile.chases_losses:
            base = self.game.fit(self.profile.small_stake[0]) or self.game.min_bet
            ceiling = self.game.fit(self.profile.large_stake[1] * 4) or self.game.max_bet
            lost = played.win < played.stake
            self.stake = profiles.chase_stake(played.stake, lost, base, ceiling)


class _Worker:
    """Units of work over its bots until all have played their quota."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: Settings,
        bots: list[_Bot],
        report: BackfillReport,
        progress: Progress | None,
        batching: Batching,
    ) -> None:
        self.pool, self.settings, self.bots, self.report, self.progress = (
            pool, settings, bots, report, progress,
        )  # fmt: skip
        self.batching = batching

    async def run(self) -> None:
        active = list(self.bots)
        while active:
            size = self.batching.bots_per_unit
            for offset in range(0, len(active), size):
                await self._unit(active[offset : offset + size])
            self._hand_over_unplayed()
            active = [bot for bot in self.bots if not bot.done]

    def _hand_over_unplayed(self) -> None:
        """A bot whose sessions ran out while it still owed rounds hands them on."""
        for bot in self.bots:
            if bot.done and bot.owed:
                owed, bot.owed = bot.owed, 0
                self._hand_over(bot, owed)

    def _hand_over(self, bot: _Bot, rounds: int) -> None:
        """Rounds ``bot`` could not play join the next session of a bot that still plays,
        preferably one that does not chase losses (the safety engine keeps pausing those), so
        the backfill plays the number of rounds asked for; with nobody left they stay with
        ``bot`` (the report's shortfall)."""
        playing = [b for b in self.bots if not b.done]
        heirs = [b for b in playing if b is not bot and not b.profile.chases_losses] or playing
        heir = min(heirs, key=lambda b: b.owed) if heirs else bot
        heir.owed += rounds

    async def _unit(self, bots: list[_Bot]) -> None:
        top_ups: list[str] = []
        try:
            async with unit_of_work(self.pool) as uow:
                conn = uow.conn
                await conn.execute("SET LOCAL synchronous_commit = off")
                for bot in bots:
                    if bot.needs_top_up and bot.pending is not None:
                        top_ups.append(await self._top_up(conn, bot, bot.pending))
                        bot.needs_top_up = False
                await set_clock(conn, None)  # the rounds carry their own times
                reports = await bulk.play(conn, bots, max_rounds=self.batching.rounds_per_run)
        except Exception:
            # The unit rolled back as a whole: nothing of it was written. Its bots go on with
            # their next rounds (the ones planned here are lost, like a crash would lose them).
            log.exception("history_unit_failed", bots=[bot.player_id for bot in bots])
            self.report.failed_units += 1
            for bot in bots:
                bot.pending, bot.needs_top_up = None, False
            return
        played = 0
        for bot, run in zip(bots, reports, strict=True):
            played += len(run.rounds)
            self._account(bot, run)
        self.report.deposits += top_ups.count("deposit")
        self.report.top_ups += top_ups.count("adjustment")
        if self.progress is not None and played:
            self.progress(played)

    def _account(self, bot: _Bot, run: bulk.RunReport) -> None:
        report = self.report
        if run.rounds:
            report.bets += len(run.rounds)
            slug = bot.books.slug
            report.by_operator[slug] = report.by_operator.get(slug, 0) + len(run.rounds)
            report.first = min(filter(None, (report.first, run.rounds[0].at)))
            report.last = max(filter(None, (report.last, run.rounds[-1].at)))
        bot.pending = run.unplayed
        if run.stop == bulk.FUNDS:
            bot.needs_top_up = True
        elif run.stop == bulk.REFUSED and run.refusal is not None:
            refusal = run.refusal
            log.info("history_bot_paused", player_id=bot.player_id, code=refusal.code)
            wait = refusal.details.get("cooldownSeconds")
            # A short break: the bot waits it out and plays on.
            if wait is None or not bot.wait(timedelta(seconds=wait + 1)):
                until = refusal.details.get("until")
                resume = datetime.fromisoformat(until) if until else None
                skipped = bot.skip_session(resume)
                report.safety_skipped += skipped
                self._hand_over(bot, skipped)

    async def _top_up(self, conn: asyncpg.Connection, bot: _Bot, plan: PlannedRound) -> str:
        # Whole hundreds: the demo provider declines amounts ending in 13 (its test cards).
        amount = max(plan.stake * 20, bot.rng.randint(*bot.profile.deposit)) // 100 * 100 + 100
        return await funding.top_up(
            conn,
            self.settings,
            bot.books,
            bot.row,
            amount=amount,
            at=plan.at - timedelta(seconds=30),
            key=f"{bot.key}-dep-{bot.sequence}",
        )
