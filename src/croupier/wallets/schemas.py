"""Bodies of the wallet API (players) and of balance adjustments (operator staff)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from croupier.kit.schemas import Input, Output

# A ceiling far above any real adjustment, far below BIGINT: a typo does not become a fortune.
MAX_ADJUSTMENT = 10**12
TransferTypes = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_.:-]{0,63}(,[a-z][a-z0-9_.:-]{0,63}){0,19}$")
]


class WalletOut(Output):
    currency: str
    cash: int
    bonus: int
    coins: int
    reserved: int
    withdrawable: int


class TransactionOut(Output):
    transfer_id: int
    entry_no: int
    type: str
    account: str  # the account's kind: player_cash, player_bonus, player_coins
    amount: int
    balance_after: int
    reference: str | None
    created_at: datetime


class TransactionPage(Output):
    items: list[TransactionOut]
    next_cursor: str | None


class AdjustmentIn(Input):
    amount: Annotated[int, Field(strict=True, ge=-MAX_ADJUSTMENT, le=MAX_ADJUSTMENT)]
    account: Literal["cash", "bonus", "coins"]
    reason: Annotated[str, StringConstraints(min_length=3, max_length=500)]
    idempotency_key: Annotated[
        str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")
    ]

    @field_validator("amount")
    @classmethod
    def _non_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("must not be zero")
        return value


class AdjustmentOut(Output):
    transfer_id: int
    operator_id: int
    player_id: int
    account: str
    amount: int
    balance_after: int
    reason: str
    created_at: datetime
    replayed: bool
