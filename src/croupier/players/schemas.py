"""Player bodies for the operator back office."""

from __future__ import annotations

from datetime import datetime

from croupier.kit.schemas import Output


class PlayerSummary(Output):
    id: int
    operator_id: int
    kind: str
    email: str | None
    username: str | None
    status: str
    kyc_status: str
    is_bot: bool
    vip_experience: int
    agent_id: int | None
    region: str | None
    created_at: datetime
    last_login_at: datetime | None


class PlayerPage(Output):
    items: list[PlayerSummary]
    next_cursor: str | None
