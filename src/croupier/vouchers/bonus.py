"""The seed's 1.00 FUN bonus: a voucher's held 50% is credited when play runs the balance down.

Reading of seed 000 ("Bonuses: Trigger when player balance reaches 1.00 FUN (100 minor units)"):

* The balance is the player's cash balance on the ledger (FUN minor units), including cash
  reserved by a pending cash-out: until the shop pays it, that money is still the player's.
* The trigger is ``balance <= 100``: "reaches" also covers a spin that jumps from above 1.00 to
  below it. It is evaluated after every settled spin (:func:`after_spin`, called by the platform
  spin in its unit of work) and whenever the player reads ``GET /player/me`` (a balance already
  sitting at or under the line, e.g. a voucher of 1.00).
* Each voucher's bonus is granted at most once (state ``held`` → ``granted``), also under
  concurrent spins: the state change is a conditional UPDATE that only one transaction can win,
  and the ledger transfer is keyed by the voucher.
* The popup shows from the grant until the player acknowledges it (``POST /player/bonus/ack``):
  ``granted`` → ``acknowledged``. It is never shown, nor the bonus granted, a second time.
* The bonus rewards play, not cashing out: a paid cash-out that leaves the balance at or under
  the line forfeits the still-held bonus back to the agent's float (:func:`forfeit_if_emptied`).
  Otherwise a player could cash out everything and then cash out the bonus as well, making the
  shop pay out 150% of what it sold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg
import structlog

from croupier.realtime import service as realtime
from croupier.vouchers import money
from croupier.vouchers import player_queries as queries

log = structlog.get_logger("croupier.vouchers.bonus")

BONUS_TRIGGER_BALANCE = 100  # 1.00 FUN in minor units

NONE = "none"
HELD = "held"
GRANTED_UNACKNOWLEDGED = "granted_unacknowledged"
ACKNOWLEDGED = "acknowledged"
FORFEITED = "forfeited"


@dataclass(frozen=True, slots=True)
class BonusStatus:
    """What ``GET /player/me`` shows: the most pressing state among the player's vouchers."""

    state: str  # none | held | granted_unacknowledged | acknowledged | forfeited
    amount: int  # of the bonuses in that state
    granted_at: datetime | None

    @property
    def popup(self) -> bool:
        return self.state == GRANTED_UNACKNOWLEDGED


async def after_spin(
    conn: asyncpg.Connection, *, operator_id: int, player_id: int, cash_balance_after: int
) -> None:
    """The spin hook: grant the player's held voucher bonuses once the cash balance after a
    settled spin is 1.00 FUN or less. Cheap when nothing is due: no query above the line, one
    UPDATE that matches nothing for a player without a held bonus."""
    if cash_balance_after <= BONUS_TRIGGER_BALANCE:
        await grant_due(conn, operator_id=operator_id, player_id=player_id)


async def grant_due(conn: asyncpg.Connection, *, operator_id: int, player_id: int) -> int:
    """Credit every held bonus of the player to its cash; returns the amount granted."""
    claimed = await queries.claim_held_bonuses(conn, operator_id, player_id, to_state="granted")
    granted = 0
    cash_after = 0
    for bonus in claimed:
        cash_after = await money.grant_bonus(
            conn,
            operator_id=operator_id,
            player_id=player_id,
            currency=bonus["currency"],
            voucher_id=bonus["voucher_id"],
            amount=bonus["amount"],
        )
        granted += bonus["amount"]
    if claimed:
        await realtime.publish(
            conn,
            audience=realtime.player_audience(player_id),
            topic="bonus",
            payload={
                "event": "voucher_bonus_granted",
                "amount": granted,
                "voucherIds": [bonus["voucher_id"] for bonus in claimed],
                "balances": {"cash": cash_after, "heldBonus": 0},
                "popup": True,
            },
            operator_id=operator_id,
        )
        log.info("voucher_bonus_granted", player_id=player_id, amount=granted)
    return granted


async def forfeit_if_emptied(
    conn: asyncpg.Connection, *, operator_id: int, player_id: int, cash_balance: int
) -> int:
    """After a paid cash-out: a balance at or under the line ends the voucher's play, and the
    held bonus goes back to the agent that paid for it. Returns the amount forfeited."""
    if cash_balance > BONUS_TRIGGER_BALANCE:
        return 0
    claimed = await queries.claim_held_bonuses(conn, operator_id, player_id, to_state="forfeited")
    for bonus in claimed:
        await money.forfeit_bonus(
            conn,
            operator_id=operator_id,
            player_id=player_id,
            agent_id=bonus["agent_id"],
            currency=bonus["currency"],
            voucher_id=bonus["voucher_id"],
            amount=bonus["amount"],
        )
    forfeited = sum(bonus["amount"] for bonus in claimed)
    if claimed:
        log.info("voucher_bonus_forfeited", player_id=player_id, amount=forfeited)
    return forfeited


async def acknowledge(conn: asyncpg.Connection, *, operator_id: int, player_id: int) -> BonusStatus:
    """Close the popup. Idempotent: with nothing to acknowledge the state is returned as is."""
    await queries.acknowledge_bonuses(conn, operator_id, player_id)
    return await status(conn, operator_id=operator_id, player_id=player_id)


async def status(conn: asyncpg.Connection, *, operator_id: int, player_id: int) -> BonusStatus:
    """The popup first, then a bonus still waiting, then the settled ones."""
    rows = await queries.player_bonuses(conn, operator_id, player_id)
    for state, shown in (
        ("granted", GRANTED_UNACKNOWLEDGED),
        ("held", HELD),
        ("acknowledged", ACKNOWLEDGED),
        ("forfeited", FORFEITED),
    ):
        matching = [row for row in rows if row["state"] == state]
        if matching:
            return BonusStatus(
                state=shown,
                amount=sum(row["amount"] for row in matching),
                granted_at=max(
                    (row["granted_at"] for row in matching if row["granted_at"]), default=None
                ),
            )
    return BonusStatus(state=NONE, amount=0, granted_at=None)
