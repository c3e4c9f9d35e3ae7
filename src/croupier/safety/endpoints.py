"""Safety HTTP API: seed 000's /safety routes, the player's tools, and the operator's views."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, status

from croupier.safety import cases, service, tools
from croupier.safety.schemas import (
    CaseNoteIn,
    CaseOut,
    CasePage,
    CaseUpdateIn,
    LimitChangeOut,
    LimitIn,
    LimitKind,
    LimitOut,
    LimitPeriod,
    LossLimitIn,
    LossLimitOut,
    PlayerRiskOut,
    PlayerRiskPage,
    RealityCheckIn,
    RealityCheckOut,
    Risk,
    SafetyConfigOut,
    SafetyEventIn,
    SafetyEventOut,
    SafetyEventStopOut,
    SafetyStatusOut,
    SafetySummary,
    SelfExclusionIn,
    SelfExclusionOut,
    TimeOutIn,
    TimeOutOut,
)
from croupier.web.deps import OperatorStaff, PlayerPrincipal, Uow

player_router = APIRouter(prefix="/safety", tags=["safety"])
operator_router = APIRouter(prefix="/operator/safety", tags=["operator", "safety"])

SessionHeader = Annotated[
    str | None, Header(alias="x-session-id", pattern=r"^[A-Za-z0-9._:-]{1,128}$")
]
OperatorIdParam = Annotated[int | None, Query(alias="operatorId", ge=1)]
KindPath = Annotated[LimitKind, Path()]
PeriodPath = Annotated[LimitPeriod, Path()]


def _player(principal: Any) -> dict[str, int]:
    return {"operator_id": principal.operator_id, "player_id": principal.subject_id}


# ---- seed 000 ----------------------------------------------------------------------------------


@player_router.post("/loss-limit", response_model=LossLimitOut)
async def set_loss_limit(
    body: LossLimitIn, principal: PlayerPrincipal, uow: Uow, session_id: SessionHeader = None
) -> LossLimitOut:
    """Set the session loss limit: it can be lowered, never raised within the session."""
    amount = await service.set_session_loss_limit(
        uow.conn, **_player(principal), session_key=session_id, amount=body.loss_limit_cents
    )
    return LossLimitOut(loss_limit_cents=amount)


@player_router.post("/event", response_model=SafetyEventOut | SafetyEventStopOut)
async def safety_event(
    body: SafetyEventIn, principal: PlayerPrincipal, uow: Uow, session_id: SessionHeader = None
) -> SafetyEventOut | SafetyEventStopOut:
    """Per-spin telemetry; answers with the risk and any safety action (seed 000)."""
    assessment = await service.record_client_event(
        uow.conn,
        **_player(principal),
        session_key=session_id,
        game_key=body.game_key,
        stake=body.bet_cents,
        win=body.win_cents,
        balance_after=body.balance_cents,
        client_at=body.client_ts,
        spin_ms=body.meta.spin_ms if body.meta else None,
    )
    if assessment.code and assessment.action is not None:
        return SafetyEventStopOut(
            code=assessment.code, message=assessment.message or "", action=assessment.action
        )
    risk = Risk(score=assessment.score, band=assessment.band, reasons=assessment.reasons)
    return SafetyEventOut(risk=risk, action=assessment.action)


# ---- player tools ------------------------------------------------------------------------------


@player_router.get("/status", response_model=SafetyStatusOut)
async def safety_status(principal: PlayerPrincipal, uow: Uow) -> SafetyStatusOut:
    """The player's restrictions in force, limits and reality-check interval."""
    return SafetyStatusOut.model_validate(await tools.safety_status(uow.conn, **_player(principal)))


@player_router.get("/limits", response_model=list[LimitOut])
async def list_limits(principal: PlayerPrincipal, uow: Uow) -> list[LimitOut]:
    """Deposit, loss, wager and session limits, with use so far and any pending change."""
    rows = await tools.list_limits(uow.conn, **_player(principal))
    return [LimitOut.model_validate(row) for row in rows]


@player_router.put("/limits", response_model=LimitChangeOut)
async def put_limit(body: LimitIn, principal: PlayerPrincipal, uow: Uow) -> LimitChangeOut:
    """Set a limit. Lowering is immediate; raising waits 24 h and then needs confirming."""
    change = await tools.change_limit(
        uow.conn, **_player(principal), kind=body.kind, period=body.period, amount=body.amount
    )
    return LimitChangeOut.model_validate(change)


@player_router.delete("/limits/{kind}/{period}", response_model=LimitChangeOut)
async def remove_limit(
    kind: KindPath, period: PeriodPath, principal: PlayerPrincipal, uow: Uow
) -> LimitChangeOut:
    """Remove a limit: like an increase, it takes effect 24 h later, once confirmed."""
    change = await tools.change_limit(
        uow.conn, **_player(principal), kind=kind, period=period, amount=None
    )
    return LimitChangeOut.model_validate(change)


@player_router.post("/limits/{kind}/{period}/confirm", response_model=LimitChangeOut)
async def confirm_limit(
    kind: KindPath, period: PeriodPath, principal: PlayerPrincipal, uow: Uow
) -> LimitChangeOut:
    """Reconfirm a pending increase or removal once its 24 h have passed."""
    change = await tools.confirm_limit(uow.conn, **_player(principal), kind=kind, period=period)
    return LimitChangeOut.model_validate(change)


