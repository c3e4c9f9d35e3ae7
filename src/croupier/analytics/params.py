"""The analytics request: time window, bucket, zone and filters, validated once (422 on bad
input) and resolved against the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croupier.analytics.buckets import UNITS, Bucket, make_buckets
from croupier.kit.errors import InvalidInputError

DEFAULT_TIMEZONE = "America/Los_Angeles"
DEFAULT_DAYS = 30
MAX_DAYS = 400
MAX_BUCKETS = 5000


@dataclass(frozen=True, slots=True)
class Window:
    """Whole buckets covering the requested [from, to): figures are for [start, end)."""

    start: datetime
    end: datetime
    unit: str
    timezone: str
    buckets: list[Bucket]


@dataclass(frozen=True, slots=True)
class Filters:
    agent_id: int | None = None
    cashier_id: int | None = None
    region: str | None = None
    game_key: str | None = None
    provider: str | None = None
    exclude_seeded: bool = False

    @property
    def by_game(self) -> bool:
        return self.game_key is not None or self.provider is not None

    def as_json(self) -> dict[str, object]:
        return {
            "agentId": self.agent_id,
            "cashierId": self.cashier_id,
            "region": self.region,
            "gameKey": self.game_key,
            "provider": self.provider,
            "excludeSeeded": self.exclude_seeded,
        }


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInputError(f"Unknown time zone {name!r}.", field="timezone") from exc


def parse_window(
    start: datetime | None,
    end: datetime | None,
    unit: str = "day",
    timezone: str = DEFAULT_TIMEZONE,
    *,
    now: datetime | None = None,
) -> Window:
    """Naive datetimes are local times in ``timezone``; the default window is the last 30
    days. The window widens to whole buckets."""
    if unit not in UNITS:
        raise InvalidInputError("bucket must be hour, day or week.", field="bucket")
    tz = zone(timezone)
    end = _aware(end, tz) if end is not None else (now or datetime.now(UTC))
    start = _aware(start, tz) if start is not None else end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise InvalidInputError("'from' must be before 'to'.", field="from")
    if end - start > timedelta(days=MAX_DAYS):
        raise InvalidInputError(f"The range may span at most {MAX_DAYS} days.", field="from")
    buckets = make_buckets(start, end, unit, tz)
    if len(buckets) > MAX_BUCKETS:
        raise InvalidInputError(
            f"That is more than {MAX_BUCKETS} buckets; choose a larger bucket.", field="bucket"
        )
    return Window(buckets[0].start, buckets[-1].end, unit, timezone, buckets)


def _aware(moment: datetime, tz: ZoneInfo) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)
