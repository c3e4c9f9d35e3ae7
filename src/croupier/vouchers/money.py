"""Every money movement of the sweepstakes flow: one ledger transfer each, with an idempotency
key derived from the voucher, agent or cash-out it belongs to, so a retry never moves money twice.

Accounts, all in the operator's currency (FUN for a sweepstakes operator):

* ``world`` (owner 0): money from outside; here the cash an agent paid the operator for float.
* ``agent_float`` (owner = agent id): what the agent may still issue; never below zero.
* ``voucher_liability`` (owner = agent id): face value plus bonus of the agent's active
  vouchers. One account per agent rather than per voucher: a voucher has no player yet to own a
  ``bonus_held`` account, and the audit can compare it with the agent's active vouchers.
* ``player_cash`` (owner = player): what the platform spin plays with, unchanged.
* ``bonus_held`` (owner = player): the voucher's bonus waiting for the trigger.

Flows (A = voucher amount, B = its bonus = A / 2):

* fund float:        world −X → agent_float +X
* issue N vouchers:  agent_float −N·(A+B) → voucher_liability +N·(A+B)
* redeem:            voucher_liability −(A+B) → player_cash +A, bonus_held +B
* bonus trigger:     bonus_held −B → player_cash +B
* expire / void:     voucher_liability −(A+B) → agent_float +(A+B)
* bonus forfeit:     bonus_held −B → agent_float +B (the player cashed out instead of playing on)
* cash-out:          player_cash hold; paid → agent_float (the shop paid cash, takes the FUN back);
                     rejected → hold voided
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from croupier.ledger import service as ledger
from croupier.ledger.service import PLAYER_CASH, Leg, TransferResult
from croupier.vouchers.errors import LedgerStateError
from croupier.wallets import service as wallets

AGENT_FLOAT = "agent_float"
VOUCHER_LIABILITY = "voucher_liability"
BONUS_HELD = "bonus_held"
WORLD = "world"


@dataclass(frozen=True, slots=True)
class AgentAccounts:
    float_id: int
    liability_id: int


def posted(result: TransferResult) -> TransferResult:
    """The movements below other than issuing are backed by rows that say the money is there;
    a refusal means the books and those rows disagree, which must not pass silently."""
    if not result.posted:
        raise LedgerStateError(reject=result.reject_code)
    return result


async def agent_accounts(
    conn: asyncpg.Connection, *, operator_id: int, agent_id: int, currency: str
) -> AgentAccounts:
    float_account, liability = await ledger.ensure_accounts(
        conn,
        operator_id=operator_id,
        owner_id=agent_id,
        kinds=[AGENT_FLOAT, VOUCHER_LIABILITY],
        currency=currency,
    )
    return AgentAccounts(float_account.id, liability.id)


async def fund_float(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    agent_id: int,
    currency: str,
    amount: int,
    idempotency_key: str,
    staff_id: int,
    note: str | None,
) -> tuple[TransferResult, int]:
    """Credit the agent's float; returns the transfer and the float account id."""
    accounts = await agent_accounts(
        conn, operator_id=operator_id, agent_id=agent_id, currency=currency
    )
    world = await ledger.ensure_account(
        conn, operator_id=operator_id, kind=WORLD, currency=currency
    )
    result = await ledger.post(
        conn,
        operator_id=operator_id,
        type="agent_float_fund",
        idempotency_key=f"agent-float:{agent_id}:{idempotency_key}",
        request={"agent": agent_id, "amount": amount},
        legs=[Leg(world, -amount), Leg(accounts.float_id, amount)],
        reference=f"agent:{agent_id}",
        metadata={"note": note} if note else None,
        created_by_staff=staff_id,
    )
    return posted(result), accounts.float_id


async def charge_issue(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    agent_id: int,
    currency: str,
    total: int,
    idempotency_key: str,
    request: dict[str, object],
    staff_id: int,
) -> tuple[TransferResult, int]:
    """Move the vouchers' face value and bonus from the float to the liability. Short of float
    the result comes back ``rejected``: the caller refuses the issue and rolls everything back."""
    accounts = await agent_accounts(
        conn, operator_id=operator_id, agent_id=agent_id, currency=currency
    )
    result = await ledger.post(
        conn,
        operator_id=operator_id,
        type="voucher_issue",
        idempotency_key=f"voucher-issue:{agent_id}:{idempotency_key}",
        request=request,
        legs=[Leg(accounts.float_id, -total), Leg(accounts.liability_id, total)],
        reference=f"agent:{agent_id}",
        created_by_staff=staff_id,
    )
    return result, accounts.float_id


async def release_to_float(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    agent_id: int,
    currency: str,
    voucher_id: int,
    amount: int,
    reason: str,
) -> TransferResult:
    """An expired or voided voucher's face value and bonus go back to the agent's float."""
    accounts = await agent_accounts(
        conn, operator_id=operator_id, agent_id=agent_id, currency=currency
    )
    result = await ledger.post(
        conn,
        operator_id=operator_id,
        type=f"voucher_{reason}",
        idempotency_key=f"voucher:{voucher_id}:release",
        request={"voucher": voucher_id, "amount": amount},
        legs=[Leg(accounts.liability_id, -amount), Leg(accounts.float_id, amount)],
        reference=f"voucher:{voucher_id}",
    )
    return posted(result)


