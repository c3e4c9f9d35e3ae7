"""Jackpot pools: live values for everyone, creation for the platform admin."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, status
from pydantic import Field, StringConstraints

from croupier.jackpots import service
from croupier.kit.schemas import Input, Output
from croupier.web.deps import PlatformAdmin, Uow

router = APIRouter(tags=["jackpots"])
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,40}$")]


class PoolCreate(Input):
    slug: Slug
    group: Slug
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    seed_amount: Annotated[int, Field(ge=0, le=10**12, strict=True)]
    contribution_bp: Annotated[int, Field(ge=0, le=2000, strict=True)]
    trigger_ppt: Annotated[int, Field(ge=0, le=10**12, strict=True)]


class PoolOut(Output):
    id: int
    slug: str
    group: str
    name: str
    currency: str
    value: int
    seed_amount: int
    contribution_bp: int
    last_won_at: datetime | None
    last_won_amount: int | None


def _out(pool: dict[str, object]) -> PoolOut:
    return PoolOut.model_validate({**pool, "group": pool["jackpot_group"]})


@router.get("/jackpots", response_model=list[PoolOut])
async def list_jackpots(uow: Uow) -> list[PoolOut]:
    """Live jackpot values: seed plus every operator's contributions since the last win."""
    return [_out(p) for p in await service.list_pools(uow.conn)]


@router.post("/admin/jackpots", status_code=status.HTTP_201_CREATED, response_model=PoolOut)
async def create_pool(body: PoolCreate, _: PlatformAdmin, uow: Uow) -> PoolOut:
    """Create a shared progressive pool for a jackpot group and currency."""
    pool = await service.ensure_pool(
        uow.conn,
        slug=body.slug,
        group=body.group,
        name=body.name,
        currency=body.currency,
        seed_amount=body.seed_amount,
        contribution_bp=body.contribution_bp,
        trigger_ppt=body.trigger_ppt,
    )
    return _out({**dict(pool), "value": await service.pool_value(uow.conn, pool)})
