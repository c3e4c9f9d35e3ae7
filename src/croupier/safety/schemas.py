"""Bodies and responses of the safety API. Seed 000's shapes are kept field for field."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from croupier.kit.schemas import Input, Output
from croupier.safety.limits import VALID_LIMITS

Minor = Annotated[int, Field(strict=True, ge=0, le=10**12)]
PositiveMinor = Annotated[int, Field(strict=True, gt=0, le=10**12)]
GameKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")]
SessionId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,128}$")]
LimitKind = Literal["deposit", "loss", "wager", "time"]
LimitPeriod = Literal["24h", "7d", "30d", "session"]


# ---- seed 000 ----------------------------------------------------------------------------------


class LossLimitIn(Input):
    loss_limit_cents: PositiveMinor


class LossLimitOut(Output):
    ok: bool = True
    loss_limit_cents: int
    locked: bool = True


class SpinMeta(Input):
    spin_ms: Annotated[int, Field(strict=True, ge=0, le=600_000)] | None = None


class SafetyEventIn(Input):
    game_key: GameKey
    event_type: Literal["SPIN"]
    bet_cents: PositiveMinor
    win_cents: Minor
    balance_cents: Minor
    client_ts: AwareDatetime
    meta: SpinMeta | None = None


class Risk(Output):
    score: int
    band: str
    reasons: list[str]


class SafetyEventOut(Output):
    ok: bool = True
    risk: Risk
    action: dict[str, Any] | None


class SafetyEventStopOut(Output):
    ok: bool = False
    code: str
    message: str
    action: dict[str, Any]


# ---- player tools ------------------------------------------------------------------------------


class LimitIn(Input):
    """``time/session`` is the session time limit, in minutes; every other limit is an amount
    in minor units."""

    kind: LimitKind
    period: LimitPeriod
    amount: PositiveMinor

    @model_validator(mode="after")
    def _known_pair(self) -> LimitIn:
        if (self.kind, self.period) not in VALID_LIMITS:
            raise ValueError(f"there is no {self.period} {self.kind} limit")
        if self.kind == "time" and self.amount > 24 * 60:
            raise ValueError("a session time limit is at most 1440 minutes")
        return self


class PendingChangeOut(Output):
    amount: int | None
    requested_at: datetime
    effective_at: datetime
    confirmable: bool


class LimitOut(Output):
    kind: str
    period: str
    amount: int
    used: int | None
    remaining: int | None
    period_ends_at: datetime | None
    pending: PendingChangeOut | None


class LimitChangeOut(Output):
    status: Literal["applied", "pending", "removed"]
    effective_at: datetime
    limit: LimitOut | None


class RealityCheckIn(Input):
    interval_minutes: Annotated[int, Field(strict=True, ge=10, le=480)]


class RealityCheckOut(Output):
    interval_minutes: int
    session_started_at: datetime | None
    elapsed_seconds: int
    net_position_cents: int
    next_check_at: datetime | None


class TimeOutIn(Input):
    """A preset period, or any number of days up to six weeks."""

    period: Literal["24h", "7d", "30d"] | None = None
    days: Annotated[int, Field(strict=True, ge=1, le=42)] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> TimeOutIn:
        if (self.period is None) == (self.days is None):
            raise ValueError("give either period or days")
        return self

    @property
    def duration_days(self) -> int:
        if self.days is not None:
            return self.days
        return {"24h": 1, "7d": 7, "30d": 30}[self.period or "24h"]


class SelfExclusionIn(Input):
    months: Annotated[int, Field(strict=True, ge=6, le=120)]
    # Positive action: self-exclusion is immediate and cannot be undone early.
    confirm: Literal[True]


class TimeOutOut(Output):
    time_out_until: datetime


class SelfExclusionOut(Output):
    self_excluded_at: datetime
    self_excluded_until: datetime


class Restrictions(Output):
    time_out_until: datetime | None = None
    self_excluded_at: datetime | None = None
    self_excluded_until: datetime | None = None
    cooldown_until: datetime | None = None
    stop_until: datetime | None = None
    stop_code: str | None = None
    marketing_suppressed_until: datetime | None = None


class SafetyStatusOut(Output):
    restrictions: Restrictions
    limits: list[LimitOut]
    reality_check_minutes: int


# ---- operator side -----------------------------------------------------------------------------


class ActionOut(Output):
    id: int
    session_key: str
    game_key: str | None
    action_type: str
    code: str | None
    score: int
    band: str
    reasons: list[str]
    action: dict[str, Any]
    source: str
    created_at: datetime


class PlayerRiskOut(Output):
    player_id: int
    username: str | None
    band: str
    score: int
    reasons: list[str]
    updated_at: datetime
    restrictions: Restrictions
    open_case_id: int | None
    recent_actions: list[ActionOut]


class PlayerRiskPage(Output):
    items: list[PlayerRiskOut]
    next_cursor: str | None


class SafetySummary(Output):
    """``player_safety_summary``: the operator's view of one player."""

    band: str
    score: int
    reasons: list[str]
    restrictions: Restrictions
    limits: list[LimitOut]
    reality_check_minutes: int | None
    open_case_id: int | None
    recent_actions: list[ActionOut]


class CaseNoteIn(Input):
    body: Annotated[str, StringConstraints(min_length=1, max_length=5000)]


class CaseUpdateIn(Input):
    status: Literal["open", "closed"]


class CaseNoteOut(Output):
    id: int
    author_staff_id: int
    body: str
    created_at: datetime


class CaseOut(Output):
    id: int
    player_id: int
    status: str
    trigger_code: str
    reasons: list[str]
    score: int
    stop_count: int
    opened_at: datetime
    last_stop_at: datetime
    closed_at: datetime | None
    closed_by: int | None
    notes: list[CaseNoteOut]


class CasePage(Output):
    items: list[CaseOut]
    next_cursor: str | None


class SafetyConfigOut(Output):
    """The operator's effective configuration, and why its override is ignored if it is."""

    config: dict[str, Any]
    problem: str | None
