"""Cashback: a share of each player's net real-money loss over a period, by VIP level.

Periods are calendar days or ISO weeks in the operator's timezone (``operators.settings["vip"]
["cashbackPeriod"]``: "daily" or "weekly", default weekly). A player is paid at most once per
period: the (operator, player, period start) row is claimed before any money moves, and the
ledger transfer's key names the period too. Paid from the operator's marketing account, as cash
or as a bonus grant per the level's ``cashback_as``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import structlog

from croupier.bonuses import service as bonuses
from croupier.db.pool import unit_of_work
from croupier.kit.tenancy import Scope
from croupier.ledger import service as ledger
from croupier.operators import service as operators
from croupier.safety import service as safety
from croupier.vip import queries
from croupier.wallets import service as wallets

log = structlog.get_logger("croupier.vip.cashback")


@dataclass(frozen=True, slots=True)
class CashbackRun:
    operator_id: int
    period_start: datetime
    period_end: datetime
    paid: int
    amount: int
    suppressed: int


def last_period(now: datetime, zone: ZoneInfo, period: str) -> tuple[datetime, datetime]:
    """The last complete period before ``now``, as UTC instants."""
    local = now.astimezone(zone)
    end = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "weekly":
        end -= timedelta(days=end.weekday())
        start = end - timedelta(days=7)
    else:
        start = end - timedelta(days=1)
    # Rebuild from the wall-clock dates, so a DST change inside the period keeps midnights.
    start = datetime(start.year, start.month, start.day, tzinfo=zone)
    end = datetime(end.year, end.month, end.day, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


async def operator_period(
    conn: asyncpg.Connection, operator_id: int, now: datetime
) -> tuple[datetime, datetime]:
    operator = await operators.get_operator(conn, Scope(operator_id=operator_id), operator_id)
    period = (operator["settings"].get("vip") or {}).get("cashbackPeriod", "weekly")
    return last_period(now, ZoneInfo(operator["timezone"]), period)


async def pay_cashback(
    conn: asyncpg.Connection, *, operator_id: int, period_start: datetime, period_end: datetime
) -> CashbackRun:
    """Pay every eligible player of the operator for the period (idempotent)."""
    currency = await operators.operator_currency(conn, operator_id)
    levels = await queries.list_levels(conn)
    paid = amount_total = suppressed = 0
    for row in await queries.net_cash_losses(conn, operator_id, period_start, period_end):
        level = _level(levels, row["vip_experience"])
        if level is None or level["cashback_bp"] == 0:
            continue
        amount = row["net_loss"] * level["cashback_bp"] // 10_000
        if amount <= 0:
            continue
        player_id = row["player_id"]
        cashback_id = await queries.claim_cashback(
            conn,
            {
                "operator_id": operator_id,
                "player_id": player_id,
                "period_start": period_start,
                "period_end": period_end,
                "level": level["level"],
                "rate_bp": level["cashback_bp"],
                "net_loss": row["net_loss"],
                "amount": amount,
                "paid_as": level["cashback_as"],
                "status": "paid",
            },
        )
        if cashback_id is None:
            continue
        period_key = f"{player_id}:{period_start.isoformat()}"
        transfer_id = grant_id = None
        if await safety.is_marketing_suppressed(conn, operator_id=operator_id, player_id=player_id):
            status = "suppressed"
        elif level["cashback_as"] == "cash":
            # Opened on first use: the housekeeping job runs this every minute for every
            # operator, and a period with nobody to pay must write nothing.
            marketing = await ledger.ensure_account(
                conn, operator_id=operator_id, kind="marketing", currency=currency
            )
            result = await wallets.credit(
                conn,
                operator_id=operator_id,
                player_id=player_id,
                amount=amount,
                from_account_id=marketing,
                type="vip_cashback",
                idempotency_key=f"vip:cashback:{period_key}",
                request={"amount": amount, "periodStart": period_start.isoformat()},
                reference=f"vip_cashback:{cashback_id}",
            )
            status, transfer_id = "paid", result.transfer_id
        else:
            grant = await bonuses.grant_cashback(
                conn,
                operator_id=operator_id,
                player_id=player_id,
                currency=currency,
                amount=amount,
                period_key=period_start.isoformat(),
            )
            status, grant_id = ("paid", grant["id"]) if grant else ("suppressed", None)
        await queries.finish_cashback(
            conn, cashback_id, status=status, transfer_id=transfer_id, grant_id=grant_id
        )
        if status == "paid":
            paid += 1
            amount_total += amount
        else:
            suppressed += 1
    if paid or suppressed:
        log.info(
            "vip_cashback_paid",
            operator_id=operator_id,
            period_start=period_start.isoformat(),
            players=paid,
            amount=amount_total,
            suppressed=suppressed,
        )
    return CashbackRun(operator_id, period_start, period_end, paid, amount_total, suppressed)


async def run_due(pool: asyncpg.Pool, *, now: datetime | None = None) -> list[CashbackRun]:
    """Pay every operator's last complete period, one unit of work per operator; safe to run
    as often as wanted (a period is paid once)."""
    moment = now or datetime.now(UTC)
    async with unit_of_work(pool) as uow:
        operator_ids = [row["id"] for row in await operators.list_operators(uow.conn)]
    runs = []
    for operator_id in operator_ids:
        async with unit_of_work(pool) as uow:
            start, end = await operator_period(uow.conn, operator_id, moment)
            runs.append(
                await pay_cashback(
                    uow.conn, operator_id=operator_id, period_start=start, period_end=end
                )
            )
    return runs


def _level(levels: list[asyncpg.Record], xp: int) -> asyncpg.Record | None:
    reached = [level for level in levels if level["xp_required"] <= xp]
    return max(reached, key=lambda level: level["xp_required"]) if reached else None
