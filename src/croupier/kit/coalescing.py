"""Look-ups of concurrent requests, read with one statement.

Some requests run one read outside any transaction before their work joins a batch (a spin's
session, a provider callback's caller), and under load that read is the one statement each
request still runs alone: a round trip per request, against one per batch for the rest. Here,
look-ups that arrive while one is being read wait for it to end and are then read together.
Nothing waits for company: a look-up that finds the reader idle is read at once. Each request
still gets a read that began after it arrived, so a row changed before it came (a session
revoked, a token superseded) is seen changed.

This module acquires pool connections itself: it is request plumbing, not a service.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import asyncpg

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass
class CoalescedReads(Generic[K, V]):
    pool: asyncpg.Pool
    # Reads every key asked for with one statement; a key missing from the result is None.
    read_many: Callable[[asyncpg.Connection, list[K]], Awaitable[Mapping[K, V]]]
    _waiting: dict[K, list[asyncio.Future[V | None]]] = field(default_factory=dict)
    _reading: asyncio.Task[None] | None = None
    # What the reader did, for tests: statements run, and look-ups answered.
    reads: int = 0
    lookups: int = 0

    async def find(self, key: K) -> V | None:
        future: asyncio.Future[V | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(future)
        if self._reading is None:
            self._reading = asyncio.create_task(self._read_all(), name=type(self).__name__)
        return await future

    async def _read_all(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, {}
                try:
                    async with self.pool.acquire() as conn:
                        rows = await self.read_many(conn, list(batch))
                except BaseException as exc:  # every waiter of this read hears it
                    _fail(batch, exc)
                    if not isinstance(exc, Exception):
                        raise  # cancelled at shutdown
                    continue
                self.reads += 1
                for key, futures in batch.items():
                    for future in futures:
                        self.lookups += 1
                        if not future.done():  # its client may have gone
                            future.set_result(rows.get(key))
        finally:
            self._reading = None


def _fail(batch: Mapping[K, list[asyncio.Future[V | None]]], exc: BaseException) -> None:
    for futures in batch.values():
        for future in futures:
            if future.done():
                continue
            if isinstance(exc, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(exc)
