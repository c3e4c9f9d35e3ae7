"""The spin's bonus hooks: the max bet while a bonus is active, and wagering progress.

Both run on every spin, so each is one statement in the common case (no grant completes).
"""

from __future__ import annotations

import asyncpg

from croupier.bonuses import grants
from croupier.bonuses import queries as q
from croupier.ledger import service as ledger
from croupier.ledger.service import PLAYER_BONUS


async def record_wager(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    game_id: int,
    game_key: str,
    stake_cash: int,
    stake_bonus: int,
    round_ref: str,
    active_grants: bool = True,
) -> None:
    """Count a settled stake toward every live requirement (weighted by the game); complete the
    ones it meets (a money grant converts to cash). Call it after the round's win is credited:
    a grant whose bonus money is all spent is closed as lost, and the win may refill it.
    ``active_grants=False`` (the spin read none at its start) skips the queries: with no
    active grant there is nothing to count toward or close."""
    stake = stake_cash + stake_bonus
    if stake <= 0 or not active_grants:
        return
    for touched in await q.add_wagering(conn, player_id, game_key, stake):
        met = touched["wagering_progress"] >= touched["wagering_required"]
        if met and touched["free_spins_left"] == 0:
            await q.lock_player_bonuses(conn, player_id)
            grant = await q.grant_for_update(conn, touched["id"])
            if grant is not None and grant["status"] == "active":
                await grants.complete(conn, grant)
    if stake_bonus > 0:
        await _close_if_spent(conn, player_id)


async def _close_if_spent(conn: asyncpg.Connection, player_id: int) -> None:
    grant = await q.active_money_grant(conn, player_id)
    if grant is None or grant["free_spins_left"] > 0:
        return
    (bonus,) = await ledger.find_accounts(
        conn,
        operator_id=grant["operator_id"],
        owner_id=player_id,
        kinds=[PLAYER_BONUS],
        currency=grant["currency"],
    )
    if bonus.balance == 0:
        await grants.end(conn, grant, status="lost", reason="bonus_balance_spent")


async def deposit_wagering_remaining(conn: asyncpg.Connection, *, player_id: int) -> int:
    """What is still to be wagered on the player's deposits before a withdrawal."""
    return await q.deposit_wagering_remaining(conn, player_id)
