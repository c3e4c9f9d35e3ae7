"""Small shared pieces of the safety package: the clock, session keys, timezones."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croupier.safety.state import from_ms, to_ms

SERVER_SESSION = ""  # session_key of the server's own session (no x-session-id)
CLIENT_CLOCK_TOLERANCE_MS = 15 * 60_000


def utcnow() -> datetime:
    return datetime.now(UTC)


def moment_of(millis: int) -> datetime | None:
    """Epoch milliseconds to a timestamp column; 0 means none."""
    return from_ms(millis) if millis else None


def millis_of(moment: datetime | None) -> int:
    return to_ms(moment) if moment else 0


def session_key_of(session_key: str | None) -> str:
    return session_key or SERVER_SESSION


@lru_cache(maxsize=512)
def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
