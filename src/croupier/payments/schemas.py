"""Payment bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from croupier.kit.schemas import Input, Output

Amount = Annotated[int, Field(gt=0, le=10**12, strict=True)]
IdempotencyKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,100}$")]
ProviderKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,40}$")]
Method = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,40}$")]
BonusCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$")]


class DepositIn(Input):
    amount: Amount
    method: Method
    provider: ProviderKey = "demo"
    idempotency_key: IdempotencyKey
    bonus_code: BonusCode | None = None


class DepositOut(Output):
    id: int
    player_id: int
    reference: str
    provider: str
    method: str
    currency: str
    amount: int
    status: str
    bonus_rule_id: int | None
    instructions: dict[str, Any]
    failure_reason: str | None
    reversal_shortfall: int
    expires_at: datetime
    completed_at: datetime | None
    closed_at: datetime | None
    created_at: datetime


class DepositPage(Output):
    items: list[DepositOut]
    next_cursor: str | None


class WithdrawalIn(Input):
    amount: Amount
    method: Method
    # Where the provider pays: a $cashtag, a card token... (the provider validates it).
    destination: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    provider: ProviderKey = "demo"
    idempotency_key: IdempotencyKey


class WithdrawalOut(Output):
    id: int
    player_id: int
    reference: str
    provider: str
    method: str
    destination: str
    currency: str
    amount: int
    status: str
    reason: str | None
    reviewed_by: int | None
    reviewed_at: datetime | None
    failure_reason: str | None
    closed_at: datetime | None
    created_at: datetime


class WithdrawalPage(Output):
    items: list[WithdrawalOut]
    next_cursor: str | None


class ReviewIn(Input):
    status: Literal["APPROVED", "REJECTED"]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None

    @model_validator(mode="after")
    def _reason_for_rejection(self) -> ReviewIn:
        if self.status == "REJECTED" and not self.reason:
            raise ValueError("a rejection needs a reason")
        return self


class WebhookAck(Output):
    received: bool
    outcome: str
    reason: str | None
