"""Bonus rules (operator admins) and the grants made from them: a player's claim by code, or
an operator's grant to one player. A rule's terms are copied onto each grant, so editing a rule
never changes a bonus already given."""

from __future__ import annotations

from typing import Any

import asyncpg
import structlog

from croupier.bonuses import grants
from croupier.bonuses import queries as q
from croupier.bonuses.config import bonus_settings
from croupier.bonuses.errors import (
    BonusAlreadyClaimedError,
    BonusCodeInvalidError,
    BonusCodeTakenError,
    BonusNotAvailableError,
    BonusRuleInvalidError,
    BonusRuleNotFoundError,
)
from croupier.bonuses.lifecycle import rule_spec
from croupier.games import service as games
from croupier.kit.tenancy import Scope
from croupier.operators import service as operators
from croupier.players import service as players

log = structlog.get_logger("croupier.bonuses")
CLAIMABLE = ("no_deposit", "free_spins")
_NOT_NULL = frozenset(
    {
        "name",
        "active",
        "min_deposit",
        "wagering_multiplier",
        "valid_days",
        "game_weights",
        "default_weight_bp",
    }
)


async def create_rule(
    conn: asyncpg.Connection, scope: Scope, fields: dict[str, Any]
) -> asyncpg.Record:
    operator_id = scope.require_operator()
    defaults = await bonus_settings(conn, operator_id)
    fields = {
        **fields,
        "operator_id": operator_id,
        "wagering_multiplier": fields.get("wagering_multiplier", defaults.wagering_multiplier),
        "valid_days": fields.get("valid_days", defaults.valid_days),
    }
    await _check_free_spin_game(conn, operator_id, fields)
    try:
        row = await q.insert_rule(conn, fields)
    except asyncpg.CheckViolationError as exc:
        raise BonusRuleInvalidError(constraint=exc.constraint_name) from exc
    if row is None:
        raise BonusCodeTakenError(code=fields["code"])
    log.info("bonus_rule_created", rule_id=row["id"], operator_id=operator_id, kind=row["kind"])
    return row


async def update_rule(
    conn: asyncpg.Connection, scope: Scope, rule_id: int, changes: dict[str, Any]
) -> asyncpg.Record:
    rule = await get_rule(conn, scope, rule_id)
    cleared = sorted(name for name in _NOT_NULL if name in changes and changes[name] is None)
    if cleared:
        raise BonusRuleInvalidError("These fields cannot be cleared.", fields=cleared)
    if not changes:
        return rule
    await _check_free_spin_game(conn, rule["operator_id"], {**dict(rule), **changes})
    try:
        row = await q.update_rule(conn, rule_id, changes)
    except asyncpg.CheckViolationError as exc:
        raise BonusRuleInvalidError(constraint=exc.constraint_name) from exc
    assert row is not None
    log.info("bonus_rule_updated", rule_id=rule_id, fields=sorted(changes))
    return row


async def get_rule(conn: asyncpg.Connection, scope: Scope, rule_id: int) -> asyncpg.Record:
    rule = await q.get_rule(conn, rule_id)
    if rule is None or not scope.allows(rule["operator_id"]):
        raise BonusRuleNotFoundError()
    return rule


async def list_rules(
    conn: asyncpg.Connection, scope: Scope, *, active: bool | None
) -> list[asyncpg.Record]:
    return await q.list_rules(conn, scope, active=active)


async def claim(
    conn: asyncpg.Connection, *, operator_id: int, player_id: int, code: str
) -> asyncpg.Record:
    """A player claims a no-deposit or free-spins bonus by its code, once."""
    rule = await q.rule_by_code(conn, operator_id, code.strip().upper())
    if rule is None or not rule["active"] or rule["kind"] not in CLAIMABLE:
        raise BonusCodeInvalidError(bonusCode=code)
    return await _grant_rule(conn, operator_id, player_id, rule)


async def grant_rule_to_player(
    conn: asyncpg.Connection, scope: Scope, *, player_id: int, rule_id: int
) -> asyncpg.Record:
    """Operator staff give one player a no-deposit or free-spins bonus, once per rule."""
    player = await players.get_player(conn, scope, player_id)
    rule = await get_rule(conn, Scope(operator_id=player["operator_id"]), rule_id)
    if not rule["active"] or rule["kind"] not in CLAIMABLE:
        raise BonusRuleInvalidError("Only active no-deposit or free-spins rules can be granted.")
    return await _grant_rule(conn, player["operator_id"], player_id, rule)


async def _grant_rule(
    conn: asyncpg.Connection, operator_id: int, player_id: int, rule: asyncpg.Record
) -> asyncpg.Record:
    source_key = f"rule:{rule['id']}"
    if await q.grant_by_source(conn, operator_id, player_id, source_key) is not None:
        raise BonusAlreadyClaimedError()
    grant = await grants.grant(
        conn,
        operator_id=operator_id,
        player_id=player_id,
        currency=await operators.operator_currency(conn, operator_id),
        spec=rule_spec(rule, source_key=source_key),
    )
    if grant is None:
        raise BonusNotAvailableError()
    return grant


async def _check_free_spin_game(
    conn: asyncpg.Connection, operator_id: int, fields: dict[str, Any]
) -> None:
    game_id = fields.get("free_spin_game_id")
    if game_id is None:
        return
    game = await games.playable_game(conn, game_id, operator_id)
    value = fields.get("free_spin_value")
    if value is not None and not game["min_bet"] <= value <= game["max_bet"]:
        raise BonusRuleInvalidError(
            "The free spin value is outside the game's stake limits.",
            minBet=game["min_bet"],
            maxBet=game["max_bet"],
        )
