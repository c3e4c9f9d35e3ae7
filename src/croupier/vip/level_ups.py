"""Level-ups: recorded once per player and level, with the level's reward granted once.

The (player, level) primary key is the guarantee: concurrent XP gains that cross the same
threshold both try to record it, and only the one that inserts the row grants the reward.
"""

from __future__ import annotations

import asyncpg
import structlog

from croupier.bonuses import service as bonuses
from croupier.operators import service as operators
from croupier.realtime import service as realtime
from croupier.vip import queries

log = structlog.get_logger("croupier.vip")


async def record(
    conn: asyncpg.Connection, *, operator_id: int, player_id: int, before: int, after: int
) -> list[int]:
    """Record the levels an XP gain from ``before`` to ``after`` reached; returns them."""
    reached = []
    for level in await queries.levels_crossed(conn, before, after):
        if not await queries.insert_level_up(
            conn, player_id=player_id, level=level["level"], operator_id=operator_id, xp=after
        ):
            continue
        status, grant_id = await _grant_reward(conn, operator_id, player_id, level)
        await queries.set_level_up_reward(
            conn, player_id=player_id, level=level["level"], status=status, grant_id=grant_id
        )
        await realtime.publish(
            conn,
            audience=realtime.player_audience(player_id),
            topic="vip.level_up",
            payload={
                "level": level["level"],
                "name": level["name"],
                "xp": after,
                "reward": status,
                "freeSpins": level["free_spins"],
                "bonusGrantId": grant_id,
            },
            operator_id=operator_id,
        )
        log.info("vip_level_up", player_id=player_id, level=level["level"], reward=status)
        reached.append(level["level"])
    return reached


async def _grant_reward(
    conn: asyncpg.Connection, operator_id: int, player_id: int, level: asyncpg.Record
) -> tuple[str, int | None]:
    if level["free_spins"] == 0:
        return "none", None
    grant = await bonuses.grant_vip_free_spins(
        conn,
        operator_id=operator_id,
        player_id=player_id,
        currency=await operators.operator_currency(conn, operator_id),
        level=level["level"],
        count=level["free_spins"],
        game_id=level["free_spin_game_id"],
        spin_value=level["free_spin_value"],
    )
    # No reward for a player whose marketing is suppressed; the level stays reached, so it is
    # not granted later either.
    return ("granted", grant["id"]) if grant else ("suppressed", None)
