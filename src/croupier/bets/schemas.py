"""Spin and bet bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AliasChoices, BaseModel, Field, model_validator

from croupier.kit.schemas import Input, Output


class SpinIn(Input):
    """The game by id (``gameId``) or key (``gameKey``, seed 000's name); the stake in minor units
    (``stake``; seed 000's clients send ``betCents``)."""

    game_id: Annotated[int, Field(gt=0, strict=True)] | None = None
    game_key: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{1,62}$")] | None = None
    stake: Annotated[
        int, Field(gt=0, le=10**12, strict=True, validation_alias=AliasChoices("stake", "betCents"))
    ]
    provably_fair: bool = False

    @model_validator(mode="after")
    def _one_game(self) -> SpinIn:
        if (self.game_id is None) == (self.game_key is None):
            raise ValueError("give exactly one of gameId and gameKey")
        return self


class SpinHeaders(BaseModel):
    """The spin's headers (the route reads them itself: ``web.headers``)."""

    idempotency_key: str | None = Field(
        None,
        alias="Idempotency-Key",
        pattern=r"^[A-Za-z0-9_-]{1,100}$",
        description="Retries with the same key return the same round.",
    )
    session_id: str | None = Field(None, alias="x-session-id", max_length=100)
    channel: Literal["web", "mobile", "desktop"] = Field(
        "web",
        alias="x-channel",
        description="The client's channel, for RTP monitoring by channel; none means web.",
    )


class Balances(Output):
    cash: int
    bonus: int


class BetOut(Output):
    id: int
    round_id: UUID
    game_id: int
    game_key: str
    currency: str
    stake: int
    stake_cash: int
    stake_bonus: int
    stake_free: int  # a free spin's stake, paid by the operator
    win: int
    win_cash: int
    win_bonus: int
    jackpot_contribution: int
    jackpot_win: int
    xp_gained: int
    outcome: dict[str, Any]
    rng: str
    balances: Balances
    created_at: datetime
    # The safety engine's view after this spin (seed 000's risk and action); absent on replays.
    safety: dict[str, Any] | None = None


class BetDetail(BetOut):
    verification: dict[str, Any]


class BetPage(Output):
    items: list[BetOut]
    next_cursor: str | None


class FairSeedOut(Output):
    server_seed_hash: str
    client_seed: str
    nonce: int


class RotateIn(Input):
    client_seed: (
        Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")] | None
    ) = None
