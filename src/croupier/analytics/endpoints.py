"""Analytics (seed 000), the operator back office (seed 002 §5.7) and the admin views of seed 001
§4.6. Every route is for operator staff, scoped to the caller's operator; a platform admin may
name one with operatorId or read all of them (when they share a currency)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from croupier.analytics import backoffice, games_report, ops_report, reports, rtp_report
from croupier.analytics import backoffice_schemas as b
from croupier.analytics import schemas as s
from croupier.analytics.params import DEFAULT_TIMEZONE, Filters, parse_window
from croupier.analytics.rtp_schemas import GameRtpOut
from croupier.auth.principal import Principal, Role
from croupier.web.deps import OperatorStaff, Uow

OperatorIdParam = Annotated[int | None, Query(alias="operatorId", ge=1)]
LimitParam = Annotated[int, Query(ge=1, le=1000)]


@dataclass(frozen=True)
class Ask:
    """The parsed query of an analytics request."""

    principal: Principal
    operator_id: int | None
    window_args: tuple[datetime | None, datetime | None, str, str]
    filters: Filters

    async def prepare(self, uow: Uow) -> reports.Request:
        return await reports.prepare(
            uow.conn,
            self.principal.scope(self.operator_id),
            self.filters,
            parse_window(*self.window_args),
        )


async def _ask(
    principal: OperatorStaff,
    operator_id: OperatorIdParam = None,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
    bucket: Annotated[str, Query(max_length=10)] = "day",
    timezone: Annotated[str, Query(max_length=64)] = DEFAULT_TIMEZONE,
    agent_id: Annotated[int | None, Query(alias="agentId", ge=1)] = None,
    cashier_id: Annotated[int | None, Query(alias="cashierId", ge=1)] = None,
    game_key: Annotated[str | None, Query(alias="gameKey", max_length=64)] = None,
    provider: Annotated[str | None, Query(max_length=64)] = None,
    region: Annotated[str | None, Query(max_length=100)] = None,
    exclude_seeded: Annotated[bool, Query(alias="excludeSeeded")] = False,
) -> Ask:
    return Ask(
        principal,
        operator_id,
        (start, end, bucket, timezone),
        Filters(agent_id, cashier_id, region, game_key, provider, exclude_seeded),
    )


AskDep = Annotated[Ask, Depends(_ask)]
analytics = APIRouter(prefix="/admin/analytics", tags=["analytics"])


@analytics.get("/overview", response_model=s.OverviewOut)
async def overview(ask: AskDep, uow: Uow) -> dict:
    """Executive cards (handle, payout, GGR, NGR = handle - payout - bonuses, hold, RTP, theo,
    active players, FTD, deposits, withdrawals, ARPU) and their series per bucket."""
    return await reports.overview(uow.conn, await ask.prepare(uow))


@analytics.get("/revenue", response_model=s.RevenueOut)
async def revenue(ask: AskDep, uow: Uow) -> dict:
    """Every money figure per bucket, empty buckets as zeros, and the totals row."""
    return await reports.revenue(uow.conn, await ask.prepare(uow))


@analytics.get("/players", response_model=s.PlayersOut)
async def players(ask: AskDep, uow: Uow) -> dict:
    """Active and depositing players (distinct), registrations, FTD, Reg->FTD, ARPU, ARPPU."""
    return await reports.players(uow.conn, await ask.prepare(uow))


@analytics.get("/games", response_model=s.GamesOut)
async def games(ask: AskDep, uow: Uow) -> dict:
    """Per game and stake level: figures, observed vs expected RTP and the monitoring status
    (OK / WARN / ALERT / INSUFFICIENT_VOLUME over the trailing 30 days); per provider."""
    return await games_report.games(uow.conn, await ask.prepare(uow))


@analytics.get("/games/{game_id}/rtp", response_model=GameRtpOut)
async def game_rtp(
    ask: AskDep, uow: Uow, game_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> dict:
    """One game's RTP monitoring over the trailing 30 days, per slice (game version x stake
    level x channel, per stake level and the aggregate): the full and capped z-tests, the
    large-win Poisson count and the CUSUM drift, with the thresholds used."""
    return await rtp_report.game_rtp(uow.conn, await ask.prepare(uow), game_id)


@analytics.get("/ops", response_model=s.OpsOut)
async def ops(ask: AskDep, uow: Uow) -> dict:
    """Sessions, API error rates per route, provider rollbacks, and the tailer's lag."""
    platform = ask.principal.role is Role.PLATFORM_ADMIN and ask.operator_id is None
    return await ops_report.ops(uow.conn, await ask.prepare(uow), platform=platform)


