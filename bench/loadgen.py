"""A small closed-loop HTTP/1.1 load generator on asyncio protocols.

httpx costs more CPU per request than the server under test, and this machine has two cores, so
the benchmarks use persistent keep-alive connections, pre-encoded requests, and a protocol
driven from the event loop's callbacks (on uvloop) instead.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

import uvloop


@dataclass
class LoadResult:
    requests: int
    seconds: float
    latencies_ms: list[float] = field(repr=False)
    statuses: dict[int, int]
    # Server-Timing metrics of the measured responses: name -> durations in ms.
    server_timings: dict[str, list[float]] = field(default_factory=dict, repr=False)
    # Connections the server closed (``Connection: close``) and the client opened again.
    reconnects: int = 0
    # Responses over the whole run, its warm-up included (for figures per request of the run).
    answered: int = 0

    def server_timing(self, name: str, q: float) -> float:
        ordered = sorted(self.server_timings.get(name, []))
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")

    def summary(self) -> str:
        return (
            f"{self.rate:,.0f} req/s, p50 {self.percentile(0.50):.1f} ms, "
            f"p99 {self.percentile(0.99):.1f} ms, "
            f"mean {statistics.fmean(self.latencies_ms):.1f} ms, statuses {self.statuses}, "
            f"reconnects {self.reconnects}"
        )


def encode_request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: bench"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _parse_head(head: bytes) -> tuple[int, int, bytes, bool]:
    """(status, content length, Server-Timing value, close) of a response's head."""
    status = int(head[9:12])
    length = 0
    timing = b""
    close = False
    for line in head.split(b"\r\n"):
        lowered = line[:15].lower()
        if lowered == b"content-length:":
            length = int(line[15:])
        elif lowered == b"server-timing: ":
            timing = line[15:]
        elif lowered.startswith(b"connection:"):
            close = b"close" in line[11:].lower()
    return status, length, timing, close


def _parse_server_timing(value: bytes, into: dict[str, list[float]]) -> None:
    """``name;dur=1.23, other;dur=4.5`` (W3C Server-Timing)."""
    for metric in value.decode().split(","):
        name, _, params = metric.strip().partition(";")
        for param in params.split(";"):
            key, _, number = param.strip().partition("=")
            if key == "dur":
                into.setdefault(name, []).append(float(number))


# (client index, sequence number) -> the raw HTTP request to send
Requester = Callable[[int, int], bytes]


class _Run:
    """The clients' shared clock, figures and end."""

    def __init__(
        self, host: str, port: int, make_request: Requester, warmup: float, seconds: float
    ) -> None:
        self.host, self.port, self.make_request = host, port, make_request
        self.start_measuring = time.perf_counter() + warmup
        self.stop_at = self.start_measuring + seconds
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.timings: dict[str, list[float]] = {}
        self.reconnects = self.answered = 0


class _Client(asyncio.Protocol):
    """One player's keep-alive connection, driven from the event loop's callbacks: a response
    read whole is recorded and the next request written at once, with no task or future per
    request (the load generator shares the two cores with the server it measures)."""

    def __init__(self, run: _Run, index: int, done: asyncio.Future[None], sequence: int) -> None:
        self.run, self.index, self.done = run, index, done
        self.sequence = sequence
        self.retired = False  # its connection was closed for a new one
        self.buffer = bytearray()
        self.head: tuple[int, int, bytes, bool] | None = None
        self.transport: asyncio.Transport | None = None
        self.sent = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self._send()

    def _send(self) -> None:
        assert self.transport is not None
        self.sent = time.perf_counter()
        if self.sent >= self.run.stop_at:
            self.transport.close()
            if not self.done.done():
                self.done.set_result(None)
            return
        self.transport.write(self.run.make_request(self.index, self.sequence))
        self.sequence += 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.head is None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            self.head = _parse_head(bytes(self.buffer[:end]))
            del self.buffer[: end + 4]
        status, length, timing, close = self.head
        if len(self.buffer) < length:
            return
        # One request in flight: nothing follows the body.
        self.head = None
        self.buffer.clear()
        self._record(status, timing)
        if close:  # as any HTTP/1.1 client does: open a new connection
            assert self.transport is not None
            self.retired = True
            self.transport.close()
            self.run.reconnects += 1
            task = asyncio.get_running_loop().create_task(self._reconnect())
            task.add_done_callback(self._failed)
        else:
            self._send()

    def _record(self, status: int, timing: bytes) -> None:
        run = self.run
        run.answered += 1
        if self.sent >= run.start_measuring:
            run.latencies.append((time.perf_counter() - self.sent) * 1000)
            run.statuses[status] = run.statuses.get(status, 0) + 1
            if timing:
                _parse_server_timing(timing, run.timings)

    async def _reconnect(self) -> None:
        run, loop = self.run, asyncio.get_running_loop()
        await loop.create_connection(
            lambda: _Client(run, self.index, self.done, self.sequence), run.host, run.port
        )

    def _failed(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() and not self.done.done():
            self.done.set_exception(task.exception())  # type: ignore[arg-type]

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None and not self.retired and not self.done.done():
            self.done.set_exception(exc)


def load(
    host: str,
    port: int,
    clients: int,
    seconds: float,
    make_request: Requester,
    warmup: float = 2.0,
) -> LoadResult:
    """Each client sends ``make_request(client_index, sequence)`` back to back for ``seconds``
    (after ``warmup`` seconds unmeasured), on uvloop: the generator's CPU is taken from the two
    cores the server runs on, so it should spend as little as it can."""
    run = _Run(host, port, make_request, warmup, seconds)
    uvloop.run(_drive(run, clients))
    return LoadResult(
        len(run.latencies),
        seconds,
        run.latencies,
        run.statuses,
        run.timings,
        run.reconnects,
        run.answered,
    )


async def _drive(run: _Run, clients: int) -> None:
    loop = asyncio.get_running_loop()
    finished = []
    for index in range(clients):
        done: asyncio.Future[None] = loop.create_future()
        await loop.create_connection(
            lambda i=index, d=done: _Client(run, i, d, 0), run.host, run.port
        )
        finished.append(done)
    await asyncio.gather(*finished)
