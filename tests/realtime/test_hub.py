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
    await asyncio.sleep(0.05)
    assert socket.received == [{"id": 5, "topic": "spin", "data": {"w": 3}}]


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
    audience, body = split_notification(raw)
    note = json.loads(body)  # a newline inside the event is escaped, never the separator
    assert audience == "player:7"
    assert (note["topic"], note["payload"]) == ("spin", {"betId": 1, "note": "a\nb"})
