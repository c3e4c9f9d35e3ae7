"""Requests played together: the queue behind the spin and callback batchers.

A request that finds the queue idle is played at once, by the caller's ``inline`` (so batching
costs nothing when idle); requests that arrive while others are being played wait here and are
handed to :meth:`BatchQueue._play` together, at most ``max_size`` at a time and ``in_flight``
batches at once. A batch holds at most one request per key (a player), and never a key that is
in a running batch, so one key's requests are played one after the other, in arrival order.

A batch runs in one transaction of the queue's own pool, and commits before any of its requests
is answered. Subclasses say what a batch does (``_apply``: a result per request, or None for one
it leaves) and how one request is played by itself in a unit of work of its own (``_alone``):
what a batch leaves, and every request of a batch that failed as a whole (nothing of it was
committed), is played that way, so its answer is exactly the lone path's.

This module owns transactions (it commits), like the request dependency: it is plumbing for
the endpoints that batch, not a service.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import ClassVar, Generic, TypeVar

import asyncpg
import structlog
from prometheus_client import Counter, Histogram

log = structlog.get_logger("croupier.kit.batching")
BATCH_SIZE = Histogram(
    "croupier_batch_size",
    "Requests per batch written by a batcher",
    ["batcher"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)
PLAYED_ALONE = Counter(
    "croupier_batched_played_alone_total",
    "Requests sent to a batcher and played alone instead (left by the batch, failed batch)",
    ["batcher", "reason"],
)

Req = TypeVar("Req")
Res = TypeVar("Res")


@dataclass
class Pending(Generic[Req, Res]):
    key: Hashable
    request: Req
    future: asyncio.Future[Res]


@dataclass
class BatchQueue(Generic[Req, Res]):
    name: ClassVar[str]  # for logs and metrics
    # Its own connections: a request waiting here holds none of the app's.
    pool: asyncpg.Pool = field(kw_only=True)
    max_size: int = 32
    in_flight: int = 2
    # What the batcher did, for tests and the benchmarks (Prometheus has the same figures).
    batches: int = 0
    largest_batch: int = 0
    played_alone: int = 0
    _queue: deque[Pending[Req, Res]] = field(default_factory=deque)
    _busy: set[Hashable] = field(default_factory=set)  # keys in a running batch
    _inline: bool = False  # a request is being played in its caller's own unit of work
    _running: set[asyncio.Task[None]] = field(default_factory=set)

    async def _apply(self, conn: asyncpg.Connection, requests: list[Req]) -> list[Res | None]:
        """Play the batch in ``conn``'s transaction: a result per request, None for one left
        to :meth:`_alone`."""
        raise NotImplementedError

    async def _alone(self, request: Req) -> Res:
        """One request played by itself, in a unit of work of its own."""
        raise NotImplementedError

    async def submit(
        self, key: Hashable, request: Req, inline: Callable[[], Awaitable[Res]] | None = None
    ) -> Res:
        """Play ``request``, batched with others' when this process is busy; ``inline`` plays
        it alone when nothing else is being played here (no hop to a batch task then)."""
        if inline is not None and not (self._queue or self._running or self._inline):
            self._inline = True
            self._busy.add(key)
            try:
                return await inline()
            finally:
                self._inline = False
                self._busy.discard(key)
                self._start()
        future: asyncio.Future[Res] = asyncio.get_running_loop().create_future()
        self._queue.append(Pending(key, request, future))
        self._start()
        return await future

    async def close(self) -> None:
        """Let the running batches finish (their requests are answered), then close the pool."""
        while self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        await self.pool.close()

    async def _play(self, batch: list[Pending[Req, Res]]) -> None:
        if len(batch) == 1:  # alone is cheaper than a batch of one
            self.played_alone += 1
            await self._answer_alone(batch[0])
            return
        try:
            # Any error rolls the whole batch back (even a rejection a lone request would
            # have stored and committed): its requests are then played alone.
            async with self.pool.acquire() as conn, conn.transaction():
                results = await self._apply(conn, [pending.request for pending in batch])
        except Exception:
            log.warning("batch_failed", batcher=self.name, size=len(batch), exc_info=True)
            results = [None] * len(batch)
            PLAYED_ALONE.labels(self.name, "failed_batch").inc(len(batch))
        else:
            BATCH_SIZE.labels(self.name).observe(len(batch))
            self.batches += 1
            self.largest_batch = max(self.largest_batch, len(batch))
            PLAYED_ALONE.labels(self.name, "not_batchable").inc(results.count(None))
        alone = []
        for pending, result in zip(batch, results, strict=True):
            if result is None:
                alone.append(pending)
            else:
                self.answer(pending, result)
        self.played_alone += len(alone)
        await asyncio.gather(*(self._answer_alone(pending) for pending in alone))

    async def _answer_alone(self, pending: Pending[Req, Res]) -> None:
        try:
            result = await self._alone(pending.request)
        except Exception as exc:
            self.fail(pending, exc)
        else:
            self.answer(pending, result)

    @staticmethod
    def answer(pending: Pending[Req, Res], result: Res) -> None:
        if not pending.future.done():
            pending.future.set_result(result)

    @staticmethod
    def fail(pending: Pending[Req, Res], exc: BaseException) -> None:
        if not pending.future.done():
            if isinstance(exc, asyncio.CancelledError):
                pending.future.cancel()
            else:
                pending.future.set_exception(exc)

    def _start(self) -> None:
        while self._queue and len(self._running) < self.in_flight:
            if self._running and len(self._queue) < self.max_size // 4:
                # A second batch overlaps the running one's round trips, but a batch of a few
                # requests costs almost as much as a full one: let the queue fill until its end.
                return
            batch = self._take()
            if not batch:
                return  # every queued key is in a running batch; its end starts the next
            task = asyncio.create_task(self._run(batch), name=f"{type(self).__name__}-batch")
            self._running.add(task)

    def _take(self) -> list[Pending[Req, Res]]:
        batch: list[Pending[Req, Res]] = []
        waiting: deque[Pending[Req, Res]] = deque()
        while self._queue and len(batch) < self.max_size:
            pending = self._queue.popleft()
            if pending.future.done():  # the client went away before its turn
                continue
            if pending.key in self._busy:
                waiting.append(pending)
            else:
                self._busy.add(pending.key)
                batch.append(pending)
        self._queue.extendleft(reversed(waiting))
        return batch

    async def _run(self, batch: list[Pending[Req, Res]]) -> None:
        try:
            await self._play(batch)
        except BaseException as exc:  # cancelled at shutdown: nobody is left unanswered
            for pending in batch:
                self.fail(pending, exc)
            raise
        finally:
            for pending in batch:
                self._busy.discard(pending.key)
            self._running.discard(asyncio.current_task())  # type: ignore[arg-type]
            self._start()
