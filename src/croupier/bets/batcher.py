"""Live spins played together: concurrent spins of different players share a unit of work.

A spin played alone (``spin.spin``) is about fifteen statements, each a round trip that costs
the worker and the database more CPU than the row it writes. Spins that arrive while others
are being written wait in this process's queue and are played as one batch by the bulk path
(``bets.bulk``, one round per player, ``live=True``): the same rules, the same rows and pushes,
written with a few set-wise statements plus a few per player. The batch commits before any of
its spins is answered, like a request's unit of work.

Nothing waits for a batch to fill: a spin that finds the batcher idle is played at once by
the lone spin, in its request's own unit of work, so batching costs nothing when idle; batches
only form under load, from requests that pile up while others are being written (at most
``in_flight`` batches at a time per process).

A batch holds at most one spin per player, and never a player whose spin is in a running
batch, so a player's spins are played one after the other, in arrival order. Whatever the
batch does not play is played by ``spin.spin`` in a unit of work of its own, so its answer is
exactly the lone spin's: a replayed Idempotency-Key, a refusal, short funds, a provably-fair
round, and every spin of a batch that failed as a whole (nothing of it was committed).

This module owns units of work (it commits), like the request dependency and the job runner:
it is the spin endpoint's plumbing, not a service.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
import structlog
from prometheus_client import Counter, Histogram

from croupier.bets import bulk, queries
from croupier.bets.spin import SpinRequest, SpinResult, spin
from croupier.db.pool import unit_of_work
from croupier.safety.support import utcnow

log = structlog.get_logger("croupier.bets.batcher")
BATCH_SIZE = Histogram(
    "croupier_spin_batch_size",
    "Spins per batch written by the spin batcher",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)
PLAYED_ALONE = Counter(
    "croupier_spins_played_alone_total",
    "Batched spins played alone instead (replay, refusal, short funds, failed batch)",
    ["reason"],
)


@dataclass
class _Pending:
    request: SpinRequest
    future: asyncio.Future[SpinResult]


@dataclass
class _OneRound:
    """bulk.Player: the one round a live spin asks for."""

    operator_id: int
    player_id: int
    plan: bulk.PlannedRound | None

    def next_round(self, last: bulk.PlayedRound | None) -> bulk.PlannedRound | None:
        plan, self.plan = self.plan, None
        return plan


@dataclass
class SpinBatcher:
    pool: asyncpg.Pool  # its own connections: a request waiting here holds one of the app's
    max_size: int = 32
    in_flight: int = 2
    _queue: deque[_Pending] = field(default_factory=deque)
    _busy: set[int] = field(default_factory=set)  # players in a running batch
    _inline: bool = False  # a spin is being played in its caller's unit of work
    _running: set[asyncio.Task[None]] = field(default_factory=set)
    # What the batcher did, for tests and the benchmark (Prometheus has the same figures).
    batches: int = 0
    largest_batch: int = 0
    played_alone: int = 0

    async def spin(
        self, request: SpinRequest, inline: Callable[[], Awaitable[SpinResult]] | None = None
    ) -> SpinResult:
        """Play one live round, batched with others when the process is busy. ``inline``: the
        lone spin in the caller's own unit of work, used when nothing else is being played
        here (no second transaction then, and no hop to a batch task)."""
        if request.provably_fair or request.at is not None:
            return await (inline() if inline is not None else self._alone(request))
        if inline is not None and not (self._queue or self._running or self._inline):
            self._inline = True
            self._busy.add(request.player_id)
            try:
                return await inline()
            finally:
                self._inline = False
                self._busy.discard(request.player_id)
                self._start()
        future: asyncio.Future[SpinResult] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(request, future))
        self._start()
        return await future

    async def close(self) -> None:
        """Let the running batches finish (their spins are answered), then close the pool."""
        while self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        await self.pool.close()

    def _start(self) -> None:
        while self._queue and len(self._running) < self.in_flight:
            if self._running and len(self._queue) < self.max_size // 4:
                # A second batch overlaps the running one's round trips, but a batch of a few
                # spins costs almost as much as a full one: let the queue fill until its end.
                return
            batch = self._take()
            if not batch:
                return  # every queued player is in a running batch; its end starts the next
            task = asyncio.create_task(self._run(batch), name="spin-batch")
            self._running.add(task)

    def _take(self) -> list[_Pending]:
        batch: list[_Pending] = []
        waiting: deque[_Pending] = deque()
        while self._queue and len(batch) < self.max_size:
            pending = self._queue.popleft()
            if pending.future.done():  # the client went away before its turn
                continue
            if pending.request.player_id in self._busy:
                waiting.append(pending)
            else:
                self._busy.add(pending.request.player_id)
                batch.append(pending)
        self._queue.extendleft(reversed(waiting))
        return batch

    async def _run(self, batch: list[_Pending]) -> None:
        try:
            await self._play(batch)
        except BaseException as exc:  # cancelled at shutdown: nobody is left unanswered
            for pending in batch:
                _fail(pending, exc)
            raise
        finally:
            for pending in batch:
                self._busy.discard(pending.request.player_id)
            self._running.discard(asyncio.current_task())  # type: ignore[arg-type]
            self._start()

    async def _play(self, batch: list[_Pending]) -> None:
        if len(batch) == 1:  # the lone spin is cheaper than a batch of one
            self.played_alone += 1
            await self._answer_alone(batch[0])
            return
        alone: list[_Pending] = []
        played: list[tuple[_Pending, bulk.RunReport]] = []
        try:
            # Any error rolls the whole batch back (even a "recorded" rejection, which a lone
            # spin's unit of work would commit): its spins are then played alone.
            async with self.pool.acquire() as conn, conn.transaction():
                taken = await queries.taken_keys(
                    conn,
                    [(p.request.operator_id, p.request.player_id, p.request.idempotency_key)
                     for p in batch],
                )  # fmt: skip
                fresh = [p for i, p in enumerate(batch) if i not in taken]
                alone = [p for i, p in enumerate(batch) if i in taken]  # replays
                if fresh:
                    reports = await bulk.play(
                        conn, [_one_round(p.request) for p in fresh],
                        max_rounds=1, is_seeded=False, live=True,
                    )  # fmt: skip
                    for pending, report in zip(fresh, reports, strict=True):
                        if report.rounds:
                            played.append((pending, report))
                        else:
                            alone.append(pending)  # refused or short: the lone spin says why
        except Exception:
            log.warning("spin_batch_failed", size=len(batch), exc_info=True)
            alone, played = batch, []
            PLAYED_ALONE.labels("failed_batch").inc(len(batch))
        else:
            BATCH_SIZE.observe(len(batch))
            self.batches += 1
            self.largest_batch = max(self.largest_batch, len(batch))
            PLAYED_ALONE.labels("not_batchable").inc(len(alone))
        self.played_alone += len(alone)
        for pending, report in played:
            result = SpinResult(report.bets[0], report.assessments[0], report.safety_ms)
            if not pending.future.done():
                pending.future.set_result(result)
        await asyncio.gather(*(self._answer_alone(p) for p in alone))

    async def _answer_alone(self, pending: _Pending) -> None:
        try:
            result = await self._alone(pending.request)
        except Exception as exc:
            _fail(pending, exc)
        else:
            if not pending.future.done():
                pending.future.set_result(result)

    async def _alone(self, request: SpinRequest) -> SpinResult:
        async with unit_of_work(self.pool) as uow:
            return await spin(uow.conn, request)


def _one_round(request: SpinRequest) -> _OneRound:
    plan = bulk.PlannedRound(
        request.game_id,
        request.stake,
        request.idempotency_key,
        utcnow(),
        session_key=request.session_key,
        channel=request.channel,
    )
    return _OneRound(request.operator_id, request.player_id, plan)


def _fail(pending: _Pending, exc: BaseException) -> None:
    if not pending.future.done():
        if isinstance(exc, asyncio.CancelledError):
            pending.future.cancel()
        else:
            pending.future.set_exception(exc)
