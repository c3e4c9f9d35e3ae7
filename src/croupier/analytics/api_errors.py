"""API error rates: every request and 4xx/5xx response counted per route template, operator and
minute, and each error kept, in a per-process buffer.

Nothing touches the database on the request path (``record_response``): the analytics loop of
each process flushes its buffer (``flush``) about every second. The buffer is bounded; past the
bound, error rows are dropped (and counted) while the per-minute counts stay exact.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg

MAX_PENDING_ERRORS = 10_000


@dataclass
class Buffer:
    counts: Counter[tuple[datetime, int, str, str, str]] = field(default_factory=Counter)
    errors: list[tuple[datetime, int | None, str, str, int, str | None]] = field(
        default_factory=list
    )
    dropped: int = 0

    def record(
        self,
        at: datetime,
        operator_id: int | None,
        method: str,
        route: str,
        status: int,
        request_id: str | None,
    ) -> None:
        minute = at.replace(second=0, microsecond=0)
        key_operator = operator_id or 0
        self.counts[(minute, key_operator, method, route, "requests")] += 1
        if status >= 400:
            kind = "errors_5xx" if status >= 500 else "errors_4xx"
            self.counts[(minute, key_operator, method, route, kind)] += 1
            if len(self.errors) < MAX_PENDING_ERRORS:
                self.errors.append((at, operator_id, method, route, status, request_id))
            else:
                self.dropped += 1

    def drain(self) -> Buffer:
        taken = Buffer(self.counts, self.errors, self.dropped)
        self.counts, self.errors, self.dropped = Counter(), [], 0
        return taken


BUFFER = Buffer()  # this process's; record_response fills it, the analytics loop flushes it


def record_response(scope: dict[str, Any], status: int, buffer: Buffer = BUFFER) -> None:
    """Count one HTTP response by route template (bounded cardinality), once it has been sent.
    An observer of ``kit.observability.RequestContextMiddleware``, which already tracks each
    response's status, rather than a middleware layer of its own."""
    state = scope.get("state") or {}
    principal = state.get("principal")
    buffer.record(
        datetime.now(UTC),
        getattr(principal, "operator_id", None),
        scope.get("method", "GET"),
        getattr(scope.get("route"), "path", None) or "unmatched",
        status,
        state.get("request_id"),
    )


async def flush(conn: asyncpg.Connection, buffer: Buffer = BUFFER) -> int:
    """Write and clear this process's buffer; returns the error rows written."""
    taken = buffer.drain()
    if not taken.counts:
        return 0
    merged: dict[tuple[datetime, int, str, str], list[int]] = {}
    for (minute, operator_id, method, route, kind), n in taken.counts.items():
        row = merged.setdefault((minute, operator_id, method, route), [0, 0, 0])
        row[("requests", "errors_4xx", "errors_5xx").index(kind)] += n
    keys = list(merged)
    await conn.execute(
        """INSERT INTO api_request_counts AS c (minute, operator_id, method, route, requests,
                                                errors_4xx, errors_5xx)
           SELECT * FROM unnest($1::timestamptz[], $2::int[], $3::text[], $4::text[],
                                $5::bigint[], $6::bigint[], $7::bigint[])
           ON CONFLICT (minute, operator_id, method, route) DO UPDATE SET
               requests = c.requests + excluded.requests,
               errors_4xx = c.errors_4xx + excluded.errors_4xx,
               errors_5xx = c.errors_5xx + excluded.errors_5xx""",
        [k[0] for k in keys],
        [k[1] for k in keys],
        [k[2] for k in keys],
        [k[3] for k in keys],
        [merged[k][0] for k in keys],
        [merged[k][1] for k in keys],
        [merged[k][2] for k in keys],
    )
    if taken.errors:
        await conn.executemany(
            """INSERT INTO api_error_events (at, operator_id, method, route, status, request_id)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            taken.errors,
        )
    return len(taken.errors)
