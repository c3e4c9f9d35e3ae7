"""Catalogue rules: builtin games take their maths from the engine; operators toggle games."""

from __future__ import annotations

import asyncio
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import asyncpg
import structlog

from croupier.games import queries
from croupier.games.engine import compute_math, get_game_definition
from croupier.games.engine.errors import GameNotFoundError
from croupier.games.engine.model import GameDefinition
from croupier.games.errors import (
    CategorySlugTakenError,
    CategoryUnknownError,
    EngineUnknownError,
    GameSlugTakenError,
    GameUnavailableError,
    GameUnknownError,
)
from croupier.kit.errors import InvalidInputError
from croupier.kit.tenancy import Scope

log = structlog.get_logger("croupier.games")


def describe_definition(game: GameDefinition) -> dict[str, Any]:
    """The public paytable of a builtin game, as stored in the catalogue, with its exact maths
    (computed once here, so nothing at run time has to enumerate the reels again)."""
    maths = compute_math(game)
    return {
        "reels": game.n_reels,
        "rows": game.rows,
        "lines": game.n_lines,
        "wild": game.wild,
        "scatter": game.scatter,
        "pays": {
            symbol: {str(k): v for k, v in pays.items()} for symbol, pays in game.paytable.items()
        },
        "scatterPays": {str(k): v for k, v in game.scatter_pays.items()},
        "freeSpins": None
        if game.free_spins is None
        else {
            "awards": {str(k): v for k, v in game.free_spins.awards.items()},
            "multiplier": game.free_spins.multiplier,
            "retrigger": game.free_spins.retrigger,
            "maxSpins": game.free_spins.max_spins,
        },
        "version": game.version,
        "math": {
            "rtp": float(maths.rtp),
            "hitRate": float(maths.hit_rate),
            "sigma": maths.sigma,
            "pLoss": float(maths.p_loss),
            "maxWinMultiplier": float(maths.max_win_multiplier),
        },
    }


def _builtin_fields(engine_key: str) -> dict[str, Any]:
    try:
        definition = get_game_definition(engine_key)
    except GameNotFoundError:
        raise EngineUnknownError() from None
    exact = compute_math(definition).rtp  # a Fraction: convert without going through float
    rtp = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        Decimal("0.000001"), ROUND_HALF_EVEN
    )
    return {
        "rtp": rtp,
        "volatility": definition.volatility,
        "paytable": describe_definition(definition),
        "min_bet": definition.min_bet,
        "max_bet": definition.max_bet,
        "definition": definition,
    }


async def create_category(
    conn: asyncpg.Connection, slug: str, name: str, sort_order: int
) -> asyncpg.Record:
    row = await queries.insert_category(conn, slug, name, sort_order)
    if row is None:
        raise CategorySlugTakenError()
    return row


