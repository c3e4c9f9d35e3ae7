"""Session look-ups of concurrent requests, read with one statement.

A spin's request looks up its session outside any transaction (``web.deps``), and under load
that read is the one statement every spin still runs alone: a round trip per spin, against one
per batch for everything else. Look-ups that arrive while one is being read wait for it to end
and are then read together (``token_hash = ANY(...)``). Nothing waits for company: a look-up that
finds the reader idle is read at once. Each request still gets a read that began after it
arrived, so a session revoked before the request came is never accepted.

This module acquires pool connections itself, like the spin batcher: it is request plumbing,
not a service.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import asyncpg

from croupier.auth import queries

_Waiters = dict[bytes, list["asyncio.Future[asyncpg.Record | None]"]]


@dataclass
class SessionReader:
    pool: asyncpg.Pool
    _waiting: _Waiters = field(default_factory=dict)
    _reading: asyncio.Task[None] | None = None
    # What the reader did, for tests: statements run, and look-ups answered.
    reads: int = 0
    lookups: int = 0

    async def find(self, token_hash: bytes) -> asyncpg.Record | None:
        """The live session of this token (``queries.find_session``'s row), or None."""
        future: asyncio.Future[asyncpg.Record | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(token_hash, []).append(future)
        if self._reading is None:
            self._reading = asyncio.create_task(self._read_all(), name="session-reader")
        return await future

    async def _read_all(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, {}
                try:
                    async with self.pool.acquire() as conn:
                        rows = await queries.find_sessions(conn, list(batch))
                except BaseException as exc:  # every waiter of this read hears it
                    _fail(batch, exc)
                    if not isinstance(exc, Exception):
                        raise  # cancelled at shutdown
                    continue
                self.reads += 1
                for token_hash, futures in batch.items():
                    for future in futures:
                        self.lookups += 1
                        if not future.done():  # its client may have gone
                            future.set_result(rows.get(token_hash))
        finally:
            self._reading = None


def _fail(batch: _Waiters, exc: BaseException) -> None:
    for futures in batch.values():
        for future in futures:
            if future.done():
                continue
            if isinstance(exc, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(exc)
