"""The money domains' background jobs, run in-process by the app's lifespan.

* payouts of approved withdrawals: polled every ``poll_seconds`` and woken at once after an
  approval commits in this process (another process's approvals wait for the next poll);
* housekeeping every ``housekeeping_seconds``: expired deposits, expired bonuses, and VIP
  cashback for each operator's last complete period (paid once, so re-running is harmless).

Every job is safe with several workers running: payouts are claimed with SKIP LOCKED and a
lease, the others re-check state under row locks or unique keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

import asyncpg
import structlog

from croupier.bonuses import service as bonuses
from croupier.config import Settings
from croupier.db.pool import unit_of_work
from croupier.payments import deposit_outcomes
from croupier.payments.payouts import process_payouts
from croupier.vip import cashback

log = structlog.get_logger("croupier.payments.worker")
_RUNNING: set[PaymentWorker] = set()


def wake_payout_workers() -> None:
    """Ask this process's workers to look for payouts now (after an approval commits)."""
    for worker in _RUNNING:
        worker.wake()


class PaymentWorker:
    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: Settings,
        *,
        poll_seconds: float = 2.0,
        housekeeping_seconds: float = 60.0,
    ) -> None:
        self.pool = pool
        self.settings = settings
        self.poll_seconds = poll_seconds
        self.housekeeping_seconds = housekeeping_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_housekeeping = 0.0

    async def start(self) -> None:
        _RUNNING.add(self)
        self._task = asyncio.create_task(self._loop(), name="croupier-payment-worker")

    async def stop(self) -> None:
        _RUNNING.discard(self)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        self._wake.set()

    async def run_once(self) -> None:
        await self._guarded("payouts", lambda: process_payouts(self.pool, self.settings))
        if time.monotonic() - self._last_housekeeping >= self.housekeeping_seconds:
            self._last_housekeeping = time.monotonic()
            await self._guarded("deposit_expiry", self._in_unit(deposit_outcomes.expire_due))
            await self._guarded("bonus_expiry", self._in_unit(bonuses.expire_due))
            await self._guarded("vip_cashback", lambda: cashback.run_due(self.pool))

    async def _loop(self) -> None:
        while True:
            await self.run_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
            self._wake.clear()

    def _in_unit(
        self, job: Callable[[asyncpg.Connection], Awaitable[object]]
    ) -> Callable[[], Awaitable[object]]:
        async def run() -> object:
            async with unit_of_work(self.pool) as uow:
                return await job(uow.conn)

        return run

    async def _guarded(self, name: str, job: Callable[[], Awaitable[object]]) -> None:
        # A failing job is logged and retried on the next round; it must not stop the others.
        try:
            await job()
        except Exception:
            log.exception("payment_job_failed", job=name)
