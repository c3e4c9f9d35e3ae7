"""Free-to-play coins: earn with a reason (idempotent, capped per day and reason), balance.

Coins move on the ledger like any money: from the operator's ``marketing`` account into the
player's ``player_coins`` account. The cap's day is the operator's local calendar day (its
timezone), not the player's, so a player cannot reset it by changing their own timezone.

Per-operator caps come from the operator's settings, ``{"earnCaps": {"daily_login": 500}}``,
merged over :data:`DEFAULT_EARN_CAPS`; a cap of 0 withdraws a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import structlog

from croupier.engagement.api import queries
from croupier.engagement.api.errors import (
    EarnCapReachedError,
    EarnKeyReusedError,
    EarnReasonUnknownError,
)
from croupier.kit.hashing import request_hash
from croupier.kit.tenancy import Scope
from croupier.ledger import service as ledger
from croupier.ledger.service import PLAYER_COINS
from croupier.operators import service as operators
from croupier.wallets import service as wallets

log = structlog.get_logger("croupier.engagement.coins")

DEFAULT_EARN_CAPS: dict[str, int] = {
    "daily_login": 500,
    "ad_reward": 2000,
    "level_complete": 1000,
    "achievement": 1000,
}


@dataclass(frozen=True, slots=True)
class Earned:
    transfer_id: int
    amount: int
    reason: str
    coins: int
    currency: str
    day: date
    earned_today: int
    daily_cap: int
    replayed: bool


def earn_caps(settings: dict[str, Any]) -> dict[str, int]:
    """The operator's caps over the defaults; malformed entries are ignored (and logged)."""
    caps = dict(DEFAULT_EARN_CAPS)
    configured = settings.get("earnCaps")
    if not isinstance(configured, dict):
        return caps
    for reason, cap in configured.items():
        if isinstance(cap, int) and not isinstance(cap, bool) and cap >= 0:
            caps[reason] = cap
        else:
            log.warning("earn_cap_ignored", reason=reason)
    return {reason: cap for reason, cap in caps.items() if cap > 0}


async def earn(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    amount: int,
    reason: str,
    idempotency_key: str,
) -> Earned:
    operator = await operators.get_operator(conn, Scope(operator_id=operator_id), operator_id)
    caps = earn_caps(operator["settings"])
    cap = caps.get(reason)
    if cap is None:
        raise EarnReasonUnknownError(field="reason", allowed=sorted(caps))
    now = datetime.now(ZoneInfo(operator["timezone"]))
    day = now.date()
    digest = request_hash({"amount": amount, "reason": reason})
    earn_id = await queries.claim_earn(
        conn,
        operator_id=operator_id,
        player_id=player_id,
        key=idempotency_key,
        request_hash=digest,
        reason=reason,
        amount=amount,
        day=day,
    )
    if earn_id is None:
        return await _replay(conn, player_id, idempotency_key, digest, caps, operator["currency"])

    total = await queries.add_to_daily_counter(
        conn,
        operator_id=operator_id,
        player_id=player_id,
        reason=reason,
        day=day,
        amount=amount,
        cap=cap,
    )
    if total is None:
        earned = await queries.earned_on(conn, player_id, reason, day)
        midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), now.tzinfo)
        raise EarnCapReachedError(
            retry_after=int((midnight - now).total_seconds()) + 1,
            reason=reason,
            dailyCap=cap,
            earnedToday=earned,
            remaining=cap - earned,
        )

    currency = operator["currency"]
    accounts = await wallets.player_accounts(
        conn, operator_id=operator_id, player_id=player_id, currency=currency
    )
    marketing = await ledger.ensure_account(
        conn, operator_id=operator_id, kind="marketing", currency=currency
    )
    result = await wallets.credit(
        conn,
        operator_id=operator_id,
        player_id=player_id,
        amount=amount,
        from_account_id=marketing,
        type="coins_earn",
        idempotency_key=f"coins-earn:{player_id}:{idempotency_key}",
        request={"amount": amount, "reason": reason},
        to_kind=PLAYER_COINS,
        reference=f"coins-earn:{earn_id}",
        metadata={"reason": reason},
    )
    coins = result.balances[accounts.coins_id]
    await queries.complete_earn(
        conn, earn_id, transfer_id=result.transfer_id, coins_after=coins, earned=total
    )
    return Earned(result.transfer_id, amount, reason, coins, currency, day, total, cap, False)


async def _replay(
    conn: asyncpg.Connection,
    player_id: int,
    key: str,
    digest: bytes,
    caps: dict[str, int],
    currency: str,
) -> Earned:
    """The stored answer for a repeated key: the same body gets the same result back."""
    row = await queries.find_earn(conn, player_id, key)
    if bytes(row["request_hash"]) != digest:
        raise EarnKeyReusedError()
    return Earned(
        transfer_id=row["transfer_id"],
        amount=row["amount"],
        reason=row["reason"],
        coins=row["coins_after"],
        currency=currency,
        day=row["day"],
        earned_today=row["earned_today"],
        daily_cap=caps.get(row["reason"], 0),
        replayed=True,
    )


async def balance(
    conn: asyncpg.Connection, *, operator_id: int, player_id: int
) -> wallets.WalletBalances:
    return await wallets.get_balances(conn, operator_id=operator_id, player_id=player_id)
