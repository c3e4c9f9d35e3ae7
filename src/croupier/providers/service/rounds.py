"""Provider rounds: open until a payout settles them, void when every stake was refunded."""

from __future__ import annotations

import asyncpg

from croupier.providers import queries
from croupier.providers.errors import InvalidRequestError
from croupier.providers.service.context import Player, Provider, TokenSession


async def lock_or_open(
    conn: asyncpg.Connection,
    *,
    provider: Provider,
    round_ref: str,
    player: Player,
    session: TokenSession,
) -> asyncpg.Record:
    """The round, locked for this call; a new id opens it in the session's game."""
    row = await queries.open_round(
        conn,
        {
            "provider_id": provider.id,
            "round_ref": round_ref,
            "operator_id": player.operator_id,
            "player_id": player.id,
            "game_id": session.game_id,
            "game_code": session.game_code,
            "session_id": session.id,
            "currency": session.currency,
        },
    )
    if row["player_id"] != player.id:
        raise InvalidRequestError("Invalid request: roundId belongs to another player")
    return row


def status_after_refund(round_row: asyncpg.Record) -> str:
    """A round whose last live stake was refunded, with no payout, is void."""
    if round_row["live_debits"] <= 1 and not round_row["has_credit"]:
        return "voided"
    return round_row["status"]
