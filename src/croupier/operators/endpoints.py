"""/platform/operators: the platform admin's operator and staff administration."""

from __future__ import annotations

from fastapi import APIRouter, status

from croupier.auth.principal import Role
from croupier.operators import service
from croupier.operators.schemas import (
    OperatorCreate,
    OperatorOut,
    OperatorUpdate,
    StaffCreate,
    StaffOut,
)
from croupier.web.deps import OperatorStaff, PlatformAdmin, Uow

router = APIRouter(prefix="/platform/operators", tags=["platform"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=OperatorOut)
async def create_operator(body: OperatorCreate, _: PlatformAdmin, uow: Uow) -> OperatorOut:
    """Create an operator (casino brand)."""
    row = await service.create_operator(uow.conn, **body.model_dump())
    return OperatorOut.model_validate(dict(row))


@router.get("", response_model=list[OperatorOut])
async def list_operators(_: PlatformAdmin, uow: Uow) -> list[OperatorOut]:
    """List every operator."""
    return [OperatorOut.model_validate(dict(r)) for r in await service.list_operators(uow.conn)]


@router.get("/{operator_id}", response_model=OperatorOut)
async def get_operator(operator_id: int, principal: OperatorStaff, uow: Uow) -> OperatorOut:
    """One operator; an operator admin may read only its own."""
    row = await service.get_operator(uow.conn, principal.scope(), operator_id)
    return OperatorOut.model_validate(dict(row))


@router.patch("/{operator_id}", response_model=OperatorOut)
async def update_operator(
    operator_id: int, body: OperatorUpdate, _: PlatformAdmin, uow: Uow
) -> OperatorOut:
    """Change an operator's name, timezone, status or settings."""
    row = await service.update_operator(uow.conn, operator_id, body.model_dump(exclude_unset=True))
    return OperatorOut.model_validate(dict(row))


@router.post("/{operator_id}/admins", status_code=status.HTTP_201_CREATED, response_model=StaffOut)
async def create_operator_admin(
    operator_id: int, body: StaffCreate, principal: PlatformAdmin, uow: Uow
) -> StaffOut:
    """Create an operator admin for this operator."""
    await service.get_operator(uow.conn, principal.scope(), operator_id)
    row = await service.create_staff(
        uow.conn,
        email=str(body.email),
        password=body.password,
        role=Role.OPERATOR_ADMIN,
        operator_id=operator_id,
        display_name=body.display_name,
    )
    return StaffOut.model_validate(dict(row))


@router.get("/{operator_id}/staff", response_model=list[StaffOut])
async def list_staff(operator_id: int, principal: OperatorStaff, uow: Uow) -> list[StaffOut]:
    """Staff of one operator; an operator admin may list only its own."""
    rows = await service.list_staff(uow.conn, principal.scope(), operator_id)
    return [StaffOut.model_validate(dict(r)) for r in rows]
