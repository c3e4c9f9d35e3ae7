"""Bonuses: the player's grants and claims; operator admins' rules and grants."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from croupier.bonuses import rules, service
from croupier.bonuses.schemas import (
    BonusRuleIn,
    BonusRuleOut,
    BonusRuleUpdate,
    ClaimIn,
    GrantIn,
    GrantOut,
    GrantPage,
    grant_out,
)
from croupier.web.deps import OperatorStaff, PlayerPrincipal, Uow

player_router = APIRouter(tags=["bonuses"])
operator_router = APIRouter(prefix="/operator", tags=["operator"])
OperatorIdParam = Annotated[int | None, Query(alias="operatorId", ge=1)]
GrantStatus = Literal["queued", "active", "completed", "forfeited", "expired", "lost", "cancelled"]
Cursor = Annotated[str | None, Query(max_length=200)]
Limit = Annotated[int, Query(ge=1, le=200)]


@player_router.get("/bonuses", response_model=GrantPage)
async def my_bonuses(
    principal: PlayerPrincipal,
    uow: Uow,
    status_filter: Annotated[list[GrantStatus] | None, Query(alias="status")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> GrantPage:
    """The caller's bonuses with their wagering progress: open ones (active, queued) unless
    ``status`` asks for others."""
    rows, next_cursor = await service.list_grants(
        uow.conn,
        principal.scope(),
        player_id=principal.subject_id,
        statuses=list(status_filter) if status_filter else service.OPEN,
        cursor=cursor,
        limit=limit,
    )
    return GrantPage(items=[grant_out(r) for r in rows], next_cursor=next_cursor)


@player_router.post("/bonuses/claim", status_code=status.HTTP_201_CREATED, response_model=GrantOut)
async def claim_bonus(body: ClaimIn, principal: PlayerPrincipal, uow: Uow) -> GrantOut:
    """Claim a no-deposit or free-spins bonus by its code (once per player)."""
    row = await rules.claim(
        uow.conn,
        operator_id=principal.operator_id or 0,
        player_id=principal.subject_id,
        code=body.code,
    )
    return grant_out(row)


@operator_router.get("/bonus-rules", response_model=list[BonusRuleOut])
async def list_rules(
    principal: OperatorStaff,
    uow: Uow,
    operator_id: OperatorIdParam = None,
    active: bool | None = None,
) -> list[BonusRuleOut]:
    """The operator's bonus rules."""
    rows = await rules.list_rules(uow.conn, principal.scope(operator_id), active=active)
    return [BonusRuleOut.model_validate(dict(r)) for r in rows]


@operator_router.post(
    "/bonus-rules", status_code=status.HTTP_201_CREATED, response_model=BonusRuleOut
)
async def create_rule(
    body: BonusRuleIn, principal: OperatorStaff, uow: Uow, operator_id: OperatorIdParam = None
) -> BonusRuleOut:
    """Create a deposit-match, free-spins or no-deposit rule (platform admins name the
    operator with operatorId)."""
    fields = body.model_dump(exclude_none=True)
    fields["code"] = fields["code"].upper()
    row = await rules.create_rule(uow.conn, principal.scope(operator_id), fields)
    return BonusRuleOut.model_validate(dict(row))


@operator_router.get("/bonus-rules/{rule_id}", response_model=BonusRuleOut)
async def get_rule(rule_id: int, principal: OperatorStaff, uow: Uow) -> BonusRuleOut:
    row = await rules.get_rule(uow.conn, principal.scope(), rule_id)
    return BonusRuleOut.model_validate(dict(row))


@operator_router.put("/bonus-rules/{rule_id}", response_model=BonusRuleOut)
async def update_rule(
    rule_id: int, body: BonusRuleUpdate, principal: OperatorStaff, uow: Uow
) -> BonusRuleOut:
    """Change a rule's terms or switch it off (active=false); grants already made keep theirs."""
    row = await rules.update_rule(
        uow.conn, principal.scope(), rule_id, body.model_dump(exclude_unset=True)
    )
    return BonusRuleOut.model_validate(dict(row))


@operator_router.get("/bonuses", response_model=GrantPage)
async def list_grants(
    principal: OperatorStaff,
    uow: Uow,
    operator_id: OperatorIdParam = None,
    player_id: Annotated[int | None, Query(alias="playerId", ge=1)] = None,
    status_filter: Annotated[list[GrantStatus] | None, Query(alias="status")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> GrantPage:
    """Bonuses given to the operator's players, newest first."""
    rows, next_cursor = await service.list_grants(
        uow.conn,
        principal.scope(operator_id),
        player_id=player_id,
        statuses=list(status_filter) if status_filter else None,
        cursor=cursor,
        limit=limit,
    )
    return GrantPage(items=[grant_out(r) for r in rows], next_cursor=next_cursor)


@operator_router.post(
    "/players/{player_id}/bonuses", status_code=status.HTTP_201_CREATED, response_model=GrantOut
)
async def grant_bonus(
    player_id: int, body: GrantIn, principal: OperatorStaff, uow: Uow
) -> GrantOut:
    """Give one player a no-deposit or free-spins bonus from a rule (once per rule)."""
    row = await rules.grant_rule_to_player(
        uow.conn, principal.scope(), player_id=player_id, rule_id=body.rule_id
    )
    return grant_out(row)


routers = (player_router, operator_router)
