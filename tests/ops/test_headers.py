"""web.headers: a route's headers read as one model, with FastAPI's 422 for bad ones."""

from __future__ import annotations

import pytest
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.requests import Request

from croupier.web.headers import HeaderParams


class _Headers(BaseModel):
    key: str | None = Field(None, alias="Idempotency-Key", max_length=5)
    count: int = Field(1, alias="x-count", ge=1, description="How many.")


PARAMS = HeaderParams(_Headers)


def _request(*headers: tuple[bytes, bytes]) -> Request:
    return Request({"type": "http", "method": "POST", "headers": list(headers)})


def test_absent_headers_take_their_defaults() -> None:
    assert PARAMS.read(_request((b"host", b"x"))) == _Headers()


def test_the_first_of_repeated_headers_wins_as_with_starlette() -> None:
    read = PARAMS.read(_request((b"idempotency-key", b"one"), (b"idempotency-key", b"two")))
    assert read.key == "one"
    assert (
        _request((b"idempotency-key", b"one"), (b"idempotency-key", b"two")).headers.get(
            "Idempotency-Key"
        )
        == read.key
    )


def test_bad_values_raise_one_validation_error_naming_every_header() -> None:
    with pytest.raises(RequestValidationError) as raised:
        PARAMS.read(_request((b"idempotency-key", b"too-long"), (b"x-count", b"0")))
    locations = sorted(error["loc"] for error in raised.value.errors())
    assert locations == [("header", "Idempotency-Key"), ("header", "x-count")]


def test_openapi_lists_each_header_with_its_schema_and_description() -> None:
    parameters = {p["name"]: p for p in PARAMS.openapi["parameters"]}
    assert parameters["x-count"]["description"] == "How many."
    assert parameters["x-count"]["schema"]["minimum"] == 1
    assert parameters["x-count"]["in"] == "header" and not parameters["x-count"]["required"]
    assert "description" not in parameters["Idempotency-Key"]
