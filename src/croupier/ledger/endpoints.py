"""/admin/audit/run: the ledger audit for platform admins (all operators, or one) and operator
admins (their own operator)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from croupier.ledger import audit
from croupier.ledger.schemas import AuditReportOut
from croupier.web.deps import OperatorStaff, Uow

router = APIRouter(prefix="/admin/audit", tags=["audit"])


@router.get("/run", response_model=AuditReportOut)
async def run_audit(
    principal: OperatorStaff,
    uow: Uow,
    operator_id: Annotated[int | None, Query(alias="operatorId", ge=1)] = None,
) -> AuditReportOut:
    """Check the ledger's invariants; ``ok`` is false if any check found offenders."""
    report = await audit.run_audit(uow.conn, principal.scope(operator_id))
    return AuditReportOut.model_validate(report)
