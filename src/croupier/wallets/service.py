"""Players' money for the other domains: balances, debits, credits, transfers and holds.

A player has three ledger accounts per currency (cash, bonus, coins), created on first use.
Every function here is one or two round trips and moves money only through the ledger.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from croupier.kit.errors import InvalidInputError
from croupier.kit.tenancy import Scope
from croupier.ledger import service as ledger
from croupier.ledger import statements
from croupier.ledger.errors import InsufficientFundsError
from croupier.ledger.service import PLAYER_BONUS, PLAYER_CASH, PLAYER_COINS, TransferResult
from croupier.operators import service as operators

PLAYER_KINDS = (PLAYER_CASH, PLAYER_BONUS, PLAYER_COINS)


@dataclass(frozen=True, slots=True)
class PlayerAccounts:
    cash_id: int
    bonus_id: int
    coins_id: int


@dataclass(frozen=True, slots=True)
class WalletBalances:
    currency: str
    cash: int
    bonus: int
    coins: int
    reserved: int  # cash held for pending withdrawals

    @property
    def withdrawable(self) -> int:
        return self.cash - self.reserved


@dataclass(frozen=True, slots=True)
class DebitResult:
    result: TransferResult
    cash_part: int
    bonus_part: int
    balances: WalletBalances  # as of the debit
    accounts: PlayerAccounts


async def player_accounts(
    conn: asyncpg.Connection, *, operator_id: int, player_id: int, currency: str
) -> PlayerAccounts:
    (cash, bonus, coins), _ = await ledger.account_ids(
        conn, operator_id=operator_id, owner_id=player_id, kinds=PLAYER_KINDS, currency=currency
    )
    return PlayerAccounts(cash, bonus, coins)


async def get_balances(
    conn: asyncpg.Connection, *, operator_id: int, player_id: int
) -> WalletBalances:
    """The player's balances in the operator's currency (zero where no account exists yet)."""
    operator = await operators.get_operator(conn, Scope(operator_id=operator_id), operator_id)
    currency = operator["currency"]
    accounts = await ledger.find_accounts(
        conn, operator_id=operator_id, owner_id=player_id, kinds=PLAYER_KINDS, currency=currency
    )
    by_kind = {account.kind: account for account in accounts}
    cash = by_kind.get(PLAYER_CASH)
    return WalletBalances(
        currency=currency,
        cash=cash.balance if cash else 0,
        bonus=by_kind[PLAYER_BONUS].balance if PLAYER_BONUS in by_kind else 0,
        coins=by_kind[PLAYER_COINS].balance if PLAYER_COINS in by_kind else 0,
        reserved=cash.reserved if cash else 0,
    )


async def debit(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    amount: int,
    to_account_id: int,
    type: str,
    idempotency_key: str,
    request: Mapping[str, Any],
    reference: str | None = None,
    metadata: dict[str, Any] | None = None,
    use_bonus: bool = True,
) -> DebitResult:
    """Take ``amount`` from the player, cash first and then bonus, in ONE transfer to
    ``to_account_id`` (in that account's currency). Short of funds the result is ``rejected``
    (stored and replayed on retry); :func:`raise_if_rejected` turns that into a 402."""
    (cash, bonus, coins), currency = await ledger.account_ids(
        conn,
        operator_id=operator_id,
        owner_id=player_id,
        kinds=PLAYER_KINDS,
        currency_of=to_account_id,
    )
    result = await ledger.post_debit(
        conn,
        operator_id=operator_id,
        type=type,
        idempotency_key=idempotency_key,
        request={"player": player_id, **request},
        cash_account_id=cash,
        bonus_account_id=bonus if use_bonus else None,
        amount=amount,
        to_account_id=to_account_id,
        reference=reference,
        metadata=metadata,
        read=(cash, bonus, coins),
    )
    # Cash and bonus come from the debit itself where it moved them; the rest (and reserved,
    # which a debit never changes) from the same statement's read just before it.
    before = result.before
    balances = WalletBalances(
        currency=currency,
        cash=result.balances.get(cash, before[cash][0]),
        bonus=result.balances.get(bonus, before[bonus][0]),
        coins=before[coins][0],
        reserved=before[cash][1],
    )
    posted = result.posted
    return DebitResult(
        result=result,
        cash_part=-result.amounts.get(cash, 0) if posted else 0,
        bonus_part=-result.amounts.get(bonus, 0) if posted else 0,
        balances=balances,
        accounts=PlayerAccounts(cash, bonus, coins),
    )


def raise_if_rejected(debit_result: DebitResult) -> None:
    """A rejected debit as a 402 whose unit of work still commits the stored rejection."""
    if debit_result.result.rejected:
        balances = debit_result.balances
        raise InsufficientFundsError(
            balance=balances.withdrawable + balances.bonus,
            cash=balances.cash,
            bonus=balances.bonus,
        ).recorded()


async def credit(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    amount: int,
    from_account_id: int,
    type: str,
    idempotency_key: str,
    request: Mapping[str, Any],
    to_kind: str = PLAYER_CASH,
    reference: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> TransferResult:
    """Pay ``amount`` into the player's ``to_kind`` account from ``from_account_id``."""
    (account,) = await ledger.ensure_accounts(
        conn,
        operator_id=operator_id,
        owner_id=player_id,
        kinds=[to_kind],
        currency_of=from_account_id,
    )
    return await transfer(
        conn,
        operator_id=operator_id,
        from_account_id=from_account_id,
        to_account_id=account.id,
        amount=amount,
        type=type,
        idempotency_key=idempotency_key,
        request={"player": player_id, **request},
        reference=reference,
        metadata=metadata,
    )


async def transfer(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    from_account_id: int,
    to_account_id: int,
    amount: int,
    type: str,
    idempotency_key: str,
    request: Mapping[str, Any],
    reference: str | None = None,
    metadata: dict[str, Any] | None = None,
    created_by_staff: int | None = None,
) -> TransferResult:
    """Move a positive ``amount`` between two accounts of the operator."""
    return await ledger.post(
        conn,
        operator_id=operator_id,
        type=type,
        idempotency_key=idempotency_key,
        request=request,
        legs=[ledger.Leg(from_account_id, -amount), ledger.Leg(to_account_id, amount)],
        reference=reference,
        metadata=metadata,
        created_by_staff=created_by_staff,
    )


async def hold_cash(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    currency: str,
    amount: int,
    idempotency_key: str,
    request: Mapping[str, Any],
    type: str = "withdrawal_hold",
    reference: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> TransferResult:
    """Reserve withdrawable cash (a pending withdrawal): ``pending`` or ``rejected``."""
    (cash,) = await ledger.ensure_accounts(
        conn, operator_id=operator_id, owner_id=player_id, kinds=[PLAYER_CASH], currency=currency
    )
    return await ledger.hold(
        conn,
        operator_id=operator_id,
        idempotency_key=idempotency_key,
        request={"player": player_id, **request},
        account_id=cash.id,
        amount=amount,
        reference=reference,
        metadata=metadata,
        type=type,
    )


async def post_hold(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    hold_id: int,
    to_account_id: int,
    idempotency_key: str,
    type: str = "withdrawal_post",
    reference: str | None = None,
) -> TransferResult:
    """The withdrawal went through: the held cash leaves for ``to_account_id``."""
    return await ledger.post_hold(
        conn,
        operator_id=operator_id,
        hold_id=hold_id,
        idempotency_key=idempotency_key,
        to_account_id=to_account_id,
        reference=reference,
        type=type,
    )


async def void_hold(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    hold_id: int,
    idempotency_key: str,
    type: str = "withdrawal_void",
    reference: str | None = None,
) -> TransferResult:
    """The withdrawal failed or was cancelled: the held cash is available again."""
    return await ledger.void_hold(
        conn,
        operator_id=operator_id,
        hold_id=hold_id,
        idempotency_key=idempotency_key,
        reference=reference,
        type=type,
    )


async def transactions(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    types: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[statements.Entry], str | None]:
    """The player's own entries (cash, bonus, coins), newest first, and the next cursor."""
    if start is not None and end is not None and start >= end:
        raise InvalidInputError("'from' must be before 'to'.", field="from")
    operator = await operators.get_operator(conn, Scope(operator_id=operator_id), operator_id)
    accounts = await ledger.find_accounts(
        conn,
        operator_id=operator_id,
        owner_id=player_id,
        kinds=PLAYER_KINDS,
        currency=operator["currency"],
    )
    return await statements.account_entries(
        conn,
        account_ids=[account.id for account in accounts],
        types=types,
        start=_utc(start),
        end=_utc(end),
        cursor=cursor,
        limit=limit,
    )


def _utc(moment: datetime | None) -> datetime | None:
    """Query bounds without a zone are UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
