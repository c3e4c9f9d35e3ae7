"""The ledger side of provider play: player cash against the operator's provider clearing.

Provider play is cash only: the provider's balance is the player's cash (less what pending
withdrawals hold), bets never touch bonus money and payouts are always cash. Each money call is
one ledger transfer keyed ``prov:<provider>:<transactionId>`` whose reference is the provider's
round, so ledger-based history and analytics see provider rounds next to builtin ones.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from croupier.ledger import service as ledger
from croupier.ledger.service import PLAYER_CASH, Leg, TransferResult
from croupier.wallets import service as wallets


def ledger_key(provider_code: str, tx_ref: str) -> str:
    return f"prov:{provider_code}:{tx_ref}"


def round_reference(provider_code: str, round_ref: str) -> str:
    return f"prov:{provider_code}:{round_ref}"


async def available_balance(
    conn: asyncpg.Connection, operator_id: int, player_id: int, currency: str
) -> int:
    accounts = await ledger.find_accounts(
        conn, operator_id=operator_id, owner_id=player_id, kinds=[PLAYER_CASH], currency=currency
    )
    return accounts[0].balance - accounts[0].reserved if accounts else 0


async def clearing_account(
    conn: asyncpg.Connection, operator_id: int, provider_id: int, currency: str
) -> int:
    return await ledger.ensure_account(
        conn,
        operator_id=operator_id,
        kind="provider_clearing",
        currency=currency,
        owner_id=provider_id,
    )


async def stake(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    provider_id: int,
    currency: str,
    amount: int,
    key: str,
    reference: str,
    metadata: dict[str, Any],
) -> wallets.DebitResult:
    clearing = await clearing_account(conn, operator_id, provider_id, currency)
    return await wallets.debit(
        conn,
        operator_id=operator_id,
        player_id=player_id,
        amount=amount,
        to_account_id=clearing,
        type="bet",
        idempotency_key=key,
        request={"amount": amount, "reference": reference},
        reference=reference,
        metadata=metadata,
        use_bonus=False,
    )


async def pay(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    provider_id: int,
    currency: str,
    amount: int,
    type: str,
    key: str,
    reference: str,
    metadata: dict[str, Any],
    reverses_id: int | None = None,
) -> tuple[TransferResult, int]:
    """Clearing to player cash (a win, or a bet's refund naming the bet it reverses, which
    the ledger lets happen once). Returns the transfer and the cash balance after it."""
    clearing = await clearing_account(conn, operator_id, provider_id, currency)
    (cash,), _ = await ledger.account_ids(
        conn, operator_id=operator_id, owner_id=player_id, kinds=[PLAYER_CASH], currency=currency
    )
    result = await ledger.post(
        conn,
        operator_id=operator_id,
        type=type,
        idempotency_key=key,
        request={"player": player_id, "amount": amount, "reference": reference},
        legs=[Leg(clearing, -amount), Leg(cash, amount)],
        reference=reference,
        metadata=metadata,
        reverses_id=reverses_id,
        read=[cash],
    )
    balance, reserved = result.before[cash]
    return result, result.balances.get(cash, balance) - reserved
