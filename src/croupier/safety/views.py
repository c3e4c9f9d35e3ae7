"""How a player's safety state reads to the operator (and the ``player_safety_summary`` hook)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from croupier.safety import limits as limit_rules
from croupier.safety import operator_queries
from croupier.safety.schemas import SafetySummary
from croupier.safety.state import to_ms
from croupier.safety.support import utcnow


def active_restrictions(row: Any, now: datetime) -> dict[str, Any]:
    """The restrictions in force now (expired ones are left out)."""
    if row is None:
        return {}
    columns = {
        "time_out_until": "timeout_until",
        "self_excluded_until": "self_excluded_until",
        "cooldown_until": "cooldown_until",
        "stop_until": "stop_until",
        "marketing_suppressed_until": "marketing_suppressed_until",
    }
    active = {key: row[col] for key, col in columns.items() if row[col] and row[col] > now}
    if "self_excluded_until" in active:
        active["self_excluded_at"] = row["self_excluded_at"]
    if "stop_until" in active:
        active["stop_code"] = row["stop_code"]
    return active


def risk_view(row: Any, now: datetime) -> dict[str, Any]:
    """A player's risk row as the operator sees it (snake_case; the schemas camelCase it)."""
    return {
        "player_id": row["player_id"],
        "username": row["username"],
        "band": row["band"],
        "score": row["score"],
        "reasons": row["reasons"],
        "updated_at": row["updated_at"],
        "restrictions": active_restrictions(row, now),
        "limits": [
            limit_rules.describe(limit, to_ms(now))
            for limit in limit_rules.limits_from_json(row["limits"])
        ],
        "reality_check_minutes": row["reality_check_minutes"],
        "open_case_id": row["open_case_id"],
        "recent_actions": row["recent_actions"],
    }


async def player_safety_summary(
    conn: asyncpg.Connection, *, operator_id: int, player_id: int
) -> dict[str, Any]:
    """For the operator's player view: band, score, reasons, restrictions in force, limits,
    the open case and the last actions, as camelCase JSON."""
    row = await operator_queries.player_risk(conn, operator_id, player_id)
    if row is None:
        view: dict[str, Any] = {
            "band": "NORMAL",
            "score": 0,
            "reasons": [],
            "restrictions": {},
            "limits": [],
            "reality_check_minutes": None,
            "open_case_id": None,
            "recent_actions": [],
        }
    else:
        view = risk_view(row, utcnow())
    return SafetySummary.model_validate(view).model_dump(mode="json", by_alias=True)
