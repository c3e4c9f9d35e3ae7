"""Staff routes of the sweepstakes flow: agents, cashiers and floats under /operator/agents, and
vouchers and cash-out payment under /voucher (seed 000's paths). The player's routes are in
player_endpoints; ``routers`` holds both for the app to mount under /api/v1.

Who may do what: platform and operator admins create agents, fund floats and see everything of
their operator; an agent sees only its own tenant, creates its cashiers, issues and voids
vouchers and pays cash-outs; a cashier issues vouchers and pays cash-outs for its own agent.
Another operator's or another agent's objects answer 404, as if they did not exist.
"""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import APIRouter, Depends, Query, status

from croupier.auth.principal import Principal, Role
from croupier.vouchers import agents, cashout, expiry, issue
from croupier.vouchers.player_endpoints import cashout_out
from croupier.vouchers.player_endpoints import router as player_router
from croupier.vouchers.schemas import (
    AgentCreate,
    AgentCreatedOut,
    AgentOut,
    AgentPage,
    CashierCreate,
    CashoutOut,
    CashoutPage,
    CashoutResolveIn,
    FloatFundIn,
    FloatFundOut,
    IssueOut,
    StaffOut,
    VoucherIssueIn,
    VoucherOut,
    VoucherPage,
)
from croupier.web.deps import AnyStaff, OperatorStaff, Uow, require_roles

agent_router = APIRouter(prefix="/operator/agents", tags=["sweepstakes agents"])
voucher_router = APIRouter(prefix="/voucher", tags=["vouchers"])

ShopStaff = Annotated[Principal, Depends(require_roles(Role.AGENT, Role.CASHIER))]
AgentStaff = Annotated[Principal, Depends(require_roles(Role.AGENT))]
CashierManagers = Annotated[
    Principal, Depends(require_roles(Role.PLATFORM_ADMIN, Role.OPERATOR_ADMIN, Role.AGENT))
]
OperatorIdParam = Annotated[int | None, Query(alias="operatorId", ge=1)]
Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=200)]


def _voucher_out(row: asyncpg.Record, code: str | None = None) -> VoucherOut:
    return VoucherOut.model_validate(dict(row) | {"code": code})


@agent_router.post("", status_code=status.HTTP_201_CREATED, response_model=AgentCreatedOut)
async def create_agent(body: AgentCreate, principal: OperatorStaff, uow: Uow) -> AgentCreatedOut:
    """Create an agent (a shop) of a sweepstakes operator with its owner's staff login."""
    scope = principal.scope(body.operator_id)
    view, login = await agents.create_agent(
        uow.conn,
        scope,
        operator_id=body.operator_id or scope.require_operator(),
        code=body.code,
        name=body.name,
        region=body.region,
        email=str(body.email),
        password=body.password,
        display_name=body.display_name,
    )
    return AgentCreatedOut.model_validate(
        AgentOut.model_validate(view).model_dump() | {"login": dict(login)}
    )


@agent_router.get("", response_model=AgentPage)
async def list_agents(
    principal: AnyStaff,
    uow: Uow,
    operator_id: OperatorIdParam = None,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$")] = None,
    limit: Limit = 50,
) -> AgentPage:
    """Agents with their float and outstanding voucher value; agent staff see their own only."""
    views, next_after = await agents.list_agents(
        uow.conn,
        principal.scope(operator_id),
        after=int(cursor) if cursor else None,
        limit=limit,
    )
    return AgentPage(
        items=[AgentOut.model_validate(view) for view in views],
        next_cursor=str(next_after) if next_after else None,
    )


@agent_router.get("/{agent_id}", response_model=AgentOut)
async def get_agent(
    agent_id: int, principal: AnyStaff, uow: Uow, operator_id: OperatorIdParam = None
) -> AgentOut:
    view = await agents.get_agent(uow.conn, principal.scope(operator_id), agent_id)
    return AgentOut.model_validate(view)


@agent_router.post(
    "/{agent_id}/cashiers", status_code=status.HTTP_201_CREATED, response_model=StaffOut
)
async def create_cashier(
    agent_id: int, body: CashierCreate, principal: CashierManagers, uow: Uow
) -> StaffOut:
    """A cashier login for the agent (by an admin of its operator, or by the agent itself)."""
    row = await agents.create_cashier(
        uow.conn,
        principal.scope(),
        agent_id=agent_id,
        email=str(body.email),
        password=body.password,
        display_name=body.display_name,
    )
    return StaffOut.model_validate(dict(row))


@agent_router.get("/{agent_id}/cashiers", response_model=list[StaffOut])
async def list_cashiers(
    agent_id: int, principal: AnyStaff, uow: Uow, operator_id: OperatorIdParam = None
) -> list[StaffOut]:
    rows = await agents.list_cashiers(uow.conn, principal.scope(operator_id), agent_id)
    return [StaffOut.model_validate(dict(row)) for row in rows]


