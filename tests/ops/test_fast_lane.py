"""web.fast_lane: the hottest routes answered ahead of FastAPI's generic layers, exactly as the
generic stack answers them (ids, metrics, CORS, error bodies), and nothing else taken from it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import REGISTRY
from pydantic import BaseModel, ConfigDict, Field

from croupier.app import CroupierAPI, create_app
from croupier.kit.errors import CroupierError
from croupier.kit.observability import RequestContextMiddleware
from croupier.web.errors import install_error_handlers
from croupier.web.fast_lane import FastLane
from croupier.web.fast_route import FastRoute


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: Annotated[int, Field(gt=0, strict=True)]


class _Refused(CroupierError):
    status_code = 409
    code = "REFUSED"


async def _caller(request: Request) -> str:
    if request.headers.get("authorization") != "Bearer ok":
        raise HTTPException(401, "Authentication required.")
    return "ok-caller"


async def _play(body: _In, request: Request, caller: Annotated[str, Depends(_caller)]) -> Response:
    if body.count == 409:
        raise _Refused("Refused.")
    if body.count == 500:
        raise RuntimeError("a bug")
    content = f'{{"count": {body.count}, "caller": "{caller}", "path": "{request.url.path}"}}'
    return Response(content, media_type="application/json")


async def _history(request: Request) -> dict[str, str]:
    return {"history": "generic"}


def _app(cls: type[FastAPI], **options: Any) -> FastAPI:
    """The app's own configuration (error format, request context, CORS) around one fast
    route with a fixed path and one ordinary route."""
    app = cls(**options)
    install_error_handlers(app)
    app.add_middleware(
        CORSMiddleware, allow_origins=["https://casino.example"], allow_methods=["*"]
    )
    app.add_middleware(RequestContextMiddleware)
    fast = APIRouter(route_class=FastRoute)
    fast.post("/play")(_play)
    plain = APIRouter()
    plain.get("/play")(_history)
    app.include_router(fast, prefix="/api/v1")
    app.include_router(plain, prefix="/api/v1")
    return app


def _bare_app(cls: type[FastAPI]) -> FastAPI:
    """The fast route alone, without the app's error handlers or middleware."""
    app = cls()
    router = APIRouter(route_class=FastRoute)
    router.post("/play")(_play)
    app.include_router(router)
    return app


@pytest.fixture
async def clients() -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """(the generic stack, the lane), for the same routes."""
    # The generic stack re-raises a bug after answering it, for the server to log; the lane's
    # handler has logged it already.
    transports = [
        httpx.ASGITransport(_app(cls), raise_app_exceptions=False) for cls in (FastAPI, CroupierAPI)
    ]
    async with (
        httpx.AsyncClient(transport=transports[0], base_url="http://t") as generic,
        httpx.AsyncClient(transport=transports[1], base_url="http://t") as lane,
    ):
        yield generic, lane


async def _failing_stack(scope: Any, receive: Any, send: Any) -> None:
    """Stands in for the generic stack where a request must not reach it."""
    raise AssertionError(f"generic stack for {scope['method']} {scope['path']}")


AUTH = {"authorization": "Bearer ok", "origin": "https://casino.example"}

CASES = [
    ({"count": 3}, AUTH, 200),
    ({"count": 0}, AUTH, 422),
    ({"count": "3"}, AUTH, 422),
    ({"count": 3, "extra": 1}, AUTH, 422),
    ([1], AUTH, 422),
    ({"count": 3}, {"origin": "https://casino.example"}, 401),
    ({"count": 409}, AUTH, 409),
    ({"count": 500}, AUTH, 500),
]


@pytest.mark.parametrize(("body", "headers", "status"), CASES)
async def test_the_lane_answers_as_the_generic_stack(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    body: Any,
    headers: dict[str, str],
    status: int,
) -> None:
    answers = []
    for client in clients:
        response = await client.post("/api/v1/play", json=body, headers=headers)
        assert response.status_code == status, response.text
        payload = response.json()
        request_id = payload.pop("requestId", None)  # the error format names the request
        answers.append((payload, response.headers["content-type"]))
    assert answers[0] == answers[1]
    # The lane answers a bug inside the app's middleware, so even its 500 carries the request
    # id and CORS headers (the generic stack answers it outside them, without).
    assert request_id in (None, response.headers["x-request-id"])
    assert response.headers["access-control-allow-origin"] == "https://casino.example"


