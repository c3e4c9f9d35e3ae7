"""Bodies for the operator and staff administration API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import EmailStr, Field, StringConstraints, field_validator

from croupier.kit.schemas import Input, Output

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
_ZONES = frozenset(available_timezones())


def _check_zone(value: str | None) -> str | None:
    if value is not None and value not in _ZONES:
        raise ValueError("must be an IANA timezone such as Europe/Malta")
    return value


class OperatorCreate(Input):
    slug: Slug
    name: Name
    currency: Currency = "USD"
    timezone: str = "UTC"
    mode: Literal["real", "sweepstakes"] = "real"
    settings: dict[str, Any] = Field(default_factory=dict, max_length=100)

    _zone = field_validator("timezone")(_check_zone)


class OperatorUpdate(Input):
    name: Name | None = None
    timezone: str | None = None
    status: Literal["active", "suspended"] | None = None
    settings: dict[str, Any] | None = Field(default=None, max_length=100)

    _zone = field_validator("timezone")(_check_zone)


class OperatorOut(Output):
    id: int
    slug: str
    name: str
    currency: str
    timezone: str
    mode: str
    status: str
    settings: dict[str, Any]
    created_at: datetime


class StaffCreate(Input):
    email: Annotated[EmailStr, Field(max_length=254)]
    password: Annotated[str, Field(min_length=1, max_length=128)]
    display_name: Name | None = None


class StaffOut(Output):
    id: int
    email: str
    display_name: str | None
    role: str
    operator_id: int | None
    agent_id: int | None
    status: str
    created_at: datetime
