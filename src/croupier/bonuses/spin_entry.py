"""What the bonuses domain needs at the start of a spin, in one round trip.

The spin asks three things before any money moves: is there a free spin to play on this game
(and if so, take it), does an active grant cap the stake, and is there any active grant whose
wagering this stake could count toward. One statement answers all three.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from croupier.bonuses import queries as q
from croupier.bonuses.errors import BonusMaxBetError
from croupier.bonuses.free_spins import FreeSpin


@dataclass(frozen=True, slots=True)
class SpinBonuses:
    free_spin: FreeSpin | None  # taken: this round is a free spin
    max_bet: int | None  # the lowest cap among the player's active grants
    has_active_grants: bool  # if not, a cash stake cannot count toward any wagering

    def check_stake(self, stake: int) -> None:
        """Raise BonusMaxBetError (422) if an active grant caps the stake below this one."""
        if self.max_bet is not None and stake > self.max_bet:
            raise BonusMaxBetError(maxBet=self.max_bet, stake=stake)


async def open_spin(conn: asyncpg.Connection, *, player_id: int, game_id: int) -> SpinBonuses:
    row = await q.open_spin(conn, player_id, game_id)
    free_spin = None
    if row["free_grant_id"] is not None:
        free_spin = FreeSpin(row["free_grant_id"], row["free_spin_value"])
    return SpinBonuses(free_spin, row["max_bet"], row["active_grants"] > 0)
