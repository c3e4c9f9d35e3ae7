"""The asyncpg connection pool and the unit of work built on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import orjson

from croupier.db.priority import lower_priority
from croupier.kit.errors import CroupierError


class PooledConnection(asyncpg.Connection):
    """A pooled connection whose release costs no round trip.

    asyncpg's default reset on release sends ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL`` after every request. Our requests keep no session state: transactions are
    always closed by the unit of work (asyncpg still rolls back one left open), settings are
    ``SET LOCAL``/``set_config(..., true)``, LISTEN lives on the realtime hub's own connection,
    and the one session-level advisory lock (a running simulation) is unlocked explicitly.
    """

    def get_reset_query(self) -> str:
        return ""


def encode_json(value: object) -> str:
    """JSON text as the json columns receive it (also for a JSON field of a row-type value,
    which asyncpg encodes in binary: the json types' codec here is a text one)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


async def _init_connection(conn: asyncpg.Connection) -> None:
    # JSON columns come back as Python objects and go in from dicts/lists.
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name, encoder=encode_json, decoder=orjson.loads, schema="pg_catalog"
        )


def asyncpg_dsn(url: str) -> str:
    """Accept SQLAlchemy-style URLs too (``postgresql+asyncpg://``)."""
    for prefix in ("postgresql+asyncpg://", "postgresql+psycopg://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


async def create_pool(
    url: str, *, min_size: int = 2, max_size: int = 20, background_nice: int = 0
) -> asyncpg.Pool:
    """``background_nice`` (1-19): a pool for background work, whose backends run at that lower
    CPU priority when they can be reniced (``db.priority``); 0 for normal priority."""

    async def init(conn: asyncpg.Connection) -> None:
        await _init_connection(conn)
        if background_nice:
            await lower_priority(conn, background_nice)

    return await asyncpg.create_pool(
        asyncpg_dsn(url),
        min_size=min_size,
        max_size=max_size,
        init=init,
        connection_class=PooledConnection,
        command_timeout=60,
    )


@dataclass
class UnitOfWork:
    """One database transaction for one request or job.

    Domain code receives the unit of work and runs SQL on ``conn``; it never commits. The owner
    (the request dependency or a job wrapper) commits once everything succeeded, before any
    response leaves, and rolls everything back on any error. Callbacks registered with
    ``after_commit`` run only once the commit is durable.
    """

    conn: asyncpg.Connection
    _after_commit: list[Any] = field(default_factory=list)

    def after_commit(self, callback: Any) -> None:
        self._after_commit.append(callback)


@asynccontextmanager
async def unit_of_work(pool: asyncpg.Pool) -> AsyncIterator[UnitOfWork]:
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        uow = UnitOfWork(conn=conn)
        try:
            yield uow
        except CroupierError as exc:
            await (tx.commit() if exc.commit_work else tx.rollback())
            raise
        except BaseException:
            await tx.rollback()
            raise
        else:
            await tx.commit()
    for callback in uow._after_commit:
        result = callback()
        if hasattr(result, "__await__"):
            await result
