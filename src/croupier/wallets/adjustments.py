"""Manual adjustments of a player's balance by operator staff: always with a reason, and the
staff member recorded on the transfer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import asyncpg

from croupier.kit.tenancy import Scope
from croupier.ledger import service as ledger
from croupier.ledger.errors import InsufficientFundsError
from croupier.ledger.service import PLAYER_BONUS, PLAYER_CASH, PLAYER_COINS
from croupier.operators import service as operators
from croupier.players import service as players

WalletAccount = Literal["cash", "bonus", "coins"]

_PLAYER_KINDS: dict[str, str] = {"cash": PLAYER_CASH, "bonus": PLAYER_BONUS, "coins": PLAYER_COINS}
# Cash comes from (or returns to) the house; promotional balances are the marketing budget's.
_COUNTER_KINDS: dict[str, str] = {"cash": "house", "bonus": "marketing", "coins": "marketing"}


@dataclass(frozen=True, slots=True)
class Adjustment:
    transfer_id: int
    operator_id: int
    player_id: int
    account: str
    amount: int
    balance_after: int
    reason: str
    created_at: datetime
    replayed: bool


async def adjust(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    player_id: int,
    staff_id: int,
    amount: int,
    account: WalletAccount,
    reason: str,
    idempotency_key: str,
) -> Adjustment:
    """Credit (amount > 0) or debit (amount < 0) one of the player's accounts against the
    operator's house or marketing account. A debit beyond the balance is a 402 and moves
    nothing; another operator's player is a 404."""
    player = await players.get_player(conn, scope, player_id)
    operator_id = player["operator_id"]
    operator = await operators.get_operator(conn, Scope(operator_id=operator_id), operator_id)
    currency = operator["currency"]
    (player_account,) = await ledger.ensure_accounts(
        conn,
        operator_id=operator_id,
        owner_id=player_id,
        kinds=[_PLAYER_KINDS[account]],
        currency=currency,
    )
    counter = await ledger.ensure_account(
        conn, operator_id=operator_id, kind=_COUNTER_KINDS[account], currency=currency
    )
    result = await ledger.post(
        conn,
        operator_id=operator_id,
        type="adjustment",
        idempotency_key=f"adjustment:{idempotency_key}",
        request={"player": player_id, "account": account, "amount": amount, "reason": reason},
        legs=[ledger.Leg(player_account.id, amount), ledger.Leg(counter, -amount)],
        reference=f"player:{player_id}",
        metadata={"reason": reason, "account": account},
        created_by_staff=staff_id,
    )
    balance = result.balances[player_account.id]
    if result.rejected:
        raise InsufficientFundsError(balance=balance, account=account).recorded()
    return Adjustment(
        transfer_id=result.transfer_id,
        operator_id=operator_id,
        player_id=player_id,
        account=account,
        amount=amount,
        balance_after=balance,
        reason=reason,
        created_at=result.created_at,
        replayed=result.replayed,
    )
