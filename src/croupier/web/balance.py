"""Keep the keep-alive connections of a worker group evenly spread over its workers.

The kernel hashes each new connection to one socket of a SO_REUSEPORT group (web.workers), so 64
clients split binomially over two workers: 29/35 about as often as 32/32. A keep-alive connection
then stays on its worker for its whole life, and the worker with more of them is the group's
bottleneck (in the spin benchmark a 29/35 split served a third less than 32/32).

Envoy's answer is "exact balance": hand each accepted connection to the least loaded worker. The
same can be done in HTTP itself. Each worker publishes how many connections it holds in its slot
of an array shared by the group; a worker holding more than its share answers a request with
``Connection: close`` (RFC 9112 §9.6), and the client's next connection is hashed again. Only
surplus connections are closed, one response each, so a balanced group closes none.

WebSocket connections count towards a worker's share but are never closed to rebalance it.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import MutableSequence, Sized
from typing import Any

# How often an idle worker republishes its count (a busy one does it at every request).
PUBLISH_EVERY_S = 0.1

Scope = dict[str, Any]


class ConnectionShare:
    """ASGI middleware for worker ``index`` of a group whose counts live in ``counts``.

    ``connections`` is the server's own set of open connections (uvicorn's
    ``server_state.connections``): it is exact, and shrinks as soon as a connection closes.
    """

    def __init__(
        self, app: Any, *, connections: Sized, counts: MutableSequence[int], index: int
    ) -> None:
        self.app = app
        self._connections = connections
        self._counts = counts
        self._index = index
        # Responses already told to close whose connection is still open: not ours to count.
        self._closing = 0
        self._publisher: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if self._publisher is None:  # the first call runs in the worker's event loop
            self._publisher = asyncio.create_task(self._publish_forever())
        if scope["type"] == "http" and self._over_share():
            self._closing += 1
            try:
                await self.app(scope, receive, _closing_connection(send))
            finally:
                self._closing -= 1
        else:
            await self.app(scope, receive, send)

    def _over_share(self) -> bool:
        mine = len(self._connections)
        self._counts[self._index] = mine
        total = sum(self._counts)
        return mine - self._closing > math.ceil(total / len(self._counts))

    async def _publish_forever(self) -> None:
        """Republish this worker's count while it lives: a worker that gets no requests would
        otherwise leave a stale count in its slot. (The loop's end cancels this task.)"""
        while True:
            self._counts[self._index] = len(self._connections)
            await asyncio.sleep(PUBLISH_EVERY_S)


def _closing_connection(send: Any) -> Any:
    async def send_closing(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            headers = [*message.get("headers", ()), (b"connection", b"close")]
            message = {**message, "headers": headers}
        await send(message)

    return send_closing