async def credit_redemption(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    agent_id: int,
    player_id: int,
    currency: str,
    voucher_id: int,
    amount: int,
    bonus: int,
) -> TransferResult:
    """The voucher's amount to the new player's cash and its bonus to the player's held bonus."""
    accounts = await agent_accounts(
        conn, operator_id=operator_id, agent_id=agent_id, currency=currency
    )
    cash, held = await _player_cash_and_held(conn, operator_id, player_id, currency)
    result = await ledger.post(
        conn,
        operator_id=operator_id,
        type="voucher_redeem",
        idempotency_key=f"voucher:{voucher_id}:redeem",
        request={"voucher": voucher_id, "player": player_id, "amount": amount, "bonus": bonus},
        legs=[
            Leg(accounts.liability_id, -(amount + bonus)),
            Leg(cash.id, amount),
            Leg(held.id, bonus),
        ],
        reference=f"voucher:{voucher_id}",
    )
    return posted(result)


async def grant_bonus(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    currency: str,
    voucher_id: int,
    amount: int,
) -> int:
    """Credit the held bonus to the player's cash; returns the cash balance after."""
    cash, held = await _player_cash_and_held(conn, operator_id, player_id, currency)
    result = await ledger.post(
        conn,
        operator_id=operator_id,
        type="voucher_bonus_grant",
        idempotency_key=f"voucher:{voucher_id}:bonus",
        request={"voucher": voucher_id, "player": player_id, "amount": amount},
        legs=[Leg(held.id, -amount), Leg(cash.id, amount)],
        reference=f"voucher:{voucher_id}",
    )
    return posted(result).balances[cash.id]


async def forfeit_bonus(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    agent_id: int,
    currency: str,
    voucher_id: int,
    amount: int,
) -> TransferResult:
    accounts = await agent_accounts(
        conn, operator_id=operator_id, agent_id=agent_id, currency=currency
    )
    (held,) = await ledger.ensure_accounts(
        conn, operator_id=operator_id, owner_id=player_id, kinds=[BONUS_HELD], currency=currency
    )
    # The same key as the grant: a voucher's bonus leaves bonus_held once, granted or forfeited,
    # and the other movement is refused by the ledger (same key, different request).
    result = await ledger.post(
        conn,
        operator_id=operator_id,
        type="voucher_bonus_forfeit",
        idempotency_key=f"voucher:{voucher_id}:bonus",
        request={"voucher": voucher_id, "player": player_id, "forfeit": amount},
        legs=[Leg(held.id, -amount), Leg(accounts.float_id, amount)],
        reference=f"voucher:{voucher_id}",
    )
    return posted(result)


async def hold_cashout(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    currency: str,
    amount: int,
    idempotency_key: str,
) -> TransferResult:
    """Reserve the player's cash: ``pending``, or ``rejected`` if it is not available."""
    return await wallets.hold_cash(
        conn,
        operator_id=operator_id,
        player_id=player_id,
        currency=currency,
        amount=amount,
        idempotency_key=f"voucher-cashout:{player_id}:{idempotency_key}",
        request={"amount": amount},
        type="voucher_cashout_hold",
    )


async def pay_cashout(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    agent_id: int,
    currency: str,
    cashout_id: int,
    hold_id: int,
) -> TransferResult:
    accounts = await agent_accounts(
        conn, operator_id=operator_id, agent_id=agent_id, currency=currency
    )
    result = await wallets.post_hold(
        conn,
        operator_id=operator_id,
        hold_id=hold_id,
        to_account_id=accounts.float_id,
        idempotency_key=f"voucher-cashout:{cashout_id}:resolve",
        type="voucher_cashout_paid",
        reference=f"voucher-cashout:{cashout_id}",
    )
    return posted(result)


async def reject_cashout(
    conn: asyncpg.Connection, *, operator_id: int, cashout_id: int, hold_id: int
) -> TransferResult:
    return await wallets.void_hold(
        conn,
        operator_id=operator_id,
        hold_id=hold_id,
        idempotency_key=f"voucher-cashout:{cashout_id}:resolve",
        type="voucher_cashout_rejected",
        reference=f"voucher-cashout:{cashout_id}",
    )


async def agent_balances(
    conn: asyncpg.Connection, *, operator_id: int, agent_id: int, currency: str
) -> tuple[int, int]:
    """The agent's float and outstanding voucher liability (zero before first use)."""
    found = await ledger.find_accounts(
        conn,
        operator_id=operator_id,
        owner_id=agent_id,
        kinds=[AGENT_FLOAT, VOUCHER_LIABILITY],
        currency=currency,
    )
    by_kind = {account.kind: account for account in found}
    float_balance = by_kind[AGENT_FLOAT].balance if AGENT_FLOAT in by_kind else 0
    liability = by_kind.get(VOUCHER_LIABILITY)
    # The liability is a derived account: its row holds no balance, the ledger sums it.
    owed = await ledger.account_balance(conn, liability.id) if liability else 0
    return float_balance, owed


async def held_bonus_balance(
    conn: asyncpg.Connection, *, operator_id: int, player_id: int, currency: str
) -> int:
    found = await ledger.find_accounts(
        conn, operator_id=operator_id, owner_id=player_id, kinds=[BONUS_HELD], currency=currency
    )
    return found[0].balance if found else 0


async def _player_cash_and_held(
    conn: asyncpg.Connection, operator_id: int, player_id: int, currency: str
) -> list[ledger.Account]:
    """The player's cash account and the account holding its vouchers' bonus."""
    return await ledger.ensure_accounts(
        conn,
        operator_id=operator_id,
        owner_id=player_id,
        kinds=[PLAYER_CASH, BONUS_HELD],
        currency=currency,
    )
