"""Response bodies of the back-office routes (seed 001 §4.6, seed 002 §5.7), camelCase JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from croupier.analytics.schemas import BucketOut, CashOut, Header, MoneyOut, Ratio
from croupier.kit.schemas import Output
from croupier.players.schemas import PlayerSummary


class TransactionOut(Output):
    id: int
    transfer_id: int | None
    operator_id: int
    type: str
    occurred_at: datetime
    player_id: int | None
    game_id: int | None
    reference: str | None
    amount: int
    cash: int
    bonus: int
    coins: int


class TransactionPage(Output):
    items: list[TransactionOut]
    next_cursor: str | None


class GameTotalsOut(Output):
    game_id: int
    game_name: str | None
    game_key: str | None
    total_wagered: int
    total_won: int
    ggr: int
    rtp: Ratio
    rounds: int


class GameTotalsPage(Header):
    items: list[GameTotalsOut]


class GameRtpOut(Output):
    game_id: int
    name: str | None
    rtp: Ratio
    wagered: int
    won: int


class PlayerRtpOut(Output):
    player_id: int
    username: str | None
    rounds: int
    wagered: int
    won: int
    rtp: Ratio


class RtpSummaryOut(Header):
    by_game: list[GameRtpOut]
    by_player: list[PlayerRtpOut]


class GamePerformanceOut(Header):
    game_id: int
    name: str
    game_key: str
    total_wagered: int
    total_won: int
    rounds: int
    ggr: int
    rtp: Ratio
    expected_rtp: Ratio
    by_player: list[PlayerRtpOut]


class RtpPointOut(Output):
    rounds: int
    wagered: int
    won: int
    rtp: Ratio


class RtpBucketOut(BucketOut, RtpPointOut):
    pass


class RtpViewOut(Header):
    game_id: int | None
    player_id: int | None
    expected_rtp: Ratio
    totals: RtpPointOut
    series: list[RtpBucketOut]


class BalancesOut(Output):
    cash: int
    bonus: int
    coins: int
    bonus_held: int
    reserved: int
    players_with_cash: int


class AffiliateShareOut(Output):
    affiliate_id: int
    code: str
    name: str
    share: int


class AffiliatePayoutsOut(Output):
    total: int
    by_affiliate: list[AffiliateShareOut]


class FinancialsOut(Header, MoneyOut, CashOut):
    player_balances: BalancesOut
    affiliate_payouts: AffiliatePayoutsOut


class WalletOut(Output):
    currency: str
    cash: int
    bonus: int
    coins: int
    reserved: int
    withdrawable: int


class LifetimeOut(Output):
    registered_at: datetime
    first_deposit_at: datetime | None
    first_deposit_amount: int | None
    first_bet_at: datetime | None
    last_active_at: datetime | None
    ngr_all: int
    ggr_all: int
    rounds: int


class VipOut(Output):
    xp: int
    level: int | None
    level_name: str | None
    xp_to_next_level: int | None


class BonusOut(Output):
    id: int
    kind: str
    status: str
    bonus_amount: int
    wagering_required: int
    wagering_progress: int
    expires_at: datetime | None


class PlayerDetailOut(Output):
    player: PlayerSummary
    wallet: WalletOut
    lifetime: LifetimeOut | None
    vip: VipOut
    bonuses: list[BonusOut]
    safety: dict[str, Any]
    recent_transactions: list[TransactionOut]
