"""Response bodies of the analytics and back-office routes (camelCase JSON). Ratios are
Decimals rounded to 6 places, sent as JSON numbers; money is integer minor units."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer

from croupier.kit.schemas import Output

Ratio = Annotated[
    Decimal | None,
    PlainSerializer(lambda v: float(v) if v is not None else None, when_used="json"),
]


class RangeOut(Output):
    from_: datetime = Field(alias="from")
    to: datetime
    timezone: str
    bucket: str


class FiltersOut(Output):
    agent_id: int | None
    cashier_id: int | None
    region: str | None
    game_key: str | None
    provider: str | None
    exclude_seeded: bool


class DefinitionsOut(Output):
    ngr_formula: str
    bonus_cost: str
    active_players: str


class Header(Output):
    range: RangeOut
    currency: str | None
    filters: FiltersOut
    definitions: DefinitionsOut


class BucketOut(Output):
    bucket: datetime  # the bucket's local start, with its UTC offset
    start: datetime
    end: datetime


class MoneyOut(Output):
    rounds: int
    handle: int
    handle_cash: int
    handle_bonus: int
    payout: int
    wins: int
    jackpot_wins: int
    jackpot_contributions: int
    ggr: int
    bonus_cost: int
    ngr: int
    hold: Ratio
    rtp: Ratio
    theo: int
    theoretical_rtp: Ratio
    win_vs_theo: int
    affiliate_share: int
    rollbacks: int
    rollback_amount: int


class CashOut(Output):
    deposits: int | None
    deposit_count: int | None
    withdrawals: int | None
    withdrawal_count: int | None
    net_deposits: int | None
    ftd: int | None
    ftd_amount: int | None
    bonus_granted: int | None
    bonus_converted: int | None
    cashback: int | None
    adjustments: int | None


class PlayerKpisOut(Output):
    active_players: int
    depositing_players: int | None
    arpu: Ratio
    arppu: Ratio
    new_players: int
    reg_to_ftd: Ratio
    ftd: int | None


class OverviewTotals(MoneyOut, CashOut, PlayerKpisOut):
    pass


class OverviewPoint(BucketOut):
    handle: int
    payout: int
    ggr: int
    ngr: int
    active_players: int
    deposits: int | None
    ftd: int | None


class OverviewOut(Header):
    totals: OverviewTotals
    series: list[OverviewPoint]


class RevenueFigures(MoneyOut, CashOut):
    pass


class RevenuePoint(BucketOut, MoneyOut, CashOut):
    pass


class RevenueOut(Header):
    totals: RevenueFigures
    series: list[RevenuePoint]


class PlayersPoint(BucketOut, PlayerKpisOut):
    pass


class PlayersOut(Header):
    totals: PlayerKpisOut
    series: list[PlayersPoint]


class FullTestOut(Output):
    """Test C, the full z-test."""

    status: str
    z: float | None = None
    n_eff: float | None = None
    required_n_eff: float | None = None
    observed_rtp: Ratio = None


class CappedTestOut(Output):
    """Test A: Σ min(win, C x stake) / Σ stake against the exact mu_C."""

    status: str
    z: float | None
    n_eff: float
    required_n_eff: float
    observed_rtp: Ratio
    expected_rtp: Ratio


class LargeWinsTestOut(Output):
    """Test B: wins of at least C x stake against Poisson(expected)."""

    status: str
    observed: int
    expected: float | None
    p_value: float | None


class DriftPointOut(Output):
    day: datetime  # the day's start (UTC); days end at the report's end
    z: float | None  # None: under the daily volume gate
    s: float


class DriftOut(Output):
    """One-sided CUSUM on the daily capped z-scores."""

    status: str
    cusum: float
    max_cusum: float
    alarm_day: datetime | None
    days_tested: int
    series: list[DriftPointOut] | None = None


class MonitorOut(FullTestOut):
    """The full test's fields (``status`` is Test C's), then every test of the slice."""

    overall_status: str | None = None  # the worst of the tests
    game_version: int | None = None
    capped: CappedTestOut | None = None
    large_wins: LargeWinsTestOut | None = None
    drift: DriftOut | None = None


class StakeLevelOut(MoneyOut):
    stake_level: int
    band: str
    monitor: MonitorOut


class GameOut(MoneyOut):
    game_id: int
    game_key: str | None
    name: str | None
    provider: str | None
    expected_rtp: Ratio
    config_source: str | None
    game_version: int | None = None
    monitor: MonitorOut
    stake_levels: list[StakeLevelOut]


class ProviderRtpOut(Output):
    provider: str
    handle: int
    payout: int
    rtp: Ratio
    theoretical_rtp: Ratio


class FlagOut(Output):
    game_id: int
    status: str  # the worst status of any test of any of the game's slices


class ThresholdsOut(Output):
    alpha: float
    slices_tested: int
    z_warn: float
    z_critical: float
    p_warn: float
    p_alert: float
    consecutive_warn_days: int
    min_n_eff: int
    min_capped_n_eff: int
    daily_min_n_eff: int
    cusum_k: float
    cusum_h: float


class GamesOut(Header):
    monitor_window_days: int
    monitor_thresholds: ThresholdsOut | None = None
    items: list[GameOut]
    providers: list[ProviderRtpOut]
    flags: list[FlagOut]


class SessionStatsOut(Output):
    sessions: int
    median_duration_seconds: float
    rounds_per_session: Ratio
    average_stake: Ratio
    net_per_session: Ratio


class SessionPoint(BucketOut, SessionStatsOut):
    pass


class SessionsOut(Output):
    totals: SessionStatsOut
    series: list[SessionPoint]


class RouteOut(Output):
    method: str
    route: str
    requests: int
    errors_4xx: int = Field(serialization_alias="errors4xx")
    errors_5xx: int = Field(serialization_alias="errors5xx")
    error_rate: Ratio
    client_error_rate: Ratio


class ApiOut(Output):
    requests: int
    errors_5xx: int = Field(serialization_alias="errors5xx")
    error_rate: Ratio
    routes: list[RouteOut]
    provider_callback_failures: int


class ProviderOpsOut(Output):
    provider: str
    rollbacks: int
    rollback_amount: int


class TailerOut(Output):
    folded_at: datetime | None
    lag_seconds: float


class OpsOut(Header):
    sessions: SessionsOut | None
    api: ApiOut
    providers: list[ProviderOpsOut]
    tailer: TailerOut


class StepOut(Output):
    step: str
    count: int
    conversion_from_previous: Ratio
    median_seconds_from_previous: float | None


class VoucherFunnelOut(Output):
    steps: list[StepOut]
    overall: Ratio


class AcquisitionOut(Output):
    registrations: int
    ftd: int
    reg_to_ftd: Ratio


class FunnelOut(Header):
    window_days: int
    voucher: VoucherFunnelOut
    acquisition: AcquisitionOut


class LtvPointOut(Output):
    days: int
    ngr: Ratio
    ggr: Ratio
    mature: bool


class CohortOut(BucketOut):
    size: int
    ltv: list[LtvPointOut]


class LtvOut(Header):
    cohorts: list[CohortOut]


class AttributionItem(Output):
    key: str | None
    name: str | None
    value: int
    share: Ratio


class AttributionOut(Header):
    metric: str
    by: str
    total: int
    items: list[AttributionItem]
