"""Bodies of the agent administration, voucher and sweepstakes-player APIs.

Amounts are strict integers of minor units (FUN cents): a float, a string or a boolean is a
422, never coerced.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import EmailStr, Field, StringConstraints, field_validator, model_validator

from croupier.kit.schemas import Input, Output

# Face value bounds: 1.00 to 100,000.00 FUN. Beyond them a typo, not a sale.
MIN_VOUCHER = 100
MAX_VOUCHER = 10_000_000
MAX_VOUCHERS_PER_ISSUE = 100
MAX_FUNDING = 10**12

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Region = Annotated[str, StringConstraints(min_length=1, max_length=64)]
AgentCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
IdempotencyKey = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")
]
Email = Annotated[EmailStr, Field(max_length=254)]
Password = Annotated[str, Field(min_length=1, max_length=128)]


def _new_key() -> str:
    return uuid.uuid4().hex


class AgentCreate(Input):
    """The agent tenant and its owner's login (staff role ``agent``)."""

    operator_id: Annotated[int, Field(gt=0, strict=True)] | None = None
    code: AgentCode
    name: Name
    region: Region | None = None
    email: Email
    password: Password
    display_name: Name | None = None


class CashierCreate(Input):
    email: Email
    password: Password
    display_name: Name | None = None


class StaffOut(Output):
    id: int
    email: str
    display_name: str | None
    role: str
    operator_id: int | None
    agent_id: int | None
    status: str
    created_at: datetime


class AgentOut(Output):
    id: int
    operator_id: int
    code: str
    name: str
    region: str | None
    status: str
    currency: str
    float_balance: int
    outstanding: int
    active_vouchers: int
    created_at: datetime


class AgentCreatedOut(AgentOut):
    login: StaffOut


class AgentPage(Output):
    items: list[AgentOut]
    next_cursor: str | None


class FloatFundIn(Input):
    amount: Annotated[int, Field(strict=True, gt=0, le=MAX_FUNDING)]
    idempotency_key: IdempotencyKey
    note: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


class FloatFundOut(Output):
    agent_id: int
    amount: int
    currency: str
    float_balance: int
    transfer_id: int
    replayed: bool


class VoucherIssueIn(Input):
    amount: Annotated[int, Field(strict=True, ge=MIN_VOUCHER, le=MAX_VOUCHER)]
    count: Annotated[int, Field(strict=True, ge=1, le=MAX_VOUCHERS_PER_ISSUE)] = 1
    expires_in_days: Annotated[int, Field(strict=True, ge=1, le=365)] = 30
    idempotency_key: IdempotencyKey = Field(default_factory=_new_key)

    @field_validator("amount")
    @classmethod
    def _even(cls, value: int) -> int:
        # The bonus is exactly half the face value, so the charge is exactly 150%.
        if value % 2:
            raise ValueError("must be an even number of minor units (the bonus is exactly half)")
        return value


class VoucherOut(Output):
    id: int
    batch_id: int
    agent_id: int
    code: str | None = None  # only in the issue response, once
    code_hint: str
    currency: str
    amount: int
    bonus: int
    status: str
    region: str | None
    issued_by: int
    cashier_id: int | None
    expires_at: datetime
    player_id: int | None
    redeemed_at: datetime | None
    closed_at: datetime | None
    created_at: datetime


class IssueOut(Output):
    batch_id: int
    agent_id: int
    currency: str
    amount: int
    bonus: int
    count: int
    charged: int
    float_balance: int
    expires_at: datetime
    replayed: bool
    vouchers: list[VoucherOut]


class VoucherPage(Output):
    items: list[VoucherOut]
    next_cursor: str | None


class RedeemIn(Input):
    code: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class RedeemBalances(Output):
    cash: int
    held_bonus: int


class RedeemOut(Output):
    player_id: int
    operator_id: int
    voucher_id: int
    login_code: str
    pin: str
    currency: str
    balances: RedeemBalances


class PlayerLoginIn(Input):
    login_code: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    pin: Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
    operator_slug: Slug | None = None


class PlayerLoginOut(Output):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_at: datetime
    player_id: int
    operator_id: int


class BonusOut(Output):
    state: str
    amount: int
    popup: bool
    granted_at: datetime | None


class PlayerBalances(Output):
    cash: int
    held_bonus: int
    reserved: int
    withdrawable: int


class PlayerMeOut(Output):
    player_id: int
    operator_id: int
    login_code: str | None
    agent_id: int | None
    currency: str
    balances: PlayerBalances
    bonus: BonusOut


class CashoutIn(Input):
    amount: Annotated[int, Field(strict=True, gt=0, le=MAX_FUNDING)]
    idempotency_key: IdempotencyKey = Field(default_factory=_new_key)


class CashoutResolveIn(Input):
    status: Literal["PAID", "REJECTED"]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None

    @model_validator(mode="after")
    def _reason_for_rejection(self) -> CashoutResolveIn:
        if self.status == "REJECTED" and not self.reason:
            raise ValueError("a rejection needs a reason")
        return self


class CashoutOut(Output):
    id: int
    player_id: int
    agent_id: int
    currency: str
    amount: int
    status: str
    reason: str | None
    resolved_by: int | None
    cashier_id: int | None
    resolved_at: datetime | None
    created_at: datetime


class CashoutPage(Output):
    items: list[CashoutOut]
    next_cursor: str | None
