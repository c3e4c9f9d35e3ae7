"""Seed 003's wire format, shared by the casino's and the demo provider's routers.

Bodies are serialised the way ``JSON.stringify`` does (compact, key order kept, non-ASCII left
as is), so a Node peer that re-serialises a parsed body computes the same signature. Errors keep
the seed's ``{"error": "..."}`` and add a stable ``code``, instead of the platform's error shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

import structlog
from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel

from croupier.kit.errors import CroupierError

log = structlog.get_logger("croupier.providers")

JSON = "application/json"


def stringify(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def error_body(error: CroupierError, balance: int | None = None) -> bytes:
    body: dict[str, Any] = {"error": error.message, "code": error.code}
    if balance is not None:
        body["balance"] = str(balance)
    body.update(error.details)
    return stringify(body)


def documented_body(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI for a body the route reads raw (it must see the exact bytes that were signed)."""
    schema = model.model_json_schema(by_alias=True)
    return {"requestBody": {"required": True, "content": {JSON: {"schema": schema}}}}


def json_response(status: int, body: bytes) -> Response:
    return Response(content=body, status_code=status, media_type=JSON)


class SeedRoute(APIRoute):
    """Renders every error of these routes in seed 003's shape.

    The unit of work has already committed or rolled back when an error reaches this wrapper,
    so a failed commit also becomes a 500 here rather than a false success.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except CroupierError as exc:
                return json_response(exc.status_code, error_body(exc))
            except Exception as exc:
                # Transient by definition (nothing was stored): the provider retries.
                log.exception(
                    "provider_wire_error", path=request.url.path, error=type(exc).__name__
                )
                body = stringify({"error": "Internal server error", "code": "INTERNAL_ERROR"})
                return json_response(500, body)

        return guarded
