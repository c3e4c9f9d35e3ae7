"""Request and response bodies of the engagement API (seed 004)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, ConfigDict, Field, Strict, field_validator

from croupier.kit.schemas import Input, Output

DEVICE_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
CLICK_ID_PATTERN = r"^[A-Za-z0-9._~-]{1,128}$"
EVENT_TYPE_PATTERN = r"^[A-Za-z][A-Za-z0-9_.:-]{0,63}$"
REASON_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9._:-]{1,100}$"
META_MAX_BYTES = 8 * 1024
# A client clock may be off, but not by years; older or later stamps are client bugs.
_OLDEST_CLIENT_TS = datetime(2000, 1, 1, tzinfo=UTC)

StrictPositiveInt = Annotated[int, Strict(), Field(gt=0, le=1_000_000_000)]


class LoginIn(Input):
    # Seed 004 posts {"userId": ...}; the device id is the same thing under our name.
    device_id: str = Field(
        validation_alias=AliasChoices("deviceId", "userId", "device_id"),
        pattern=DEVICE_ID_PATTERN,
    )
    device_secret: str | None = Field(default=None, min_length=1, max_length=200)
    operator_slug: str | None = Field(default=None, max_length=63)
    click_id: str | None = Field(default=None, pattern=CLICK_ID_PATTERN)


class LoginOut(Output):
    token: str
    expires_at: datetime
    player_id: int
    operator_id: int
    created: bool
    device_secret: str | None = Field(
        default=None, description="Only in the response that created the device: keep it."
    )


class EarnIn(Input):
    amount: StrictPositiveInt
    reason: str = Field(pattern=REASON_PATTERN)
    idempotency_key: str | None = Field(default=None, pattern=IDEMPOTENCY_KEY_PATTERN)


class EarnOut(Output):
    transfer_id: int
    amount: int
    reason: str
    coins: int
    currency: str
    day: date
    earned_today: int
    daily_cap: int
    replayed: bool


class BalanceOut(Output):
    currency: str
    coins: int
    cash: int
    bonus: int


def _parse_meta(value: Any) -> Any:
    """Seed 004 sends meta as a JSON *string*; parse it so both forms store one object."""
    if value is None:
        return {}
    if isinstance(value, str):
        if len(value.encode()) > META_MAX_BYTES:
            raise ValueError(f"meta must be at most {META_MAX_BYTES} bytes")
        try:
            return json.loads(value, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            raise ValueError("meta must be a JSON object or a string holding one") from exc
    return value


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


class EventIn(Input):
    event_type: str = Field(pattern=EVENT_TYPE_PATTERN)
    meta: dict[str, Any] = Field(default_factory=dict)
    timestamp_utc: datetime

    _meta_before = field_validator("meta", mode="before")(_parse_meta)

    @field_validator("meta")
    @classmethod
    def _meta_size(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            encoded = json.dumps(value, separators=(",", ":"), allow_nan=False).encode()
        except (ValueError, RecursionError) as exc:
            raise ValueError("meta must be plain JSON (no NaN or Infinity)") from exc
        if len(encoded) > META_MAX_BYTES:
            raise ValueError(f"meta must be at most {META_MAX_BYTES} bytes")
        return value

    @field_validator("timestamp_utc")
    @classmethod
    def _client_time(cls, value: datetime) -> datetime:
        # The field is named UTC, so a stamp without an offset is read as UTC.
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        if value < _OLDEST_CLIENT_TS or value.year > 9000:
            raise ValueError("timestampUtc is out of range")
        return value


class EventOut(Output):
    id: int
    event_type: str
    meta: dict[str, Any]
    timestamp_utc: datetime
    received_at: datetime


class EventList(Output):
    items: list[EventOut]


class TypeCount(Output):
    event_type: str
    count: int


class DayCount(Output):
    day: date
    count: int


class TypeDayCount(Output):
    day: date
    event_type: str
    count: int


class StatsOut(Output):
    scope: Literal["player", "operator", "platform"]
    operator_id: int | None
    player_id: int | None
    timezone: str
    start: date = Field(serialization_alias="from")
    end: date = Field(serialization_alias="to")
    total: int
    by_type: list[TypeCount]
    by_day: list[DayCount]
    by_type_and_day: list[TypeDayCount]


class TrackQuery(Input):
    """The click's query string: ours (snake or camel case) and AppsFlyer's names."""

    # Ad networks append their own parameters (utm_*, fbclid...): those are ignored.
    model_config = ConfigDict(extra="ignore")

    media_source: str | None = Field(
        default=None,
        max_length=100,
        validation_alias=AliasChoices("media_source", "mediaSource", "pid"),
    )
    campaign: str | None = Field(
        default=None, max_length=200, validation_alias=AliasChoices("campaign", "c")
    )
    adset: str | None = Field(
        default=None, max_length=200, validation_alias=AliasChoices("adset", "af_adset")
    )
    click_id: str | None = Field(
        default=None,
        pattern=CLICK_ID_PATTERN,
        validation_alias=AliasChoices("click_id", "clickId", "clickid"),
    )
    redirect: str | None = Field(default=None, max_length=2000)
    operator: str | None = Field(default=None, max_length=63)


class AdCostRow(Input):
    day: date = Field(validation_alias=AliasChoices("date", "day"))
    media_source: str = Field(min_length=1, max_length=100)
    campaign: str = Field(default="(none)", min_length=1, max_length=200)
    adset: str = Field(default="(none)", min_length=1, max_length=200)
    spend_minor: Annotated[int, Strict(), Field(ge=0, le=10**15)]
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")


class AdCostsIn(Input):
    operator_id: int | None = None
    rows: list[AdCostRow] = Field(min_length=1, max_length=10_000)


class AdCostsOut(Output):
    operator_id: int
    upserted: int


class RunPipelineIn(Input):
    operator_id: int | None = None
    data_dir: str | None = Field(
        default=None,
        max_length=1000,
        description="Platform admins only: a folder of seed-004 CSVs instead of the platform.",
    )
    as_of: date | None = Field(
        default=None, description="'Yesterday' for the D1 reports; default: yesterday (UTC)."
    )
    charts: bool = True


class PipelineJobOut(Output):
    id: int
    operator_id: int
    status: str
    source: str
    as_of: date | None
    charts: bool
    output_dir: str | None
    summary: dict[str, Any] | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class PipelineJobList(Output):
    items: list[PipelineJobOut]
