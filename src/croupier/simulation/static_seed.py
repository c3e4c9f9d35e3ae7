"""The static demo data loaded by ``croupier up``: idempotent, safe to run again."""

from __future__ import annotations

import asyncio

from croupier.auth.principal import Role
from croupier.config import Settings
from croupier.db.pool import create_pool, unit_of_work
from croupier.operators import queries as operator_queries
from croupier.operators import service as operator_service

DEMO_PASSWORD = "demo-password-2026"

DEMO_OPERATORS = [
    {"slug": "lucky-star", "name": "Lucky Star Casino", "currency": "USD",
     "timezone": "America/New_York", "mode": "real", "settings": {}},
    {"slug": "royal-malta", "name": "Royal Malta", "currency": "EUR",
     "timezone": "Europe/Malta", "mode": "real", "settings": {}},
    {"slug": "playtime-usa", "name": "Playtime USA", "currency": "USD",
     "timezone": "America/Los_Angeles", "mode": "sweepstakes", "settings": {}},
]


async def _load(url: str, settings: Settings) -> list[tuple[str, str, str, str]]:
    pool = await create_pool(url, min_size=1, max_size=2)
    logins = [("platform admin", "-", settings.admin_email, "(CROUPIER_ADMIN_PASSWORD)")]
    try:
        async with unit_of_work(pool) as uow:
            conn = uow.conn
            await operator_service.ensure_platform_admin(
                conn, settings.admin_email, settings.admin_password.get_secret_value()
            )
            for spec in DEMO_OPERATORS:
                operator = await operator_queries.insert_operator(conn, **spec)
                if operator is None:
                    operator = await conn.fetchrow("SELECT id FROM operators WHERE slug = $1", spec["slug"])
                admin_email = f"admin@{spec['slug']}.demo"
                if not await operator_queries.staff_email_exists(conn, admin_email):
                    await operator_service.create_staff(
                        conn, email=admin_email, password=DEMO_PASSWORD,
                        role=Role.OPERATOR_ADMIN, operator_id=operator["id"],
                        display_name=f"{spec['name']} admin",
                    )
                logins.append(("operator admin", "-", admin_email, DEMO_PASSWORD))
    finally:
        await pool.close()
    return logins


def load_static_demo(url: str, settings: Settings) -> list[tuple[str, str, str, str]]:
    return asyncio.run(_load(url, settings))
