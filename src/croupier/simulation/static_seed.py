"""The static demo data loaded by ``croupier up`` and ``croupier seed static``.

Idempotent: every step looks for what it would create first, so a second run changes nothing.
Everything goes through the domain services, as an operator's own tooling would.

Order matters on a fresh install: operators, then seed 003's provider demo (so its two users
get player ids 1 and 2 and SLOTS_001 / SLOTS_002 game ids 1 and 2, as that seed's examples
expect), then everything else.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import asyncpg

from croupier.auth.principal import Role
from croupier.config import Settings
from croupier.db.pool import create_pool, unit_of_work
from croupier.games import service as games
from croupier.jackpots import service as jackpots
from croupier.operators import service as operators
from croupier.providers.demo_seed import seed_provider_demo
from croupier.simulation import demo_data as data
from croupier.simulation import static_extras

Login = tuple[str, str, str, str]


async def seed_static(conn: asyncpg.Connection, settings: Settings) -> list[Login]:
    """Load the demo catalogue; returns the demo logins to print (role, operator, login,
    password)."""
    logins: list[Login] = [
        ("platform admin", "-", settings.admin_email, _admin_password_hint(settings))
    ]
    await operators.ensure_platform_admin(
        conn, settings.admin_email, settings.admin_password.get_secret_value()
    )
    logins += await _seed_operators(conn)
    logins += await seed_provider_demo(conn, settings)
    await _seed_catalogue(conn)
    await _seed_affiliates(conn)
    await static_extras.seed_vip_levels(conn)
    await static_extras.seed_bonus_rules(conn)
    logins += await static_extras.seed_shops(conn)
    return logins


def operator_admin_email(slug: str) -> str:
    return f"admin@{slug}.example.com"


async def _seed_operators(conn: asyncpg.Connection) -> list[Login]:
    logins: list[Login] = []
    existing = {row["slug"]: row for row in await operators.list_operators(conn)}
    for spec in data.OPERATORS:
        operator = existing.get(spec["slug"]) or await operators.create_operator(conn, **spec)
        email = operator_admin_email(spec["slug"])
        if not await operators.staff_exists(conn, email):
            await operators.create_staff(
                conn,
                email=email,
                password=data.DEMO_PASSWORD,
                role=Role.OPERATOR_ADMIN,
                operator_id=operator["id"],
                display_name=f"{spec['name']} admin",
            )
        logins.append(("operator admin", spec["slug"], email, data.DEMO_PASSWORD))
    return logins


async def _seed_catalogue(conn: asyncpg.Connection) -> None:
    known_categories = {row["slug"] for row in await games.list_categories(conn)}
    for slug, name, order in data.CATEGORIES:
        if slug not in known_categories:
            await games.create_category(conn, slug, name, order)
    for slug, group, name, currency, seed, bp, ppt in data.JACKPOT_POOLS:
        await jackpots.ensure_pool(
            conn,
            slug=slug,
            group=group,
            name=name,
            currency=currency,
            seed_amount=seed,
            contribution_bp=bp,
            trigger_ppt=ppt,
        )
    known_games = {
        row["slug"]
        for row in await games.list_games(
            conn, category=None, operator_id=None, include_inactive=True
        )
    }
    for slug, engine_key, name, category, group in data.BUILTIN_GAMES:
        if slug not in known_games:
            await games.create_game(
                conn,
                {
                    "slug": slug,
                    "name": name,
                    "description": f"{name}: a Croupier original slot.",
                    "category": category,
                    "provider": "builtin",
                    "engine_key": engine_key,
                    "thumbnail_url": None,
                    "jackpot_group": group,
                    "is_active": True,
                    "min_bet": None,
                    "max_bet": None,
                    "paytable": None,
                    "rtp": None,
                    "volatility": None,
                },
            )
    for slug, name, category, rtp, volatility in data.PROVIDER_GAMES:
        if slug not in known_games:
            await games.create_game(
                conn,
                {
                    "slug": slug,
                    "name": name,
                    "description": f"{name} by Jaqpot Games.",
                    "category": category,
                    "provider": "jaqpot",
                    "engine_key": None,
                    "thumbnail_url": None,
                    "jackpot_group": None,
                    "is_active": True,
                    "min_bet": 1000,
                    "max_bet": 100_000,
                    "paytable": {},
                    "rtp": Decimal(rtp),
                    "volatility": volatility,
                },
            )


async def _seed_affiliates(conn: asyncpg.Connection) -> None:
    operator_ids = {row["slug"]: row["id"] for row in await operators.list_operators(conn)}
    for operator_slug, code, name, share_bp in data.AFFILIATES:
        await operators.ensure_affiliate(
            conn,
            operator_id=operator_ids[operator_slug],
            code=code,
            name=name,
            revenue_share_bp=share_bp,
        )


async def _load(url: str, settings: Settings) -> list[Login]:
    pool = await create_pool(url, min_size=1, max_size=2)
    try:
        async with unit_of_work(pool) as uow:
            return await seed_static(uow.conn, settings)
    finally:
        await pool.close()


def load_static_demo(url: str, settings: Settings) -> list[Login]:
    return asyncio.run(_load(url, settings))


def _admin_password_hint(settings: Settings) -> str:
    """Show the password only while it is still the published development default."""
    default = Settings.model_fields["admin_password"].default.get_secret_value()
    if settings.admin_password.get_secret_value() == default:
        return default
    return "(your CROUPIER_ADMIN_PASSWORD)"
