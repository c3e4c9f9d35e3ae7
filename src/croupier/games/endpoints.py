"""Game catalogue: public list, platform-admin CRUD, operator toggles (seeds 001 §4.2, 002 §5.3)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from croupier.auth.service import resolve_operator
from croupier.games import service
from croupier.games.schemas import (
    CategoryCreate,
    CategoryOut,
    GameCreate,
    GameOut,
    GameUpdate,
    OperatorGameToggle,
)
from croupier.web.deps import OperatorStaff, PlatformAdmin, Uow

public = APIRouter(prefix="/games", tags=["games"])
admin = APIRouter(prefix="/admin", tags=["games admin"])
operator = APIRouter(prefix="/operator/games", tags=["operator"])
OperatorHeader = Annotated[str | None, Header(alias="X-Operator", max_length=63)]


@public.get("", response_model=list[GameOut])
async def list_games(
    uow: Uow,
    category: Annotated[str | None, Query(max_length=63)] = None,
    x_operator: OperatorHeader = None,
) -> list[GameOut]:
    """Active games, optionally by category; with X-Operator, only those that brand offers."""
    operator_row = await resolve_operator(uow.conn, x_operator)
    rows = await service.list_games(
        uow.conn, category=category, operator_id=operator_row["id"] if operator_row else None
    )
    return [GameOut.model_validate(dict(r)) for r in rows]


@public.get("/{game_id}", response_model=GameOut)
async def get_game(game_id: int, uow: Uow, x_operator: OperatorHeader = None) -> GameOut:
    """One game with its paytable."""
    operator_row = await resolve_operator(uow.conn, x_operator)
    row = await service.get_game(uow.conn, game_id, operator_row["id"] if operator_row else None)
    return GameOut.model_validate(dict(row))


@admin.post("/games", status_code=status.HTTP_201_CREATED, response_model=GameOut)
async def create_game(body: GameCreate, _: PlatformAdmin, uow: Uow) -> GameOut:
    """Add a game to the platform catalogue (alias: POST /games)."""
    row = await service.create_game(uow.conn, body.model_dump())
    return GameOut.model_validate(dict(row))


@admin.put("/games/{game_id}", response_model=GameOut)
async def update_game(game_id: int, body: GameUpdate, _: PlatformAdmin, uow: Uow) -> GameOut:
    """Change a game (alias: PUT /games/{id})."""
    row = await service.update_game(uow.conn, game_id, body.model_dump(exclude_unset=True))
    return GameOut.model_validate(dict(row))


@admin.delete("/games/{game_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_game(game_id: int, _: PlatformAdmin, uow: Uow) -> Response:
    """Retire a game (alias: DELETE /games/{id}); its bets keep their history."""
    await service.delete_game(uow.conn, game_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@admin.post("/categories", status_code=status.HTTP_201_CREATED, response_model=CategoryOut)
async def create_category(body: CategoryCreate, _: PlatformAdmin, uow: Uow) -> CategoryOut:
    """Create a game category."""
    row = await service.create_category(uow.conn, body.slug, body.name, body.sort_order)
    return CategoryOut.model_validate(dict(row))


@admin.get("/categories", response_model=list[CategoryOut])
async def list_categories(_: PlatformAdmin, uow: Uow) -> list[CategoryOut]:
    """Every game category."""
    return [CategoryOut.model_validate(dict(r)) for r in await service.list_categories(uow.conn)]


@operator.put("/{game_id}", response_model=GameOut)
async def toggle_game(
    game_id: int,
    body: OperatorGameToggle,
    principal: OperatorStaff,
    uow: Uow,
    operator_id: Annotated[int | None, Query(alias="operatorId", ge=1)] = None,
) -> GameOut:
    """Enable or disable a game for the caller's operator."""
    row = await service.set_enabled_for_operator(
        uow.conn, principal.scope(operator_id), game_id, body.enabled
    )
    return GameOut.model_validate(dict(row))


routers = (public, admin, operator)