@agent_router.post("/{agent_id}/float", response_model=FloatFundOut)
async def fund_float(
    agent_id: int, body: FloatFundIn, principal: OperatorStaff, uow: Uow
) -> FloatFundOut:
    """Record float the agent bought from the operator. Retry-safe by ``idempotencyKey``."""
    funding = await agents.fund_float(
        uow.conn,
        principal.scope(),
        agent_id=agent_id,
        amount=body.amount,
        idempotency_key=body.idempotency_key,
        staff_id=principal.subject_id,
        note=body.note,
    )
    return FloatFundOut.model_validate(funding)


@voucher_router.post(
    "/agents/{tenant_id}/vouchers", status_code=status.HTTP_201_CREATED, response_model=IssueOut
)
async def issue_vouchers(
    tenant_id: int, body: VoucherIssueIn, principal: ShopStaff, uow: Uow
) -> IssueOut:
    """Issue ``count`` vouchers of ``amount`` (even, FUN minor units); the agent's float pays
    amount + 50% bonus for each, up front. The codes are in this response only."""
    issued = await issue.issue_vouchers(
        uow.conn,
        principal.scope(),
        issue.IssueRequest(
            agent_id=tenant_id,
            staff_id=principal.subject_id,
            is_cashier=principal.role is Role.CASHIER,
            amount=body.amount,
            count=body.count,
            expires_in_days=body.expires_in_days,
            idempotency_key=body.idempotency_key,
        ),
    )
    batch = issued.batch
    return IssueOut(
        batch_id=batch["id"],
        agent_id=batch["agent_id"],
        currency=batch["currency"],
        amount=batch["amount"],
        bonus=batch["bonus"],
        count=batch["count"],
        charged=issued.charged,
        float_balance=issued.float_balance,
        expires_at=batch["expires_at"],
        replayed=issued.replayed,
        vouchers=[
            _voucher_out(row, code) for row, code in zip(issued.vouchers, issued.codes, strict=True)
        ],
    )


@voucher_router.get("/agents/{tenant_id}/vouchers", response_model=VoucherPage)
async def list_vouchers(
    tenant_id: int,
    principal: AnyStaff,
    uow: Uow,
    operator_id: OperatorIdParam = None,
    voucher_status: Annotated[
        str | None, Query(alias="status", pattern="^(active|redeemed|expired|voided)$")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> VoucherPage:
    rows, next_cursor = await issue.list_vouchers(
        uow.conn,
        principal.scope(operator_id),
        agent_id=tenant_id,
        status=voucher_status,
        cursor=cursor,
        limit=limit,
    )
    return VoucherPage(items=[_voucher_out(row) for row in rows], next_cursor=next_cursor)


@voucher_router.post("/agents/{tenant_id}/vouchers/{voucher_id}/void", response_model=VoucherOut)
async def void_voucher(
    tenant_id: int, voucher_id: int, principal: AgentStaff, uow: Uow
) -> VoucherOut:
    """The agent withdraws an unredeemed voucher; its value returns to the float."""
    row = await issue.void_voucher(
        uow.conn, principal.scope(), agent_id=tenant_id, voucher_id=voucher_id
    )
    return _voucher_out(row)


@voucher_router.post("/expire")
async def expire_vouchers(
    principal: OperatorStaff, uow: Uow, operator_id: OperatorIdParam = None
) -> dict[str, int]:
    """Release expired vouchers' value to their agents now (the periodic job does it too)."""
    released = await expiry.release_expired(
        uow.conn, operator_id=principal.scope(operator_id).operator_id
    )
    return {"released": released}


@voucher_router.get("/redemptions", response_model=CashoutPage)
async def list_redemptions(
    principal: AnyStaff,
    uow: Uow,
    operator_id: OperatorIdParam = None,
    cashout_status: Annotated[
        str | None, Query(alias="status", pattern="^(PENDING|PAID|REJECTED)$")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> CashoutPage:
    """Cash-out requests: the shop's queue for agent staff, the operator's for its admins."""
    rows, next_cursor = await cashout.list_cashouts(
        uow.conn,
        principal.scope(operator_id),
        status=cashout_status,
        cursor=cursor,
        limit=limit,
    )
    return CashoutPage(items=[cashout_out(row) for row in rows], next_cursor=next_cursor)


@voucher_router.put("/redemptions/{cashout_id}", response_model=CashoutOut)
async def resolve_redemption(
    cashout_id: int, body: CashoutResolveIn, principal: ShopStaff, uow: Uow
) -> CashoutOut:
    """The agent or its cashier pays (PAID) or rejects (REJECTED, with a reason) a cash-out
    of one of the agent's players."""
    row = await cashout.resolve_cashout(
        uow.conn,
        principal.scope(),
        cashout_id=cashout_id,
        status=body.status,
        reason=body.reason,
        staff_id=principal.subject_id,
        is_cashier=principal.role is Role.CASHIER,
    )
    return cashout_out(row)


routers = (agent_router, voucher_router, player_router)
