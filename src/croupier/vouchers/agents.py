"""Agents (the seed's AGENT tenants), their staff logins and cashiers, and their floats.

An agent is a shop under a sweepstakes operator. Its people log in as staff users: role
``agent`` for the shop's owner, ``cashier`` for the counter; both carry the agent's id, so the
session's scope pins them to their own shop. The operator sells float to the agent for cash
(outside the platform) and records it here; the agent can never issue beyond it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg
import structlog

from croupier.auth.principal import Role
from croupier.kit.tenancy import Scope
from croupier.operators import service as operators
from croupier.vouchers import money, queries
from croupier.vouchers.errors import (
    AgentCodeTakenError,
    AgentNotFoundError,
    SweepstakesOnlyError,
)

log = structlog.get_logger("croupier.vouchers.agents")

SWEEPSTAKES = "sweepstakes"


@dataclass(frozen=True, slots=True)
class AgentView:
    id: int
    operator_id: int
    code: str
    name: str
    region: str | None
    status: str
    currency: str
    float_balance: int
    outstanding: int  # face value + bonus of its active vouchers, held on the ledger
    active_vouchers: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FloatFunding:
    agent_id: int
    amount: int
    currency: str
    float_balance: int
    transfer_id: int
    replayed: bool


async def require_agent(conn: asyncpg.Connection, scope: Scope, agent_id: int) -> asyncpg.Record:
    """The agent if the caller may reach it (404 otherwise, whether it exists or not) and its
    operator runs sweepstakes."""
    row = await queries.get_agent(conn, scope, agent_id)
    if row is None:
        raise AgentNotFoundError()
    if row["operator_mode"] != SWEEPSTAKES:
        raise SweepstakesOnlyError()
    return row


async def _view(conn: asyncpg.Connection, row: asyncpg.Record) -> AgentView:
    float_balance, outstanding = await money.agent_balances(
        conn, operator_id=row["operator_id"], agent_id=row["id"], currency=row["currency"]
    )
    return AgentView(
        id=row["id"],
        operator_id=row["operator_id"],
        code=row["code"],
        name=row["name"],
        region=row["region"],
        status=row["status"],
        currency=row["currency"],
        float_balance=float_balance,
        outstanding=outstanding,
        active_vouchers=row["active_vouchers"],
        created_at=row["created_at"],
    )


async def create_agent(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    operator_id: int,
    code: str,
    name: str,
    region: str | None,
    email: str,
    password: str,
    display_name: str | None,
) -> tuple[AgentView, asyncpg.Record]:
    """The agent tenant and its first login (role ``agent``), in one unit of work."""
    operator = await operators.get_operator(conn, scope, operator_id)
    if operator["mode"] != SWEEPSTAKES:
        raise SweepstakesOnlyError()
    agent_id = await queries.insert_agent(
        conn, operator_id=operator_id, code=code, name=name, region=region
    )
    if agent_id is None:
        raise AgentCodeTakenError()
    staff = await operators.create_staff(
        conn,
        email=email,
        password=password,
        role=Role.AGENT,
        operator_id=operator_id,
        agent_id=agent_id,
        display_name=display_name,
    )
    log.info("agent_created", agent_id=agent_id, operator_id=operator_id)
    return await get_agent(conn, scope, agent_id), staff


async def get_agent(conn: asyncpg.Connection, scope: Scope, agent_id: int) -> AgentView:
    return await _view(conn, await require_agent(conn, scope, agent_id))


async def list_agents(
    conn: asyncpg.Connection, scope: Scope, *, after: int | None, limit: int
) -> tuple[list[AgentView], int | None]:
    """Agents in the caller's scope by id (an agent's own staff see only their agent), and the
    id to continue after."""
    rows = await queries.list_agents(conn, scope, after=after, limit=limit + 1)
    more = len(rows) > limit
    views = [await _view(conn, row) for row in rows[:limit]]
    return views, views[-1].id if more else None


async def create_cashier(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    agent_id: int,
    email: str,
    password: str,
    display_name: str | None,
) -> asyncpg.Record:
    agent = await require_agent(conn, scope, agent_id)
    staff = await operators.create_staff(
        conn,
        email=email,
        password=password,
        role=Role.CASHIER,
        operator_id=agent["operator_id"],
        agent_id=agent_id,
        display_name=display_name,
    )
    log.info("cashier_created", agent_id=agent_id, staff_id=staff["id"])
    return staff


async def list_cashiers(
    conn: asyncpg.Connection, scope: Scope, agent_id: int
) -> list[asyncpg.Record]:
    agent = await require_agent(conn, scope, agent_id)
    staff = await operators.list_staff(conn, scope, agent["operator_id"])
    return [row for row in staff if row["agent_id"] == agent_id and row["role"] == "cashier"]


async def fund_float(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    agent_id: int,
    amount: int,
    idempotency_key: str,
    staff_id: int,
    note: str | None,
) -> FloatFunding:
    """Record float the agent bought; the same key and amount replay, another amount is 409."""
    agent = await require_agent(conn, scope, agent_id)
    result, float_id = await money.fund_float(
        conn,
        operator_id=agent["operator_id"],
        agent_id=agent_id,
        currency=agent["currency"],
        amount=amount,
        idempotency_key=idempotency_key,
        staff_id=staff_id,
        note=note,
    )
    log.info("agent_float_funded", agent_id=agent_id, amount=amount, replayed=result.replayed)
    return FloatFunding(
        agent_id=agent_id,
        amount=amount,
        currency=agent["currency"],
        float_balance=result.balances[float_id],
        transfer_id=result.transfer_id,
        replayed=result.replayed,
    )
