"""SQL for the game catalogue."""

from __future__ import annotations

from typing import Any

import asyncpg

_GAME = """g.id, g.slug, g.slug AS game_key, g.name, g.description, c.slug AS category, g.provider,
           g.engine_key, g.thumbnail_url, g.rtp, g.volatility, g.min_bet, g.max_bet, g.paytable,
           g.jackpot_group, g.is_active, g.version, g.updated_at"""
_FROM = "FROM games g JOIN game_categories c ON c.id = g.category_id"


async def insert_category(
    conn: asyncpg.Connection, slug: str, name: str, sort_order: int
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """INSERT INTO game_categories (slug, name, sort_order) VALUES ($1, $2, $3)
           ON CONFLICT (slug) DO NOTHING RETURNING id, slug, name, sort_order""",
        slug,
        name,
        sort_order,
    )


async def list_categories(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, slug, name, sort_order FROM game_categories ORDER BY sort_order, id"
    )


async def category_id(conn: asyncpg.Connection, slug: str) -> int | None:
    return await conn.fetchval("SELECT id FROM game_categories WHERE slug = $1", slug)


async def insert_game(conn: asyncpg.Connection, fields: dict[str, Any]) -> int | None:
    return await conn.fetchval(
        """INSERT INTO games (slug, name, description, category_id, provider, engine_key,
                              thumbnail_url, rtp, volatility, min_bet, max_bet, paytable,
                              jackpot_group, is_active)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
           ON CONFLICT (slug) DO NOTHING RETURNING id""",
        fields["slug"],
        fields["name"],
        fields["description"],
        fields["category_id"],
        fields["provider"],
        fields["engine_key"],
        fields["thumbnail_url"],
        fields["rtp"],
        fields["volatility"],
        fields["min_bet"],
        fields["max_bet"],
        fields["paytable"],
        fields["jackpot_group"],
        fields["is_active"],
    )


async def update_game(conn: asyncpg.Connection, game_id: int, changes: dict[str, Any]) -> bool:
    allowed = (
        "name",
        "description",
        "category_id",
        "thumbnail_url",
        "min_bet",
        "max_bet",
        "jackpot_group",
        "is_active",
        # The maths of an external game; a change bumps games.version (trigger, migration 0012).
        "rtp",
        "volatility",
        "paytable",
    )
    columns = [c for c in allowed if c in changes]
    sets = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(columns))
    status = await conn.execute(
        f"UPDATE games SET {sets}, updated_at = now() WHERE id = $1 AND deleted_at IS NULL",
        game_id,
        *(changes[c] for c in columns),
    )
    return status.endswith(" 1")


async def soft_delete_game(conn: asyncpg.Connection, game_id: int) -> bool:
    # Bets keep pointing at the game, so it is retired rather than removed.
    status = await conn.execute(
        """UPDATE games SET deleted_at = now(), is_active = false, updated_at = now()
           WHERE id = $1 AND deleted_at IS NULL""",
        game_id,
    )
    return status.endswith(" 1")


async def get_game(
    conn: asyncpg.Connection, game_id: int, operator_id: int | None
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""SELECT {_GAME}, COALESCE(og.enabled, true) AS enabled_for_operator {_FROM}
            LEFT JOIN operator_games og ON og.game_id = g.id AND og.operator_id = $2
            WHERE g.id = $1 AND g.deleted_at IS NULL""",
        game_id,
        operator_id,
    )


async def list_games(
    conn: asyncpg.Connection,
    *,
    category: str | None,
    operator_id: int | None,
    include_inactive: bool,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"""SELECT {_GAME}, COALESCE(og.enabled, true) AS enabled_for_operator {_FROM}
            LEFT JOIN operator_games og ON og.game_id = g.id AND og.operator_id = $2
            WHERE g.deleted_at IS NULL
              AND ($1::text IS NULL OR c.slug = $1)
              AND ($3 OR (g.is_active AND COALESCE(og.enabled, true)))
            ORDER BY c.sort_order, g.name""",
        category,
        operator_id,
        include_inactive,
    )


async def set_operator_enabled(
    conn: asyncpg.Connection, operator_id: int, game_id: int, enabled: bool
) -> None:
    await conn.execute(
        """INSERT INTO operator_games (operator_id, game_id, enabled) VALUES ($1, $2, $3)
           ON CONFLICT (operator_id, game_id)
           DO UPDATE SET enabled = EXCLUDED.enabled, updated_at = now()""",
        operator_id,
        game_id,
        enabled,
    )


async def playable_game(
    conn: asyncpg.Connection, game_id: int, operator_id: int
) -> asyncpg.Record | None:
    """The game if it is active and not switched off for this operator."""
    return await conn.fetchrow(
        f"""SELECT {_GAME} {_FROM}
            LEFT JOIN operator_games og ON og.game_id = g.id AND og.operator_id = $2
            WHERE g.id = $1 AND g.deleted_at IS NULL AND g.is_active
              AND COALESCE(og.enabled, true)""",
        game_id,
        operator_id,
    )


async def game_id_by_slug(conn: asyncpg.Connection, slug: str) -> int | None:
    return await conn.fetchval("SELECT id FROM games WHERE slug = $1 AND deleted_at IS NULL", slug)


async def builtin_games(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, engine_key, paytable, rtp, volatility FROM games WHERE provider = 'builtin'"
    )


async def set_maths(
    conn: asyncpg.Connection, game_id: int, paytable: dict[str, Any], rtp: Any, volatility: str
) -> None:
    await conn.execute(
        """UPDATE games SET paytable = $2, rtp = $3, volatility = $4, updated_at = now()
           WHERE id = $1""",
        game_id,
        paytable,
        rtp,
        volatility,
    )
