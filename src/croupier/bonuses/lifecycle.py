"""Grants driven by other domains' events: deposits, withdrawals, VIP rewards, cashback, and
the expiry job."""

from __future__ import annotations

import asyncpg
import structlog

from croupier.bonuses import grants
from croupier.bonuses import queries as q
from croupier.bonuses.config import bonus_settings
from croupier.bonuses.errors import BonusCodeInvalidError
from croupier.bonuses.grants import DEPOSIT_WAGERING, GrantSpec

log = structlog.get_logger("croupier.bonuses")


async def deposit_rule_for_code(
    conn: asyncpg.Connection, *, operator_id: int, player_id: int, code: str, amount: int
) -> int:
    """The deposit-match rule a bonus code names, checked against this deposit."""
    rule = await q.rule_by_code(conn, operator_id, code.strip().upper())
    if rule is None or not rule["active"] or rule["kind"] != "deposit_match":
        raise BonusCodeInvalidError(bonusCode=code)
    if amount < rule["min_deposit"]:
        raise BonusCodeInvalidError(
            "The deposit is below this bonus's minimum.", minDeposit=rule["min_deposit"]
        )
    return rule["id"]


async def on_deposit_completed(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    deposit_id: int,
    amount: int,
    currency: str,
    bonus_rule_id: int | None,
    boost_bp: int,
) -> None:
    """The deposit's own turnover requirement (deposits 1×) and, if the player chose one, its
    match bonus: min(cap, amount × match) raised by the VIP level's boost."""
    settings = await bonus_settings(conn, operator_id)
    if settings.deposit_wagering_multiplier > 0:
        await grants.grant(
            conn,
            operator_id=operator_id,
            player_id=player_id,
            currency=currency,
            spec=GrantSpec(
                kind=DEPOSIT_WAGERING,
                source_key=f"deposit:{deposit_id}:wagering",
                wagering_multiplier=settings.deposit_wagering_multiplier,
                wagering_required=amount * settings.deposit_wagering_multiplier,
                valid_days=settings.deposit_wagering_days,
                deposit_id=deposit_id,
            ),
        )
    rule = await q.get_rule(conn, bonus_rule_id) if bonus_rule_id else None
    if rule is None or not rule["active"] or amount < rule["min_deposit"]:
        return
    matched = min(rule["max_bonus"], amount * rule["match_bp"] // 10_000)
    bonus = matched * (10_000 + boost_bp) // 10_000
    if bonus > 0:
        await grants.grant(
            conn,
            operator_id=operator_id,
            player_id=player_id,
            currency=currency,
            spec=_rule_spec(
                rule,
                source_key=f"deposit:{deposit_id}:match",
                bonus_amount=bonus,
                deposit_id=deposit_id,
            ),
        )


async def on_deposit_reversed(
    conn: asyncpg.Connection, *, operator_id: int, player_id: int, deposit_id: int
) -> None:
    """A refunded or charged-back deposit takes its wagering task and match bonus with it."""
    await q.lock_player_bonuses(conn, player_id)
    for grant in await q.open_grants(conn, player_id, deposit_id=deposit_id):
        status = "forfeited" if grant["status"] == "active" else "cancelled"
        if grant["kind"] == DEPOSIT_WAGERING:
            status = "cancelled"
        await grants.end(conn, grant, status=status, reason="deposit_reversed")


async def forfeit_for_withdrawal(
    conn: asyncpg.Connection, *, operator_id: int, player_id: int
) -> None:
    """A withdrawal request forfeits every open money grant (its bonus money to marketing)."""
    await q.lock_player_bonuses(conn, player_id)
    for grant in await q.open_grants(conn, player_id):
        if grant["kind"] == DEPOSIT_WAGERING:
            continue
        status = "forfeited" if grant["status"] == "active" else "cancelled"
        await grants.end(conn, grant, status=status, reason="withdrawal_requested", activate=False)


async def grant_vip_free_spins(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    currency: str,
    level: int,
    count: int,
    game_id: int,
    spin_value: int,
) -> asyncpg.Record | None:
    settings = await bonus_settings(conn, operator_id)
    return await grants.grant(
        conn,
        operator_id=operator_id,
        player_id=player_id,
        currency=currency,
        spec=GrantSpec(
            kind="vip_reward",
            source_key=f"vip:level:{level}",
            wagering_multiplier=settings.wagering_multiplier,
            valid_days=settings.valid_days,
            free_spins=count,
            free_spin_game_id=game_id,
            free_spin_value=spin_value,
        ),
    )


async def grant_cashback(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    currency: str,
    amount: int,
    period_key: str,
) -> asyncpg.Record | None:
    settings = await bonus_settings(conn, operator_id)
    return await grants.grant(
        conn,
        operator_id=operator_id,
        player_id=player_id,
        currency=currency,
        spec=GrantSpec(
            kind="cashback",
            source_key=f"cashback:{period_key}",
            bonus_amount=amount,
            wagering_multiplier=settings.cashback_wagering_multiplier,
            valid_days=settings.valid_days,
        ),
    )


async def expire_due(conn: asyncpg.Connection, *, limit: int = 100) -> int:
    """End grants past their expiry. The player's lock comes before the grant's row, as in every
    other flow; a grant another worker ended meanwhile is skipped."""
    if not await q.try_lock_job(conn, "bonuses:expiry"):
        return 0
    expired = 0
    for candidate in await q.expired_grants(conn, limit):
        await q.lock_player_bonuses(conn, candidate["player_id"])
        grant = await q.grant_for_update(conn, candidate["id"])
        if grant is None or grant["status"] != "active":
            continue
        if await grants.end(conn, grant, status="expired", reason="expired") is not None:
            expired += 1
    return expired


def _rule_spec(
    rule: asyncpg.Record, *, source_key: str, bonus_amount: int, deposit_id: int | None = None
) -> GrantSpec:
    return GrantSpec(
        kind=rule["kind"],
        source_key=source_key,
        rule_id=rule["id"],
        deposit_id=deposit_id,
        bonus_amount=bonus_amount,
        wagering_multiplier=rule["wagering_multiplier"],
        valid_days=rule["valid_days"],
        game_weights=rule["game_weights"],
        default_weight_bp=rule["default_weight_bp"],
        max_bet=rule["max_bet"],
        max_conversion=rule["max_conversion"],
        free_spins=rule["free_spins"] or 0,
        free_spin_game_id=rule["free_spin_game_id"],
        free_spin_value=rule["free_spin_value"],
    )


def rule_spec(rule: asyncpg.Record, *, source_key: str) -> GrantSpec:
    """A no-deposit or free-spins rule as a grant."""
    return _rule_spec(rule, source_key=source_key, bonus_amount=rule["bonus_amount"] or 0)
