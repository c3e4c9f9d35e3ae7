"""The per-process fan-out: one LISTEN connection, and the sockets connected to this process."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from typing import Any, Protocol

import asyncpg
import orjson
import structlog

from croupier.db.pool import asyncpg_dsn
from croupier.realtime.service import CHANNEL, fetch_event, split_notification

log = structlog.get_logger("croupier.realtime")


class Subscriber(Protocol):
    async def send_json(self, data: Any) -> None: ...


class Hub:
    def __init__(self, url: str, pool: asyncpg.Pool) -> None:
        self._url = url
        self._pool = pool
        self._subscribers: dict[str, set[Subscriber]] = defaultdict(set)
        self._listener: asyncpg.Connection | None = None

    async def start(self) -> None:
        self._listener = await asyncpg.connect(asyncpg_dsn(self._url))
        await self._listener.add_listener(CHANNEL, self._on_notify)

    async def stop(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None

    def subscribe(self, audience: str, subscriber: Subscriber) -> None:
        self._subscribers[audience].add(subscriber)

    def unsubscribe(self, audience: str, subscriber: Subscriber) -> None:
        self._subscribers[audience].discard(subscriber)
        if not self._subscribers[audience]:
            del self._subscribers[audience]

    def _on_notify(self, _conn: object, _pid: int, _channel: str, raw: str) -> None:
        # The audiences come first (service.publish_many), so a notification with no event for
        # anyone on this process, the usual case with several workers, is dropped unparsed.
        audiences, events = split_notification(raw)
        subscribers = self._subscribers
        if not any(audience in subscribers for audience in audiences):
            return
        wanted = [
            (audience, orjson.loads(event))
            for audience, event in zip(audiences, events, strict=True)
            if audience in subscribers
        ]
        asyncio.get_running_loop().create_task(self._deliver_all(wanted))

    async def _deliver_all(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for audience, note in events:  # in the order they were published
            await self._deliver(audience, note)

    async def _deliver(self, audience: str, note: dict[str, Any]) -> None:
        payload = note.get("payload")
        if payload is None:
            async with self._pool.acquire() as conn:
                payload = await fetch_event(conn, note["id"])
        message = {"id": note["id"], "topic": note["topic"], "data": payload}
        for subscriber in list(self._subscribers.get(audience, ())):
            try:
                await subscriber.send_json(message)
            except Exception:  # a closed socket must not stop delivery to the others
                self.unsubscribe(audience, subscriber)
