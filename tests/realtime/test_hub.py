"""The hub's fan-out of NOTIFYs: only events someone on this process listens for are parsed."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg

from croupier.db.pool import asyncpg_dsn
from croupier.realtime.hub import Hub
from croupier.realtime.service import CHANNEL, Event, publish_many, split_notification


class _Socket:
    def __init__(self) -> None:
        self.received: list[Any] = []

    async def send_json(self, data: Any) -> None:
        self.received.append(data)


async def test_an_event_nobody_here_listens_for_is_dropped_unparsed(pool: asyncpg.Pool) -> None:
    hub = Hub("unused: the test feeds notifications itself", pool)
    socket = _Socket()
    hub.subscribe("player:1", socket)
    hub._on_notify(None, 0, CHANNEL, "player:2\n{this is not JSON")  # would raise if parsed
    hub._on_notify(None, 0, CHANNEL, 'player:1\n{"id": 5, "topic": "spin", "payload": {"w": 3}}')
    # A shared notification: only the events of this process's audiences are parsed.
    shared = 'player:2 player:1\n{not JSON either\n{"id": 7, "topic": "spin", "payload": {"w": 4}}'
    hub._on_notify(None, 0, CHANNEL, shared)
    await asyncio.sleep(0.05)
    assert socket.received == [
        {"id": 5, "topic": "spin", "data": {"w": 3}},
        {"id": 7, "topic": "spin", "data": {"w": 4}},
    ]


async def test_publish_many_notifies_the_audience_first_then_the_event(
    pool: asyncpg.Pool, database_url: str
) -> None:
    heard: list[str] = []
    listener = await asyncpg.connect(asyncpg_dsn(database_url))
    await listener.add_listener(CHANNEL, lambda *args: heard.append(args[3]))
    event = Event("player:7", "spin", {"betId": 1, "note": "a\nb"}, None)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await publish_many(conn, [event])
        await asyncio.sleep(0.2)
    finally:
        await listener.close()
    [raw] = heard
    [audience], [body] = split_notification(raw)
    note = json.loads(body)  # a newline inside the event is escaped, never the separator
    assert audience == "player:7"
    assert (note["topic"], note["payload"]) == ("spin", {"betId": 1, "note": "a\nb"})


async def _published(pool: asyncpg.Pool, database_url: str, events: list[Event]) -> list[str]:
    """The notifications a committed publish_many of ``events`` sends."""
    heard: list[str] = []
    listener = await asyncpg.connect(asyncpg_dsn(database_url))
    await listener.add_listener(CHANNEL, lambda *args: heard.append(args[3]))
    try:
        async with pool.acquire() as conn, conn.transaction():
            await publish_many(conn, events)
        await asyncio.sleep(0.3)
    finally:
        await listener.close()
    return heard


async def test_a_batch_of_events_shares_few_notifications_in_order(
    pool: asyncpg.Pool, database_url: str
) -> None:
    events = [
        Event(f"player:{i % 5}", "bet.settled", {"n": i, "outcome": "x" * 700}, 1)
        for i in range(30)
    ]
    heard = await _published(pool, database_url, events)
    # About 800 bytes an event: nine fit in one notification, so four carry the thirty.
    assert len(heard) == 4
    assert all(len(raw.encode()) < 8000 for raw in heard)
    received = []
    for raw in heard:
        audiences, lines = split_notification(raw)
        assert len(audiences) == len(lines)
        received += [(a, json.loads(line)) for a, line in zip(audiences, lines, strict=True)]
    assert [(a, note["payload"]) for a, note in received] == [
        (e.audience, e.payload) for e in events
    ]
    ids = [note["id"] for _, note in received]
    assert ids == sorted(ids)
    stored = await pool.fetch("SELECT id, payload FROM outbox WHERE id = ANY($1) ORDER BY id", ids)
    assert [row["payload"]["n"] for row in stored] == list(range(30))


async def test_an_event_too_big_to_notify_is_fetched_from_the_outbox(
    pool: asyncpg.Pool, database_url: str
) -> None:
    big = {"outcome": "y" * 20_000}
    small = {"n": 1}
    heard = await _published(
        pool, database_url, [Event("player:3", "spin", big, 1), Event("player:3", "spin", small, 1)]
    )
    [raw] = heard
    audiences, lines = split_notification(raw)
    notes = [json.loads(line) for line in lines]
    assert audiences == ["player:3", "player:3"]
    assert [note["payload"] for note in notes] == [None, small]

    hub = Hub("unused: the test feeds the notification itself", pool)
    socket = _Socket()
    hub.subscribe("player:3", socket)
    hub._on_notify(None, 0, CHANNEL, raw)
    await asyncio.sleep(0.2)
    assert [m["data"] for m in socket.received] == [big, small]  # in order, the big one fetched


async def test_a_rolled_back_publish_notifies_nobody(pool: asyncpg.Pool, database_url: str) -> None:
    heard: list[str] = []
    listener = await asyncpg.connect(asyncpg_dsn(database_url))
    await listener.add_listener(CHANNEL, lambda *args: heard.append(args[3]))
    try:
        async with pool.acquire() as conn:
            transaction = conn.transaction()
            await transaction.start()
            await publish_many(conn, [Event("player:4", "spin", {"n": 1}, 1)] * 3)
            await transaction.rollback()
        await asyncio.sleep(0.3)
    finally:
        await listener.close()
    assert heard == []
