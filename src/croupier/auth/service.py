"""Registration, login, logout and session resolution."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import structlog

from croupier.auth import queries
from croupier.auth.errors import (
    AccountTakenError,
    CsrfError,
    InvalidCredentialsError,
    OperatorUnknownError,
    SessionInvalidError,
)
from croupier.auth.passwords import check_password_rules, hash_password, verify_password
from croupier.auth.principal import Principal, Role
from croupier.config import Settings
from croupier.kit.errors import TooManyRequestsError
from croupier.kit.security import constant_time_equal, new_token, token_hash
from croupier.safety import service as safety

log = structlog.get_logger("croupier.auth")


@dataclass(frozen=True, slots=True)
class IssuedSession:
    token: str
    csrf_token: str
    expires_at: datetime
    principal: Principal


async def resolve_operator(conn: asyncpg.Connection, slug: str | None) -> asyncpg.Record | None:
    if not slug:
        return None
    operator = await queries.find_operator_by_slug(conn, slug)
    if operator is None or operator["status"] != "active":
        raise OperatorUnknownError()
    return operator


async def register_player(
    conn: asyncpg.Connection, *, operator_slug: str | None, email: str, username: str, password: str
) -> asyncpg.Record:
    operator = await resolve_operator(conn, operator_slug)
    if operator is None:
        raise OperatorUnknownError("Choose an operator: operatorSlug or the X-Operator header.")
    check_password_rules(password, email=email, username=username)
    row = await queries.insert_player(
        conn,
        operator_id=operator["id"],
        email=email,
        username=username,
        password_hash=await hash_password(password),
    )
    if row is None:
        raise AccountTakenError()
    log.info("player_registered", player_id=row["id"], operator_id=operator["id"])
    return row


async def login(
    conn: asyncpg.Connection,
    settings: Settings,
    *,
    login_name: str,
    password: str,
    operator_slug: str | None,
    ip: str | None,
    user_agent: str | None,
) -> IssuedSession:
    """Players log in within an operator; staff log in with their email and no operator."""
    operator = await resolve_operator(conn, operator_slug)
    account_key = f"{operator['id'] if operator else 'staff'}:{login_name.lower()}"
    await _enforce_throttle(conn, settings, account_key=account_key, ip=ip)

    if operator is not None:
        row = await queries.find_player_by_login(conn, operator["id"], login_name)
        subject_type = "player"
    else:
        row = await queries.find_staff_by_email(conn, login_name)
        subject_type = "staff"
    password_ok = await verify_password(row["password_hash"] if row else None, password)
    active = row is not None and row["status"] == "active"
    if not (password_ok and active):
        await queries.record_attempt(conn, account_key=account_key, ip=ip, succeeded=False)
        await queries.record_security_event(
            conn,
            kind="login_failed",
            operator_id=operator["id"] if operator else None,
            subject=account_key,
            ip=ip,
            details={"known_account": row is not None},
        )
        log.warning("login_failed", account=account_key, ip=ip)
        raise InvalidCredentialsError().recorded()

    assert row is not None
    if subject_type == "player":
        # Self-excluded or timed-out players cannot log in (checked only after the password, so
        # the answer reveals nothing to someone who does not know it).
        await safety.check_login(conn, operator_id=row["operator_id"], player_id=row["id"])
    await queries.record_attempt(conn, account_key=account_key, ip=ip, succeeded=True)
    role = Role.PLAYER if subject_type == "player" else Role(row["role"])
    return await _issue_session(
        conn,
        settings,
        subject_type=subject_type,
        subject_id=row["id"],
        role=role,
        operator_id=row["operator_id"],
        agent_id=row.get("agent_id") if subject_type == "staff" else None,
        ip=ip,
        user_agent=user_agent,
    )


async def issue_player_session(
    conn: asyncpg.Connection,
    settings: Settings,
    *,
    player_id: int,
    operator_id: int,
    ip: str | None,
    user_agent: str | None,
) -> IssuedSession:
    """For flows that authenticate a player by other means (voucher PIN, device secret)."""
    return await _issue_session(
        conn,
        settings,
        subject_type="player",
        subject_id=player_id,
        role=Role.PLAYER,
        operator_id=operator_id,
        agent_id=None,
        ip=ip,
        user_agent=user_agent,
    )


async def _issue_session(
    conn: asyncpg.Connection,
    settings: Settings,
    *,
    subject_type: str,
    subject_id: int,
    role: Role,
    operator_id: int | None,
    agent_id: int | None,
    ip: str | None,
    user_agent: str | None,
) -> IssuedSession:
    token, csrf = new_token(), new_token()
    row = await queries.insert_session(
        conn,
        token_hash=token_hash(token),
        csrf_hash=token_hash(csrf),
        subject_type=subject_type,
        subject_id=subject_id,
        operator_id=operator_id,
        ttl_seconds=settings.session_ttl_seconds,
        ip=ip,
        user_agent=(user_agent or "")[:500] or None,
    )
    principal = Principal(subject_type, subject_id, role, operator_id, agent_id, row["id"])
    log.info("login_succeeded", subject_type=subject_type, subject_id=subject_id)
    return IssuedSession(token, csrf, row["expires_at"], principal)


async def _enforce_throttle(
    conn: asyncpg.Connection, settings: Settings, *, account_key: str, ip: str | None
) -> None:
    by_account, by_ip, oldest_account, oldest_ip = await queries.recent_failures(
        conn, account_key=account_key, ip=ip, window_seconds=settings.login_window_seconds
    )
    blocked_since = None
    if by_account >= settings.login_max_failures_per_account:
        blocked_since = oldest_account
    elif ip is not None and by_ip >= settings.login_max_failures_per_ip:
        blocked_since = oldest_ip
    if blocked_since is None:
        return
    elapsed = (datetime.now(UTC) - blocked_since).total_seconds()
    retry_after = int(settings.login_window_seconds - elapsed) + 1
    await queries.record_security_event(
        conn, kind="login_throttled", operator_id=None, subject=account_key, ip=ip, details={}
    )
    log.warning("login_throttled", account=account_key, ip=ip, retry_after=retry_after)
    raise TooManyRequestsError(
        "Too many failed logins; try again later.", retry_after=retry_after
    ).recorded()


async def authenticate(
    conn: asyncpg.Connection,
    settings: Settings,
    *,
    token: str,
    csrf_header: str | None,
    via_cookie: bool,
    unsafe_method: bool,
) -> Principal:
    """Resolve a session token to a principal; renew the session's expiry (sliding)."""
    row = await live_session(conn, token_hash(token))
    principal, due = check_session(
        row, settings, csrf_header=csrf_header, via_cookie=via_cookie, unsafe_method=unsafe_method
    )
    if due:
        await renew_session(conn, settings, principal)
    return principal


