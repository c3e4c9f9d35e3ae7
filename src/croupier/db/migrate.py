"""Alembic, driven from code: ``croupier migrate`` and start-up both call ``upgrade``."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

import asyncpg
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from croupier.db.pool import asyncpg_dsn


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(files("croupier.db") / "migrations"))
    cfg.set_main_option("sqlalchemy.url", to_sqlalchemy_url(url).replace("%", "%%"))
    return cfg


def to_sqlalchemy_url(url: str) -> str:
    dsn = asyncpg_dsn(url)
    for prefix in ("postgresql://", "postgres://"):
        if dsn.startswith(prefix):
            return "postgresql+asyncpg://" + dsn[len(prefix) :]
    return dsn


def upgrade(url: str, revision: str = "heads") -> None:
    """Run migrations. Blocking: call it from a thread when an event loop is running."""
    command.upgrade(alembic_config(url), revision)


@lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(alembic_config("postgresql://x/y")).get_heads())


async def current_revisions(conn: asyncpg.Connection) -> frozenset[str]:
    exists = await conn.fetchval("SELECT to_regclass('public.alembic_version') IS NOT NULL")
    if not exists:
        return frozenset()
    return frozenset(
        r["version_num"] for r in await conn.fetch("SELECT version_num FROM alembic_version")
    )
