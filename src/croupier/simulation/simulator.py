"""``croupier bots start``: bots playing a running Croupier through its public HTTP API.

The run discovers the casino as its platform admin would (operators, games, bot players), logs
the bots in over a few seconds, and lets each play as its profile dictates (``player_bot``),
next to the staff bots (``staff``). It ends at the deadline or on Ctrl-C: every task is
cancelled, the HTTP client closed, and the tally returned for the summary.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

from croupier.config import Settings
from croupier.simulation import demo_data, profiles
from croupier.simulation.bots import bot_password
from croupier.simulation.client import Api, Tally
from croupier.simulation.player_bot import PlayerBot
from croupier.simulation.runtime import INTENSITIES, GameInfo, OperatorInfo, Runtime
from croupier.simulation.staff import Shop, approver, staff_login
from croupier.simulation.static_seed import operator_admin_email

log = structlog.get_logger("croupier.simulation")

# Bots arrive over a while: each login costs the server an argon2 verification (~0.3 s of CPU),
# so a stampede of logins would starve everything else.
LOGIN_SPREAD_MIN = 10.0
LOGIN_SPREAD_PER_BOT = 0.4


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    base_url: str = "http://127.0.0.1:8000"
    duration: float = 600.0
    intensity: str = "medium"
    bots: int | None = None  # None: every bot player
    seed: int | None = None
    connections: int = 200
    # Multiplies the pause between two spins: 1 plays at a person's pace, 0 spins back to back
    # (a load test of the server, not a demo).
    pace: float = 1.0


class SetupError(Exception):
    """The casino cannot be simulated (not reachable, no admin login, no bots)."""


async def simulate(
    config: SimulationConfig,
    settings: Settings,
    *,
    on_tick: Callable[[Runtime], None] | None = None,
    handle_signals: bool = False,
) -> Tally:
    intensity = INTENSITIES[config.intensity]
    tally = Tally()
    api = Api(config.base_url, tally, connections=config.connections)
    rt = Runtime(api, settings, intensity, config.duration, config.seed)
    rt.pace = config.pace
    loop = asyncio.get_running_loop()
    if handle_signals:
        loop.add_signal_handler(signal.SIGINT, rt.stop.set)
        loop.add_signal_handler(signal.SIGTERM, rt.stop.set)
    tasks: list[asyncio.Task[Any]] = []
    try:
        admin = await _platform_admin(rt)
        await _discover(rt, admin)
        bots = await _bot_players(rt, admin, config.bots)
        if not bots:
            raise SetupError("No bot players: run `croupier seed bots N` first.")
        tasks += await _staff(rt, admin)
        spread = max(LOGIN_SPREAD_MIN, LOGIN_SPREAD_PER_BOT * len(bots))
        for index, row in enumerate(bots):
            tasks.append(asyncio.create_task(_arrive(rt, row, index * spread / len(bots))))
        log.info("simulation_started", bots=len(bots), intensity=config.intensity)
        while not rt.stopping():
            if on_tick is not None:
                on_tick(rt)
            await rt.sleep(0.5)
    finally:
        rt.stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await api.close()
        if handle_signals:
            loop.remove_signal_handler(signal.SIGINT)
            loop.remove_signal_handler(signal.SIGTERM)
        if on_tick is not None:
            on_tick(rt)
    log.info("simulation_ended", bets=tally.bets, server_errors=tally.server_errors)
    return tally


async def _platform_admin(rt: Runtime) -> str:
    reply = await rt.api.call(
        "auth_login",
        "POST",
        "/api/v1/auth/login",
        body={
            "email": rt.settings.admin_email,
            "password": rt.settings.admin_password.get_secret_value(),
        },
    )
    if not reply.ok:
        raise SetupError(f"The platform admin cannot log in (HTTP {reply.status}).")
    return str(reply.get("token"))


async def _discover(rt: Runtime, admin: str) -> None:
    listed = await rt.api.call(
        "platform_operators", "GET", "/api/v1/platform/operators", token=admin
    )
    for row in listed.body if listed.ok and isinstance(listed.body, list) else []:
        if row["status"] != "active":
            continue
        operator = OperatorInfo(row["id"], row["slug"], row["currency"], row["mode"])
        games = await rt.api.call(
            "games", "GET", "/api/v1/games", headers={"X-Operator": row["slug"]}
        )
        for game in games.body if games.ok and isinstance(games.body, list) else []:
            operator.games.append(
                GameInfo(
                    game["id"],
                    game["slug"],
                    game["provider"],
                    game["minBet"],
                    game["maxBet"],
                    int((game.get("paytable") or {}).get("lines") or 1),
                )
            )
        for rule in demo_data.BONUS_RULES.get(row["slug"], []):
            if rule["kind"] == "deposit_match":
                minimum = int(rule.get("min_deposit", 0))  # type: ignore[call-overload]
                operator.deposit_codes.append((str(rule["code"]), minimum))
            else:
                operator.claim_codes.append(str(rule["code"]))
        rt.operators[operator.id] = operator


async def _bot_players(rt: Runtime, admin: str, limit: int | None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while limit is None or len(found) < limit:
        params: dict[str, Any] = {"isBot": "true", "limit": 200}
        if cursor:
            params["cursor"] = cursor
        page = await rt.api.call(
            "operator_players", "GET", "/api/v1/operator/players", token=admin, params=params
        )
        if not page.ok:
            break
        found += [
            p
            for p in page.get("items", [])
            if p["operatorId"] in rt.operators and p["status"] == "active"
        ]
        cursor = page.get("nextCursor")
        if not cursor:
            break
    rt.rng.shuffle(found)
    return found[:limit] if limit is not None else found


async def _staff(rt: Runtime, admin: str) -> list[asyncio.Task[Any]]:
    tasks = []
    for operator in rt.operators.values():
        token = await staff_login(rt, operator_admin_email(operator.slug))
        if token is None:
            log.warning("simulation_no_operator_admin", operator=operator.slug)
            continue
        if operator.mode == "sweepstakes":
            agents = await rt.api.call(
                "operator_agents", "GET", "/api/v1/operator/agents", token=token
            )
            for agent in agents.get("items", []) if agents.ok else []:
                tasks.append(
                    asyncio.create_task(Shop(rt, operator, agent, token).run(max_customers=8))
                )
        else:
            tasks.append(asyncio.create_task(approver(rt, operator, token)))
    return tasks


async def _arrive(rt: Runtime, row: dict[str, Any], delay: float) -> None:
    if not await rt.sleep(delay):
        return
    operator = rt.operators[row["operatorId"]]
    username = row["username"]
    bot = PlayerBot(
        rt,
        operator,
        player_id=row["id"],
        username=username,
        password=bot_password(rt.settings, username),
        timezone=profiles.timezone_of(username, operator.slug),
    )
    hour = profiles.local_hour(rt.sim_now(), bot.timezone)
    with contextlib.suppress(asyncio.CancelledError):
        await bot.run(
            first_session_now=rt.rng.random() < rt.intensity.online * profiles.activity(hour)
        )
