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
# A NOTIFY payload must be shorter than 8000 bytes; an event too big for one is fetched from
# the outbox by id.
_MAX_NOTIFICATION = 7900
_LINE_OVERHEAD = 64


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

    Events share notifications, as many as fit in one (``_chunks``): a spin batch's events
    reach each process in one or two, not one each, which costs every listening process and
    PostgreSQL a message per event. A notification's first line is its events' audiences,
    then one line per event as JSON (:func:`split_notification`): every process's hub hears
    every event, and most have nobody listening for any of them (``hub.Hub._on_notify``)."""
    if not events:
        return
    bodies = [_json(e.payload) for e in events]
    chunks, inline = _chunks(events, bodies)
    await conn.execute(
        """WITH event AS (
               INSERT INTO outbox (operator_id, topic, audience, payload)
               SELECT u.operator_id, u.topic, u.audience, u.body::json
               FROM unnest($1::integer[], $2::text[], $3::text[], $4::text[])
                    WITH ORDINALITY AS u(operator_id, topic, audience, body, ord)
               ORDER BY u.ord
               RETURNING id, topic, audience, payload::text AS body
           ), numbered AS (
               -- The ids follow the events' order: the n-th id is the n-th event's.
               SELECT e.*, row_number() OVER (ORDER BY e.id) AS ord FROM event e
           )
           SELECT pg_notify($6, string_agg(n.audience, ' ' ORDER BY n.id) || E'\n'
               || string_agg(json_build_object(
                      'id', n.id, 'topic', n.topic,
                      'payload', CASE WHEN ($7::boolean[])[n.ord] THEN n.body::json END
                  )::text, E'\n' ORDER BY n.id))
           FROM numbered n GROUP BY ($5::integer[])[n.ord] ORDER BY min(n.id)""",
        [e.operator_id for e in events],
        [e.topic for e in events],
        [e.audience for e in events],
        bodies,
        chunks,
        CHANNEL,
        inline,
    )


def _chunks(events: Sequence[Event], bodies: Sequence[str]) -> tuple[list[int], list[bool]]:
    """Each event's notification number (consecutive events while their lines fit in one),
    and whether its body goes in it (else the hub fetches it from the outbox by id)."""
    chunks: list[int] = []
    inline: list[bool] = []
    chunk = used = 0
    for event, body in zip(events, bodies, strict=True):
        # Its audience and a separator on the first line, and its line: the JSON object around
        # the body or null (at most _LINE_OVERHEAD bytes with a 20-digit id) and a newline.
        bare = len(event.audience) + 1 + _LINE_OVERHEAD + len(event.topic)
        size = bare + len(body.encode())
        fits = size <= _MAX_NOTIFICATION
        need = size if fits else bare + len("null")
        if used and used + need > _MAX_NOTIFICATION:
            chunk, used = chunk + 1, 0
        chunks.append(chunk)
        inline.append(fits)
        used += need
    return chunks, inline


def split_notification(raw: str) -> tuple[list[str], list[str]]:
    """(the audiences, the events as JSON text, one each) of a notification sent by
    :func:`publish_many`. A newline inside an event is escaped in its JSON, never a line."""
    audiences, _, events = raw.partition("\n")
    return audiences.split(" "), events.split("\n")


def _json(payload: dict[str, Any]) -> str:
    # Anything JSON has no type for (datetimes included) is written as str() writes it.
    options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
    return orjson.dumps(payload, default=str, option=options).decode()


async def fetch_event(conn: asyncpg.Connection, event_id: int) -> dict[str, Any] | None:
    return await conn.fetchval("SELECT payload FROM outbox WHERE id = $1", event_id)
