"""POST /casino/credit: a payout. Accepted with an expired token and for a blocked player (the
money is theirs); refused into a voided round, and as a win (with ``relatedTransactionId``) into a
settled one or against a stake that was rolled back. A zero payout moves nothing but still
settles the round, which is what stops a later rollback of its stakes."""

from __future__ import annotations

from typing import Any

import asyncpg

from croupier.providers import queries
from croupier.providers.errors import (
    RoundClosedError,
    TransactionNotFoundError,
    TransactionRolledBackError,
)
from croupier.providers.schemas import CreditIn
from croupier.providers.service import money, rounds, safety_gate
from croupier.providers.service.context import Caller, Player, check_currency, session_for
from croupier.providers.service.outcomes import Attempt, Outcome, process


async def credit(conn: asyncpg.Connection, caller: Caller, body: CreditIn) -> Outcome:
    return await process(
        conn,
        caller,
        body,
        kind="credit",
        essential_fields=essential_fields(body),
        amount=body.amount,
        reference_ref=body.related_transaction_id,
        apply=lambda attempt: _pay(conn, caller, body, attempt),
    )


def essential_fields(body: CreditIn) -> dict[str, Any]:
    return {"amount": body.amount, "relatedTransactionId": body.related_transaction_id}


async def _pay(
    conn: asyncpg.Connection, caller: Caller, body: CreditIn, attempt: Attempt
) -> Outcome:
    player = attempt.player
    session = session_for(caller, player, staking=False)
    attempt.session_id, attempt.game_id = session.id, session.game_id
    check_currency(body.currency, session)
    if body.related_transaction_id is None:
        round_row = await rounds.lock_or_open(
            conn,
            provider=caller.provider,
            round_ref=body.round_id,
            player=player,
            session=session,
        )
    else:
        round_row = await _win_round(
            conn, caller, body, attempt.player, body.related_transaction_id
        )
    attempt.round_id, attempt.game_id = round_row["id"], round_row["game_id"]
    if round_row["status"] == "voided" or (
        round_row["status"] == "settled" and body.related_transaction_id is not None
    ):
        raise RoundClosedError()

    code = caller.provider.code
    transfer_id = None
    if body.amount > 0:
        paid, balance = await money.pay(
            conn,
            operator_id=player.operator_id,
            player_id=player.id,
            provider_id=caller.provider.id,
            currency=session.currency,
            amount=body.amount,
            type="win",
            key=money.ledger_key(code, body.transaction_id),
            reference=money.round_reference(code, body.round_id),
            metadata={
                "provider": code,
                "game_id": round_row["game_id"],
                "round": body.round_id,
                "transaction": body.transaction_id,
            },
        )
        transfer_id = paid.transfer_id
    else:
        balance = await money.available_balance(
            conn, player.operator_id, player.id, session.currency
        )
    settles = body.round_closed is not False
    stake = round_row["debit_total"] - round_row["refund_total"]
    if settles and round_row["status"] == "open" and stake > 0:
        await safety_gate.record_round(
            conn,
            operator_id=player.operator_id,
            player_id=player.id,
            game_key=round_row["game_code"],
            stake=stake,
            win=round_row["credit_total"] + body.amount,
            balance_after=balance,
        )
    return await attempt.applied(
        conn,
        balance=balance,
        transfer_id=transfer_id,
        round_change=queries.RoundChange(
            round_row["id"],
            "settled" if settles else round_row["status"],
            credit=body.amount,
            has_credit=True,
        ),
    )


async def _win_round(
    conn: asyncpg.Connection, caller: Caller, body: CreditIn, player: Player, related_ref: str
) -> asyncpg.Record:
    """The round of the stake a win pays, locked. The stake is read after the lock, which a
    rollback of it takes too, so the two cannot both see the other as not done yet."""
    round_row = await queries.lock_round(conn, caller.provider.id, body.round_id)
    related = await queries.transaction(conn, caller.provider.id, related_ref)
    if related is None or related["player_id"] != player.id:
        raise TransactionNotFoundError()
    if related["kind"] == "tombstone" or related["state"] == "rolled_back":
        raise TransactionRolledBackError()
    if (
        round_row is None
        or related["kind"] != "debit"
        or related["state"] != "applied"
        or related["round_id"] != round_row["id"]
    ):
        raise TransactionNotFoundError()
    return round_row
