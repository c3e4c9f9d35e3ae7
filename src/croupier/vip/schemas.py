"""VIP bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from croupier.kit.schemas import Input, Output

BasisPoints = Annotated[int, Field(ge=0, le=10_000, strict=True)]


class VipLevelIn(Input):
    level: Annotated[int, Field(ge=0, le=1000, strict=True)]
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    xp_required: Annotated[int, Field(ge=0, le=10**15, strict=True)]
    cashback_bp: BasisPoints = 0
    cashback_as: Literal["cash", "bonus"] = "bonus"
    free_spins: Annotated[int, Field(ge=0, le=1000, strict=True)] = 0
    free_spin_game_id: Annotated[int, Field(gt=0, le=2**31 - 1, strict=True)] | None = None
    free_spin_value: Annotated[int, Field(gt=0, le=10**12, strict=True)] | None = None
    deposit_bonus_boost_bp: BasisPoints = 0


class VipLevelUpdate(Input):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    xp_required: Annotated[int, Field(ge=0, le=10**15, strict=True)] | None = None
    cashback_bp: BasisPoints | None = None
    cashback_as: Literal["cash", "bonus"] | None = None
    free_spins: Annotated[int, Field(ge=0, le=1000, strict=True)] | None = None
    free_spin_game_id: Annotated[int, Field(gt=0, le=2**31 - 1, strict=True)] | None = None
    free_spin_value: Annotated[int, Field(gt=0, le=10**12, strict=True)] | None = None
    deposit_bonus_boost_bp: BasisPoints | None = None


class VipLevelOut(Output):
    id: int
    level: int
    name: str
    xp_required: int
    cashback_bp: int
    cashback_as: str
    free_spins: int
    free_spin_game_id: int | None
    free_spin_value: int | None
    deposit_bonus_boost_bp: int


class Benefits(Output):
    cashback_bp: int
    cashback_as: str
    deposit_bonus_boost_bp: int
    free_spins: int


class LevelRef(Output):
    level: int
    name: str
    xp_required: int


class LevelUpOut(Output):
    level: int
    xp: int
    reward_status: str
    reward_grant_id: int | None
    reached_at: datetime


class VipStatusOut(Output):
    player_id: int
    xp: int
    level: int | None
    level_name: str | None
    next_level: LevelRef | None
    xp_to_next_level: int | None
    benefits: Benefits | None
    level_ups: list[LevelUpOut]


class AddXpIn(Input):
    player_id: Annotated[int, Field(gt=0, strict=True)]
    xp: Annotated[int, Field(gt=0, le=10**12, strict=True)]


class AddXpOut(Output):
    player_id: int
    xp: int
    levels_reached: list[int]
