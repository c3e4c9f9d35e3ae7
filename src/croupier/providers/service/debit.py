"""POST /casino/debit: a stake. Checked in full (live token, game, player, safety limits, round
open) before one ledger transfer moves the cash to the provider's clearing account."""

from __future__ import annotations

from typing import Any

import asyncpg

from croupier.games import service as games
from croupier.kit.errors import CroupierError
from croupier.providers import queries
from croupier.providers.errors import (
    InsufficientFundsError,
    InvalidGameError,
    InvalidRequestError,
    LimitExceededError,
    PlayerBlockedError,
    RoundClosedError,
)
from croupier.providers.schemas import DebitIn
from croupier.providers.service import money, rounds, safety_gate
from croupier.providers.service.context import Caller, check_currency, session_for
from croupier.providers.service.outcomes import Attempt, Outcome, process


async def debit(conn: asyncpg.Connection, caller: Caller, body: DebitIn) -> Outcome:
    return await process(
        conn,
        caller,
        body,
        kind="debit",
        essential_fields=essential_fields(body),
        amount=body.amount,
        staking=True,
        apply=lambda attempt: _stake(conn, caller, body, attempt),
    )


def essential_fields(body: DebitIn) -> dict[str, Any]:
    return {"amount": body.amount}


async def _stake(
    conn: asyncpg.Connection, caller: Caller, body: DebitIn, attempt: Attempt
) -> Outcome:
    player = attempt.player
    session = session_for(caller, player, staking=True)
    attempt.session_id, attempt.game_id = session.id, session.game_id
    check_currency(body.currency, session)
    try:
        game = await games.playable_game(conn, session.game_id, player.operator_id)
    except CroupierError:
        raise InvalidGameError() from None
    if body.game_id is not None and body.game_id != game["slug"]:
        raise InvalidGameError("Game does not match the session")
    if player.status != "active":
        raise PlayerBlockedError()
    await safety_gate.check_stake(
        conn, operator_id=player.operator_id, player_id=player.id, stake=body.amount
    )
    if body.amount > game["max_bet"]:
        raise LimitExceededError("Bet exceeds the game's maximum", maxBet=str(game["max_bet"]))

    round_row = await rounds.lock_or_open(
        conn, provider=caller.provider, round_ref=body.round_id, player=player, session=session
    )
    attempt.round_id = round_row["id"]
    if round_row["game_id"] != session.game_id:
        raise InvalidRequestError("Invalid request: roundId belongs to another game")
    if round_row["status"] != "open":
        raise RoundClosedError()

    code = caller.provider.code
    staked = await money.stake(
        conn,
        operator_id=player.operator_id,
        player_id=player.id,
        provider_id=caller.provider.id,
        currency=session.currency,
        amount=body.amount,
        key=money.ledger_key(code, body.transaction_id),
        reference=money.round_reference(code, body.round_id),
        metadata={
            "provider": code,
            "game_id": session.game_id,
            "round": body.round_id,
            "transaction": body.transaction_id,
        },
    )
    balance = staked.balances.withdrawable
    if staked.result.rejected:
        return await attempt.rejected(conn, InsufficientFundsError(), balance)
    return await attempt.applied(
        conn,
        balance=balance,
        transfer_id=staked.result.transfer_id,
        round_change=queries.RoundChange(round_row["id"], "open", live_debits=1, debit=body.amount),
    )
