"""POST /casino/rollback: the decision matrix of provider-wallet.md §2.4.

The rollback's own id dedupes it; ``originalTransactionId`` drives the effect. Only a live stake
of this player and round is refunded, always by its stored amount, and only while its round has
no payout. An unknown original gets a tombstone under its id, so a late stake with it is refused;
it is made only for a rollback that is otherwise valid (signed, known player, own token), never
for another player's transaction. Expired tokens and blocked players are accepted.
"""

from __future__ import annotations

import asyncpg

from croupier.providers import queries
from croupier.providers.errors import (
    BetAlreadySettledError,
    InvalidRequestError,
    RollbackNotAllowedError,
)
from croupier.providers.schemas import RollbackIn
from croupier.providers.service import money, rounds
from croupier.providers.service.context import Caller, check_currency, session_for
from croupier.providers.service.outcomes import Attempt, Outcome, process


async def rollback(conn: asyncpg.Connection, caller: Caller, body: RollbackIn) -> Outcome:
    return await process(
        conn,
        caller,
        body,
        kind="rollback",
        essential_fields={"originalTransactionId": body.original_transaction_id},
        reference_ref=body.original_transaction_id,
        # Its original's id too: a tombstone and a late stake with that id must not race.
        also_locked=(body.original_transaction_id,),
        apply=lambda attempt: _reverse(conn, caller, body, attempt),
    )


async def _reverse(
    conn: asyncpg.Connection, caller: Caller, body: RollbackIn, attempt: Attempt
) -> Outcome:
    player = attempt.player
    session = session_for(caller, player, staking=False)
    attempt.session_id, attempt.game_id = session.id, session.game_id
    check_currency(body.currency, session)
    if body.original_transaction_id == body.transaction_id:
        raise InvalidRequestError("Invalid request: a rollback cannot name itself")
    target = await queries.transaction(conn, caller.provider.id, body.original_transaction_id)
    if target is None:
        return await _tombstone(conn, body, attempt)
    if target["player_id"] != player.id:
        raise RollbackNotAllowedError("Cannot rollback: transaction belongs to another player")
    attempt.round_id = target["round_id"]
    if target["kind"] == "tombstone":
        return await _no_effect(conn, attempt, tombstone=True)
    if target["kind"] != "debit":
        raise RollbackNotAllowedError()
    if target["round_ref"] != body.round_id:
        raise RollbackNotAllowedError("Cannot rollback: transaction belongs to another round")
    if target["state"] == "rejected":
        return await _no_effect(conn, attempt)  # the stake never moved money
    if target["state"] == "rolled_back":
        return await _no_effect(conn, attempt, alreadyRolledBack=True)

    round_row = await queries.lock_round(conn, caller.provider.id, body.round_id)
    if round_row["has_credit"]:
        raise BetAlreadySettledError()
    code = caller.provider.code
    refunded, balance = await money.pay(
        conn,
        operator_id=player.operator_id,
        player_id=player.id,
        provider_id=caller.provider.id,
        currency=attempt.currency,
        amount=target["amount"],
        type="rollback",
        key=money.ledger_key(code, body.transaction_id),
        reference=money.round_reference(code, body.round_id),
        metadata={
            "provider": code,
            "game_id": round_row["game_id"],
            "round": body.round_id,
            "transaction": body.transaction_id,
            "original": body.original_transaction_id,
        },
        reverses_id=target["transfer_id"],
    )
    attempt.amount = target["amount"]
    return await attempt.applied(
        conn,
        balance=balance,
        transfer_id=refunded.transfer_id,
        round_change=queries.RoundChange(
            round_row["id"],
            rounds.status_after_refund(round_row),
            live_debits=-1,
            refund=target["amount"],
        ),
        reversed_tx=target["id"],
    )


async def _tombstone(conn: asyncpg.Connection, body: RollbackIn, attempt: Attempt) -> Outcome:
    await queries.store_outcome(
        conn,
        {
            "provider_id": attempt.provider.id,
            "tx_ref": body.original_transaction_id,
            "kind": "tombstone",
            "state": "rolled_back",
            "operator_id": attempt.player.operator_id,
            "player_id": attempt.player.id,
            "session_id": attempt.session_id,
            "round_ref": body.round_id,
            "game_id": attempt.game_id,
            "currency": attempt.currency,
            "reference_ref": body.transaction_id,
        },
    )
    return await _no_effect(conn, attempt, tombstone=True)


async def _no_effect(conn: asyncpg.Connection, attempt: Attempt, **flags: bool) -> Outcome:
    balance = await money.available_balance(
        conn, attempt.player.operator_id, attempt.player.id, attempt.currency
    )
    return await attempt.applied(conn, balance=balance, transfer_id=None, **flags)
