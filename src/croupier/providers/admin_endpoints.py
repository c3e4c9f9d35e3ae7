"""/operator/providers/*: an operator's provider play; /admin/providers: the platform's config.

Operator staff see only their operator (platform admins: all, or one with ``operatorId``);
another operator's round is a 404.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from croupier.providers import admin_queries
from croupier.providers.admin_schemas import (
    DemoPlayerIn,
    DemoPlayerOut,
    ProviderCreate,
    ProviderOut,
    ProviderUpdate,
    ReconciliationRow,
    RoundDetail,
    RoundOut,
    RoundPage,
    SessionOut,
    SessionPage,
    TransactionOut,
    TransactionPage,
)
from croupier.providers.service import admin
from croupier.web.deps import OperatorStaff, PlatformAdmin, Uow

admin_router = APIRouter(tags=["providers admin"])

OperatorId = Annotated[int | None, Query(alias="operatorId", ge=1)]
ProviderCode = Annotated[str | None, Query(max_length=63)]
PlayerId = Annotated[int | None, Query(alias="playerId", ge=1)]
Cursor = Annotated[str | None, Query(max_length=200)]
Limit = Annotated[int, Query(ge=1, le=200)]


@admin_router.get("/operator/providers/sessions", response_model=SessionPage)
async def list_sessions(
    principal: OperatorStaff,
    uow: Uow,
    operator_id: OperatorId = None,
    provider: ProviderCode = None,
    player_id: PlayerId = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> SessionPage:
    """Game sessions launched at providers, newest first."""
    rows, next_cursor = await admin.paged(
        admin_queries.list_sessions,
        cursor,
        limit,
        conn=uow.conn,
        scope=principal.scope(operator_id),
        provider=provider,
        player_id=player_id,
    )
    return SessionPage(
        items=[SessionOut.model_validate(dict(r)) for r in rows], next_cursor=next_cursor
    )


@admin_router.get("/operator/providers/rounds", response_model=RoundPage)
async def list_rounds(
    principal: OperatorStaff,
    uow: Uow,
    operator_id: OperatorId = None,
    provider: ProviderCode = None,
    player_id: PlayerId = None,
    status: Annotated[Literal["open", "settled", "voided"] | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> RoundPage:
    """Provider rounds with their stake, payout and refund totals, newest first."""
    rows, next_cursor = await admin.paged(
        admin_queries.list_rounds,
        cursor,
        limit,
        conn=uow.conn,
        scope=principal.scope(operator_id),
        provider=provider,
        player_id=player_id,
        status=status,
    )
    return RoundPage(
        items=[RoundOut.model_validate(dict(r)) for r in rows], next_cursor=next_cursor
    )


@admin_router.get("/operator/providers/rounds/{round_id}", response_model=RoundDetail)
async def get_round(
    round_id: int, principal: OperatorStaff, uow: Uow, operator_id: OperatorId = None
) -> RoundDetail:
    """One round and every call the provider made for it, in order."""
    row, calls = await admin.round_detail(uow.conn, principal.scope(operator_id), round_id)
    return RoundDetail.model_validate(
        dict(row) | {"transactions": [TransactionOut.model_validate(dict(c)) for c in calls]}
    )


@admin_router.get("/operator/providers/transactions", response_model=TransactionPage)
async def list_transactions(
    principal: OperatorStaff,
    uow: Uow,
    operator_id: OperatorId = None,
    provider: ProviderCode = None,
    player_id: PlayerId = None,
    kind: Annotated[Literal["debit", "credit", "rollback", "tombstone"] | None, Query()] = None,
    state: Annotated[Literal["applied", "rejected", "rolled_back"] | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> TransactionPage:
    """Every money call with its stored outcome (applied or rejected), newest first."""
    rows, next_cursor = await admin.paged(
        admin_queries.list_transactions,
        cursor,
        limit,
        conn=uow.conn,
        scope=principal.scope(operator_id),
        provider=provider,
        player_id=player_id,
        round_id=None,
        kind=kind,
        state=state,
    )
    return TransactionPage(
        items=[TransactionOut.model_validate(dict(r)) for r in rows], next_cursor=next_cursor
    )


@admin_router.get("/operator/providers/tombstones", response_model=TransactionPage)
async def list_tombstones(
    principal: OperatorStaff,
    uow: Uow,
    operator_id: OperatorId = None,
    provider: ProviderCode = None,
    player_id: PlayerId = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> TransactionPage:
    """Rollbacks that came before (or instead of) their stake: the ids they block."""
    rows, next_cursor = await admin.paged(
        admin_queries.list_transactions,
        cursor,
        limit,
        conn=uow.conn,
        scope=principal.scope(operator_id),
        provider=provider,
        player_id=player_id,
        round_id=None,
        kind="tombstone",
        state=None,
    )
    return TransactionPage(
        items=[TransactionOut.model_validate(dict(r)) for r in rows], next_cursor=next_cursor
    )


@admin_router.get(
    "/operator/providers/reconciliation",
    response_model=list[ReconciliationRow],
    responses={200: {"content": {"text/csv": {}}}},
)
async def reconciliation(
    principal: OperatorStaff,
    uow: Uow,
    operator_id: OperatorId = None,
    provider: ProviderCode = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    tz: Annotated[str, Query(max_length=64)] = "UTC",
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> list[ReconciliationRow] | Response:
    """Count and sum of stakes, payouts and refunds per provider and day (``from``..``to``
    inclusive, days in ``tz``), to reconcile against the provider's report; ``format=csv``."""
    rows = await admin.reconciliation(
        uow.conn,
        principal.scope(operator_id),
        provider=provider,
        start=start,
        end=end,
        timezone=tz,
    )
    if format == "csv":
        return Response(
            admin.reconciliation_csv(rows),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="provider-reconciliation.csv"'},
        )
    return [ReconciliationRow.model_validate(row) for row in rows]


