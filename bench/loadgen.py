"""A small closed-loop HTTP/1.1 load generator on asyncio streams.

httpx costs more CPU per request than the server under test, and this machine has two cores, so
the benchmarks use persistent keep-alive connections and pre-encoded requests instead.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


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


@dataclass
class _Response:
    status: int
    body: bytes
    timing: bytes  # the Server-Timing header's value
    close: bool  # the server will close the connection after this response


async def _read_response(reader: asyncio.StreamReader) -> _Response:
    head = await reader.readuntil(b"\r\n\r\n")
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
    body = await reader.readexactly(length) if length else b""
    return _Response(status, body, timing, close)


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


async def run_load(
    host: str,
    port: int,
    clients: int,
    seconds: float,
    make_request: Requester,
    warmup: float = 2.0,
) -> LoadResult:
    """Each client sends ``make_request(client_index, sequence)`` back to back for ``seconds``."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    timings: dict[str, list[float]] = {}
    reconnects = answered = 0
    start_measuring = time.perf_counter() + warmup
    stop_at = start_measuring + seconds

    async def client(index: int) -> None:
        nonlocal reconnects, answered
        reader, writer = await asyncio.open_connection(host, port)
        sequence = 0
        try:
            while True:
                sent = time.perf_counter()
                if sent >= stop_at:
                    return
                writer.write(make_request(index, sequence))
                sequence += 1
                response = await _read_response(reader)
                if response.close:  # as any HTTP/1.1 client does: open a new connection
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                    reconnects += 1
                done = time.perf_counter()
                answered += 1
                if sent >= start_measuring:
                    latencies.append((done - sent) * 1000)
                    statuses[response.status] = statuses.get(response.status, 0) + 1
                    if response.timing:
                        _parse_server_timing(response.timing, timings)
        finally:
            writer.close()

    await asyncio.gather(*(client(i) for i in range(clients)))
    return LoadResult(len(latencies), seconds, latencies, statuses, timings, reconnects, answered)
