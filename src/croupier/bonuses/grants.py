"""Grants (BonusTask): creating them, activating the next one, and ending them.

The player's bonus balance always belongs to the one active money grant: a grant's money is
credited (marketing → player_bonus) only when it becomes active, and when it ends the whole bonus
balance is either converted to cash (wagering met; above the cap back to marketing) or forfeited
to marketing. Deposit wagering tasks hold no money and run side by side with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import structlog

from croupier.bonuses import queries as q
from croupier.ledger import service as ledger
from croupier.ledger.service import PLAYER_BONUS, Leg
from croupier.realtime import service as realtime
from croupier.safety import service as safety
from croupier.wallets import service as wallets

log = structlog.get_logger("croupier.bonuses")

DEPOSIT_WAGERING = "deposit_wagering"
# A spend racing the sweep changes the balance between read and post; it is then re-read, each
# attempt under its own key (the rejected attempt stays on record).
_SWEEP_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class GrantSpec:
    kind: str
    source_key: str
    wagering_multiplier: int
    valid_days: int
    bonus_amount: int = 0
    # Deposit tasks give theirs; money grants owe bonus_amount × multiplier (free spins: their
    # winnings × multiplier, added as they are won).
    wagering_required: int | None = None
    rule_id: int | None = None
    deposit_id: int | None = None
    game_weights: dict[str, int] = field(default_factory=dict)
    default_weight_bp: int = 10_000
    max_bet: int | None = None
    max_conversion: int | None = None
    free_spins: int = 0
    free_spin_game_id: int | None = None
    free_spin_value: int | None = None


async def grant(
    conn: asyncpg.Connection, *, operator_id: int, player_id: int, currency: str, spec: GrantSpec
) -> asyncpg.Record | None:
    """Create the grant (once per source: a repeat returns the existing grant). Money grants
    are never given to a player whose marketing is suppressed (safety, self-exclusion): None."""
    money = spec.kind != DEPOSIT_WAGERING
    if money and await safety.is_marketing_suppressed(
        conn, operator_id=operator_id, player_id=player_id
    ):
        log.info(
            "bonus_suppressed", operator_id=operator_id, player_id=player_id, source=spec.source_key
        )
        return None
    await q.lock_player_bonuses(conn, player_id)
    now = datetime.now(UTC)
    required = spec.wagering_required
    if required is None:
        required = spec.bonus_amount * spec.wagering_multiplier
    row = await q.insert_grant(
        conn,
        {
            "operator_id": operator_id,
            "player_id": player_id,
            "rule_id": spec.rule_id,
            "kind": spec.kind,
            "source_key": spec.source_key,
            "status": "queued" if money else "active",
            "currency": currency,
            "deposit_id": spec.deposit_id,
            "bonus_amount": spec.bonus_amount,
            "wagering_multiplier": spec.wagering_multiplier,
            "wagering_required": required,
            "game_weights": spec.game_weights,
            "default_weight_bp": spec.default_weight_bp,
            "max_bet": spec.max_bet,
            "max_conversion": spec.max_conversion,
            "free_spins_total": spec.free_spins,
            "free_spins_left": spec.free_spins,
            "free_spin_game_id": spec.free_spin_game_id,
            "free_spin_value": spec.free_spin_value,
            "valid_days": spec.valid_days,
            "expires_at": None if money else now + timedelta(days=spec.valid_days),
            "activated_at": None if money else now,
        },
    )
    if row is None:
        return await q.grant_by_source(conn, operator_id, player_id, spec.source_key)
    log.info(
        "bonus_granted",
        grant_id=row["id"],
        kind=spec.kind,
        player_id=player_id,
        amount=spec.bonus_amount,
    )
    if money:
        await activate_next(conn, player_id)
    return await q.grant_for_update(conn, row["id"])


async def activate_next(conn: asyncpg.Connection, player_id: int) -> None:
    """If no money grant is active, activate the oldest queued one and credit its money."""
    await q.lock_player_bonuses(conn, player_id)
    if await q.active_money_grant(conn, player_id) is not None:
        return
    queued = await q.next_queued_money_grant(conn, player_id)
    if queued is None:
        return
    now = datetime.now(UTC)
    row = await q.update_grant(
        conn,
        queued["id"],
        "queued",
        {
            "status": "active",
            "activated_at": now,
            "expires_at": now + timedelta(days=queued["valid_days"]),
        },
    )
    assert row is not None  # locked by next_queued_money_grant
    if row["bonus_amount"] > 0:
        marketing = await _marketing(conn, row)
        await wallets.credit(
            conn,
            operator_id=row["operator_id"],
            player_id=player_id,
            amount=row["bonus_amount"],
            from_account_id=marketing,
            type="bonus_grant",
            idempotency_key=f"bonus:{row['id']}:grant",
            request={"grant": row["id"], "amount": row["bonus_amount"]},
            to_kind=PLAYER_BONUS,
            reference=f"bonus:{row['id']}",
        )
    await publish(conn, row)
    if row["free_spins_left"] == 0 and row["wagering_progress"] >= row["wagering_required"]:
        await complete(conn, row)  # nothing to wager (N = 0): it converts at once


async def complete(conn: asyncpg.Connection, grant: asyncpg.Record) -> asyncpg.Record:
    """Wagering met. A deposit task just closes; a money grant converts the bonus balance to
    cash, up to its cap, and the next queued grant becomes active."""
    now = datetime.now(UTC)
    if grant["kind"] == DEPOSIT_WAGERING:
        row = await q.update_grant(
            conn,
            grant["id"],
            "active",
            {"status": "completed", "end_reason": "wagering_met", "ended_at": now},
        )
        assert row is not None
        await publish(conn, row)
        return row
    converted, excess = await _sweep_bonus(
        conn, grant, cap=grant["max_conversion"], purpose="convert"
    )
    row = await q.update_grant(
        conn,
        grant["id"],
        "active",
        {
            "status": "completed",
            "end_reason": "wagering_met",
            "ended_at": now,
            "converted_amount": converted,
            "forfeited_amount": excess,
        },
    )
    assert row is not None
    log.info("bonus_converted", grant_id=grant["id"], converted=converted, forfeited=excess)
    await publish(conn, row)
    await activate_next(conn, grant["player_id"])
    return row


async def end(
    conn: asyncpg.Connection,
    grant: asyncpg.Record,
    *,
    status: str,
    reason: str,
    activate: bool = True,
) -> asyncpg.Record | None:
    """End an open grant without conversion: forfeited, expired, lost or cancelled. An active
    money grant's bonus balance returns to marketing."""
    forfeited = 0
    if grant["status"] == "active" and grant["kind"] != DEPOSIT_WAGERING:
        _, forfeited = await _sweep_bonus(conn, grant, cap=0, purpose="forfeit")
    row = await q.update_grant(
        conn,
        grant["id"],
        grant["status"],
        {
            "status": status,
            "end_reason": reason,
            "ended_at": datetime.now(UTC),
            "forfeited_amount": forfeited,
        },
    )
    if row is None:
        return None
    log.info("bonus_ended", grant_id=grant["id"], status=status, reason=reason, forfeited=forfeited)
    await publish(conn, row)
    if activate and grant["kind"] != DEPOSIT_WAGERING:
        await activate_next(conn, grant["player_id"])
    return row