async def list_categories(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await queries.list_categories(conn)


async def _category_id(conn: asyncpg.Connection, slug: str) -> int:
    category_id = await queries.category_id(conn, slug)
    if category_id is None:
        raise CategoryUnknownError(field="category")
    return category_id


async def create_game(conn: asyncpg.Connection, fields: dict[str, Any]) -> asyncpg.Record:
    fields = dict(fields)
    fields["category_id"] = await _category_id(conn, fields.pop("category"))
    if fields["provider"] == "builtin":
        # The first exact-maths run of a definition takes seconds: keep it off the event loop.
        engine = await asyncio.to_thread(_builtin_fields, fields["engine_key"])
        definition = engine.pop("definition")
        _check_limits(definition, fields.get("min_bet"), fields.get("max_bet"))
        fields = {
            **fields,
            **engine,
            "min_bet": fields.get("min_bet") or definition.min_bet,
            "max_bet": fields.get("max_bet") or definition.max_bet,
        }
    fields["paytable"] = fields.get("paytable") or {}
    fields["thumbnail_url"] = str(fields["thumbnail_url"]) if fields.get("thumbnail_url") else None
    game_id = await queries.insert_game(conn, fields)
    if game_id is None:
        raise GameSlugTakenError()
    log.info("game_created", game_id=game_id, slug=fields["slug"])
    return await get_game(conn, game_id, operator_id=None)


def _check_limits(definition: GameDefinition, min_bet: int | None, max_bet: int | None) -> None:
    """Limits on a builtin game must stay inside the engine's limits and its stake rule."""
    for name, value in (("minBet", min_bet), ("maxBet", max_bet)):
        if value is None:
            continue
        if not definition.min_bet <= value <= definition.max_bet or value % definition.n_lines:
            raise InvalidInputError(
                f"{name} must be within {definition.min_bet}..{definition.max_bet} and a "
                f"multiple of {definition.n_lines}.",
                field=name,
            )


async def update_game(
    conn: asyncpg.Connection, game_id: int, changes: dict[str, Any]
) -> asyncpg.Record:
    if not changes:
        raise InvalidInputError("Nothing to update.")
    current = await get_game(conn, game_id, operator_id=None)
    changes = dict(changes)
    if "category" in changes:
        changes["category_id"] = await _category_id(conn, changes.pop("category"))
    if changes.get("thumbnail_url") is not None:
        changes["thumbnail_url"] = str(changes["thumbnail_url"])
    maths = sorted({"rtp", "volatility", "paytable"} & changes.keys())
    if current["provider"] == "builtin" and maths:
        raise InvalidInputError(
            "A builtin game's RTP, volatility and paytable come from its engine.", field=maths[0]
        )
    if current["provider"] == "builtin":
        _check_limits(
            get_game_definition(current["engine_key"]),
            changes.get("min_bet"),
            changes.get("max_bet"),
        )
    if changes.get("min_bet", current["min_bet"]) > changes.get("max_bet", current["max_bet"]):
        raise InvalidInputError("maxBet must be at least minBet.", field="maxBet")
    await queries.update_game(conn, game_id, changes)
    log.info("game_updated", game_id=game_id, fields=sorted(changes))
    return await get_game(conn, game_id, operator_id=None)


async def refresh_builtin_maths(conn: asyncpg.Connection) -> int:
    """Bring each builtin game's paytable, RTP and volatility in line with its engine definition
    (a release may ship a new one); games.version follows the change (migration 0012), which
    restarts RTP monitoring for the new maths. Returns the games changed."""
    changed = 0
    for game in await queries.builtin_games(conn):
        try:
            definition = get_game_definition(game["engine_key"])
        except GameNotFoundError:
            continue
        if (game["paytable"] or {}).get("version") == definition.version:
            continue
        engine = await asyncio.to_thread(_builtin_fields, game["engine_key"])
        await queries.set_maths(
            conn, game["id"], engine["paytable"], engine["rtp"], engine["volatility"]
        )
        log.info("game_maths_refreshed", game_id=game["id"], engine_version=definition.version)
        changed += 1
    return changed


async def delete_game(conn: asyncpg.Connection, game_id: int) -> None:
    if not await queries.soft_delete_game(conn, game_id):
        raise GameUnknownError()
    log.info("game_retired", game_id=game_id)


async def get_game(
    conn: asyncpg.Connection, game_id: int, operator_id: int | None
) -> asyncpg.Record:
    row = await queries.get_game(conn, game_id, operator_id)
    if row is None:
        raise GameUnknownError()
    return row


async def list_games(
    conn: asyncpg.Connection,
    *,
    category: str | None,
    operator_id: int | None,
    include_inactive: bool = False,
) -> list[asyncpg.Record]:
    return await queries.list_games(
        conn, category=category, operator_id=operator_id, include_inactive=include_inactive
    )


async def set_enabled_for_operator(
    conn: asyncpg.Connection, scope: Scope, game_id: int, enabled: bool
) -> asyncpg.Record:
    operator_id = scope.require_operator()
    await get_game(conn, game_id, operator_id)
    await queries.set_operator_enabled(conn, operator_id, game_id, enabled)
    log.info("operator_game_toggled", operator_id=operator_id, game_id=game_id, enabled=enabled)
    return await get_game(conn, game_id, operator_id)


async def playable_game(conn: asyncpg.Connection, game_id: int, operator_id: int) -> asyncpg.Record:
    """A game a player of this operator may play now, or GAME_UNAVAILABLE."""
    row = await queries.playable_game(conn, game_id, operator_id)
    if row is None:
        await get_game(conn, game_id, operator_id)  # 404 when it does not exist at all
        raise GameUnavailableError()
    return row


async def game_id_for_key(conn: asyncpg.Connection, game_key: str) -> int:
    game_id = await queries.game_id_by_slug(conn, game_key)
    if game_id is None:
        raise GameUnknownError()
    return game_id
