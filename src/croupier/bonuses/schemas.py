"""Bonus bodies: rules for operator admins, grants for players and staff."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from croupier.kit.schemas import Input, Output

Money = Annotated[int, Field(ge=0, le=10**12, strict=True)]
PositiveMoney = Annotated[int, Field(gt=0, le=10**12, strict=True)]
BasisPoints = Annotated[int, Field(ge=0, le=10_000, strict=True)]
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$")]
GameKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{1,62}$")]
Weights = Annotated[dict[GameKey, BasisPoints], Field(max_length=500)]
Multiplier = Annotated[int, Field(ge=0, le=200, strict=True)]
Days = Annotated[int, Field(ge=1, le=365, strict=True)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
SpinCount = Annotated[int, Field(ge=1, le=1000, strict=True)]
GameId = Annotated[int, Field(gt=0, le=2**31 - 1, strict=True)]

_REQUIRED = {
    "deposit_match": ("match_bp", "max_bonus"),
    "no_deposit": ("bonus_amount",),
    "free_spins": ("free_spins", "free_spin_game_id", "free_spin_value"),
}


class _Terms(Input):
    name: Name | None = None
    active: bool | None = None
    # Match as basis points of the deposit: 10000 = 100%.
    match_bp: Annotated[int, Field(ge=1, le=100_000, strict=True)] | None = None
    max_bonus: PositiveMoney | None = None
    min_deposit: Money | None = None
    bonus_amount: PositiveMoney | None = None
    free_spins: SpinCount | None = None
    free_spin_game_id: GameId | None = None
    free_spin_value: PositiveMoney | None = None
    wagering_multiplier: Multiplier | None = None
    max_bet: PositiveMoney | None = None
    max_conversion: Money | None = None
    valid_days: Days | None = None
    # Contribution of a game's stakes to wagering, by game key, in basis points; others count
    # at defaultWeightBp.
    game_weights: Weights | None = None
    default_weight_bp: BasisPoints | None = None


class BonusRuleIn(_Terms):
    code: Code
    name: Name
    kind: Literal["deposit_match", "free_spins", "no_deposit"]

    @model_validator(mode="after")
    def _kind_terms(self) -> BonusRuleIn:
        missing = [f for f in _REQUIRED[self.kind] if getattr(self, f) is None]
        if missing:
            raise ValueError(f"a {self.kind} rule needs {', '.join(missing)}")
        return self


class BonusRuleUpdate(_Terms):
    pass


class BonusRuleOut(Output):
    id: int
    operator_id: int
    code: str
    name: str
    kind: str
    active: bool
    match_bp: int | None
    max_bonus: int | None
    min_deposit: int
    bonus_amount: int | None
    free_spins: int | None
    free_spin_game_id: int | None
    free_spin_value: int | None
    wagering_multiplier: int
    max_bet: int | None
    max_conversion: int | None
    valid_days: int
    game_weights: dict[str, int]
    default_weight_bp: int
    created_at: datetime
    updated_at: datetime


class ClaimIn(Input):
    code: Code


class GrantIn(Input):
    rule_id: Annotated[int, Field(gt=0, strict=True)]


class GrantOut(Output):
    id: int
    player_id: int
    rule_id: int | None
    kind: str
    status: str
    currency: str
    deposit_id: int | None
    bonus_amount: int
    wagering_multiplier: int
    wagering_required: int
    wagering_progress: int
    wagering_remaining: int
    max_bet: int | None
    max_conversion: int | None
    free_spins_total: int
    free_spins_left: int
    free_spin_game_id: int | None
    free_spin_value: int | None
    free_spin_winnings: int
    expires_at: datetime | None
    converted_amount: int | None
    forfeited_amount: int | None
    end_reason: str | None
    created_at: datetime
    activated_at: datetime | None
    ended_at: datetime | None


class GrantPage(Output):
    items: list[GrantOut]
    next_cursor: str | None


def grant_out(row: object) -> GrantOut:
    data = dict(row)  # type: ignore[call-overload]
    data["wagering_remaining"] = max(data["wagering_required"] - data["wagering_progress"], 0)
    return GrantOut.model_validate(data)
