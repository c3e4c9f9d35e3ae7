"""Custom game events: store, list the last 100, aggregate by type and local day.

Each event keeps the client's timestamp as sent and the server's receive time. Stats bucket
by the receive time: a client clock can be wrong or forged, and the server's cannot be moved
by the player, so the same events always land on the same days.

Who sees which stats: a player sees their own events; an operator admin sees the whole
operator; a platform admin sees one operator (``operatorId``) or, without it, the platform.
Days are calendar days in ``timezone`` (default: the operator's, or UTC platform-wide).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg

from croupier.auth.principal import Principal
from croupier.engagement.api import queries
from croupier.kit.errors import InvalidInputError
from croupier.kit.tenancy import Scope
from croupier.operators import service as operators

RECENT_LIMIT = 100
DEFAULT_DAYS = 30
MAX_DAYS = 366


@dataclass(frozen=True, slots=True)
class Stats:
    scope: str  # player | operator | platform
    operator_id: int | None
    player_id: int | None
    timezone: str
    start: date
    end: date
    rows: list[tuple[date, str, int]]  # (day, event type, count), sorted

    @property
    def total(self) -> int:
        return sum(count for _, _, count in self.rows)

    def by_type(self) -> list[tuple[str, int]]:
        counts: Counter[str] = Counter()
        for _, event_type, count in self.rows:
            counts[event_type] += count
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    def by_day(self) -> list[tuple[date, int]]:
        counts: Counter[date] = Counter()
        for day, _, count in self.rows:
            counts[day] += count
        return sorted(counts.items())


async def record(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    player_id: int,
    event_type: str,
    meta: dict[str, Any],
    client_ts: datetime,
) -> asyncpg.Record:
    return await queries.insert_event(
        conn,
        operator_id=operator_id,
        player_id=player_id,
        event_type=event_type,
        meta=meta,
        client_ts=client_ts,
    )


async def recent(conn: asyncpg.Connection, *, player_id: int) -> list[asyncpg.Record]:
    """The player's last 100 events, newest (by receive time) first."""
    return await queries.recent_events(conn, player_id, RECENT_LIMIT)


async def stats(
    conn: asyncpg.Connection,
    principal: Principal,
    *,
    operator_id: int | None,
    start: date | None,
    end: date | None,
    timezone: str | None,
) -> Stats:
    scope = principal.scope(operator_id)
    player_id = principal.subject_id if principal.is_player else None
    zone_name = timezone or await _default_zone(conn, scope)
    zone = _zone(zone_name)
    end = end or datetime.now(zone).date()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise InvalidInputError("'from' must not be after 'to'.", field="from")
    if (end - start).days >= MAX_DAYS:
        raise InvalidInputError(f"At most {MAX_DAYS} days per request.", field="from")
    rows = await queries.event_counts(
        conn,
        scope,
        player_id=player_id,
        timezone=zone_name,
        start=datetime.combine(start, time(), zone),
        end=datetime.combine(end + timedelta(days=1), time(), zone),
    )
    kind = "player" if player_id else ("operator" if scope.operator_id else "platform")
    return Stats(
        scope=kind,
        operator_id=scope.operator_id,
        player_id=player_id,
        timezone=zone_name,
        start=start,
        end=end,
        rows=[(row["day"], row["event_type"], row["count"]) for row in rows],
    )


async def _default_zone(conn: asyncpg.Connection, scope: Scope) -> str:
    if scope.operator_id is None:
        return "UTC"
    operator = await operators.get_operator(conn, scope, scope.operator_id)
    return operator["timezone"]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInputError("Unknown IANA timezone.", field="timezone") from exc