async def test_a_request_id_sent_by_the_caller_is_kept(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    _, lane = clients
    response = await lane.post(
        "/api/v1/play", json={"count": 0}, headers={**AUTH, "x-request-id": "edge-42"}
    )
    assert response.headers["x-request-id"] == "edge-42"
    assert response.json()["requestId"] == "edge-42"


async def test_lane_requests_are_counted_by_route_like_any_other(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    _, lane = clients
    labels = {"method": "POST", "route": "/play", "status": "200"}
    before = REGISTRY.get_sample_value("croupier_http_requests_total", labels) or 0
    await lane.post("/api/v1/play", json={"count": 3}, headers=AUTH)
    await lane.post("/api/v1/play", json={"count": 4}, headers=AUTH)
    assert REGISTRY.get_sample_value("croupier_http_requests_total", labels) == before + 2


async def test_the_lane_skips_the_generic_stack_and_only_for_its_routes() -> None:
    """With the generic stack replaced by one that fails, the fast route still answers; another
    method on the same path, a preflight and any other path go down the generic stack."""
    app = _app(CroupierAPI)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        await c.get("/api/v1/play")  # builds the stack
        lane = app.middleware_stack
        assert isinstance(lane, FastLane)
        assert lane.served == {("POST", "/api/v1/play")}

        lane.stack = _failing_stack
        assert (await c.post("/api/v1/play", json={"count": 3}, headers=AUTH)).status_code == 200
        for method, path in (("GET", "/api/v1/play"), ("OPTIONS", "/api/v1/play"), ("GET", "/x")):
            with pytest.raises(AssertionError, match="generic stack"):
                await c.request(method, path, headers=AUTH)


async def test_another_method_on_a_lane_path_gets_the_routers_answer(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    answers = []
    for client in clients:
        assert (await client.get("/api/v1/play")).json() == {"history": "generic"}
        response = await client.put("/api/v1/play", json={"count": 3}, headers=AUTH)
        assert response.status_code == 405
        answers.append((response.json()["code"], response.headers["allow"]))
    assert answers[0] == answers[1]


async def test_the_lane_matches_below_a_root_path() -> None:
    """Behind a proxy that mounts the app under a prefix (``--root-path``)."""
    app = _app(CroupierAPI)
    transport = httpx.ASGITransport(app, root_path="/casino")
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        await c.get("/casino/api/v1/play")  # builds the stack
        lane = app.middleware_stack
        assert isinstance(lane, FastLane)
        lane.stack = _failing_stack
        response = await c.post("/casino/api/v1/play", json={"count": 3}, headers=AUTH)
        assert response.status_code == 200
        assert response.json()["path"] == "/casino/api/v1/play"


async def test_the_including_routers_dependencies_run_in_the_lane() -> None:
    async def open_play(body: _In) -> Response:
        return Response(body.model_dump_json(), media_type="application/json")

    router = APIRouter(route_class=FastRoute)
    router.post("/open")(open_play)
    app = CroupierAPI()
    install_error_handlers(app)
    app.include_router(router, prefix="/guarded", dependencies=[Depends(_caller)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        assert (await c.post("/guarded/open", json={"count": 1})).status_code == 401
        assert app.middleware_stack.served == {("POST", "/guarded/open")}  # type: ignore[union-attr]
        allowed = await c.post("/guarded/open", json={"count": 1}, headers=AUTH)
        assert allowed.status_code == 200 and allowed.json() == {"count": 1}


async def test_an_app_with_a_body_limit_gets_no_lane() -> None:
    """The lane would not enforce FastAPI's body limit, so such an app keeps its generic stack
    for every route (FastAPI answers the oversized body)."""
    app = _app(CroupierAPI, max_body_size=16)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        response = await c.post("/api/v1/play", json={"count": 3, "pad": "x" * 64}, headers=AUTH)
        assert response.status_code == 413
        assert app.middleware_stack.served == frozenset()  # type: ignore[union-attr]


async def test_an_error_with_no_handler_propagates_as_on_the_generic_stack() -> None:
    """Without the app's handler for Exception, a bug escapes to the server (which answers
    500), on both stacks."""
    for cls in (FastAPI, CroupierAPI):
        app = _bare_app(cls)
        transport = httpx.ASGITransport(app, raise_app_exceptions=True)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            with pytest.raises(RuntimeError, match="a bug"):
                await c.post("/play", json={"count": 500}, headers=AUTH)


def test_the_app_serves_the_spin_and_its_aliases_in_the_lane() -> None:
    app = create_app()
    stack = app.build_middleware_stack()
    assert isinstance(stack, FastLane)
    assert stack.served == {
        ("POST", "/api/v1/game/spin"),
        ("POST", "/api/v1/bets"),
        ("POST", "/api/v1/bet/spin"),
    }


async def test_a_plain_function_exception_handler_answers_in_the_lane_too() -> None:
    """Starlette runs a handler that is no coroutine function in a thread; so does the lane."""

    def refused(request: Request, exc: Exception) -> Response:
        return Response(b"refused", status_code=409)

    answers = []
    for cls in (FastAPI, CroupierAPI):
        app = _bare_app(cls)
        app.add_exception_handler(_Refused, refused)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
            response = await c.post("/play", json={"count": 409}, headers=AUTH)
            answers.append((response.status_code, response.text))
    assert answers == [(409, "refused")] * 2
