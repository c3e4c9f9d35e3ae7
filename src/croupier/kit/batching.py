"""Requests played together: the queue behind the spin and callback batchers.

A request that finds the queue idle is played at once, by the caller's ``inline`` (so batching
costs nothing when idle); requests that arrive while others are being played wait here and are
handed to :meth:`BatchQueue._play` together, at most ``max_size`` at a time and ``in_flight``
batches at once. A batch holds at most one request per key (a player), and never a key that is
in a running batch, so one key's requests are played one after the other, in arrival order.

Subclasses say how a batch is played (``_play``) and how one request is played by itself
(``_alone``), and answer each request with :meth:`BatchQueue.answer` or :meth:`BatchQueue.fail`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Req = TypeVar("Req")
Res = TypeVar("Res")


@dataclass
class Pending(Generic[Req, Res]):
    key: Hashable
    request: Req
    future: asyncio.Future[Res]


@dataclass
class BatchQueue(Generic[Req, Res]):
    max_size: int = 32
    in_flight: int = 2
    _queue: deque[Pending[Req, Res]] = field(default_factory=deque)
    _busy: set[Hashable] = field(default_factory=set)  # keys in a running batch
    _inline: bool = False  # a request is being played in its caller's own unit of work
    _running: set[asyncio.Task[None]] = field(default_factory=set)

    async def _play(self, batch: list[Pending[Req, Res]]) -> None:
        raise NotImplementedError

    async def _alone(self, request: Req) -> Res:
        """One request played by itself (what a batch leaves, or a batch that failed)."""
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

    async def drain(self) -> None:
        """Let the running batches finish (their requests are answered)."""
        while self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

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
