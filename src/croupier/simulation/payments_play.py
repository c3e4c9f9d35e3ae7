"""A bot's money in and out: deposits confirmed by the demo PSP's signed webhook (or paid by
card, which the demo settles at once), and withdrawal requests for the approver bot."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from croupier.payments.adapters.demo import DemoProvider, demo_event

if TYPE_CHECKING:
    from croupier.simulation.player_bot import PlayerBot

WEBHOOK_SHARE = 0.75  # most demo deposits are manual (CashApp-style) and confirmed by webhook


async def deposit(bot: PlayerBot) -> bool:
    """Open a deposit and, for a manual one, play the PSP confirming it; True once credited."""
    rng = bot.rng
    # Whole hundreds: the demo PSP declines amounts ending in 13 (its test cards).
    amount = rng.randint(*bot.profile.deposit) // 100 * 100 + 100
    method = "cashapp" if rng.random() < WEBHOOK_SHARE else "card"
    body: dict[str, object] = {
        "amount": amount,
        "method": method,
        "idempotencyKey": uuid.uuid4().hex,
    }
    codes = [(c, low) for c, low in bot.operator.deposit_codes if c not in bot.claimed]
    if codes and rng.random() < bot.profile.bonus_appetite:
        code, minimum = codes[0]
        body["bonusCode"] = code
        body["amount"] = amount = max(amount, minimum // 100 * 100 + 100)
        bot.claimed.add(code)
    reply = await bot.call("deposit_create", "POST", "/api/v1/deposits", body=body)
    if reply.status == 422 and body.pop("bonusCode", None):
        # The bonus is not for this deposit after all: pay in without it, as a player would.
        body["idempotencyKey"] = uuid.uuid4().hex
        reply = await bot.call("deposit_create", "POST", "/api/v1/deposits", body=body)
    if not reply.ok:
        bot.log.info("bot_deposit_refused", status=reply.status, code=reply.get("code"))
        return False
    if reply.get("status") == "PENDING":
        provider = DemoProvider.from_settings(bot.rt.settings)
        raw, headers = provider.signed_webhook(
            demo_event(
                "deposit.completed",
                reference=reply.get("reference"),
                amount=amount,
                currency=reply.get("currency"),
            )
        )
        ack = await bot.rt.api.call(
            "deposit_webhook", "POST", "/api/v1/webhooks/demo", raw=raw, headers=headers
        )
        if ack.get("outcome") != "applied":
            bot.log.warning("bot_deposit_not_applied", status=ack.status, reason=ack.get("reason"))
            return False
    elif reply.get("status") != "COMPLETED":
        return False
    bot.last_deposit = amount
    bot.rt.tally.count("deposit")
    if "bonusCode" in body:
        bot.rt.tally.count("bonus_deposit_match")
    bot.log.info("bot_deposited", amount=amount, method=method, bonus=body.get("bonusCode"))
    return True


async def withdraw(bot: PlayerBot) -> None:
    """Cash out part of a good run; refusals (wagering not done, limits) are part of life."""
    target = bot.profile.withdraw_at * max(bot.last_deposit, 1)
    if bot.last_deposit == 0 or bot.wallet.withdrawable < target or bot.rng.random() > 0.6:
        return
    amount = bot.wallet.withdrawable // 2 // 100 * 100
    if amount < 100:
        return
    reply = await bot.call(
        "withdrawal_create",
        "POST",
        "/api/v1/withdrawals",
        body={
            "amount": amount,
            "method": "cashapp",
            "destination": f"${bot.username or bot.player_id}",
            "idempotencyKey": uuid.uuid4().hex,
        },
    )
    if reply.ok:
        bot.rt.tally.count("withdrawal_requested")
        bot.log.info("bot_withdrawal_requested", amount=amount)
    else:
        bot.rt.tally.count(f"withdrawal_refused_{str(reply.get('code', reply.status)).lower()}")
        bot.log.info("bot_withdrawal_refused", status=reply.status, code=reply.get("code"))