@admin_router.post(
    "/operator/providers/demo-players", response_model=DemoPlayerOut, status_code=201
)
async def add_demo_player(
    body: DemoPlayerIn, principal: OperatorStaff, uow: Uow, operator_id: OperatorId = None
) -> DemoPlayerOut:
    """Make one of your (test) players playable by POST /casino/simulateRound, which resets
    its cash to ``resetBalance`` before every simulated round."""
    row = await admin.add_demo_player(
        uow.conn, principal.scope(operator_id), body.player_id, body.reset_balance
    )
    return DemoPlayerOut.model_validate(dict(row))


@admin_router.get("/operator/providers/demo-players", response_model=list[DemoPlayerOut])
async def list_demo_players(
    principal: OperatorStaff, uow: Uow, operator_id: OperatorId = None
) -> list[DemoPlayerOut]:
    """The players simulateRound may play (seed 003's two, and your own test players)."""
    rows = await admin_queries.list_demo_players(uow.conn, principal.scope(operator_id))
    return [DemoPlayerOut.model_validate(dict(r)) for r in rows]


@admin_router.get("/admin/providers", response_model=list[ProviderOut])
async def list_providers(principal: PlatformAdmin, uow: Uow) -> list[ProviderOut]:
    """Configured game providers (secrets are never shown)."""
    return [ProviderOut.from_row(r) for r in await admin.list_providers(uow.conn)]


@admin_router.post("/admin/providers", response_model=ProviderOut, status_code=201)
async def create_provider(body: ProviderCreate, principal: PlatformAdmin, uow: Uow) -> ProviderOut:
    """Integrate a provider: its games name its code; its callbacks get their own id space."""
    return ProviderOut.from_row(await admin.create_provider(uow.conn, body.changes()))


@admin_router.patch("/admin/providers/{code}", response_model=ProviderOut)
async def update_provider(
    code: str, body: ProviderUpdate, principal: PlatformAdmin, uow: Uow
) -> ProviderOut:
    """Change a provider's settings; rotate its callback secrets by sending the new and the old."""
    return ProviderOut.from_row(await admin.update_provider(uow.conn, code, body.changes()))
