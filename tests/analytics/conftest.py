"""The analytics suite's helpers: folding until caught up, and ledger transfers posted the way
the money domains post them."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from croupier.analytics import rtp_monitor, worker
from croupier.db.pool import unit_of_work
from croupier.ledger import service as ledger
from croupier.ledger.service import Leg
from croupier.wallets import service as wallets


async def fold(pool: asyncpg.Pool) -> None:
    """Sync game configs, then fold until everything committed so far is folded (by this call
    or by the app's own analytics loop, whichever holds the lock)."""
    async with pool.acquire() as conn, conn.transaction():
        await rtp_monitor.sync_game_configs(conn)
    async with pool.acquire() as conn:
        target = int(await conn.fetchval("SELECT pg_snapshot_xmax(pg_current_snapshot())::text"))
    for _ in range(400):
        await worker.run_once(pool)
        async with pool.acquire() as conn:
            cursor = await conn.fetchval("SELECT xid_cursor::text FROM an_state WHERE id = 1")
        if cursor is not None and int(cursor) >= target:
            return
        await asyncio.sleep(0.025)
    raise AssertionError("the analytics tailer did not catch up")


async def deposit(
    pool: asyncpg.Pool, operator_id: int, player_id: int, amount: int, key: str
) -> int:
    """A completed deposit as the payments domain books it: world -> player cash."""
    async with unit_of_work(pool) as uow:
        world = await ledger.ensure_account(
            uow.conn, operator_id=operator_id, kind="world", currency="USD"
        )
        result = await wallets.credit(
            uow.conn,
            operator_id=operator_id,
            player_id=player_id,
            amount=amount,
            from_account_id=world,
            type="deposit",
            idempotency_key=f"test-deposit:{key}",
            request={"amount": amount},
            reference=f"deposit:{key}",
        )
    return result.transfer_id


async def withdraw(
    pool: asyncpg.Pool, operator_id: int, player_id: int, amount: int, key: str
) -> None:
    """A paid withdrawal: hold the cash, then post the hold to payment clearing."""
    async with unit_of_work(pool) as uow:
        hold = await wallets.hold_cash(
            uow.conn,
            operator_id=operator_id,
            player_id=player_id,
            currency="USD",
            amount=amount,
            idempotency_key=f"test-wd:{key}",
            request={"amount": amount},
        )
        clearing = await ledger.ensure_account(
            uow.conn, operator_id=operator_id, kind="payment_clearing", currency="USD"
        )
        await wallets.post_hold(
            uow.conn,
            operator_id=operator_id,
            hold_id=hold.transfer_id,
            to_account_id=clearing,
            idempotency_key=f"test-wd:{key}:post",
        )


class Provider:
    """Provider rounds as croupier.providers books them: cash against provider clearing, with the
    provider's round as reference and the game in the metadata."""

    def __init__(self, pool: asyncpg.Pool, operator_id: int, game_id: int) -> None:
        self.pool, self.operator_id, self.game_id = pool, operator_id, game_id

    async def _clearing(self, conn: asyncpg.Connection) -> int:
        return await ledger.ensure_account(
            conn, operator_id=self.operator_id, kind="provider_clearing", currency="USD", owner_id=1
        )

    def _meta(self, round_ref: str) -> dict[str, Any]:
        return {"provider": "acme", "game_id": self.game_id, "round": round_ref}

    async def bet(self, player_id: int, round_ref: str, amount: int) -> int:
        async with unit_of_work(self.pool) as uow:
            debit = await wallets.debit(
                uow.conn,
                operator_id=self.operator_id,
                player_id=player_id,
                amount=amount,
                to_account_id=await self._clearing(uow.conn),
                type="bet",
                idempotency_key=f"prov:acme:{round_ref}:bet",
                request={"amount": amount},
                reference=f"prov:acme:{round_ref}",
                metadata=self._meta(round_ref),
                use_bonus=False,
            )
        return debit.result.transfer_id

    async def pay(
        self,
        player_id: int,
        round_ref: str,
        amount: int,
        type: str = "win",
        reverses: int | None = None,
    ) -> None:
        async with unit_of_work(self.pool) as uow:
            (cash,) = await ledger.ensure_accounts(
                uow.conn,
                operator_id=self.operator_id,
                owner_id=player_id,
                kinds=["player_cash"],
                currency="USD",
            )
            await ledger.post(
                uow.conn,
                operator_id=self.operator_id,
                type=type,
                idempotency_key=f"prov:acme:{round_ref}:{type}",
                request={"amount": amount},
                legs=[Leg(await self._clearing(uow.conn), -amount), Leg(cash.id, amount)],
                reference=f"prov:acme:{round_ref}",
                metadata=self._meta(round_ref),
                reverses_id=reverses,
            )
