"""Publishing events: one outbox row plus a NOTIFY, both inside the caller's transaction.

PostgreSQL delivers NOTIFY only when the transaction commits, and every worker process LISTENs,
so an event reaches a socket held by any worker, and never for a rolled-back transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson

CHANNEL = "croupier_events"
# NOTIFY payloads are limited to 8000 bytes; bigger events are fetched from the outbox by id.
_MAX_INLINE = 7900


@dataclass(frozen=True, slots=True)
class Event:
    audience: str
    topic: str
    payload: dict[str, Any]
    operator_id: int | None


def player_audience(player_id: int) -> str:
    return f"player:{player_id}"


def operator_audience(operator_id: int) -> str:
    return f"operator:{operator_id}"


async def publish(
    conn: asyncpg.Connection,
    *,
    audience: str,
    topic: str,
    payload: dict[str, Any],
    operator_id: int | None,
) -> None:
    await publish_many(conn, [Event(audience, topic, payload, operator_id)])


async def publish_many(conn: asyncpg.Connection, events: Sequence[Event]) -> None:
    """Outbox rows and their NOTIFYs for many events, in one round trip (notified in order).

    A notification is the audience, a newline, then the event as JSON: every process's hub
    hears every event, and most have nobody listening for it (``hub.Hub._on_notify``)."""
    if not events:
        return
    bodies = [_json(e.payload) for e in events]
    await conn.execute(
        """WITH event AS (
               INSERT INTO outbox (operator_id, topic, audience, payload)
               SELECT u.operator_id, u.topic, u.audience, u.body::json
               FROM unnest($1::integer[], $2::text[], $3::text[], $4::text[])
                    WITH ORDINALITY AS u(operator_id, topic, audience, body, ord)
               ORDER BY u.ord
               RETURNING id, topic, audience, payload::text AS body
           )
           SELECT pg_notify($5, event.audience || E'\n' || json_build_object(
               'id', event.id, 'topic', event.topic,
               'payload', CASE WHEN octet_length(event.body) <= $6 THEN event.body::json END)::text)
           FROM event ORDER BY event.id""",
        [e.operator_id for e in events],
        [e.topic for e in events],
        [e.audience for e in events],
        bodies,
        CHANNEL,
        _MAX_INLINE,
    )


def split_notification(raw: str) -> tuple[str, str]:
    """(audience, the event as JSON text) of a notification sent by :func:`publish_many`."""
    audience, _, body = raw.partition("\n")
    return audience, body


def _json(payload: dict[str, Any]) -> str:
    # Anything JSON has no type for (datetimes included) is written as str() writes it.
    options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
    return orjson.dumps(payload, default=str, option=options).decode()


async def fetch_event(conn: asyncpg.Connection, event_id: int) -> dict[str, Any] | None:
    return await conn.fetchval("SELECT payload FROM outbox WHERE id = $1", event_id)
