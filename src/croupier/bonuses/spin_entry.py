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


@dataclass(frozen=True, slots=True)
class BulkEntry:
    """A player's bonus state for rounds played in bulk (read, nothing taken)."""

    max_bet: int | None
    free_spin_games: frozenset[int]  # a round on one of these takes a free spin
    # The least wagering a money grant still needs: a weighted stake never exceeds the stake,
    # so rounds staking less than this in all cannot complete one (and convert its money).
    money_wagering_left: int | None

    def check_stake(self, stake: int) -> None:
        SpinBonuses(None, self.max_bet, True).check_stake(stake)


async def peek_spins(conn: asyncpg.Connection, player_ids: list[int]) -> dict[int, BulkEntry]:
    """The players with an active grant; the others have none."""
    return {
        row["player_id"]: BulkEntry(
            row["max_bet"], frozenset(row["free_spin_games"]), row["money_wagering_left"]
        )
        for row in await q.peek_spins(conn, player_ids)
    }
