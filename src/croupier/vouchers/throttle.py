"""Throttles for voucher redemption and player login, on the platform's login limits.

Failures are counted in a sliding window (``login_window_seconds``): per subject (the login code
for a login) up to ``login_max_failures_per_account``, per client IP up to
``login_max_failures_per_ip``. Redemption is throttled per IP only: a per-code-prefix counter
would let anyone lock an honest customer's printed voucher by failing with its first
characters, and 80 random bits leave no prefix worth guarding. A shop that redeems for its
customers from one IP gets the per-IP allowance for typos, which is why it is the larger one.
"""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import structlog

from croupier.config import Settings
from croupier.kit.errors import TooManyRequestsError
from croupier.vouchers import player_queries as queries

log = structlog.get_logger("croupier.vouchers.throttle")

REDEEM = "redeem"
LOGIN = "login"


async def enforce(
    conn: asyncpg.Connection,
    settings: Settings,
    *,
    action: str,
    subject: str | None,
    ip: str | None,
) -> None:
    """Raise 429 with Retry-After while the subject or the IP is over its failure limit."""
    by_subject, by_ip, oldest_subject, oldest_ip = await queries.recent_failures(
        conn, action=action, subject=subject, ip=ip, window_seconds=settings.login_window_seconds
    )
    blocked_since = None
    if subject is not None and by_subject >= settings.login_max_failures_per_account:
        blocked_since = oldest_subject
    elif ip is not None and by_ip >= settings.login_max_failures_per_ip:
        blocked_since = oldest_ip
    if blocked_since is None:
        return
    elapsed = (datetime.now(UTC) - blocked_since).total_seconds()
    retry_after = int(settings.login_window_seconds - elapsed) + 1
    log.warning("voucher_throttled", action=action, subject=subject, ip=ip)
    raise TooManyRequestsError(
        "Too many failed attempts; try again later.", retry_after=retry_after
    )


async def record_failure(
    conn: asyncpg.Connection, *, action: str, subject: str | None, ip: str | None
) -> None:
    """Count a failure; the caller raises its error ``.recorded()`` so this row commits."""
    await queries.record_failure(conn, action=action, subject=subject, ip=ip)