@analytics.get("/funnel", response_model=s.FunnelOut)
async def funnel(ask: AskDep, uow: Uow) -> dict:
    """Voucher funnel (issued -> redeemed -> first bet -> bonus) and Reg->FTD."""
    return await ops_report.funnel(uow.conn, await ask.prepare(uow))


@analytics.get("/ltv", response_model=s.LtvOut)
async def ltv(ask: AskDep, uow: Uow) -> dict:
    """Realised LTV (NGR and GGR) per registration cohort at 7, 30, 90, 180 and 365 days."""
    return await ops_report.ltv(uow.conn, await ask.prepare(uow))


@analytics.get("/attribution", response_model=s.AttributionOut)
async def attribution(
    ask: AskDep,
    uow: Uow,
    metric: Annotated[str, Query(max_length=20)] = "ngr",
    by: Annotated[str, Query(max_length=20)] = "agent",
) -> dict:
    """One metric per agent, cashier or region (``by``), with each key's share."""
    return await reports.attribution(uow.conn, await ask.prepare(uow), metric, by)


backoffice_router = APIRouter(tags=["operator"])


@backoffice_router.get("/operator/transactions", response_model=b.TransactionPage)
@backoffice_router.get("/admin/transactions", response_model=b.TransactionPage)
async def transactions(
    principal: OperatorStaff,
    uow: Uow,
    operator_id: OperatorIdParam = None,
    player_id: Annotated[int | None, Query(alias="playerId", ge=1)] = None,
    player_id_snake: Annotated[int | None, Query(alias="player_id", ge=1)] = None,
    type: Annotated[str | None, Query(max_length=300)] = None,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> b.TransactionPage:
    """Deposits, withdrawals, bets, wins, bonuses, adjustments... newest first. ``type`` takes
    groups (deposits, withdrawals, bets, wins, rollbacks, bonuses, adjustments, vouchers) or
    ledger transfer types, comma-separated."""
    items, next_cursor = await backoffice.transactions(
        uow.conn,
        principal.scope(operator_id),
        player_id=player_id or player_id_snake,
        types=type,
        start=start,
        end=end,
        cursor=cursor,
        limit=limit,
    )
    return b.TransactionPage(
        items=[b.TransactionOut.model_validate(i) for i in items], next_cursor=next_cursor
    )


@backoffice_router.get("/operator/players/{player_id}/detail", response_model=b.PlayerDetailOut)
async def player_detail(
    player_id: int, principal: OperatorStaff, uow: Uow, operator_id: OperatorIdParam = None
) -> dict:
    """One player: wallet, lifetime figures, VIP, open bonuses, safety state, recent money."""
    return await backoffice.player_detail(uow.conn, principal.scope(operator_id), player_id)


@backoffice_router.get("/operator/analytics/games", response_model=b.GameTotalsPage)
async def operator_games(ask: AskDep, uow: Uow) -> dict:
    """Per game: wagered, won, GGR (wagered - won) and RTP (won / wagered)."""
    request = await ask.prepare(uow)
    return {**request.header(), "items": await games_report.game_totals(uow.conn, request)}


@backoffice_router.get("/operator/analytics/rtp-summary", response_model=b.RtpSummaryOut)
async def rtp_summary(ask: AskDep, uow: Uow, limit: LimitParam = 100) -> dict:
    """RTP by game, and by player (the ``limit`` biggest by handle)."""
    return await games_report.rtp_summary(uow.conn, await ask.prepare(uow), limit)


@backoffice_router.get("/admin/games/{game_id}/performance", response_model=b.GamePerformanceOut)
async def game_performance(game_id: int, ask: AskDep, uow: Uow, limit: LimitParam = 100) -> dict:
    """Wagers, wins and RTP of one game for the operator, broken down by player."""
    return await games_report.game_performance(uow.conn, await ask.prepare(uow), game_id, limit)


@backoffice_router.get("/admin/rtp", response_model=b.RtpViewOut)
async def rtp(
    ask: AskDep,
    uow: Uow,
    game_id: Annotated[int | None, Query(alias="gameId", ge=1)] = None,
    player_id: Annotated[int | None, Query(alias="playerId", ge=1)] = None,
) -> dict:
    """RTP over the window and per bucket, optionally for one game and/or one player."""
    return await backoffice.rtp_view(
        uow.conn, await ask.prepare(uow), game_id=game_id, player_id=player_id
    )


@backoffice_router.get("/admin/financials", response_model=b.FinancialsOut)
async def financials(ask: AskDep, uow: Uow) -> dict:
    """Player balances now; GGR, NGR, cash flows and affiliate payouts over the window."""
    return await backoffice.financials(uow.conn, await ask.prepare(uow))


routers = (analytics, backoffice_router)
