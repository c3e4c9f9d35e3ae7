"""VIP rules: experience from wagers and deposits, the player's level and its benefits.

VIP is global (seed 002 §5.1): experience lives on the player, levels are platform-wide.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from croupier.kit.tenancy import Scope
from croupier.players import service as players
from croupier.vip import level_ups, queries

# XP per minor unit staked (seed 001 §4.3: xp = wager × multiplier) and per minor unit deposited.
WAGER_XP_MULTIPLIER = 1
DEPOSIT_XP_MULTIPLIER = 1


@dataclass(frozen=True, slots=True)
class VipStatus:
    player_id: int
    xp: int
    level: asyncpg.Record | None
    next_level: asyncpg.Record | None
    level_ups: list[asyncpg.Record]

    @property
    def xp_to_next_level(self) -> int | None:
        return self.next_level["xp_required"] - self.xp if self.next_level else None


def wager_xp(stake: int) -> int:
    """The XP a wager of ``stake`` earns (for callers that credit several at once: add_xp)."""
    return stake * WAGER_XP_MULTIPLIER


async def award_wager_xp(
    conn: asyncpg.Connection, *, operator_id: int, player_id: int, stake: int
) -> int:
    """Credits the XP a wager earns (and any level it reaches); returns the XP added."""
    xp = wager_xp(stake)
    if xp > 0:
        await add_xp(conn, operator_id=operator_id, player_id=player_id, xp=xp)
    return xp


async def award_deposit_xp(
    conn: asyncpg.Connection, *, operator_id: int, player_id: int, amount: int
) -> int:
    """Credits the XP a completed deposit earns; returns the XP added."""
    xp = amount * DEPOSIT_XP_MULTIPLIER
    if xp > 0:
        await add_xp(conn, operator_id=operator_id, player_id=player_id, xp=xp)
    return xp


async def add_xp(
    conn: asyncpg.Connection, *, operator_id: int, player_id: int, xp: int
) -> tuple[int, list[int]]:
    """Add XP; returns the new total and the levels it reached (each rewarded once)."""
    total = await players.add_vip_experience(conn, player_id, xp)
    reached = await level_ups.record(
        conn, operator_id=operator_id, player_id=player_id, before=total - xp, after=total
    )
    return total, reached


async def add_xp_many(conn: asyncpg.Connection, gains: list[tuple[int, int, int]]) -> None:
    """:func:`add_xp` for many (operator, player, XP) at once (the bulk path): two statements,
    plus the level-ups (rare), recorded one by one exactly as add_xp records them."""
    per_player: dict[int, int] = {}
    operator_of: dict[int, int] = {}
    for operator_id, player_id, xp in gains:
        if xp > 0:
            per_player[player_id] = per_player.get(player_id, 0) + xp
            operator_of[player_id] = operator_id
    if not per_player:
        return
    totals = await players.add_vip_experience_many(conn, per_player)
    ladder = await queries.thresholds(conn)
    for player_id, total in totals.items():
        before = total - per_player[player_id]
        if any(before < threshold <= total for threshold in ladder):
            await level_ups.record(
                conn,
                operator_id=operator_of[player_id],
                player_id=player_id,
                before=before,
                after=total,
            )


async def add_xp_for_player(
    conn: asyncpg.Connection, *, player_id: int, xp: int
) -> tuple[int, list[int]]:
    """The internal add-xp endpoint: any operator's player, by id."""
    player = await players.get_player(conn, Scope(operator_id=None), player_id)
    return await add_xp(conn, operator_id=player["operator_id"], player_id=player_id, xp=xp)


async def status(conn: asyncpg.Connection, *, operator_id: int, player_id: int) -> VipStatus:
    player = await players.get_player(conn, Scope(operator_id=operator_id), player_id)
    xp = player["vip_experience"]
    return VipStatus(
        player_id=player_id,
        xp=xp,
        level=await queries.level_for_xp(conn, xp),
        next_level=await queries.next_level(conn, xp),
        level_ups=await queries.level_ups(conn, player_id),
    )


async def deposit_bonus_boost(conn: asyncpg.Connection, *, operator_id: int, player_id: int) -> int:
    """The player's level's raise on deposit-match bonuses, in basis points."""
    player = await players.get_player(conn, Scope(operator_id=operator_id), player_id)
    level = await queries.level_for_xp(conn, player["vip_experience"])
    return level["deposit_bonus_boost_bp"] if level else 0
