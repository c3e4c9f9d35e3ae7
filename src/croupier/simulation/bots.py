"""Bot players: registered through the auth service like anyone, then flagged as bots.

A bot's password is HMAC(secret key, username): stored nowhere, recomputed by the simulator
(which runs with the same settings) to log the bot in through the public API. Bots are spread
round-robin over the operators; each gets a profile and a timezone from its username
(``profiles``), and some arrive through one of their operator's affiliates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
import structlog

from croupier.auth import service as auth
from croupier.auth.errors import AccountTakenError
from croupier.config import Settings
from croupier.kit.security import hmac_sha256_hex
from croupier.operators import service as operators
from croupier.simulation import profiles, queries

log = structlog.get_logger("croupier.simulation.bots")

AFFILIATE_SHARE = 3  # one bot in three came through an affiliate
BOT_EMAIL_DOMAIN = "bots.croupier.example.com"


@dataclass(frozen=True, slots=True)
class Bot:
    player_id: int
    operator_id: int
    operator_slug: str
    username: str
    profile: str
    timezone: str


def bot_username(number: int) -> str:
    return f"bot{number:06d}"


def bot_password(settings: Settings, username: str) -> str:
    digest = hmac_sha256_hex(
        settings.secret_key.get_secret_value().encode(), f"croupier:bot:{username}".encode()
    )
    return f"Bot-{digest[:24]}"


async def create_bots(
    conn: asyncpg.Connection,
    settings: Settings,
    count: int,
    on_created: Callable[[Bot], None] | None = None,
) -> list[Bot]:
    """Create ``count`` more bots (numbered after the existing ones) over the active operators."""
    active = [row for row in await operators.list_operators(conn) if row["status"] == "active"]
    if not active or count <= 0:
        return []
    affiliates = {row["id"]: await queries.affiliate_ids(conn, row["id"]) for row in active}
    number = await queries.bot_count(conn)
    created: list[Bot] = []
    while len(created) < count:
        number += 1
        operator = active[number % len(active)]
        bot = await _create_bot(conn, settings, operator, number, affiliates[operator["id"]])
        if bot is None:
            continue  # the name is taken (a bot of an earlier run): use the next number
        created.append(bot)
        if on_created is not None:
            on_created(bot)
    log.info("bots_created", count=len(created))
    return created


async def _create_bot(
    conn: asyncpg.Connection,
    settings: Settings,
    operator: asyncpg.Record,
    number: int,
    affiliates: list[int],
) -> Bot | None:
    username = bot_username(number)
    try:
        row = await auth.register_player(
            conn,
            operator_slug=operator["slug"],
            email=f"{username}@{BOT_EMAIL_DOMAIN}",
            username=username,
            password=bot_password(settings, username),
        )
    except AccountTakenError:
        return None
    timezone = profiles.timezone_of(username, operator["slug"])
    affiliate = affiliates[number % len(affiliates)] if affiliates else None
    await queries.flag_bot(
        conn,
        player_id=row["id"],
        timezone=timezone,
        region=timezone.split("/")[-1].replace("_", " "),
        affiliate_id=affiliate if number % AFFILIATE_SHARE == 0 else None,
    )
    return Bot(
        player_id=row["id"],
        operator_id=operator["id"],
        operator_slug=operator["slug"],
        username=username,
        profile=profiles.profile_of(username).name,
        timezone=timezone,
    )
