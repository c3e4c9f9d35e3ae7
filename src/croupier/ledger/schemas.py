"""The audit report as the API returns it."""

from __future__ import annotations

from datetime import datetime

from croupier.kit.schemas import Output


class AuditCheckOut(Output):
    name: str
    ok: bool
    count: int
    sample_ids: list[str]


class AuditReportOut(Output):
    ok: bool
    operator_id: int | None
    checked_at: datetime
    duration_ms: int
    accounts: int
    transfers: int
    entries: int
    checks: list[AuditCheckOut]
