"""Seed 004's engagement API under /api/v1: guest login, coins, events, stats, deeplink
tracking, ad costs and background pipeline runs."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from croupier.auth.principal import Principal, Role
from croupier.engagement.api import attribution, coins, costs, events, guest, pipeline_jobs
from croupier.engagement.api.schemas import (
    IDEMPOTENCY_KEY_PATTERN,
    AdCostsIn,
    AdCostsOut,
    BalanceOut,
    DayCount,
    EarnIn,
    EarnOut,
    EventIn,
    EventList,
    EventOut,
    LoginIn,
    LoginOut,
    PipelineJobList,
    PipelineJobOut,
    RunPipelineIn,
    StatsOut,
    TrackQuery,
    TypeCount,
    TypeDayCount,
)
from croupier.kit.errors import InvalidInputError
from croupier.web.deps import (
    OperatorStaff,
    PlayerPrincipal,
    SettingsDep,
    Uow,
    client_ip,
    require_roles,
)

router = APIRouter(tags=["engagement"])
OperatorHeader = Annotated[str | None, Header(alias="X-Operator", max_length=63)]
StatsReader = Annotated[
    Principal, Depends(require_roles(Role.PLAYER, Role.PLATFORM_ADMIN, Role.OPERATOR_ADMIN))
]


@router.post("/login", response_model=LoginOut, response_model_exclude_none=True)
async def guest_login(
    body: LoginIn,
    request: Request,
    response: Response,
    uow: Uow,
    settings: SettingsDep,
    x_operator: OperatorHeader = None,
) -> LoginOut:
    """Guest/device login. The first login of a device id creates a guest player and returns
    ``deviceSecret`` (201, shown once); every later login must send it back (200)."""
    done = await guest.login(
        uow.conn,
        settings,
        device_id=body.device_id,
        device_secret=body.device_secret,
        operator_slug=body.operator_slug or x_operator,
        click_id=body.click_id or request.cookies.get(attribution.CLICK_COOKIE),
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    if done.created:
        response.status_code = status.HTTP_201_CREATED
    if done.click_linked:
        response.delete_cookie(attribution.CLICK_COOKIE, path="/")
    return LoginOut(
        token=done.session.token,
        expires_at=done.session.expires_at,
        player_id=done.player_id,
        operator_id=done.operator_id,
        created=done.created,
        device_secret=done.device_secret,
    )


@router.post("/earn", response_model=EarnOut)
async def earn(
    body: EarnIn,
    principal: PlayerPrincipal,
    uow: Uow,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY_PATTERN)
    ] = None,
) -> EarnOut:
    """Credit free-to-play coins for a reason; idempotent by key, capped per day and reason
    (429 EARN_CAP_REACHED, nothing credited)."""
    if body.idempotency_key and idempotency_key and body.idempotency_key != idempotency_key:
        raise InvalidInputError("Body and header idempotency keys differ.", field="idempotencyKey")
    key = body.idempotency_key or idempotency_key
    if key is None:
        raise InvalidInputError(
            "idempotencyKey (or the Idempotency-Key header) is required.", field="idempotencyKey"
        )
    done = await coins.earn(
        uow.conn,
        operator_id=principal.operator_id,  # type: ignore[arg-type]
        player_id=principal.subject_id,
        amount=body.amount,
        reason=body.reason,
        idempotency_key=key,
    )
    return EarnOut.model_validate(done)


@router.get("/balance", response_model=BalanceOut)
async def balance(principal: PlayerPrincipal, uow: Uow) -> BalanceOut:
    """The caller's coins, with cash and bonus, in the operator's currency."""
    balances = await coins.balance(
        uow.conn,
        operator_id=principal.operator_id,  # type: ignore[arg-type]
        player_id=principal.subject_id,
    )
    return BalanceOut(
        currency=balances.currency, coins=balances.coins, cash=balances.cash, bonus=balances.bonus
    )


@router.post("/event", response_model=EventOut, status_code=status.HTTP_201_CREATED)
async def record_event(body: EventIn, principal: PlayerPrincipal, uow: Uow) -> EventOut:
    """Store a custom event; ``meta`` is a JSON object or a string holding one (<= 8 KB)."""
    row = await events.record(
        uow.conn,
        operator_id=principal.operator_id,  # type: ignore[arg-type]
        player_id=principal.subject_id,
        event_type=body.event_type,
        meta=body.meta,
        client_ts=body.timestamp_utc,
    )
    return _event_out(row)


@router.get("/events", response_model=EventList)
async def recent_events(principal: PlayerPrincipal, uow: Uow) -> EventList:
    """The caller's last 100 events, newest first."""
    rows = await events.recent(uow.conn, player_id=principal.subject_id)
    return EventList(items=[_event_out(row) for row in rows])


