"""The ephemeral player's own API: log in with login code + PIN, read the state, ack the bonus.

Seed 000's login names no operator, so the login code alone finds the player; codes are unique
per operator and random enough (50 bits) that two operators sharing one is negligible, and if
it ever happens the caller must name the operator (``operatorSlug`` or ``X-Operator``).
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
import structlog

from croupier.auth import service as auth_service
from croupier.auth.passwords import verify_password
from croupier.config import Settings
from croupier.safety import service as safety
from croupier.vouchers import bonus, codes, money, throttle
from croupier.vouchers import player_queries as queries
from croupier.vouchers.bonus import BonusStatus
from croupier.vouchers.errors import PlayerLoginInvalidError
from croupier.wallets import service as wallets

log = structlog.get_logger("croupier.vouchers.player")


@dataclass(frozen=True, slots=True)
class PlayerState:
    player_id: int
    operator_id: int
    login_code: str | None  # display form; None for a player not created from a voucher
    agent_id: int | None
    currency: str
    cash: int
    reserved: int  # cash held for pending cash-outs
    held_bonus: int
    bonus: BonusStatus

    @property
    def withdrawable(self) -> int:
        return self.cash - self.reserved


async def login(
    conn: asyncpg.Connection,
    settings: Settings,
    *,
    login_code: str,
    pin: str,
    operator_slug: str | None,
    ip: str | None,
    user_agent: str | None,
) -> auth_service.IssuedSession:
    """A session for the player, throttled per login code and per IP like staff logins."""
    compact = codes.normalize(login_code, codes.LOGIN_CODE_LENGTH)
    await throttle.enforce(conn, settings, action=throttle.LOGIN, subject=compact, ip=ip)
    operator = await auth_service.resolve_operator(conn, operator_slug)
    rows = (
        await queries.players_by_login_code(conn, compact, operator["id"] if operator else None)
        if compact
        else []
    )
    row = rows[0] if len(rows) == 1 else None
    # The PIN is verified even without a player (against a dummy hash) so timing tells nothing.
    pin_ok = await verify_password(row["pin_hash"] if row else None, pin)
    if not (
        row is not None
        and pin_ok
        and row["status"] == "active"
        and row["operator_status"] == "active"
    ):
        await throttle.record_failure(conn, action=throttle.LOGIN, subject=compact, ip=ip)
        log.warning("player_login_failed", login_code=compact, ip=ip)
        raise PlayerLoginInvalidError().recorded()

    await safety.check_login(conn, operator_id=row["operator_id"], player_id=row["id"])
    await queries.touch_login(conn, row["id"])
    return await auth_service.issue_player_session(
        conn,
        settings,
        player_id=row["id"],
        operator_id=row["operator_id"],
        ip=ip,
        user_agent=user_agent,
    )


async def state(conn: asyncpg.Connection, *, operator_id: int, player_id: int) -> PlayerState:
    """Balances and bonus state. Evaluates the bonus trigger first, so a balance already at or
    under 1.00 FUN (a tiny voucher, a spin settled before the hook was wired) gets its bonus."""
    balances = await wallets.get_balances(conn, operator_id=operator_id, player_id=player_id)
    if balances.cash <= bonus.BONUS_TRIGGER_BALANCE and await bonus.grant_due(
        conn, operator_id=operator_id, player_id=player_id
    ):
        balances = await wallets.get_balances(conn, operator_id=operator_id, player_id=player_id)
    profile = await queries.player_profile(conn, operator_id, player_id)
    login_code = profile["login_code"] if profile else None
    return PlayerState(
        player_id=player_id,
        operator_id=operator_id,
        login_code=codes.display_login_code(login_code) if login_code else None,
        agent_id=profile["agent_id"] if profile else None,
        currency=balances.currency,
        cash=balances.cash,
        reserved=balances.reserved,
        held_bonus=await money.held_bonus_balance(
            conn, operator_id=operator_id, player_id=player_id, currency=balances.currency
        ),
        bonus=await bonus.status(conn, operator_id=operator_id, player_id=player_id),
    )
