"""One error format for the platform API: ``{"code", "message", "details"?, "requestId"}``."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from croupier.kit.errors import CroupierError

log = structlog.get_logger("croupier.errors")

_HTTP_CODES = {
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
}


def located(exc: ValidationError, location: str) -> RequestValidationError:
    """A model's validation errors as FastAPI reports a request part's: each location starts
    with the part (``"body"``, ``"header"``), so the 422 names it like any other."""
    errors = exc.errors(include_url=False)
    return RequestValidationError([{**error, "loc": (location, *error["loc"])} for error in errors])


def _render(
    request: Request, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> JSONResponse:
    body["requestId"] = getattr(request.state, "request_id", None)
    return JSONResponse(body, status_code=status, headers=headers)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


async def _croupier_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CroupierError)
    return _render(request, exc.status_code, exc.body(), exc.headers or None)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = [
        {"field": _field_name(tuple(err["loc"])), "in": str(err["loc"][0]), "message": err["msg"]}
        for err in exc.errors()
    ]
    first = fields[0]["field"] if fields else "request"
    return _render(
        request,
        422,
        {
            "code": "VALIDATION_ERROR",
            "message": f"Invalid input: {first}.",
            "details": {"fields": fields},
        },
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
    return _render(
        request, exc.status_code, {"code": code, "message": str(exc.detail)}, exc.headers
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # The trace goes to the log with the request id; the client gets no internals.
    log.exception("unhandled_error", path=request.url.path, error_type=type(exc).__name__)
    return _render(request, 500, {"code": "INTERNAL_ERROR", "message": "Internal server error."})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CroupierError, _croupier_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
