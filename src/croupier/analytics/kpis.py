"""KPI formulas (reference B1), pure: sums in, figures out. Ratios over a period are ratios of
sums. Money is integer minor units; ratios are Decimals rounded half-even to 6 places, per-player
amounts to 2 places of a minor unit.

Definitions used throughout:
* handle H = H_cash + H_bonus (bonus-funded stakes included, both parts reported);
* payout W = wins + jackpot wins; GGR = H - W; hold = GGR / H; RTP = W / H;
* bonus cost B = bonus money consumed in stakes (H_bonus); NGR = H - W - B;
* theo = Σ stake × (1 - RTP_theoretical of the game); blended theoretical RTP = 1 - theo / H;
* rollbacks reverse their bet (count and stake) where the bet was counted.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

NGR_FORMULA = "handle - payout - bonuses"
BONUS_COST_DEFINITION = "bonus money consumed in stakes (handle includes bonus stakes)"
ACTIVE_DEFINITION = (
    "players with at least one settled round (cash or bonus stake); logins alone do not count"
)
_RATIO = Decimal("0.000001")
_CENTS = Decimal("0.01")


@dataclass(slots=True)
class Sums:
    rounds: int = 0
    stake: int = 0
    stake_cash: int = 0
    stake_bonus: int = 0
    stake_sq: float = 0.0
    win: int = 0
    jackpot_win: int = 0
    jackpot_contribution: int = 0
    theo: Decimal = Decimal(0)
    affiliate_share: int = 0
    rollbacks: int = 0
    rollback_amount: int = 0
    deposits: int = 0
    deposit_amount: int = 0
    ftd: int = 0
    ftd_amount: int = 0
    withdrawals: int = 0
    withdrawal_amount: int = 0
    bonus_granted: int = 0
    bonus_converted: int = 0
    cashback: int = 0
    adjustments: int = 0
    # RTP monitoring (rtp_tests): wins capped at C x stake, and wins of at least C x stake.
    capped_win: int = 0
    large_wins: int = 0

    @classmethod
    def from_row(cls, row: Any) -> Sums:
        return cls(*[row[name] or 0 for name in SUM_NAMES])

    def add(self, other: Sums) -> None:
        for name in SUM_NAMES:
            setattr(self, name, getattr(self, name) + getattr(other, name))


SUM_NAMES = tuple(f.name for f in fields(Sums))


def ratio(numerator: int | Decimal, denominator: int | Decimal) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(_RATIO, ROUND_HALF_EVEN)


def per_head(amount: int, heads: int) -> Decimal | None:
    if not heads:
        return None
    return (Decimal(amount) / Decimal(heads)).quantize(_CENTS, ROUND_HALF_EVEN)


def payout(s: Sums) -> int:
    return s.win + s.jackpot_win


def ggr(s: Sums) -> int:
    return s.stake - payout(s)


def bonus_cost(s: Sums) -> int:
    return s.stake_bonus


def ngr(s: Sums) -> int:
    return ggr(s) - bonus_cost(s)


def theo(s: Sums) -> int:
    return int(Decimal(s.theo).quantize(Decimal(1), ROUND_HALF_EVEN))


def money(s: Sums) -> dict[str, Any]:
    """The game-money figures of one bucket or total."""
    return {
        "rounds": s.rounds,
        "handle": s.stake,
        "handle_cash": s.stake_cash,
        "handle_bonus": s.stake_bonus,
        "payout": payout(s),
        "wins": s.win,
        "jackpot_wins": s.jackpot_win,
        "jackpot_contributions": s.jackpot_contribution,
        "ggr": ggr(s),
        "bonus_cost": bonus_cost(s),
        "ngr": ngr(s),
        "hold": ratio(ggr(s), s.stake),
        "rtp": ratio(payout(s), s.stake),
        "theo": theo(s),
        "theoretical_rtp": ratio(s.stake - Decimal(s.theo), s.stake),
        "win_vs_theo": ggr(s) - theo(s),
        "affiliate_share": s.affiliate_share,
        "rollbacks": s.rollbacks,
        "rollback_amount": s.rollback_amount,
    }


def cash_flows(s: Sums, attributable: bool) -> dict[str, Any]:
    """Deposits and the like belong to no game: under a game or provider filter they are
    unknown (None), not zero."""
    if not attributable:
        return dict.fromkeys(
            (
                "deposits",
                "deposit_count",
                "withdrawals",
                "withdrawal_count",
                "net_deposits",
                "ftd",
                "ftd_amount",
                "bonus_granted",
                "bonus_converted",
                "cashback",
                "adjustments",
            )
        )
    return {
        "deposits": s.deposit_amount,
        "deposit_count": s.deposits,
        "withdrawals": s.withdrawal_amount,
        "withdrawal_count": s.withdrawals,
        "net_deposits": s.deposit_amount - s.withdrawal_amount,
        "ftd": s.ftd,
        "ftd_amount": s.ftd_amount,
        "bonus_granted": s.bonus_granted,
        "bonus_converted": s.bonus_converted,
        "cashback": s.cashback,
        "adjustments": s.adjustments,
    }


def per_player(s: Sums, active: int, depositors: int | None) -> dict[str, Any]:
    return {
        "active_players": active,
        "depositing_players": depositors,
        "arpu": per_head(ngr(s), active),
        "arppu": per_head(ngr(s), depositors) if depositors is not None else None,
    }
