"""VIP: the player's status, the internal add-xp call, and the platform admin's levels."""

from __future__ import annotations

from fastapi import APIRouter, status

from croupier.vip import levels, service
from croupier.vip.schemas import (
    AddXpIn,
    AddXpOut,
    Benefits,
    LevelRef,
    LevelUpOut,
    VipLevelIn,
    VipLevelOut,
    VipLevelUpdate,
    VipStatusOut,
)
from croupier.web.deps import PlatformAdmin, PlayerPrincipal, Uow

router = APIRouter(tags=["vip"])
admin_router = APIRouter(prefix="/admin/vip-levels", tags=["vip"])


@router.get("/vip/status", response_model=VipStatusOut)
async def vip_status(principal: PlayerPrincipal, uow: Uow) -> VipStatusOut:
    """The caller's level, XP, XP to the next level and unlocked benefits (alias: /vip/user)."""
    current = await service.status(
        uow.conn, operator_id=principal.operator_id or 0, player_id=principal.subject_id
    )
    level, upcoming = current.level, current.next_level
    return VipStatusOut(
        player_id=current.player_id,
        xp=current.xp,
        level=level["level"] if level else None,
        level_name=level["name"] if level else None,
        next_level=LevelRef.model_validate(dict(upcoming)) if upcoming else None,
        xp_to_next_level=current.xp_to_next_level,
        benefits=Benefits.model_validate(dict(level)) if level else None,
        level_ups=[
            LevelUpOut.model_validate({**dict(row), "reached_at": row["created_at"]})
            for row in current.level_ups
        ],
    )


@router.post("/vip/add-xp", response_model=AddXpOut)
async def add_xp(body: AddXpIn, _: PlatformAdmin, uow: Uow) -> AddXpOut:
    """Internal: add XP to a player (platform admins only); levels reached are rewarded once."""
    total, reached = await service.add_xp_for_player(uow.conn, player_id=body.player_id, xp=body.xp)
    return AddXpOut(player_id=body.player_id, xp=total, levels_reached=reached)


@admin_router.get("", response_model=list[VipLevelOut])
async def list_levels(_: PlatformAdmin, uow: Uow) -> list[VipLevelOut]:
    return [VipLevelOut.model_validate(dict(r)) for r in await levels.list_levels(uow.conn)]


@admin_router.post("", status_code=status.HTTP_201_CREATED, response_model=VipLevelOut)
async def create_level(body: VipLevelIn, _: PlatformAdmin, uow: Uow) -> VipLevelOut:
    """Add a level: its XP threshold and benefits (cashback, level-up free spins, deposit
    bonus boost)."""
    row = await levels.create_level(uow.conn, body.model_dump())
    return VipLevelOut.model_validate(dict(row))


@admin_router.put("/{level_id}", response_model=VipLevelOut)
async def update_level(
    level_id: int, body: VipLevelUpdate, _: PlatformAdmin, uow: Uow
) -> VipLevelOut:
    row = await levels.update_level(uow.conn, level_id, body.model_dump(exclude_unset=True))
    return VipLevelOut.model_validate(dict(row))


@admin_router.delete("/{level_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_level(level_id: int, _: PlatformAdmin, uow: Uow) -> None:
    """Delete a level nobody has reached yet."""
    await levels.delete_level(uow.conn, level_id)


routers = (router, admin_router)
