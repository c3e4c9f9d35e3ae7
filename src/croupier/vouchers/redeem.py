"""Redeeming a voucher: the code becomes a new ephemeral player with a login code and a PIN.

One unit of work: claim the voucher (the conditional UPDATE only one concurrent caller wins) →
create the player, attributed to the voucher's agent, cashier and region → credit the amount
to the player's cash and hold the bonus on the player's ``bonus_held`` → record the held bonus.
The PIN is returned once and stored only as an argon2 hash.

Any failure to claim (malformed, unknown, expired, voided, already redeemed, or the operator no
longer running sweepstakes) is the same 400 VOUCHER_INVALID with the same body, and counts as a
failed attempt for the per-IP throttle.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
import structlog

from croupier.auth.passwords import hash_password
from croupier.config import Settings
from croupier.vouchers import codes, money, player_queries, queries, throttle
from croupier.vouchers.errors import VoucherInvalidError

log = structlog.get_logger("croupier.vouchers.redeem")

# Drawing a login code that is already taken is a 2^-50-per-player event; a few draws make a
# failure unthinkable without looping forever on a broken generator.
_LOGIN_CODE_DRAWS = 3


@dataclass(frozen=True, slots=True)
class Redemption:
    voucher_id: int
    operator_id: int
    player_id: int
    login_code: str  # display form
    pin: str  # shown once
    currency: str
    amount: int
    held_bonus: int


async def redeem(
    conn: asyncpg.Connection, settings: Settings, *, code: str, ip: str | None
) -> Redemption:
    await throttle.enforce(conn, settings, action=throttle.REDEEM, subject=None, ip=ip)
    compact = codes.normalize(code, codes.VOUCHER_CODE_LENGTH)
    voucher = await queries.claim_voucher(conn, codes.code_hash(compact)) if compact else None
    if voucher is None:
        await throttle.record_failure(conn, action=throttle.REDEEM, subject=None, ip=ip)
        log.warning("voucher_redeem_failed", ip=ip)
        raise VoucherInvalidError().recorded()

    pin = codes.new_pin()
    player_id, login_code = await _create_player(conn, voucher, await hash_password(pin))
    await queries.attach_player(conn, voucher["id"], player_id)
    await money.credit_redemption(
        conn,
        operator_id=voucher["operator_id"],
        agent_id=voucher["agent_id"],
        player_id=player_id,
        currency=voucher["currency"],
        voucher_id=voucher["id"],
        amount=voucher["amount"],
        bonus=voucher["bonus"],
    )
    await player_queries.insert_bonus(conn, voucher, player_id)
    log.info("voucher_redeemed", voucher_id=voucher["id"], player_id=player_id)
    return Redemption(
        voucher_id=voucher["id"],
        operator_id=voucher["operator_id"],
        player_id=player_id,
        login_code=codes.display_login_code(login_code),
        pin=pin,
        currency=voucher["currency"],
        amount=voucher["amount"],
        held_bonus=voucher["bonus"],
    )


async def _create_player(
    conn: asyncpg.Connection, voucher: asyncpg.Record, pin_hash: str
) -> tuple[int, str]:
    for _ in range(_LOGIN_CODE_DRAWS):
        login_code = codes.new_login_code()
        player_id = await player_queries.insert_ephemeral_player(
            conn, voucher=voucher, login_code=login_code, pin_hash=pin_hash
        )
        if player_id is not None:
            return player_id, login_code
    raise RuntimeError("no free login code after several draws: is the generator broken?")
