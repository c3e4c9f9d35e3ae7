"""Jackpot rules: contributions, the stake-weighted trigger, and paying a pool exactly once.

Money: each operator's contributions sit in its own ``jackpot_pool`` ledger account for the
pool (insert-only, so every spin can contribute without locking a shared row). A pool's value is
its seed plus every operator's account balance. When a player of operator W wins, each other
operator O moves its contributions to its ``jackpot_settlement`` account (a payable to W), W
books the matching receivable, and W pays the player from its own contributions, the receivable
and the seed, which W funds from its ``marketing`` account. Every transfer stays within one
operator's books, and the books of each operator balance.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import asyncpg
import structlog

from croupier.jackpots import queries
from croupier.ledger import service as ledger
from croupier.ledger.service import Leg

log = structlog.get_logger("croupier.jackpots")
_PPT = 10**12


@dataclass(frozen=True)
class JackpotWin:
    win_id: int
    pool_slug: str
    amount: int


def contribution(stake: int, contribution_bp: int) -> int:
    """The pool's share of a stake, rounded down (the house keeps the fraction)."""
    return stake * contribution_bp // 10_000


def triggered(stake: int, trigger_ppt: int) -> bool:
    """A win with probability stake × trigger_ppt / 10^12, drawn from the CSPRNG."""
    return secrets.randbelow(_PPT) < min(_PPT, stake * trigger_ppt)


async def pool_for_group(
    conn: asyncpg.Connection, group: str | None, currency: str
) -> asyncpg.Record | None:
    return await queries.pool_for_group(conn, group, currency) if group else None


async def pool_account(conn: asyncpg.Connection, *, operator_id: int, pool: asyncpg.Record) -> int:
    return await ledger.ensure_account(
        conn,
        operator_id=operator_id,
        kind="jackpot_pool",
        currency=pool["currency"],
        owner_id=pool["id"],
    )


async def pool_value(conn: asyncpg.Connection, pool: asyncpg.Record) -> int:
    total = pool["seed_amount"]
    for account in await queries.pool_accounts(conn, pool["id"]):
        total += await ledger.account_balance(conn, account["id"])
    return total


async def list_pools(conn: asyncpg.Connection) -> list[dict[str, object]]:
    pools = []
    for pool in await queries.list_pools(conn):
        pools.append({**dict(pool), "value": await pool_value(conn, pool)})
    return pools


async def try_win(
    conn: asyncpg.Connection,
    *,
    pool: asyncpg.Record,
    operator_id: int,
    player_id: int,
    player_cash_account: int,
    round_ref: str,
) -> JackpotWin | None:
    """Pay the pool to this player unless another spin won it since ``pool`` was read."""
    locked = await queries.lock_pool(conn, pool["id"])
    if locked["win_seq"] != pool["win_seq"]:
        return None  # the pool this spin triggered on has already been paid out
    win_seq = locked["win_seq"] + 1
    currency = locked["currency"]
    legs: list[Leg] = []
    received = 0
    for account in await queries.pool_accounts(conn, locked["id"]):
        balance = await ledger.account_balance(conn, account["id"])
        if balance == 0:
            continue
        if account["operator_id"] == operator_id:
            legs.append(Leg(account["id"], -balance))  # the winner's own contributions
        else:
            await _settle_other_operator(conn, account, balance, locked, win_seq, currency)
            received += balance
    if received:
        receivable = await ledger.ensure_account(
            conn,
            operator_id=operator_id,
            kind="jackpot_settlement",
            currency=currency,
            owner_id=locked["id"],
        )
        legs.append(Leg(receivable, -received))
    if locked["seed_amount"]:
        marketing = await ledger.ensure_account(
            conn, operator_id=operator_id, kind="marketing", currency=currency
        )
        legs.append(Leg(marketing, -locked["seed_amount"]))
    amount = -sum(leg.amount for leg in legs)
    if amount == 0:
        return None  # an empty pool with no seed has nothing to pay
    legs.append(Leg(player_cash_account, amount))
    key = f"jackpot:{locked['slug']}:{win_seq}"
    await ledger.post(
        conn,
        operator_id=operator_id,
        type="jackpot_win",
        idempotency_key=key,
        request={"pool": locked["slug"], "winSeq": win_seq, "player": player_id, "amount": amount},
        legs=legs,
        reference=round_ref,
    )
    win_id = await queries.record_win(
        conn,
        pool_id=locked["id"],
        win_seq=win_seq,
        operator_id=operator_id,
        player_id=player_id,
        amount=amount,
    )
    log.info("jackpot_won", pool=locked["slug"], player_id=player_id, amount=amount)
    return JackpotWin(win_id, locked["slug"], amount)


async def _settle_other_operator(
    conn: asyncpg.Connection,
    account: asyncpg.Record,
    balance: int,
    pool: asyncpg.Record,
    win_seq: int,
    currency: str,
) -> None:
    """In operator O's books: its contributions become a payable to the winning operator."""
    payable = await ledger.ensure_account(
        conn,
        operator_id=account["operator_id"],
        kind="jackpot_settlement",
        currency=currency,
        owner_id=pool["id"],
    )
    await ledger.post(
        conn,
        operator_id=account["operator_id"],
        type="jackpot_settlement",
        idempotency_key=f"jackpot:{pool['slug']}:{win_seq}:settle:{account['operator_id']}",
        request={"pool": pool["slug"], "winSeq": win_seq, "amount": balance},
        legs=[Leg(account["id"], -balance), Leg(payable, balance)],
    )


async def attach_bet(conn: asyncpg.Connection, win: JackpotWin, bet_id: int) -> None:
    await queries.attach_bet(conn, win.win_id, bet_id)


async def ensure_pool(
    conn: asyncpg.Connection,
    *,
    slug: str,
    group: str,
    name: str,
    currency: str,
    seed_amount: int,
    contribution_bp: int,
    trigger_ppt: int,
) -> asyncpg.Record:
    return await queries.insert_pool(
        conn,
        slug=slug,
        group=group,
        name=name,
        currency=currency,
        seed_amount=seed_amount,
        contribution_bp=contribution_bp,
        trigger_ppt=trigger_ppt,
    )
