"""A connection killed in the middle of a transfer leaves nothing behind; the retry applies once."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from croupier.db.pool import asyncpg_dsn
from croupier.ledger import service as ledger
from croupier.ledger.service import Leg
from tests.ledger.helpers import Books, assert_audit_ok


async def _move(
    conn: asyncpg.Connection, books: Books, payer: int, payee: int
) -> ledger.TransferResult:
    return await ledger.post(
        conn,
        operator_id=books.operator_id,
        type="p2p",
        idempotency_key="killed-mid-transfer",
        request={"amount": 30},
        legs=[Leg(payer, -30), Leg(payee, 30)],
    )


async def _state(pool: asyncpg.Pool) -> list[tuple]:
    rows = await pool.fetch(
        "SELECT id, balance, reserved, version FROM ledger_accounts ORDER BY id"
    )
    counts = await pool.fetchrow(
        "SELECT (SELECT count(*) FROM ledger_transfers) t, (SELECT count(*) FROM ledger_entries) e"
    )
    return [tuple(r) for r in rows] + [tuple(counts)]


async def _wait_until_blocked(pool: asyncpg.Pool, pid: int) -> None:
    for _ in range(500):
        waiting = await pool.fetchval(
            "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1", pid
        )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the transfer never reached the lock")


class TestConnectionKilledMidTransfer:
    async def test_nothing_is_half_written_and_the_retry_applies_once(
        self, pool: asyncpg.Pool, books: Books, database_url: str
    ) -> None:
        async with pool.acquire() as conn:
            payer, payee = await books.player(conn), await books.player(conn)
            await books.fund(conn, payer.cash_id, 100)
        before = await _state(pool)

        # The payer (lower id) is debited first; the payee's row is held by another session,
        # so the transfer stops half-way: key claimed, payer debited, payee not yet credited.
        assert payer.cash_id < payee.cash_id
        victim = await asyncpg.connect(asyncpg_dsn(database_url))
        async with pool.acquire() as blocker, blocker.transaction():
            await blocker.execute(
                "SELECT 1 FROM ledger_accounts WHERE id = $1 FOR UPDATE", payee.cash_id
            )

            async def transfer() -> None:
                await victim.execute("BEGIN")  # never committed: the session dies first
                await _move(victim, books, payer.cash_id, payee.cash_id)

            task = asyncio.create_task(transfer())
            await _wait_until_blocked(pool, victim.get_server_pid())
            assert await pool.fetchval("SELECT pg_terminate_backend($1)", victim.get_server_pid())
            with pytest.raises((asyncpg.AdminShutdownError, asyncpg.ConnectionDoesNotExistError)):
                await task
        await victim.close()
        assert await _state(pool) == before

        async with pool.acquire() as conn:
            retried = await _move(conn, books, payer.cash_id, payee.cash_id)
            again = await _move(conn, books, payer.cash_id, payee.cash_id)
        assert (retried.status, retried.replayed) == ("posted", False)
        assert (again.transfer_id, again.replayed) == (retried.transfer_id, True)
        assert retried.balances == {payer.cash_id: 70, payee.cash_id: 30}
        claimed = await pool.fetchval(
            "SELECT count(*) FROM ledger_transfers WHERE idempotency_key = $1",
            "killed-mid-transfer",
        )
        assert claimed == 1
        await assert_audit_ok(pool)
