"""Guest (device) login for free-to-play apps.

The first login of a device id within an operator creates a player of kind 'guest' and
answers, once, with a random device secret. Every later login of that device id must present
the secret: knowing a device id (or the seed's ``userId``) never yields a session, so a guest
account cannot be hijacked by guessing or reading someone's id.

The secret is 256 random bits stored as its SHA-256. A slow password hash (argon2) protects
low-entropy human passwords against offline guessing; a 256-bit random value cannot be
guessed, so a fast hash loses nothing and keeps login cheap (no CPU to burn by flooding it).

Failures are throttled on the platform's login limits per device id and per IP; creating
guests is limited per IP as well, so one client cannot fill the players table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import structlog

from croupier.auth import service as auth_service
from croupier.auth.errors import OperatorUnknownError
from croupier.config import Settings
from croupier.engagement.api import attribution, queries
from croupier.engagement.api.errors import DeviceCredentialsError, GuestLoginDisabledError
from croupier.kit.errors import TooManyRequestsError
from croupier.kit.security import constant_time_equal, new_token, token_hash
from croupier.operators import service as operators

log = structlog.get_logger("croupier.engagement.guest")

SECRET_BYTES = 32
GUESTS_PER_IP_PER_HOUR = 30  # operator setting "guestsPerIpPerHour" overrides it
_HOUR = 3600


@dataclass(frozen=True, slots=True)
class GuestLogin:
    session: auth_service.IssuedSession
    player_id: int
    operator_id: int
    device_secret: str | None  # only when this login created the device
    click_linked: bool

    @property
    def created(self) -> bool:
        return self.device_secret is not None


async def login(
    conn: asyncpg.Connection,
    settings: Settings,
    *,
    device_id: str,
    device_secret: str | None,
    operator_slug: str | None,
    click_id: str | None,
    ip: str | None,
    user_agent: str | None,
) -> GuestLogin:
    operator = await auth_service.resolve_operator(conn, operator_slug)
    if operator is None:
        raise OperatorUnknownError("Choose an operator: operatorSlug or the X-Operator header.")
    operator_id = operator["id"]
    operator_settings = await operators.operator_settings(conn, operator_id)
    if operator_settings.get("guestLogin") is False:
        raise GuestLoginDisabledError()
    await _enforce_throttle(conn, settings, operator_id=operator_id, device_id=device_id, ip=ip)
    await queries.lock_device_id(conn, operator_id, device_id)
    device = await queries.find_device(conn, operator_id, device_id)

    new_secret = None
    if device is None and device_secret is None:
        await _enforce_creation_limit(conn, operator_settings, ip)
        new_secret = new_token(SECRET_BYTES)
        player_id = await queries.insert_guest(
            conn,
            operator_id=operator_id,
            device_id=device_id,
            secret_hash=token_hash(new_secret),
            ip=ip,
        )
        log.info("guest_created", operator_id=operator_id, player_id=player_id)
    elif _secret_matches(device, device_secret):
        assert device is not None
        player_id = device["player_id"]
        await queries.touch_device(conn, device["id"])
    else:
        await queries.record_login_failure(
            conn, operator_id=operator_id, device_id=device_id, ip=ip
        )
        log.warning("guest_login_failed", operator_id=operator_id, device=device_id, ip=ip)
        raise DeviceCredentialsError().recorded()

    linked = await attribution.link_click(
        conn, operator_id=operator_id, player_id=player_id, click_id=click_id
    )
    session = await auth_service.issue_player_session(
        conn, settings, player_id=player_id, operator_id=operator_id, ip=ip, user_agent=user_agent
    )
    return GuestLogin(session, player_id, operator_id, new_secret, linked)


def _secret_matches(device: asyncpg.Record | None, secret: str | None) -> bool:
    if device is None or secret is None or device["player_status"] != "active":
        return False
    return constant_time_equal(token_hash(secret), device["secret_hash"])


async def _enforce_throttle(
    conn: asyncpg.Connection,
    settings: Settings,
    *,
    operator_id: int,
    device_id: str,
    ip: str | None,
) -> None:
    window = settings.login_window_seconds
    row = await queries.recent_login_failures(
        conn, operator_id=operator_id, device_id=device_id, ip=ip, window_seconds=window
    )
    blocked_since = None
    if row["by_device"] >= settings.login_max_failures_per_account:
        blocked_since = row["oldest_device"]
    elif ip is not None and row["by_ip"] >= settings.login_max_failures_per_ip:
        blocked_since = row["oldest_ip"]
    if blocked_since is not None:
        log.warning("guest_login_throttled", operator_id=operator_id, device=device_id, ip=ip)
        raise TooManyRequestsError(
            "Too many failed logins; try again later.",
            retry_after=_seconds_left(blocked_since, window),
        )


async def _enforce_creation_limit(
    conn: asyncpg.Connection, operator_settings: dict[str, object], ip: str | None
) -> None:
    if ip is None:
        return
    configured = operator_settings.get("guestsPerIpPerHour")
    limit = configured if isinstance(configured, int) else GUESTS_PER_IP_PER_HOUR
    created, oldest = await queries.guests_created_from_ip(conn, ip, _HOUR)
    if created >= limit and oldest is not None:
        log.warning("guest_creation_throttled", ip=ip)
        raise TooManyRequestsError(
            "Too many new guests from this address; try again later.",
            retry_after=_seconds_left(oldest, _HOUR),
        )


def _seconds_left(since: datetime, window_seconds: int) -> int:
    return int(window_seconds - (datetime.now(UTC) - since).total_seconds()) + 1
