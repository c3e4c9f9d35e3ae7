"""Seed 003's demo data ("2 users, 2 games, provider config"), loaded by ``croupier up``.

Run it right after the operators and before anything else creates players or games: on a fresh
install the seed's two users then get player ids 1 and 2 and SLOTS_001 / SLOTS_002 game ids 1
and 2, so the seed's ``{"userId": 1, "gameId": 1}`` works as written. Idempotent: whatever
exists already is kept as it is.
"""

from __future__ import annotations

from decimal import Decimal

import asyncpg

from croupier.auth import service as auth
from croupier.config import Settings
from croupier.games import service as games
from croupier.kit.tenancy import Scope
from croupier.operators import service as operators
from croupier.players import service as players
from croupier.providers import queries
from croupier.providers.jaqpot import service as jaqpot
from croupier.providers.service.simulate import reset_demo_balance
from croupier.simulation import demo_data as data

Login = tuple[str, str, str, str]

OPERATOR_SLUG = "lucky-star"
USERNAMES = ("seed003-user-1", "seed003-user-2")
SEED_GAMES = ("SLOTS_001", "SLOTS_002")
PROVIDER = {"code": "jaqpot", "name": "Jaqpot Games", "casino_code": "JAQPOT"}
MIN_BET, MAX_BET = 1_000, 100_000  # seed 003's launch reply: minBet "1000", maxBet "100000"


async def seed_provider_demo(conn: asyncpg.Connection, settings: Settings) -> list[Login]:
    """Seed 003's games and provider config on both sides, and its two demo users in
    lucky-star (USD) with 1,000,000 cents each. Secrets stay unset in the database, so the
    casino and the provider use CASINO_SECRET / PROVIDER_SECRET from ``settings``."""
    await _seed_games(conn)
    if await queries.provider_by_code(conn, PROVIDER["code"]) is None:
        await queries.insert_provider(conn, {**PROVIDER, "is_default": True})
    await jaqpot.ensure_catalogue(
        conn,
        casino_code=PROVIDER["casino_code"],
        games=[(slug, name, MIN_BET, MAX_BET) for slug, name, *_ in data.PROVIDER_GAMES],
    )
    operator = next(o for o in await operators.list_operators(conn) if o["slug"] == OPERATOR_SLUG)
    logins = []
    for username in USERNAMES:
        player_id = await _ensure_user(conn, operator["id"], username)
        logins.append(
            (
                "seed 003 demo player",
                OPERATOR_SLUG,
                f"{username} (userId {player_id})",
                data.DEMO_PASSWORD,
            )
        )
    return logins


async def _seed_games(conn: asyncpg.Connection) -> None:
    known = {
        row["slug"]
        for row in await games.list_games(
            conn, category=None, operator_id=None, include_inactive=True
        )
    }
    specs = {spec[0]: spec for spec in data.PROVIDER_GAMES}
    categories = {row["slug"] for row in await games.list_categories(conn)}
    for slug in SEED_GAMES:
        if slug in known:
            continue
        _, name, category, rtp, volatility = specs[slug]
        if category not in categories:
            _, category_name, order = next(c for c in data.CATEGORIES if c[0] == category)
            await games.create_category(conn, category, category_name, order)
            categories.add(category)
        await games.create_game(
            conn,
            {
                "slug": slug,
                "name": name,
                "description": f"{name} by Jaqpot Games.",
                "category": category,
                "provider": PROVIDER["code"],
                "engine_key": None,
                "thumbnail_url": None,
                "jackpot_group": None,
                "is_active": True,
                "min_bet": MIN_BET,
                "max_bet": MAX_BET,
                "paytable": {},
                "rtp": Decimal(rtp),
                "volatility": volatility,
            },
        )


async def _ensure_user(conn: asyncpg.Connection, operator_id: int, username: str) -> int:
    found, _ = await players.list_players(conn, Scope(operator_id=operator_id), search=username)
    existing = next((row["id"] for row in found if row["username"] == username), None)
    if existing is not None:
        return existing
    row = await auth.register_player(
        conn,
        operator_slug=OPERATOR_SLUG,
        email=f"{username}@{OPERATOR_SLUG}.example.com",
        username=username,
        password=data.DEMO_PASSWORD,
    )
    await queries.add_demo_player(conn, operator_id, row["id"])
    await reset_demo_balance(conn, row["id"])
    return row["id"]
