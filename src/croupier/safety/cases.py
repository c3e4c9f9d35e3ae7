"""The operator's side: players by risk, responsible-gambling cases and their notes, config.

Everything goes through the caller's scope; another operator's player or case is a 404.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from croupier.kit.errors import ConflictError
from croupier.kit.pagination import decode_cursor, encode_cursor
from croupier.kit.tenancy import Scope
from croupier.players import service as players
from croupier.safety import operator_queries, queries
from croupier.safety.config import config_from_json, config_problem
from croupier.safety.errors import CaseNotFoundError
from croupier.safety.support import utcnow
from croupier.safety.views import player_safety_summary, risk_view


def _after(cursor: str | None) -> tuple[Any, int] | None:
    if not cursor:
        return None
    moment, row_id = decode_cursor(cursor)
    return moment, int(row_id)


async def list_players(
    conn: asyncpg.Connection, scope: Scope, *, band: str | None, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    rows = await operator_queries.list_player_risk(
        conn, scope, band=band, after=_after(cursor), limit=limit + 1
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1]["updated_at"], rows[-1]["player_id"])
    now = utcnow()
    return [risk_view(row, now) for row in rows], next_cursor


async def player_summary(conn: asyncpg.Connection, scope: Scope, player_id: int) -> dict[str, Any]:
    player = await players.get_player(conn, scope, player_id)  # 404 outside the scope
    return await player_safety_summary(conn, operator_id=player["operator_id"], player_id=player_id)


async def list_cases(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    status: str | None,
    player_id: int | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[asyncpg.Record], str | None]:
    rows = await operator_queries.list_cases(
        conn, scope, status=status, player_id=player_id, after=_after(cursor), limit=limit + 1
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1]["opened_at"], rows[-1]["id"])
    return rows, next_cursor


async def _locked_case(conn: asyncpg.Connection, scope: Scope, case_id: int) -> asyncpg.Record:
    row = await operator_queries.lock_case(conn, case_id)
    if row is None or not scope.allows(row["operator_id"]):
        raise CaseNotFoundError()
    return row


async def add_note(
    conn: asyncpg.Connection, scope: Scope, case_id: int, *, staff_id: int, body: str
) -> asyncpg.Record:
    case = await _locked_case(conn, scope, case_id)
    await operator_queries.insert_note(conn, case_id, case["operator_id"], staff_id, body)
    await _audit(conn, case, staff_id, "case.note", None, {"length": len(body)})
    return await operator_queries.get_case(conn, case_id)


async def update_case(
    conn: asyncpg.Connection, scope: Scope, case_id: int, *, staff_id: int, status: str
) -> asyncpg.Record:
    case = await _locked_case(conn, scope, case_id)
    if case["status"] != status:
        try:
            await operator_queries.set_case_status(conn, case_id, status, staff_id)
        except asyncpg.UniqueViolationError:
            raise ConflictError("This player already has an open case.") from None
        await _audit(conn, case, staff_id, "case.status", case["status"], status)
    return await operator_queries.get_case(conn, case_id)


async def _audit(
    conn: asyncpg.Connection, case: asyncpg.Record, staff_id: int, action: str, old: Any, new: Any
) -> None:
    now = utcnow()
    await queries.insert_audit(
        conn,
        operator_id=case["operator_id"],
        player_id=case["player_id"],
        actor_type="staff",
        actor_id=staff_id,
        action=action,
        subject=f"case:{case['id']}",
        old=old,
        new=new,
        requested_at=now,
        effective_at=now,
    )


async def effective_config(conn: asyncpg.Connection, scope: Scope) -> dict[str, Any]:
    """The operator's configuration as the engine uses it (defaults merged with the override in
    ``operators.settings["safety"]``), and the reason if the override is being ignored."""
    raw = await queries.operator_config(conn, scope.require_operator())
    config = config_from_json(raw)
    return {"config": config.model_dump(mode="json", by_alias=True), "problem": config_problem(raw)}
