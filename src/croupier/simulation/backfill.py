"""``croupier seed history``: months of past play, generated fast, through the live services.

Every bet is ``bets.spin.spin`` (seeded), every top-up a card deposit through the payments
service, so the ledger, jackpots, VIP and the bet log are written exactly as live play writes
them. Only the clock differs: each spin's unit of work sets ``croupier.clock`` (migration
0010_clock), so its rows carry the planned past time.

Speed comes from concurrency and fewer commits, not from shortcuts: many bots play at once
(one asyncio task and connection each), a unit of work holds a run of one bot's consecutive
spins, and commits do not wait for the WAL flush (``synchronous_commit = off``: a crash may
lose the last moments of generated history, never its consistency).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg
import structlog

from croupier.bets.spin import SpinRequest, spin
from croupier.config import Settings
from croupier.db.pool import create_pool, unit_of_work
from croupier.safety.errors import SafetyRefusal
from croupier.simulation import funding, history_plan, profiles, queries
from croupier.simulation.funding import OperatorBooks
from croupier.simulation.history_plan import Session

log = structlog.get_logger("croupier.simulation.backfill")

SPINS_PER_UNIT = 25  # one bot's consecutive spins committed together


@dataclass
class BackfillReport:
    bets: int = 0
    deposits: int = 0
    top_ups: int = 0
    failed_units: int = 0
    # Planned spins not played because the safety engine paused the bot (its unit rolled back
    # and the bot skipped the rest of that session), as a real player would have been.
    safety_skipped: int = 0
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
    concurrency: int = 48,
    seed: int | None = None,
    progress: Progress | None = None,
    part: tuple[int, int] = (0, 1),
) -> BackfillReport:
    """Play ``bets`` seeded spins spread over the last ``days`` days across the bots."""
    pool = await create_pool(url, min_size=2, max_size=concurrency + 2)
    try:
        return await backfill_with_pool(
            pool, settings, days=days, bets=bets, concurrency=concurrency, seed=seed,
            progress=progress, part=part,
        )  # fmt: skip
    finally:
        await pool.close()


async def backfill_with_pool(
    pool: asyncpg.Pool,
    settings: Settings,
    *,
    days: int,
    bets: int,
    concurrency: int = 48,
    seed: int | None = None,
    progress: Progress | None = None,
    part: tuple[int, int] = (0, 1),
) -> BackfillReport:
    """``part`` (index, parts): play only the bots whose id falls in this part, for a backfill
    split over several processes."""
    async with pool.acquire() as conn:
        bots = await queries.bots(conn)
        books = await funding.operator_books(conn)
    index, parts = part
    bots = [
        bot
        for bot in bots
        if bot["id"] % parts == index
        and bot["operator_id"] in books
        and books[bot["operator_id"]].games
    ]
    if not bots:
        raise LookupError("No bot players to play with: run `croupier seed bots N` first.")
    rng = random.Random(seed)
    end = datetime.now(UTC)
    start = end - timedelta(days=days)
    run = f"{int(end.timestamp())}{rng.randrange(10**6):06d}"
    report = BackfillReport()
    queue: asyncio.Queue[tuple[asyncpg.Record, int]] = asyncio.Queue()
    for bot, quota in zip(bots, history_plan.split(bets, len(bots)), strict=True):
        if quota:
            queue.put_nowait((bot, quota))
    started = time.perf_counter()

    async def worker(worker_rng: random.Random) -> None:
        while not queue.empty():
            bot, quota = queue.get_nowait()
            player = _BotPlay(pool, settings, books[bot["operator_id"]], bot, run, report)
            sessions = history_plan.plan_sessions(
                profile=player.profile,
                timezone=bot["timezone"] or "UTC",
                spins=quota,
                games=len(player.books.games),
                start=start,
                end=end,
                rng=worker_rng,
            )
            await player.play(sessions, worker_rng, progress)

    workers = min(concurrency, queue.qsize())
    await asyncio.gather(*(worker(random.Random(rng.random())) for _ in range(workers)))
    report.seconds = time.perf_counter() - started
    log.info("history_backfilled", bets=report.bets, seconds=round(report.seconds, 1))
    return report


class _BotPlay:
    """One bot's past: its sessions played in order, a run of spins per unit of work."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: Settings,
        books: OperatorBooks,
        bot: asyncpg.Record,
        run: str,
        report: BackfillReport,
    ) -> None:
        self.pool, self.settings, self.books, self.bot, self.report = (
            pool, settings, books, bot, report,
        )  # fmt: skip
        self.profile = profiles.profile_of(bot["username"])
        self.key = f"hist-{run}-{bot['id']}"
        self.sequence = 0
        self.balance: int | None = None
        self.stake = 0

    async def play(
        self, sessions: Iterable[Session], rng: random.Random, progress: Progress | None
    ) -> None:
        for session in sessions:
            game = self.books.games[session.game_index]
            self.stake = self._first_stake(game, rng)
            for index in range(0, len(session.times), SPINS_PER_UNIT):
                times = session.times[index : index + SPINS_PER_UNIT]
                try:
                    done = await self._unit(game, times, rng)
                except SafetyRefusal as refusal:
                    skipped = len(session.times) - index
                    self.report.safety_skipped += skipped
                    log.info("history_bot_paused", player_id=self.bot["id"], code=refusal.code)
                    if progress is not None:
                        progress(skipped)
                    break
                if progress is not None and done:
                    progress(done)

    async def _unit(self, game: funding.Game, times: list[datetime], rng: random.Random) -> int:
        try:
            async with unit_of_work(self.pool) as uow:
                conn = uow.conn
                await conn.execute("SET LOCAL synchronous_commit = off")
                if self.balance is None:
                    self.balance = await funding.balance(conn, self.bot)
                played = 0
                top_ups: list[str] = []
                for moment in times:
                    stake = self._next_stake(game, rng)
                    if self.balance < stake:
                        top_ups.append(await self._top_up(conn, moment, stake, rng))
                    await funding.set_clock(conn, moment)
                    self.sequence += 1
                    played_round = await spin(
                        conn,
                        SpinRequest(
                            operator_id=self.bot["operator_id"],
                            player_id=self.bot["id"],
                            game_id=game.id,
                            stake=stake,
                            idempotency_key=f"{self.key}-{self.sequence}",
                            is_seeded=True,
                            at=moment,
                        ),
                    )
                    bet = played_round.bet
                    self.balance = bet["cash_after"] + bet["bonus_after"]
                    self._after(bet, game)
                    played += 1
        except SafetyRefusal:
            self.balance = None
            raise
        except Exception:
            # The unit rolled back as a whole: nothing of it was written. Re-read the balance
            # and go on with the bot's next run of spins.
            log.exception("history_unit_failed", player_id=self.bot["id"])
            self.report.failed_units += 1
            self.balance = None
            return 0
        self.report.bets += played
        self.report.deposits += top_ups.count("deposit")
        self.report.top_ups += top_ups.count("adjustment")
        slug = self.bot["operator_slug"]
        self.report.by_operator[slug] = self.report.by_operator.get(slug, 0) + played
        self.report.first = min(filter(None, (self.report.first, times[0])))
        self.report.last = max(filter(None, (self.report.last, times[-1])))
        return played

    async def _top_up(
        self, conn: asyncpg.Connection, moment: datetime, stake: int, rng: random.Random
    ) -> str:
        # Whole hundreds: the demo provider declines amounts ending in 13 (its test cards).
        amount = max(stake * 20, rng.randint(*self.profile.deposit)) // 100 * 100 + 100
        kind = await funding.top_up(
            conn,
            self.settings,
            self.books,
            self.bot,
            amount=amount,
            at=moment - timedelta(seconds=30),
            key=f"{self.key}-dep-{self.sequence}",
        )
        self.balance = (self.balance or 0) + amount
        return kind

    def _first_stake(self, game: funding.Game, rng: random.Random) -> int:
        return game.fit(profiles.base_stake(self.profile, rng)) or game.min_bet

    def _next_stake(self, game: funding.Game, rng: random.Random) -> int:
        if self.profile.chases_losses:
            return self.stake
        return game.fit(profiles.base_stake(self.profile, rng)) or game.min_bet

    def _after(self, bet: asyncpg.Record, game: funding.Game) -> None:
        if self.profile.chases_losses:
            lost = bet["win"] < bet["stake"]
            base = game.fit(self.profile.small_stake[0]) or game.min_bet
            ceiling = game.fit(self.profile.large_stake[1] * 4) or game.max_bet
            self.stake = profiles.chase_stake(bet["stake"], lost, base, ceiling)
