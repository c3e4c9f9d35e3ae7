"""Expired vouchers give their value back to the agent that paid for them.

A voucher nobody redeemed by its ``expires_at`` can no longer be redeemed (the redeem query
checks the deadline itself, so expiry is exact to the second whether or not this has run); its
face value and bonus still sit in the agent's voucher liability. :func:`release_expired` closes
such vouchers and moves that value back to the agent's float, one transfer per voucher keyed by
the voucher, so a sweep that is retried or runs twice in parallel releases each voucher once.

It runs (a) at the start of every issue, for the issuing agent, so an agent can spend its
returned float at once, and (b) as a periodic job over every operator (``run_expiry_sweep``).
"""

from __future__ import annotations

import asyncpg
import structlog

from croupier.db.pool import unit_of_work
from croupier.vouchers import money, queries

log = structlog.get_logger("croupier.vouchers.expiry")

SWEEP_BATCH = 500


async def release_expired(
    conn: asyncpg.Connection,
    *,
    operator_id: int | None = None,
    agent_id: int | None = None,
    limit: int = SWEEP_BATCH,
) -> int:
    """Close up to ``limit`` expired vouchers (optionally of one operator or agent) and
    release their value to the agents' floats; returns how many were closed."""
    closed = await queries.close_due_vouchers(
        conn, operator_id=operator_id, agent_id=agent_id, limit=limit
    )
    for voucher in closed:
        await money.release_to_float(
            conn,
            operator_id=voucher["operator_id"],
            agent_id=voucher["agent_id"],
            currency=voucher["currency"],
            voucher_id=voucher["id"],
            amount=voucher["amount"] + voucher["bonus"],
            reason="expire",
        )
    if closed:
        log.info("vouchers_expired", count=len(closed), operator_id=operator_id)
    return len(closed)


async def run_expiry_sweep(pool: asyncpg.Pool, *, batch: int = SWEEP_BATCH) -> int:
    """The job: release every expired voucher, one committed transaction per batch, so a long
    backlog never holds locks for long. Returns the total released."""
    total = 0
    while True:
        async with unit_of_work(pool) as uow:
            released = await release_expired(uow.conn, limit=batch)
        total += released
        if released < batch:
            return total