async def live_session(conn: asyncpg.Connection, digest: bytes) -> asyncpg.Record | None:
    """The live session of a token hash, with its subject's role and status, or None."""
    return await queries.find_session(conn, digest)


def check_session(
    row: asyncpg.Record | None,
    settings: Settings,
    *,
    csrf_header: str | None,
    via_cookie: bool,
    unsafe_method: bool,
) -> tuple[Principal, bool]:
    """The principal of a live session row (``queries.find_session``), and whether its sliding
    renewal is due. Raises when the session does not authenticate this request."""
    if row is None or not row["subject_active"]:
        raise SessionInvalidError()
    if (
        via_cookie
        and unsafe_method
        and not (csrf_header and constant_time_equal(token_hash(csrf_header), row["csrf_hash"]))
    ):
        raise CsrfError()
    idle = (datetime.now(UTC) - row["last_seen_at"]).total_seconds()
    principal = Principal(
        subject_type=row["subject_type"],
        subject_id=row["subject_id"],
        role=Role(row["role"]),
        operator_id=row["operator_id"],
        agent_id=row["agent_id"],
        session_id=row["id"],
    )
    # Renewing at most once per interval keeps /auth/me a read on the hot path.
    return principal, idle >= settings.session_renew_after_seconds


async def renew_session(conn: asyncpg.Connection, settings: Settings, principal: Principal) -> None:
    await queries.renew_session(conn, principal.session_id, settings.session_ttl_seconds)


async def logout(conn: asyncpg.Connection, principal: Principal) -> None:
    await queries.revoke_session(conn, principal.session_id)
    log.info("logout", subject_type=principal.subject_type, subject_id=principal.subject_id)
