"""web.balance: a worker holding more than its share of the group's connections asks clients
to reconnect, one surplus connection per response, and never more than the surplus."""

from __future__ import annotations

import asyncio
from typing import Any

from croupier.web.balance import ConnectionShare


async def _ok(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-app", b"1")]})
    await send({"type": "http.response.body", "body": b"ok"})


async def _call(share: ConnectionShare) -> dict[bytes, bytes]:
    """One request through ``share``; the response's headers."""
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await share({"type": "http"}, None, send)
    assert sent[1] == {"type": "http.response.body", "body": b"ok"}
    return dict(sent[0]["headers"])


async def test_a_worker_within_its_share_keeps_its_connections() -> None:
    counts = [0, 33]
    share = ConnectionShare(_ok, connections=range(31), counts=counts, index=0)
    assert await _call(share) == {b"x-app": b"1"}
    assert counts == [31, 33]  # its own count, published for the other workers


async def test_a_worker_over_its_share_asks_the_client_to_reconnect() -> None:
    connections = set(range(35))
    counts = [0, 29]
    share = ConnectionShare(_ok, connections=connections, counts=counts, index=0)
    assert await _call(share) == {b"x-app": b"1", b"connection": b"close"}
    connections.discard(0)  # the client went away, and came back on the other worker
    counts[1] = 30
    assert (await _call(share)).get(b"connection") == b"close"  # 34 > 32 still
    connections.difference_update({1, 2})
    counts[1] = 32
    assert b"connection" not in await _call(share)  # 32 and 32
    assert counts == [32, 32]


async def test_concurrent_requests_close_no_more_than_the_surplus() -> None:
    release = asyncio.Event()

    async def slow(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await release.wait()
        await _ok(scope, receive, send)

    # 36 against 28: the share is 32, so 4 of the 36 in-flight responses close their connection.
    share = ConnectionShare(slow, connections=range(36), counts=[0, 28], index=0)
    calls = [asyncio.create_task(_call(share)) for _ in range(36)]
    await asyncio.sleep(0)
    release.set()
    closed = [headers for headers in await asyncio.gather(*calls) if b"connection" in headers]
    assert len(closed) == 4


async def test_an_idle_worker_keeps_its_published_count_fresh() -> None:
    connections = set(range(5))
    counts = [0, 0]
    share = ConnectionShare(_ok, connections=connections, counts=counts, index=1)
    await _call(share)
    connections.clear()  # its clients left; no request will come to say so
    await asyncio.sleep(0.25)
    assert counts == [0, 0]
