"""/operator/players: the operator's players (scoped to the caller's operator)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from croupier.players import service
from croupier.players.schemas import PlayerPage, PlayerSummary
from croupier.web.deps import OperatorStaff, Uow

router = APIRouter(prefix="/operator", tags=["operator"])
OperatorIdParam = Annotated[int | None, Query(alias="operatorId", ge=1)]


@router.get("/players", response_model=PlayerPage)
async def list_players(
    principal: OperatorStaff,
    uow: Uow,
    operator_id: OperatorIdParam = None,
    search: Annotated[str | None, Query(max_length=100)] = None,
    is_bot: Annotated[bool | None, Query(alias="isBot")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PlayerPage:
    """Players of the caller's operator (platform admins: all, or one with operatorId)."""
    rows, next_cursor = await service.list_players(
        uow.conn,
        principal.scope(operator_id),
        search=search,
        is_bot=is_bot,
        cursor=cursor,
        limit=limit,
    )
    return PlayerPage(
        items=[PlayerSummary.model_validate(dict(r)) for r in rows], next_cursor=next_cursor
    )


@router.get("/players/{player_id}", response_model=PlayerSummary)
async def get_player(
    player_id: int, principal: OperatorStaff, uow: Uow, operator_id: OperatorIdParam = None
) -> PlayerSummary:
    """One player of the caller's operator."""
    row = await service.get_player(uow.conn, principal.scope(operator_id), player_id)
    return PlayerSummary.model_validate(dict(row))
