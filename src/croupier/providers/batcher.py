"""Provider callbacks played together: concurrent stakes and payouts of different players share
a unit of work (``providers.service.many``), as live spins do (``bets.batcher``).

A callback that finds the batcher idle is played at once by the lone path, in a unit of work of
its own, so batching costs nothing when idle. Callbacks that arrive while others are being
written wait here (``kit.batching``) and are played as one batch, one per player. Whatever the
batch leaves, and every call of a batch that failed as a whole (nothing of it was committed),
is then played by the lone path in a unit of work of its own, so its answer is exactly the lone
path's. The batch commits before any of its calls is answered.

This module owns units of work (it commits), like the request dependency: it is the callback
endpoints' plumbing, not a service.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import asyncpg
import structlog
from prometheus_client import Counter, Histogram

from croupier.db.pool import unit_of_work
from croupier.kit.batching import BatchQueue, Pending
from croupier.providers.schemas import DebitIn
from croupier.providers.service import credit, debit
from croupier.providers.service.many import Call, apply_many
from croupier.providers.service.outcomes import Outcome

log = structlog.get_logger("croupier.providers.batcher")
BATCH_SIZE = Histogram(
    "croupier_callback_batch_size",
    "Provider callbacks per batch written by the callback batcher",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)
PLAYED_ALONE = Counter(
    "croupier_callbacks_played_alone_total",
    "Batched provider callbacks played alone instead (replay, rejection, failed batch)",
    ["reason"],
)


async def play_alone(pool: asyncpg.Pool, call: Call) -> Outcome:
    """The lone path: one callback in a unit of work of its own."""
    async with unit_of_work(pool) as uow:  # commits before the response is sent
        if isinstance(call.body, DebitIn):
            return await debit.debit(uow.conn, call.caller, call.body)
        return await credit.credit(uow.conn, call.caller, call.body)


@dataclass
class CallbackBatcher(BatchQueue[Call, Outcome]):
    # Its own connections: a request waiting here holds none of the app's.
    pool: asyncpg.Pool = field(kw_only=True)
    # What the batcher did, for tests and the benchmark (Prometheus has the same figures).
    batches: int = 0
    largest_batch: int = 0
    played_alone: int = 0

    async def play(self, call: Call, app_pool: asyncpg.Pool) -> Outcome:
        """Play a stake or payout; the key is the player, so each player's calls are played
        in turn. Played alone on ``app_pool`` when nothing else is being played here."""
        return await self.submit(call.body.user_id, call, lambda: play_alone(app_pool, call))

    async def close(self) -> None:
        await self.drain()
        await self.pool.close()

    async def _play(self, batch: list[Pending[Call, Outcome]]) -> None:
        if len(batch) == 1:  # the lone path is cheaper than a batch of one
            self.played_alone += 1
            await self._answer_alone(batch[0])
            return
        outcomes: list[Outcome | None] = [None] * len(batch)
        try:
            # Any error rolls the whole batch back: its calls are then played alone.
            async with self.pool.acquire() as conn, conn.transaction():
                outcomes = await apply_many(conn, [pending.request for pending in batch])
        except Exception:
            log.warning("callback_batch_failed", size=len(batch), exc_info=True)
            outcomes = [None] * len(batch)
            PLAYED_ALONE.labels("failed_batch").inc(len(batch))
        else:
            BATCH_SIZE.observe(len(batch))
            self.batches += 1
            self.largest_batch = max(self.largest_batch, len(batch))
            PLAYED_ALONE.labels("not_batchable").inc(outcomes.count(None))
        alone = [p for p, outcome in zip(batch, outcomes, strict=True) if outcome is None]
        self.played_alone += len(alone)
        for pending, outcome in zip(batch, outcomes, strict=True):
            if outcome is not None:
                self.answer(pending, outcome)
        await asyncio.gather(*(self._answer_alone(p) for p in alone))

    async def _alone(self, request: Call) -> Outcome:
        return await play_alone(self.pool, request)