async def _sweep_bonus(
    conn: asyncpg.Connection, grant: asyncpg.Record, *, cap: int | None, purpose: str
) -> tuple[int, int]:
    """Empty the player's bonus balance: up to ``cap`` (None: all) to cash, the rest to
    marketing. Returns (to cash, to marketing)."""
    operator_id, player_id = grant["operator_id"], grant["player_id"]
    accounts = await wallets.player_accounts(
        conn, operator_id=operator_id, player_id=player_id, currency=grant["currency"]
    )
    marketing = await _marketing(conn, grant)
    for attempt in range(_SWEEP_ATTEMPTS):
        balance = await ledger.account_balance(conn, accounts.bonus_id)
        if balance <= 0:
            return 0, 0
        to_cash = balance if cap is None else min(balance, cap)
        legs = [
            Leg(accounts.bonus_id, -balance),
            Leg(accounts.cash_id, to_cash),
            Leg(marketing, balance - to_cash),
        ]
        result = await ledger.post(
            conn,
            operator_id=operator_id,
            type=f"bonus_{purpose}",
            idempotency_key=f"bonus:{grant['id']}:{purpose}:{attempt}",
            request={"grant": grant["id"], "balance": balance, "toCash": to_cash},
            legs=[leg for leg in legs if leg.amount],
            reference=f"bonus:{grant['id']}",
        )
        if result.posted:
            return to_cash, balance - to_cash
    raise RuntimeError(f"bonus grant {grant['id']}: the balance kept changing during {purpose}")


async def _marketing(conn: asyncpg.Connection, grant: asyncpg.Record) -> int:
    return await ledger.ensure_account(
        conn, operator_id=grant["operator_id"], kind="marketing", currency=grant["currency"]
    )


async def publish(conn: asyncpg.Connection, grant: asyncpg.Record) -> None:
    await realtime.publish(
        conn,
        audience=realtime.player_audience(grant["player_id"]),
        topic="bonus",
        payload=grant_event(grant),
        operator_id=grant["operator_id"],
    )


def grant_event(grant: asyncpg.Record) -> dict[str, Any]:
    return {
        "grantId": grant["id"],
        "kind": grant["kind"],
        "status": grant["status"],
        "bonusAmount": grant["bonus_amount"],
        "wageringRequired": grant["wagering_required"],
        "wageringProgress": grant["wagering_progress"],
        "freeSpinsLeft": grant["free_spins_left"],
        "convertedAmount": grant["converted_amount"],
        "forfeitedAmount": grant["forfeited_amount"],
    }