@player_router.get("/reality-check", response_model=RealityCheckOut)
async def get_reality_check(
    principal: PlayerPrincipal, uow: Uow, session_id: SessionHeader = None
) -> RealityCheckOut:
    """Time played and net position in the current session."""
    view = await tools.reality_check(uow.conn, **_player(principal), session_key=session_id)
    return RealityCheckOut.model_validate(view)


@player_router.put("/reality-check", response_model=RealityCheckOut)
async def put_reality_check(
    body: RealityCheckIn, principal: PlayerPrincipal, uow: Uow, session_id: SessionHeader = None
) -> RealityCheckOut:
    """Choose how often reality checks come (10 min to 8 h)."""
    view = await tools.set_reality_check(
        uow.conn, **_player(principal), minutes=body.interval_minutes, session_key=session_id
    )
    return RealityCheckOut.model_validate(view)


@player_router.post("/time-out", response_model=TimeOutOut)
async def time_out(body: TimeOutIn, principal: PlayerPrincipal, uow: Uow) -> TimeOutOut:
    """Take a break from play: 24 h, 7 d, 30 d, or any number of days up to six weeks."""
    until = await tools.start_time_out(uow.conn, **_player(principal), days=body.duration_days)
    return TimeOutOut(time_out_until=until)


@player_router.post("/self-exclusion", response_model=SelfExclusionOut)
async def self_exclude(
    body: SelfExclusionIn, principal: PlayerPrincipal, uow: Uow
) -> SelfExclusionOut:
    """Self-exclude now, for six months or more. It cannot be lifted early."""
    view = await tools.self_exclude(uow.conn, **_player(principal), months=body.months)
    return SelfExclusionOut.model_validate(view)


@player_router.delete(
    "/self-exclusion",
    responses={
        409: {"description": "SELF_EXCLUSION_LOCKED: it cannot be lifted before it ends"},
        404: {"description": "There is no running self-exclusion"},
    },
)
async def lift_self_exclusion(principal: PlayerPrincipal, uow: Uow) -> None:
    """A request to lift a self-exclusion: always refused while one runs (and audited)."""
    await tools.lift_self_exclusion(uow.conn, **_player(principal))


# ---- operator side -----------------------------------------------------------------------------


@operator_router.get("/players", response_model=PlayerRiskPage)
async def list_players(
    principal: OperatorStaff,
    uow: Uow,
    operator_id: OperatorIdParam = None,
    band: Annotated[str | None, Query(pattern="^(NORMAL|ELEVATED|TILT_RISK)$")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PlayerRiskPage:
    """Players by latest activity with their risk band, reasons and recent actions."""
    items, next_cursor = await cases.list_players(
        uow.conn, principal.scope(operator_id), band=band, cursor=cursor, limit=limit
    )
    return PlayerRiskPage(
        items=[PlayerRiskOut.model_validate(item) for item in items], next_cursor=next_cursor
    )


@operator_router.get("/players/{player_id}", response_model=SafetySummary)
async def player_summary(
    player_id: int, principal: OperatorStaff, uow: Uow, operator_id: OperatorIdParam = None
) -> SafetySummary:
    """One player's safety picture: risk, restrictions, limits, open case, last actions."""
    summary = await cases.player_summary(uow.conn, principal.scope(operator_id), player_id)
    return SafetySummary.model_validate(summary)


@operator_router.get("/cases", response_model=CasePage)
async def list_cases(
    principal: OperatorStaff,
    uow: Uow,
    operator_id: OperatorIdParam = None,
    case_status: Annotated[str | None, Query(alias="status", pattern="^(open|closed)$")] = None,
    player_id: Annotated[int | None, Query(alias="playerId", ge=1)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CasePage:
    """Responsible-gambling cases (opened on every STOP), newest first."""
    rows, next_cursor = await cases.list_cases(
        uow.conn,
        principal.scope(operator_id),
        status=case_status,
        player_id=player_id,
        cursor=cursor,
        limit=limit,
    )
    return CasePage(items=[CaseOut.model_validate(dict(r)) for r in rows], next_cursor=next_cursor)


@operator_router.post(
    "/cases/{case_id}/notes", status_code=status.HTTP_201_CREATED, response_model=CaseOut
)
async def add_case_note(
    case_id: int, body: CaseNoteIn, principal: OperatorStaff, uow: Uow
) -> CaseOut:
    """Add a note to a case."""
    row = await cases.add_note(
        uow.conn, principal.scope(), case_id, staff_id=principal.subject_id, body=body.body
    )
    return CaseOut.model_validate(dict(row))


@operator_router.patch("/cases/{case_id}", response_model=CaseOut)
async def update_case(
    case_id: int, body: CaseUpdateIn, principal: OperatorStaff, uow: Uow
) -> CaseOut:
    """Close (or reopen) a case."""
    row = await cases.update_case(
        uow.conn, principal.scope(), case_id, staff_id=principal.subject_id, status=body.status
    )
    return CaseOut.model_validate(dict(row))


@operator_router.get("/config", response_model=SafetyConfigOut)
async def safety_config(
    principal: OperatorStaff, uow: Uow, operator_id: OperatorIdParam = None
) -> SafetyConfigOut:
    """The engine's effective weights, thresholds and durations for this operator (defaults
    merged with ``settings.safety``)."""
    view = await cases.effective_config(uow.conn, principal.scope(operator_id))
    return SafetyConfigOut.model_validate(view)


routers = (player_router, operator_router)
