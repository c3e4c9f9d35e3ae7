"""The player-safety hooks for provider play, in the wallet protocol's codes.

Only stakes are checked: payouts and refunds must reach the player whatever their restrictions
(provider-wallet.md §2.6). Provider play shares the server's safety session with builtin play,
so a session loss limit cannot be dodged by switching to a provider's game.
"""

from __future__ import annotations

import asyncpg

from croupier.providers.errors import LimitExceededError, PlayerBlockedError
from croupier.safety import service as safety
from croupier.safety.errors import SafetyRefusal

# Exclusions chosen by the player; every other refusal is a responsible-gaming limit.
_BLOCKING = frozenset({"SELF_EXCLUDED", "TIME_OUT_ACTIVE"})


async def check_stake(
    conn: asyncpg.Connection, *, operator_id: int, player_id: int, stake: int
) -> None:
    try:
        await safety.check_spin(
            conn, operator_id=operator_id, player_id=player_id, stake=stake, session_key=None
        )
    except SafetyRefusal as exc:
        error = PlayerBlockedError if exc.code in _BLOCKING else LimitExceededError
        raise error(exc.message, reason=exc.code) from exc


async def record_round(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    game_key: str,
    stake: int,
    win: int,
    balance_after: int,
) -> None:
    """Feed a settled round to the risk engine (it never refuses or changes an outcome)."""
    await safety.record_spin(
        conn,
        operator_id=operator_id,
        player_id=player_id,
        game_key=game_key,
        stake=stake,
        win=win,
        balance_after=balance_after,
        session_key=None,
        p_loss=None,
    )
