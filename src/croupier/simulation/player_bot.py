"""A bot player, acting through the public API as a player's browser and game client would:
log in, top up (the demo PSP confirms by signed webhook), claim bonuses, spin with the
profile's stakes and pace, play the provider's games, and cash out. The safety engine's verdict
comes with each spin (or, from a platform that does not score its own spins, as the answer to
seed 000's per-spin telemetry). The bot obeys it like a real client: a COOLDOWN pauses it, a
STOP (or a refusal it cannot wait out) ends its play for the run."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from croupier.simulation import profiles, provider_play
from croupier.simulation.client import Reply
from croupier.simulation.payments_play import deposit, withdraw
from croupier.simulation.runtime import GameInfo, OperatorInfo, Runtime

log = structlog.get_logger("croupier.simulation.bot")

WAIT_OUT = "COOLDOWN_ACTIVE"
LOGIN_ATTEMPTS = 3


@dataclass
class Wallet:
    cash: int = 0
    bonus: int = 0
    withdrawable: int = 0

    @property
    def playable(self) -> int:
        return self.cash + self.bonus


class PlayerBot:
    def __init__(
        self,
        runtime: Runtime,
        operator: OperatorInfo,
        *,
        player_id: int,
        username: str | None,
        token: str | None = None,
        password: str | None = None,
        timezone: str = "UTC",
        profile: profiles.Profile | None = None,
    ) -> None:
        self.rt = runtime
        self.operator = operator
        self.player_id = player_id
        self.username = username
        self.password = password
        self.token = token
        self.timezone = timezone
        self.profile = profile or profiles.profile_of(username or str(player_id))
        self.rng = random.Random(runtime.rng.random())
        self.wallet = Wallet()
        self.last_deposit = 0
        self.claimed: set[str] = set()
        self.done = False  # stopped by the safety engine (or a refusal) for the rest of the run
        self.leaving = False  # ends the current session
        self.can_deposit = True
        self.log = log.bind(bot=username or f"player{player_id}", profile=self.profile.name)

    async def run(self, *, first_session_now: bool) -> None:
        if self.token is None and not await self._login():
            return
        first = first_session_now
        while not (self.done or self.rt.stopping()):
            if not first:
                hour = profiles.local_hour(self.rt.sim_now(), self.timezone)
                if not await self.rt.sleep_simulated(
                    profiles.session_pause(self.profile, self.rng, hour)
                ):
                    break
            first = False
            self.rt.online += 1
            try:
                await self.session()
            finally:
                self.rt.online -= 1

    async def _login(self) -> bool:
        body = {
            "username": self.username,
            "password": self.password,
            "operatorSlug": self.operator.slug,
        }
        for attempt in range(LOGIN_ATTEMPTS):
            reply = await self.rt.api.call("auth_login", "POST", "/api/v1/auth/login", body=body)
            if reply.ok:
                self.token = reply.get("token")
                self.rt.logged_in += 1
                return True
            self.log.warning("bot_login_failed", status=reply.status, attempt=attempt + 1)
            # Only a busy server (no answer, 429, 503) is worth another try, after a while.
            if reply.status not in (0, 429, 503) or not await self.rt.sleep(5.0 * (attempt + 1)):
                return False
        return False

    async def call(self, label: str, method: str, path: str, **kwargs: Any) -> Reply:
        return await self.rt.api.call(label, method, path, token=self.token, **kwargs)

    async def refresh_wallet(self) -> None:
        reply = await self.call("wallet", "GET", "/api/v1/wallet")
        if reply.ok:
            self.wallet = Wallet(
                reply.get("cash", 0), reply.get("bonus", 0), reply.get("withdrawable", 0)
            )

    async def session(self) -> None:
        spins = profiles.session_spins(self.profile, self.rng)
        self.leaving = False
        self.log.info(
            "bot_session_started",
            rounds=spins,
            local_hour=profiles.local_hour(self.rt.sim_now(), self.timezone),
        )
        await self.refresh_wallet()
        await self._maybe_claim_bonus()
        game = self._choose_game()
        if game is None:
            return
        if self.wallet.playable < self._stake_floor(game) and not await self._top_up():
            return
        if game.builtin:
            await self._play_slot(game, spins)
        else:
            await provider_play.play(self, game, spins)
        if not self.done:
            await self.refresh_wallet()
            await withdraw(self)
        self.log.info("bot_session_ended", cash=self.wallet.cash)

    def _choose_game(self) -> GameInfo | None:
        games = self.operator.games
        providers = [
            g for g in games if not g.builtin and g.min_bet * 20 <= max(self.profile.deposit)
        ]
        wanted = self.rng.random() < self.profile.provider_share
        if providers and wanted and self.rt.features.get("provider", True):
            return self.rng.choice(providers)
        builtin = [g for g in games if g.builtin]
        return self.rng.choice(builtin) if builtin else None

    def _stake_floor(self, game: GameInfo) -> int:
        return game.min_bet if game.builtin else game.min_bet * 5

    def fit(self, game: GameInfo, stake: int) -> int:
        fitted = profiles.fit_stake(
            stake, min_bet=game.min_bet, max_bet=game.max_bet, multiple=game.lines
        )
        return fitted or game.min_bet

    async def _top_up(self) -> bool:
        if self.can_deposit and await deposit(self):
            await self.refresh_wallet()
            return True
        return False

    def _tops_up_when_short(self) -> bool:
        """Mid-session, half the players pay in again; a loss-chaser always does (re-depositing
        right after going bust is the pattern the safety engine looks for)."""
        return self.profile.chases_losses or self.rng.random() < 0.5

    async def _maybe_claim_bonus(self) -> None:
        codes = [c for c in self.operator.claim_codes if c not in self.claimed]
        if not codes or self.rng.random() >= self.profile.bonus_appetite:
            return
        code = self.rng.choice(codes)
        self.claimed.add(code)
        reply = await self.call("bonus_claim", "POST", "/api/v1/bonuses/claim", body={"code": code})
        if reply.ok:
            self.rt.tally.count("bonus_claimed")
            self.log.info("bot_bonus_claimed", code=code, amount=reply.get("amount"))
        elif reply.status == 404:
            self.operator.claim_codes.clear()  # bonuses are not served by this casino

    async def _play_slot(self, game: GameInfo, spins: int) -> None:
        session_key = uuid.uuid4().hex
        stake = self.fit(game, profiles.base_stake(self.profile, self.rng))
        base = stake
        for _ in range(spins):
            if self.rt.stopping() or self.done or self.leaving:
                return
            if not self.profile.chases_losses:
                stake = self.fit(game, profiles.base_stake(self.profile, self.rng))
            if stake > self.wallet.playable and not (
                self._tops_up_when_short() and await self._top_up()
            ):
                return  # out of money: the session ends (maybe with a top-up next time)
            reply = await self.call(
                "game_spin",
                "POST",
                "/api/v1/game/spin",
                body={"gameId": game.id, "stake": stake},
                headers={"Idempotency-Key": uuid.uuid4().hex, "x-session-id": session_key},
            )
            if not reply.ok:
                if not await self._refused(reply):
                    return
                continue
            self.rt.tally.count("bet")
            balances = reply.get("balances") or {}
            self.wallet.cash, self.wallet.bonus = balances.get("cash", 0), balances.get("bonus", 0)
            win = reply.get("win", 0) + reply.get("jackpotWin", 0)
            if reply.get("jackpotWin"):
                self.rt.tally.count("jackpot_win")
                self.log.info("bot_jackpot_won", amount=reply.get("jackpotWin"), game=game.slug)
            if self.profile.chases_losses:
                previous = stake
                stake = profiles.chase_stake(stake, win < stake, base, self.fit(game, base * 32))
                if stake > previous:
                    self.log.info("bot_chasing_losses", stake=stake, previous=previous)
            safety = reply.get("safety")
            if safety is not None:
                # The platform scores its own spins: the client only has to obey.
                self.rt.features["telemetry"] = False
                if safety.get("action"):
                    await self.obey(safety["action"])
            else:
                await self._telemetry(game, reply, session_key)
            if self.done or not await self.rt.sleep(
                self.rt.pace * profiles.spin_gap(self.profile, self.rng)
            ):
                return

    async def _telemetry(self, game: GameInfo, spin: Reply, session_key: str) -> None:
        if not self.rt.features["telemetry"]:
            return
        reply = await self.call(
            "safety_event",
            "POST",
            "/api/v1/safety/event",
            headers={"x-session-id": session_key},
            body={
                "gameKey": game.slug,
                "eventType": "SPIN",
                "betCents": spin.get("stake"),
                "winCents": spin.get("win", 0) + spin.get("jackpotWin", 0),
                "balanceCents": self.wallet.playable,
                # Real time: the engine paces spins by the server's clock anyway.
                "clientTs": datetime.now(UTC).isoformat(),
                "meta": {"spinMs": 2500},
            },
        )
        if reply.status == 404:
            self.rt.features["telemetry"] = False  # the safety engine is not served here
            return
        action = reply.get("action") if reply.status in (200, 201) else None
        if action:
            await self.obey(action, reply.get("code"))

    async def obey(self, action: dict[str, Any], code: str | None = None) -> None:
        """Do what the safety engine asks, as a well-behaved client does."""
        kind = action.get("actionType")
        self.rt.tally.count(f"safety_{str(kind).lower()}")
        self.log.info("bot_safety_action", action=kind, code=code, message=action.get("message"))
        if kind == "COOLDOWN":
            await self.rt.sleep(float(action.get("cooldownSeconds") or 60))
        elif kind == "STOP":
            self.done = True
        elif kind == "NUDGE" and not self.profile.chases_losses and self.rng.random() < 0.5:
            self.leaving = True  # took the hint: this session ends after the spin

    async def _refused(self, reply: Reply) -> bool:
        """A refused spin; True to try the next one."""
        code = reply.get("code")
        if reply.status == 403 and code == WAIT_OUT:
            details = reply.get("details") or {}
            await self.obey(
                {"actionType": "COOLDOWN", "cooldownSeconds": details.get("cooldownSeconds", 60)},
                code,
            )
            return not self.done
        if reply.status == 403:
            await self.obey({"actionType": "STOP"}, code)
            return False
        if reply.status == 402:
            return await self._top_up()
        self.log.warning("bot_spin_refused", status=reply.status, code=code)
        return False
