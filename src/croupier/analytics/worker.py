"""The analytics tailer: folds committed ledger transfers into the event stream and rollups.

Every process runs ``run_forever``; a transaction-level advisory lock lets one of them fold at a
time, while each flushes its own buffer of API error counts. A fold is one transaction: events,
rollups, sessions, funnel, watermark and live pushes commit together or not at all.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import asyncpg
import structlog

from croupier.analytics import api_errors, events, live, rollups, rtp_monitor

log = structlog.get_logger("croupier.analytics")

LOCK_KEY = 0x616E616C79746963  # "analytic"
MAX_TRANSFERS = 5_000  # per fold: short folds; a backlog is worked off in consecutive ones
INTERVAL_SECONDS = 1.0
CONFIG_SYNC_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class Fold:
    transfers_upto: str  # the new watermark
    events: int
    caught_up: bool


async def fold_once(conn: asyncpg.Connection) -> Fold | None:
    """One fold inside the caller's transaction; None if another process holds the lock."""
    if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", LOCK_KEY):
        return None
    await rollups.custom_plans(conn)
    # Every transaction below the horizon has finished: what it wrote is visible now, or never.
    horizon = await conn.fetchval("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")
    await conn.execute(
        "INSERT INTO an_state (id, xid_cursor) VALUES (1, '1') ON CONFLICT (id) DO NOTHING"
    )
    cursor = await conn.fetchval("SELECT xid_cursor::text FROM an_state WHERE id = 1")
    upper = await conn.fetchval(
        """SELECT created_xid::text FROM ledger_transfers
           WHERE created_xid >= $1::text::xid8 AND created_xid < $2::text::xid8
           ORDER BY created_xid OFFSET $3 LIMIT 1""",
        cursor,
        horizon,
        MAX_TRANSFERS,
    )
    caught_up = upper is None
    if upper == cursor:  # one transaction wrote more than a batch: fold all of it at once
        upper = await conn.fetchval(
            """SELECT coalesce(min(created_xid), $2::text::xid8)::text FROM ledger_transfers
               WHERE created_xid > $1::text::xid8 AND created_xid < $2::text::xid8""",
            cursor,
            horizon,
        )
    upper = upper or horizon
    if int(upper) <= int(cursor):
        return Fold(cursor, 0, True)
    appended = await events.normalise(conn, cursor, upper)
    count = 0
    if appended is not None:
        first, last = appended
        count = last - first + 1
        await rollups.fold_events(conn, first, last)
        await live.publish_fold(conn, first, last)
    await conn.execute(
        """UPDATE an_state SET xid_cursor = $1::text::xid8, folded_at = now(),
                  last_event_at = coalesce((SELECT max(occurred_at) FROM ledger_events
                                            WHERE id >= $2), last_event_at)
           WHERE id = 1""",
        upper,
        appended[0] if appended else 2**62,
    )
    return Fold(upper, count, caught_up)


async def run_once(pool: asyncpg.Pool) -> int:
    """Flush this process's API counts, then fold what is pending; returns the events appended
    (0 if nothing was pending or another process is folding)."""
    async with pool.acquire() as conn:
        await api_errors.flush(conn)
        total = 0
        while True:
            async with conn.transaction():
                fold = await fold_once(conn)
            if fold is None:
                return total
            total += fold.events
            if fold.caught_up:
                return total


async def _sync_configs(pool: asyncpg.Pool, stop_event: asyncio.Event) -> None:
    """Refresh game_configs now and then; a first sync may compute engine maths for seconds,
    so it runs beside the folds (which fall back to the catalogue RTP meanwhile)."""
    while not stop_event.is_set():
        try:
            async with pool.acquire() as conn, conn.transaction():
                await rtp_monitor.sync_game_configs(conn)
        except Exception:
            log.exception("analytics_config_sync_failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop_event.wait(), CONFIG_SYNC_SECONDS)


async def run_forever(pool: asyncpg.Pool, stop_event: asyncio.Event) -> None:
    """Fold about every second until ``stop_event`` is set; errors are logged, never fatal."""
    configs = asyncio.create_task(_sync_configs(pool, stop_event))
    try:
        while not stop_event.is_set():
            try:
                await run_once(pool)
            except Exception:  # a failed fold rolls back and is retried on the next tick
                log.exception("analytics_fold_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop_event.wait(), INTERVAL_SECONDS)
    finally:
        await configs
