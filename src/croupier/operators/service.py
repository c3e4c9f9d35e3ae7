"""Operator and staff administration rules."""

from __future__ import annotations

from typing import Any

import asyncpg
import structlog

from croupier.auth.passwords import check_password_rules, hash_password
from croupier.auth.principal import Role
from croupier.kit.errors import ConflictError, InvalidInputError, NotFoundError
from croupier.kit.tenancy import Scope
from croupier.operators import queries

log = structlog.get_logger("croupier.operators")


class OperatorSlugTakenError(ConflictError):
    code = "OPERATOR_SLUG_TAKEN"
    default_message = "An operator with that slug already exists."


class StaffEmailTakenError(ConflictError):
    code = "STAFF_EMAIL_TAKEN"
    default_message = "A staff user with that email already exists."


async def create_operator(conn: asyncpg.Connection, **fields: Any) -> asyncpg.Record:
    row = await queries.insert_operator(conn, **fields)
    if row is None:
        raise OperatorSlugTakenError()
    log.info("operator_created", operator_id=row["id"], slug=row["slug"])
    return row


async def get_operator(conn: asyncpg.Connection, scope: Scope, operator_id: int) -> asyncpg.Record:
    scope.check(operator_id, "Operator")
    row = await queries.get_operator(conn, operator_id)
    if row is None:
        raise NotFoundError("Operator not found.")
    return row


async def list_operators(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await queries.list_operators(conn)


async def update_operator(
    conn: asyncpg.Connection, operator_id: int, changes: dict[str, Any]
) -> asyncpg.Record:
    if not changes:
        raise InvalidInputError("Nothing to update.")
    row = await queries.update_operator(conn, operator_id, changes)
    if row is None:
        raise NotFoundError("Operator not found.")
    log.info("operator_updated", operator_id=operator_id, fields=sorted(changes))
    return row


async def create_staff(
    conn: asyncpg.Connection,
    *,
    email: str,
    password: str,
    role: Role,
    operator_id: int | None,
    agent_id: int | None = None,
    display_name: str | None = None,
) -> asyncpg.Record:
    check_password_rules(password, email=email, username=None)
    if await queries.staff_email_exists(conn, email):
        raise StaffEmailTakenError()
    row = await queries.insert_staff(
        conn,
        email=email,
        password_hash=await hash_password(password),
        role=role.value,
        operator_id=operator_id,
        agent_id=agent_id,
        display_name=display_name,
    )
    if row is None:
        raise StaffEmailTakenError()
    log.info("staff_created", staff_id=row["id"], role=role.value, operator_id=operator_id)
    return row


async def staff_exists(conn: asyncpg.Connection, email: str) -> bool:
    return await queries.staff_email_exists(conn, email)


async def ensure_affiliate(
    conn: asyncpg.Connection, *, operator_id: int, code: str, name: str, revenue_share_bp: int
) -> int:
    return await queries.upsert_affiliate(
        conn, operator_id=operator_id, code=code, name=name, revenue_share_bp=revenue_share_bp
    )


async def list_staff(
    conn: asyncpg.Connection, scope: Scope, operator_id: int
) -> list[asyncpg.Record]:
    scope.check(operator_id, "Operator")
    return await queries.list_staff(conn, operator_id)


async def ensure_platform_admin(conn: asyncpg.Connection, email: str, password: str) -> None:
    """Bootstrap the first platform admin from CROUPIER_ADMIN_EMAIL / CROUPIER_ADMIN_PASSWORD."""
    if await queries.staff_email_exists(conn, email):
        return
    await queries.insert_staff(
        conn,
        email=email,
        password_hash=await hash_password(password),
        role=Role.PLATFORM_ADMIN.value,
        operator_id=None,
        agent_id=None,
        display_name="Platform admin",
    )
    log.info("platform_admin_bootstrapped")


# An operator's currency never changes after creation (balances are denominated in it), so it is
# cached per process; no other operator field is.
_CURRENCY_CACHE: dict[int, str] = {}


async def operator_currency(conn: asyncpg.Connection, operator_id: int) -> str:
    currency = _CURRENCY_CACHE.get(operator_id)
    if currency is None:
        row = await queries.get_operator(conn, operator_id)
        if row is None:
            raise NotFoundError("Operator not found.")
        currency = _CURRENCY_CACHE[operator_id] = row["currency"]
    return currency


def forget_cached_currencies() -> None:
    _CURRENCY_CACHE.clear()


async def operator_settings(conn: asyncpg.Connection, operator_id: int) -> dict[str, Any]:
    row = await queries.get_operator(conn, operator_id)
    if row is None:
        raise NotFoundError("Operator not found.")
    return row["settings"]
