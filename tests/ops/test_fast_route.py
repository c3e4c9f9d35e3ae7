"""web.fast_route: the same documentation, answers and 422s as FastAPI's own resolution."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from croupier.web.fast_route import FastRoute


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: Annotated[int, Field(gt=0, strict=True)]
    label: Annotated[str, Field(max_length=5)] = "x"


class _Out(BaseModel):
    count: int
    label: str
    caller: str


async def _caller(request: Request) -> str:
    token = request.headers.get("authorization")
    if token != "Bearer ok":
        raise HTTPException(401, "Authentication required.")
    return "ok-caller"


Caller = Annotated[str, Depends(_caller)]


async def _echo(body: _In, request: Request, caller: Caller) -> Response:
    out = _Out(count=body.count, label=body.label, caller=caller)
    return Response(out.model_dump_json(), media_type="application/json")


def _app(route_class: type | None) -> FastAPI:
    app = FastAPI()

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [{"loc": list(e["loc"]), "type": e["type"]} for e in exc.errors()]
        return JSONResponse({"errors": errors}, status_code=422)

    app.add_exception_handler(RequestValidationError, validation_error)
    router = APIRouter(route_class=route_class) if route_class else APIRouter()
    router.post("/echo", response_model=_Out)(_echo)
    app.include_router(router)
    return app


@pytest.fixture
async def clients() -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """(FastAPI's own resolution, FastRoute's), for the same endpoint."""
    plain, fast = _app(None), _app(FastRoute)
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(plain), base_url="http://t") as a,
        httpx.AsyncClient(transport=httpx.ASGITransport(fast), base_url="http://t") as b,
    ):
        yield a, b


AUTH = {"authorization": "Bearer ok"}


async def test_the_route_is_documented_exactly_as_fastapi_documents_it(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    plain, fast = clients
    specs = [(await c.get("/openapi.json")).json() for c in (plain, fast)]
    assert specs[0] == specs[1]
    assert specs[1]["paths"]["/echo"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/_In"}


async def test_the_endpoint_gets_its_body_request_and_dependency(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    for client in clients:
        response = await client.post("/echo", json={"count": 3, "label": "ab"}, headers=AUTH)
        assert response.status_code == 200
        assert response.json() == {"count": 3, "label": "ab", "caller": "ok-caller"}


@pytest.mark.parametrize(
    "body",
    [
        {"count": 0},
        {"count": "3"},
        {"count": 1.5},
        {"count": True},
        {"label": "ab"},
        {"count": 3, "label": "toolong"},
        {"count": 3, "extra": 1},
        [1, 2],
        "text",
        None,
    ],
)
async def test_a_bad_body_gets_the_same_422_locations_and_types(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], body: Any
) -> None:
    answers = []
    for client in clients:
        response = await client.post("/echo", json=body, headers=AUTH)
        assert response.status_code == 422, (body, response.text)
        errors = response.json()["errors"]
        # A body that is no object: Python mode says "model_attributes_type", JSON mode
        # "model_type"; the location is the same.
        answers.append([(e["loc"], e["type"] if isinstance(body, dict) else "") for e in errors])
    assert answers[0] == answers[1]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"", "application/json"),
        (b"{not json", "application/json"),
        (b'{"count": 3', "application/json"),
        (b'{"count": 3}', "text/plain"),
        (b'{"count": 3}', None),
    ],
)
async def test_a_missing_malformed_or_non_json_body_is_a_422_at_the_body(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], content: bytes, content_type: str | None
) -> None:
    headers = dict(AUTH)
    if content_type:
        headers["content-type"] = content_type
    for client in clients:
        response = await client.post("/echo", content=content, headers=headers)
        assert response.status_code == 422, (client, content, response.text)
        assert all(e["loc"][0] == "body" for e in response.json()["errors"])


async def test_a_json_media_type_with_parameters_or_a_suffix_is_json(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    _, fast = clients
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        headers = {**AUTH, "content-type": content_type}
        response = await fast.post("/echo", content=b'{"count": 2}', headers=headers)
        assert response.status_code == 200, (content_type, response.text)


async def test_the_dependency_runs_before_the_body_is_validated(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    _, fast = clients
    response = await fast.post("/echo", json={"count": 0})
    assert response.status_code == 401


def _build(endpoint: Any) -> None:
    router = APIRouter(route_class=FastRoute)
    router.post("/x")(endpoint)


async def _sync_dependency(request: Request) -> str:
    return "x"


def test_what_it_cannot_resolve_is_refused_when_the_app_is_built() -> None:
    async def query(q: Annotated[int, Query()]) -> Response:
        return Response()

    async def header(x_key: Annotated[str, Header()]) -> Response:
        return Response()

    def sync_dependency(request: Request) -> str:
        return "x"

    async def with_sync(who: Annotated[str, Depends(sync_dependency)]) -> Response:
        return Response()

    async def generator_dependency(request: Request) -> AsyncIterator[str]:
        yield "x"

    async def with_generator(who: Annotated[str, Depends(generator_dependency)]) -> Response:
        return Response()

    async def nested(who: Caller) -> str:
        return who

    async def with_nested(who: Annotated[str, Depends(nested)]) -> Response:
        return Response()

    async def two_bodies(a: _In, b: _In) -> Response:
        return Response()

    def not_async(body: _In) -> Response:
        return Response()

    for endpoint in (query, header, with_sync, with_generator, with_nested, two_bodies, not_async):
        with pytest.raises(TypeError, match="FastRoute endpoint"):
            _build(endpoint)


async def test_an_endpoint_that_returns_no_response_is_an_error() -> None:
    async def returns_dict(body: _In) -> dict[str, int]:
        return {"count": body.count}

    app = FastAPI()
    router = APIRouter(route_class=FastRoute)
    router.post("/x")(returns_dict)
    app.include_router(router)
    transport = httpx.ASGITransport(app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        with pytest.raises(TypeError, match="must return a Response"):
            await client.post("/x", json={"count": 1})


async def test_the_including_routers_dependencies_run_too() -> None:
    """A dependency given to ``include_router`` is part of each route's resolution: FastRoute
    runs it like its own, or refuses it before serving anything."""

    async def open_echo(body: _In) -> Response:
        return Response(body.model_dump_json(), media_type="application/json")

    router = APIRouter(route_class=FastRoute)
    router.post("/open")(open_echo)
    app = FastAPI()
    app.include_router(router, prefix="/guarded", dependencies=[Depends(_caller)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        assert (await c.post("/guarded/open", json={"count": 1})).status_code == 401
        allowed = await c.post("/guarded/open", json={"count": 1}, headers=AUTH)
        assert allowed.status_code == 200 and allowed.json()["count"] == 1

    def sync_dependency(request: Request) -> None:
        return None

    # FastAPI builds an inclusion's handlers when it first resolves the inclusion.
    refusing = FastAPI()
    refusing.include_router(router, dependencies=[Depends(sync_dependency)])
    transport = httpx.ASGITransport(refusing, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        with pytest.raises(TypeError, match="FastRoute endpoint"):
            await c.post("/open", json={"count": 1})
