"""Provider callbacks played together: concurrent stakes and payouts of different players share
a unit of work (``providers.service.many``), as live spins do (``bets.batcher``).

A callback that finds the batcher idle is played at once by the lone path, in a unit of work of
its own, so batching costs nothing when idle. Callbacks that arrive while others are being
written wait here and are played as one batch, one per player (``kit.batching``: what a batch
leaves, or a batch that failed, is played by the lone path, so its answer is exactly the lone
path's).

This module owns units of work (it commits), like the request dependency: it is the callback
endpoints' plumbing, not a service.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from croupier.db.pool import unit_of_work
from croupier.kit.batching import BatchQueue
from croupier.providers.schemas import DebitIn
from croupier.providers.service import credit, debit
from croupier.providers.service.many import Call, apply_many
from croupier.providers.service.outcomes import Outcome


async def play_alone(pool: asyncpg.Pool, call: Call) -> Outcome:
    """The lone path: one callback in a unit of work of its own."""
    async with unit_of_work(pool) as uow:  # commits before the response is sent
        if isinstance(call.body, DebitIn):
            return await debit.debit(uow.conn, call.caller, call.body)
        return await credit.credit(uow.conn, call.caller, call.body)


@dataclass
class CallbackBatcher(BatchQueue[Call, Outcome]):
    name = "callbacks"

    async def play(self, call: Call, app_pool: asyncpg.Pool) -> Outcome:
        """Play a stake or payout; the key is the player, so each player's calls are played
        in turn. Played alone on ``app_pool`` when nothing else is being played here."""
        return await self.submit(call.body.user_id, call, lambda: play_alone(app_pool, call))

    async def _apply(self, conn: asyncpg.Connection, requests: list[Call]) -> list[Outcome | None]:
        return await apply_many(conn, requests)

    async def _alone(self, request: Call) -> Outcome:
        return await play_alone(self.pool, request)
