"""Deeplink attribution: record a click, send the visitor on, link the click to the player.

A click is linked once, to the first player who registers or logs in with it within the
lookback window (AppsFlyer's default click-through window, 7 days); that player's earliest
linked click is their campaign for the pipeline. The redirect target is never taken from the
request unless its origin is on the operator's allow-list, so /track is not an open redirect.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import structlog

from croupier.auth import service as auth_service
from croupier.auth.errors import OperatorUnknownError
from croupier.engagement.api import queries
from croupier.engagement.api.schemas import CLICK_ID_PATTERN, TrackQuery
from croupier.operators import service as operators

log = structlog.get_logger("croupier.engagement.attribution")

CLICK_COOKIE = "croupier_click"
LOOKBACK_SECONDS = 7 * 24 * 3600
DEFAULT_TARGET = "/"
_CLICK_ID = re.compile(CLICK_ID_PATTERN)
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class TrackedClick:
    operator_id: int
    click_id: str
    target: str
    new: bool


async def record_click(
    conn: asyncpg.Connection,
    *,
    operator_slug: str | None,
    params: TrackQuery,
    ip: str | None,
    user_agent: str | None,
) -> TrackedClick:
    """Store the click (a repeated click id keeps its first data) and choose the redirect."""
    operator = await auth_service.resolve_operator(conn, operator_slug)
    if operator is None:
        raise OperatorUnknownError("Choose an operator: the operator parameter or X-Operator.")
    operator_id = operator["id"]
    settings = await operators.operator_settings(conn, operator_id)
    click_id = params.click_id or secrets.token_urlsafe(16)
    new = await queries.insert_click(
        conn,
        operator_id=operator_id,
        click_id=click_id,
        media_source=params.media_source or None,
        campaign=params.campaign or None,
        adset=params.adset or None,
        ip=ip,
        user_agent=(user_agent or "")[:500] or None,
    )
    target = redirect_target(settings, params.redirect)
    log.info("click_tracked", operator_id=operator_id, click_id=click_id, new=new)
    return TrackedClick(operator_id, click_id, target, new)


async def link_click(
    conn: asyncpg.Connection, *, operator_id: int, player_id: int, click_id: str | None
) -> bool:
    """Attribute an unlinked, recent click of the operator to the player; True if it was.

    Call it right after a registration or login. It never raises for a bad or unknown click
    id: attribution must not be able to break a login.
    """
    if not click_id or not _CLICK_ID.match(click_id):
        return False
    linked = await queries.link_click(
        conn,
        operator_id=operator_id,
        player_id=player_id,
        click_id=click_id,
        lookback_seconds=LOOKBACK_SECONDS,
    )
    if linked:
        log.info("click_linked", operator_id=operator_id, player_id=player_id, click_id=click_id)
    return linked


def redirect_target(settings: dict[str, Any], requested: str | None) -> str:
    """``requested`` if its origin is allow-listed, else the operator's default, else ``/``."""
    allowed = settings.get("trackRedirectAllowlist")
    entries = allowed if isinstance(allowed, list) else []
    origins = {_origin(entry) for entry in entries if isinstance(entry, str)} - {None}
    if requested and _origin(requested) in origins:
        return requested
    default = settings.get("trackRedirectUrl")
    if isinstance(default, str) and _origin(default) is not None:
        return default
    return DEFAULT_TARGET


def _origin(url: str) -> str | None:
    """``scheme://host:port`` of an absolute http(s) URL, or None for anything doubtful.

    Backslashes, whitespace, control characters and credentials are refused outright:
    browsers and urllib disagree on such URLs, which is how allow-lists get bypassed.
    """
    if any(ch.isspace() or ord(ch) < 32 or ch == "\\" for ch in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    return f"{scheme}://{parts.hostname.lower()}:{port or _DEFAULT_PORTS[scheme]}"