@router.get("/stats", response_model=StatsOut)
async def event_stats(
    principal: StatsReader,
    uow: Uow,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    timezone: Annotated[str | None, Query(max_length=64)] = None,
    operator_id: Annotated[int | None, Query(alias="operatorId")] = None,
) -> StatsOut:
    """Event counts by type and by local day (from/to inclusive, default the last 30 days).
    Players get their own; operator staff their operator's."""
    found = await events.stats(
        uow.conn, principal, operator_id=operator_id, start=start, end=end, timezone=timezone
    )
    return StatsOut(
        scope=found.scope,  # type: ignore[arg-type]
        operator_id=found.operator_id,
        player_id=found.player_id,
        timezone=found.timezone,
        start=found.start,
        end=found.end,
        total=found.total,
        by_type=[TypeCount(event_type=t, count=n) for t, n in found.by_type()],
        by_day=[DayCount(day=d, count=n) for d, n in found.by_day()],
        by_type_and_day=[TypeDayCount(day=d, event_type=t, count=n) for d, t, n in found.rows],
    )


@router.get("/track", status_code=status.HTTP_302_FOUND, response_class=RedirectResponse)
async def track(
    request: Request, uow: Uow, settings: SettingsDep, x_operator: OperatorHeader = None
) -> RedirectResponse:
    """Record a deeplink click (media_source, campaign, adset, click_id; AppsFlyer's pid, c,
    af_adset, clickid too), set the ``croupier_click`` cookie and redirect: to ``redirect``
    only if its origin is on the operator's allow-list, else to its trackRedirectUrl."""
    try:
        params = TrackQuery.model_validate(dict(request.query_params))
    except ValidationError as exc:
        raise RequestValidationError(
            [{**err, "loc": ("query", *err["loc"])} for err in exc.errors()]
        ) from exc
    click = await attribution.record_click(
        uow.conn,
        operator_slug=params.operator or x_operator,
        params=params,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    response = RedirectResponse(
        click.target,
        status_code=status.HTTP_302_FOUND,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )
    response.set_cookie(
        attribution.CLICK_COOKIE,
        click.click_id,
        max_age=attribution.LOOKBACK_SECONDS,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    return response


@router.post("/operator/ad-costs", response_model=AdCostsOut)
async def upload_ad_costs(body: AdCostsIn, principal: OperatorStaff, uow: Uow) -> AdCostsOut:
    """Set daily ad spend per (date, mediaSource, campaign, adset), in the operator's currency."""
    operator_id = principal.scope(body.operator_id).require_operator()
    count = await costs.upsert(
        uow.conn, principal.scope(operator_id), operator_id=operator_id, rows=body.rows
    )
    return AdCostsOut(operator_id=operator_id, upserted=count)


@router.post("/operator/ad-costs/csv", response_model=AdCostsOut)
async def upload_ad_costs_csv(
    request: Request,
    principal: OperatorStaff,
    uow: Uow,
    operator_id: Annotated[int | None, Query(alias="operatorId")] = None,
) -> AdCostsOut:
    """The same as a ``text/csv`` body with costs_daily.csv's columns (date, media_source,
    campaign, adset, spend_minor, currency)."""
    target = principal.scope(operator_id).require_operator()
    rows = costs.parse_csv(await _read_limited(request, costs.MAX_CSV_BYTES))
    count = await costs.upsert(uow.conn, principal.scope(target), operator_id=target, rows=rows)
    return AdCostsOut(operator_id=target, upserted=count)


@router.post("/run-pipeline", response_model=PipelineJobOut, status_code=status.HTTP_202_ACCEPTED)
async def run_pipeline(
    body: RunPipelineIn,
    request: Request,
    principal: OperatorStaff,
    uow: Uow,
    settings: SettingsDep,
) -> PipelineJobOut:
    """Start a background pipeline run on the platform's data (or, for platform admins, a
    data folder); 409 while the operator has one queued or running."""
    job = await pipeline_jobs.start(
        uow.conn,
        principal,
        operator_id=body.operator_id,
        data_dir=body.data_dir,
        as_of=body.as_of,
        charts=body.charts,
    )
    pool = request.app.state.pool
    uow.after_commit(lambda: pipeline_jobs.launch(pool, settings, job["id"]))
    return PipelineJobOut.model_validate(dict(job))


@router.get("/run-pipeline", response_model=PipelineJobList)
async def list_pipeline_jobs(
    principal: OperatorStaff,
    uow: Uow,
    operator_id: Annotated[int | None, Query(alias="operatorId")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> PipelineJobList:
    """Recent runs, newest first."""
    rows = await pipeline_jobs.recent(uow.conn, principal, operator_id=operator_id, limit=limit)
    return PipelineJobList(items=[PipelineJobOut.model_validate(dict(r)) for r in rows])


@router.get("/run-pipeline/{job_id}", response_model=PipelineJobOut)
async def get_pipeline_job(
    principal: OperatorStaff, uow: Uow, job_id: Annotated[int, Path(ge=1)]
) -> PipelineJobOut:
    """A run's status, and its summary once it succeeded."""
    job = await pipeline_jobs.get(uow.conn, principal, job_id)
    return PipelineJobOut.model_validate(dict(job))


def _event_out(row: object) -> EventOut:
    data = dict(row)  # type: ignore[call-overload]
    return EventOut(
        id=data["id"],
        event_type=data["event_type"],
        meta=data["meta"],
        timestamp_utc=data["client_ts"],
        received_at=data["server_ts"],
    )


async def _read_limited(request: Request, limit: int) -> bytes:
    """The body, refusing more than ``limit`` bytes without buffering the rest."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InvalidInputError(f"The body must be at most {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)
