"""Benchmark: the CPU a request costs between the server and a fast route's endpoint, through
FastAPI's generic stack and through the app's fast lane (``web.fast_lane``), in one process.

.venv/bin/python -m bench.fast_lane_bench [--blocks 12] [--requests 2000]

Both apps are configured as ``create_app`` configures ours (the error handlers, the request
context middleware, every API router included after the route), and serve the same fast route:
it validates the spin's JSON body (``SpinIn``) and returns a fixed response. The ASGI callables
are driven directly (no sockets, no server), alternating blocks between the two; the figure is
each one's median block, in µs of process CPU a request.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response

from croupier.analytics import api_errors
from croupier.app import API_PREFIX, CroupierAPI, api_routers
from croupier.bets.schemas import SpinIn
from croupier.kit.observability import RequestContextMiddleware
from croupier.web.errors import install_error_handlers
from croupier.web.fast_route import FastRoute

PATH = "/game/spin"
BODY = b'{"gameKey": "jade-emperor", "stake": 100}'


async def _endpoint(body: SpinIn, request: Request) -> Response:
    return Response(b'{"ok": true}', media_type="application/json")


def _app(cls: type[FastAPI]) -> FastAPI:
    app = cls()
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, observers=[api_errors.record_response])
    router = APIRouter(route_class=FastRoute)
    router.post(PATH)(_endpoint)
    app.include_router(router, prefix=API_PREFIX)
    for other in api_routers()[1:]:
        app.include_router(other, prefix=API_PREFIX)
    return app


async def _request(app: FastAPI) -> None:
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": API_PREFIX + PATH,
        "raw_path": (API_PREFIX + PATH).encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(BODY)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    messages = [{"type": "http.request", "body": BODY, "more_body": False}]
    status = []

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(scope, receive, send)
    if status != [200]:
        raise RuntimeError(f"the route answered {status}")


async def _run(blocks: int, requests: int) -> dict[str, list[float]]:
    apps = {"generic stack": _app(FastAPI), "fast lane": _app(CroupierAPI)}
    for app in apps.values():  # warm-up: the stacks are built on the first request
        for _ in range(requests // 4):
            await _request(app)
    figures: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(blocks):
        for name, app in apps.items():
            started = time.process_time()
            for _ in range(requests):
                await _request(app)
            figures[name].append((time.process_time() - started) / requests * 1e6)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=12)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    figures = asyncio.run(_run(args.blocks, args.requests))
    for name, values in figures.items():
        print(
            f"{name}: {statistics.median(values):.1f} µs a request "
            f"(blocks {min(values):.1f}-{max(values):.1f}, {args.blocks} x {args.requests})"
        )
    saved = statistics.median(figures["generic stack"]) - statistics.median(figures["fast lane"])
    print(f"saved by the lane: {saved:.1f} µs a request")


if __name__ == "__main__":
    main()
