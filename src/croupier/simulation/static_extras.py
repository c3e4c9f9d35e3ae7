"""The static seed's promotions and shops: the VIP ladder, each operator's bonus rules, and the
sweepstakes operator's agents with their cashiers and float. Idempotent like the rest."""

from __future__ import annotations

import asyncpg

from croupier.auth.principal import Role
from croupier.bonuses import rules as bonus_rules
from croupier.games import service as games
from croupier.kit.tenancy import Scope
from croupier.operators import service as operators
from croupier.simulation import demo_data as data
from croupier.vip import levels as vip_levels
from croupier.vouchers import agents as voucher_agents

Login = tuple[str, str, str, str]


def agent_email(code: str) -> str:
    return f"{code}@{data.SWEEPSTAKES_OPERATOR}.example.com"


def cashier_email(code: str, number: int) -> str:
    return f"{code}-cashier{number}@{data.SWEEPSTAKES_OPERATOR}.example.com"


async def _game_ids(conn: asyncpg.Connection) -> dict[str, int]:
    rows = await games.list_games(conn, category=None, operator_id=None, include_inactive=True)
    return {row["slug"]: row["id"] for row in rows}


async def seed_vip_levels(conn: asyncpg.Connection) -> None:
    known = {row["level"] for row in await vip_levels.list_levels(conn)}
    game_id = (await _game_ids(conn))[data.VIP_FREE_SPIN_GAME]
    for level, name, xp, cashback_bp, free_spins, boost_bp in data.VIP_LEVELS:
        if level in known:
            continue
        await vip_levels.create_level(
            conn,
            {
                "level": level,
                "name": name,
                "xp_required": xp,
                "cashback_bp": cashback_bp,
                "cashback_as": "bonus",
                "free_spins": free_spins,
                "free_spin_game_id": game_id if free_spins else None,
                "free_spin_value": data.VIP_FREE_SPIN_VALUE if free_spins else None,
                "deposit_bonus_boost_bp": boost_bp,
            },
        )


async def seed_bonus_rules(conn: asyncpg.Connection) -> None:
    operator_ids = {row["slug"]: row["id"] for row in await operators.list_operators(conn)}
    game_ids = await _game_ids(conn)
    for slug, specs in data.BONUS_RULES.items():
        scope = Scope(operator_id=operator_ids[slug])
        known = {row["code"] for row in await bonus_rules.list_rules(conn, scope, active=None)}
        for spec in specs:
            if spec["code"] in known:
                continue
            fields = dict(spec)
            game = fields.pop("free_spin_game", None)
            if game is not None:
                fields["free_spin_game_id"] = game_ids[str(game)]
            await bonus_rules.create_rule(conn, scope, fields)


async def seed_shops(conn: asyncpg.Connection) -> list[Login]:
    """Seed 000's agents of the sweepstakes operator, each with cashiers and a funded float.
    The float is bought once: its funding's idempotency key makes a rerun a replay."""
    operator = next(
        row
        for row in await operators.list_operators(conn)
        if row["slug"] == data.SWEEPSTAKES_OPERATOR
    )
    if operator["mode"] != "sweepstakes":
        return []
    scope = Scope(operator_id=operator["id"])
    known, _ = await voucher_agents.list_agents(conn, scope, after=None, limit=200)
    by_code = {agent.code: agent.id for agent in known}
    admin_id = await _operator_admin_id(conn, scope, operator["id"])
    logins: list[Login] = []
    for code, name, region, initial_float, cashiers in data.AGENTS:
        agent_id = by_code.get(code)
        if agent_id is None:
            view, _ = await voucher_agents.create_agent(
                conn,
                scope,
                operator_id=operator["id"],
                code=code,
                name=name,
                region=region,
                email=agent_email(code),
                password=data.DEMO_PASSWORD,
                display_name=f"{name} owner",
            )
            agent_id = view.id
        await voucher_agents.fund_float(
            conn,
            scope,
            agent_id=agent_id,
            amount=initial_float,
            idempotency_key=f"demo-seed-float-{code}",
            staff_id=admin_id,
            note="Demo float",
        )
        logins.append(("agent", data.SWEEPSTAKES_OPERATOR, agent_email(code), data.DEMO_PASSWORD))
        for number in range(1, cashiers + 1):
            email = cashier_email(code, number)
            if not await operators.staff_exists(conn, email):
                await voucher_agents.create_cashier(
                    conn,
                    scope,
                    agent_id=agent_id,
                    email=email,
                    password=data.DEMO_PASSWORD,
                    display_name=f"{name} cashier {number}",
                )
            logins.append(("cashier", data.SWEEPSTAKES_OPERATOR, email, data.DEMO_PASSWORD))
    return logins


async def _operator_admin_id(conn: asyncpg.Connection, scope: Scope, operator_id: int) -> int:
    staff = await operators.list_staff(conn, scope, operator_id)
    return next(row["id"] for row in staff if row["role"] == Role.OPERATOR_ADMIN)
