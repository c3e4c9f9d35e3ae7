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

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg

from croupier.bets import bulk, queries
from croupier.bets.spin import SpinRequest, SpinResult, spin
from croupier.db.pool import unit_of_work
from croupier.kit.batching import BatchQueue
from croupier.safety.support import utcnow


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
    name = "spins"

    async def spin(
        self, request: SpinRequest, inline: Callable[[], Awaitable[SpinResult]] | None = None
    ) -> SpinResult:
        """Play one live round, batched with others when the process is busy. ``inline``: the
        lone spin in the caller's own unit of work, used when nothing else is being played
        here (no second transaction then, and no hop to a batch task)."""
        if request.provably_fair or request.at is not None:
            return await (inline() if inline is not None else self._alone(request))
        return await self.submit(request.player_id, request, inline)

    async def _apply(
        self, conn: asyncpg.Connection, requests: list[SpinRequest]
    ) -> list[SpinResult | None]:
        """Replayed keys, refusals and short funds are left to the lone spin, which says why."""
        results: list[SpinResult | None] = [None] * len(requests)
        taken = await queries.taken_keys(
            conn, [(r.operator_id, r.player_id, r.idempotency_key) for r in requests]
        )
        fresh = [i for i in range(len(requests)) if i not in taken]
        if fresh:
            reports = await bulk.play(
                conn, [_one_round(requests[i]) for i in fresh],
                max_rounds=1, is_seeded=False, live=True,
            )  # fmt: skip
            for i, report in zip(fresh, reports, strict=True):
                if report.rounds:
                    results[i] = SpinResult(report.bets[0], report.assessments[0], report.safety_ms)
        return results

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
