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
``in_flight`` batches at a time per process; the queue is ``kit.batching``'s).

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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
import structlog
from prometheus_client import Counter, Histogram

from croupier.bets import bulk, queries
from croupier.bets.spin import SpinRequest, SpinResult, spin
from croupier.db.pool import unit_of_work
from croupier.kit.batching import BatchQueue, Pending
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
class _OneRound:
    """bulk.Player: the one round a live spin asks for."""

    operator_id: int
    player_id: int
    plan: bulk.PlannedRound | None

    def next_round(self, last: bulk.PlayedRound | None) -> bulk.PlannedRound | None:
        plan, self.plan = self.plan, None
        return plan


@dataclass
class SpinBatcher(BatchQueue[SpinRequest, SpinResult]):
    # Its own connections: a request waiting here holds one of the app's.
    pool: asyncpg.Pool = field(kw_only=True)
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
        return await self.submit(request.player_id, request, inline)

    async def close(self) -> None:
        """Let the running batches finish (their spins are answered), then close the pool."""
        await self.drain()
        await self.pool.close()

    async def _play(self, batch: list[Pending[SpinRequest, SpinResult]]) -> None:
        if len(batch) == 1:  # the lone spin is cheaper than a batch of one
            self.played_alone += 1
            await self._answer_alone(batch[0])
            return
        alone: list[Pending[SpinRequest, SpinResult]] = []
        played: list[tuple[Pending[SpinRequest, SpinResult], bulk.RunReport]] = []
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
            self.answer(
                pending, SpinResult(report.bets[0], report.assessments[0], report.safety_ms)
            )
        await asyncio.gather(*(self._answer_alone(p) for p in alone))

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
