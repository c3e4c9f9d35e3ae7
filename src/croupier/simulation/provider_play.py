"""Rounds on the demo provider's (Jaqpot's) games. The player launches the game through the
casino (POST /casino/launchGame); the rounds are then what Jaqpot's game server does for each
spin: a signed /casino/debit of the stake and a signed /casino/credit of the win (seed 003's
callbacks). The demo provider has no per-round endpoint a player's client could call, so the
simulator plays its game server here, with its secret, over the same wire."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from croupier.simulation import profiles

if TYPE_CHECKING:
    from croupier.simulation.player_bot import PlayerBot
    from croupier.simulation.runtime import GameInfo

# Win multipliers and their chances: 96% return to player, a hit every 2.6 spins.
PAYOUTS = ((0.62, 0.0), (0.20, 1.0), (0.10, 2.0), (0.05, 5.0), (0.025, 10.0), (0.005, 12.0))


def _multiplier(draw: float) -> float:
    for chance, multiplier in PAYOUTS:
        if draw < chance:
            return multiplier
        draw -= chance
    return 0.0


async def play(bot: PlayerBot, game: GameInfo, rounds: int) -> None:
    launched = await bot.call(
        "casino_launch",
        "POST",
        "/casino/launchGame",
        body={"userId": bot.player_id, "gameId": game.slug},
    )
    token = launched.get("sessionToken")
    if launched.status == 404 and launched.get("code") in (None, "NOT_FOUND"):
        bot.rt.features["provider"] = False  # the provider integration is not served here
    if not launched.ok or not token:
        bot.log.info("bot_launch_refused", status=launched.status, game=game.slug)
        return
    secret = bot.rt.settings.casino_secret.get_secret_value()
    bot.log.info("bot_provider_session", game=game.slug, rounds=rounds)
    for _ in range(rounds):
        if bot.rt.stopping() or bot.done:
            return
        stake = bot.fit(game, profiles.base_stake(bot.profile, bot.rng))
        if stake > bot.wallet.playable:
            return
        round_id, bet_id = str(uuid.uuid4()), str(uuid.uuid4())
        money = {"sessionToken": token, "userId": bot.player_id, "roundId": round_id}
        debit = await bot.rt.api.provider_callback(
            "casino_debit",
            "/casino/debit",
            secret,
            {**money, "transactionId": bet_id, "amount": stake},
        )
        if not debit.ok:
            bot.log.info("bot_provider_debit_refused", status=debit.status, code=debit.get("code"))
            return
        win = int(stake * _multiplier(bot.rng.random()))
        credit = await bot.rt.api.provider_callback(
            "casino_credit",
            "/casino/credit",
            secret,
            {
                **money,
                "transactionId": str(uuid.uuid4()),
                "amount": win,
                "relatedTransactionId": bet_id,
            },
        )
        balance = credit.get("balance") if credit.ok else debit.get("balance")
        if balance is not None:
            bot.wallet.cash = int(balance)
            bot.wallet.bonus = 0
        bot.rt.tally.count("provider_bet")
        if not await bot.rt.sleep(bot.rt.pace * profiles.spin_gap(bot.profile, bot.rng)):
            return
