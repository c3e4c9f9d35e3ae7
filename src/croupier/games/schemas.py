"""Bodies for the game catalogue."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, HttpUrl, StringConstraints, model_validator

from croupier.kit.schemas import Input, Output

GameSlug = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{1,62}$")]
CategorySlug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
ProviderCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{1,40}$")]
Volatility = Literal["low", "medium", "high", "very_high"]
Minor = Annotated[int, Field(gt=0, le=10**12, strict=True)]


class CategoryCreate(Input):
    slug: CategorySlug
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    sort_order: Annotated[int, Field(ge=0, le=10_000)] = 0


class CategoryOut(Output):
    id: int
    slug: str
    name: str
    sort_order: int


class GameCreate(Input):
    """A builtin game names its engine definition (``engineKey``); its RTP, volatility and
    paytable then come from the engine's exact math, not from the request."""

    slug: GameSlug
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    description: Annotated[str, StringConstraints(max_length=5000)] = ""
    category: CategorySlug
    provider: ProviderCode = "builtin"
    engine_key: GameSlug | None = None
    thumbnail_url: HttpUrl | None = None
    rtp: (
        Annotated[Decimal, Field(gt=0, lt=Decimal("1.5"), max_digits=7, decimal_places=6)] | None
    ) = None
    volatility: Volatility | None = None
    min_bet: Minor | None = None
    max_bet: Minor | None = None
    paytable: dict[str, Any] | None = Field(default=None, max_length=200)
    jackpot_group: (
        Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,40}$")] | None
    ) = None
    is_active: bool = True

    @model_validator(mode="after")
    def _builtin_or_external(self) -> GameCreate:
        if self.provider == "builtin" and not self.engine_key:
            raise ValueError("a builtin game needs engineKey")
        if self.provider != "builtin" and (
            self.rtp is None
            or self.volatility is None
            or self.min_bet is None
            or self.max_bet is None
        ):
            raise ValueError("an external game needs rtp, volatility, minBet and maxBet")
        if self.min_bet and self.max_bet and self.max_bet < self.min_bet:
            raise ValueError("maxBet must be at least minBet")
        return self


class GameUpdate(Input):
    """``rtp``, ``volatility`` and ``paytable`` change an external game's maths (a builtin
    game's come from its engine): the game's ``version`` then moves on by one."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None
    category: CategorySlug | None = None
    thumbnail_url: HttpUrl | None = None
    min_bet: Minor | None = None
    max_bet: Minor | None = None
    jackpot_group: (
        Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,40}$")] | None
    ) = None
    is_active: bool | None = None
    rtp: Annotated[Decimal, Field(gt=0, lt=Decimal("1.5"), max_digits=7, decimal_places=6)] = None
    volatility: Volatility = None
    paytable: dict[str, Any] = Field(default=None, max_length=200)


class GameOut(Output):
    id: int
    slug: str
    game_key: str
    name: str
    description: str
    category: str
    provider: str
    thumbnail_url: str | None
    rtp: Decimal
    volatility: str
    min_bet: int
    max_bet: int
    paytable: dict[str, Any]
    jackpot_group: str | None
    is_active: bool
    version: int  # revisions of the maths (paytable, RTP, volatility); starts at 1
    enabled_for_operator: bool | None = None
    updated_at: datetime


class OperatorGameToggle(Input):
    enabled: bool
