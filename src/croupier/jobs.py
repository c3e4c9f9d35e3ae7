"""Periodic in-process jobs (expiry sweeps, workers), started by the app's lifespan.

Each job owns its concurrency (row locks with SKIP LOCKED, advisory locks), so running it in every
worker process is safe; a failing run is logged and retried at the next tick.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import structlog

log = structlog.get_logger("croupier.jobs")

JobFunction = Callable[[asyncpg.Pool], Awaitable[object]]


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every_seconds: float
    run: JobFunction


class JobRunner:
    def __init__(self, pool: asyncpg.Pool, jobs: list[PeriodicJob]) -> None:
        self._pool = pool
        self._jobs = jobs
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._loop(job), name=job.name) for job in self._jobs]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self, job: PeriodicJob) -> None:
        while True:
            try:
                await job.run(self._pool)
            except asyncio.CancelledError:
                raise
            except Exception:  # keep the loop alive; the next tick retries
                log.exception("job_failed", job=job.name)
            await asyncio.sleep(job.every_seconds)
