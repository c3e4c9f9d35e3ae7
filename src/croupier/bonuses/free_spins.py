"""Free spins: consumed one at a time by the spin, their winnings paid as bonus money.

A free spin's stake is marketing's (the spin posts marketing → house); its win is paid by the
house like any win, into the player's bonus balance, and must be wagered ``multiplier``× before
it converts to cash.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from croupier.bonuses import grants
from croupier.bonuses import queries as q
from croupier.ledger import service as ledger
from croupier.ledger.service import PLAYER_BONUS
from croupier.wallets import service as wallets


@dataclass(frozen=True, slots=True)
class FreeSpin:
    grant_id: int
    stake_value: int


async def settle_free_spin(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    free_spin: FreeSpin,
    win: int,
    round_ref: str,
) -> None:
    """Pay the win as bonus money and add it to the grant's wagering; after the last spin, a
    grant with nothing left to wager completes (and converts)."""
    grant = await q.grant_for_update(conn, free_spin.grant_id)
    assert grant is not None and grant["status"] == "active"  # taken in this transaction
    if win > 0:
        house = await ledger.ensure_account(
            conn, operator_id=operator_id, kind="house", currency=grant["currency"]
        )
        await wallets.credit(
            conn,
            operator_id=operator_id,
            player_id=player_id,
            amount=win,
            from_account_id=house,
            type="free_spin_win",
            idempotency_key=f"freespin:{grant['id']}:{round_ref}",
            request={"grant": grant["id"], "round": round_ref, "win": win},
            to_kind=PLAYER_BONUS,
            reference=round_ref,
        )
        grant = await q.add_free_spin_win(conn, grant["id"], win)
        assert grant is not None
    if grant["free_spins_left"] == 0 and grant["wagering_progress"] >= grant["wagering_required"]:
        await grants.complete(conn, grant)
    else:
        await grants.publish(conn, grant)
