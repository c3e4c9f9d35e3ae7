"""Bodies of the operator's provider views and the platform's provider configuration."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator

from croupier.kit.schemas import Input, Output


class SessionOut(Output):
    id: int
    operator_id: int
    provider: str
    player_id: int
    game_id: int
    game_code: str
    currency: str
    provider_session_id: str | None
    expires_at: datetime
    superseded_at: datetime | None
    created_at: datetime


class RoundOut(Output):
    id: int
    operator_id: int
    provider: str
    round_id: str = Field(validation_alias="round_ref")
    player_id: int
    game_id: int
    game_code: str
    session_id: int
    currency: str
    status: str
    has_credit: bool
    live_debits: int
    debit_total: int
    credit_total: int
    refund_total: int
    created_at: datetime
    closed_at: datetime | None


class TransactionOut(Output):
    id: int
    operator_id: int
    provider: str
    transaction_id: str = Field(validation_alias="tx_ref")
    kind: str
    state: str
    player_id: int
    session_id: int | None
    round_id: str | None = Field(validation_alias="round_ref")
    currency: str
    amount: int
    reference_id: str | None = Field(validation_alias="reference_ref")
    rolled_back_by: str | None
    http_status: int | None
    error_code: str | None
    transfer_id: int | None
    response: Any = Field(default=None, validation_alias="response_body")
    created_at: datetime

    @field_validator("response", mode="before")
    @classmethod
    def _decode(cls, value: Any) -> Any:
        # The exact bytes the provider got (and gets again on a retry).
        return json.loads(value) if isinstance(value, bytes | bytearray | memoryview) else value


class SessionPage(Output):
    items: list[SessionOut]
    next_cursor: str | None


class RoundPage(Output):
    items: list[RoundOut]
    next_cursor: str | None


class TransactionPage(Output):
    items: list[TransactionOut]
    next_cursor: str | None


class RoundDetail(RoundOut):
    transactions: list[TransactionOut]


class ReconciliationRow(Output):
    day: date
    provider: str
    currency: str
    debit_count: int
    debit_sum: int
    credit_count: int
    credit_sum: int
    rollback_count: int
    rollback_sum: int
    tombstone_count: int
    rejected_count: int
    net: int


class DemoPlayerIn(Input):
    player_id: Annotated[int, Field(ge=1)]
    reset_balance: Annotated[int, Field(ge=0, le=2**53 - 1)] = 1_000_000


class DemoPlayerOut(Output):
    player_id: int
    operator_id: int
    reset_balance: int
    created_at: datetime


Code = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,62}$")]
BaseUrl = Annotated[str, Field(pattern=r"^https?://", max_length=500)]
Secret = Annotated[SecretStr, Field(min_length=16, max_length=200)]


class ProviderUpdate(Input):
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    casino_code: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    api_base_url: BaseUrl | None = None
    # Up to two live at once during a rotation; empty: CASINO_SECRET applies.
    callback_secrets: Annotated[list[Secret], Field(max_length=2)] | None = None
    outbound_secret: Secret | None = None
    is_default: bool | None = None
    token_ttl_seconds: Annotated[int, Field(ge=60, le=30 * 86400)] | None = None
    signature_skew_seconds: Annotated[int, Field(ge=1, le=3600)] | None = None
    status: Annotated[str, Field(pattern="^(active|disabled)$")] | None = None

    def changes(self) -> dict[str, Any]:
        values = self.model_dump(exclude_unset=True)
        if values.get("callback_secrets") is not None:
            values["callback_secrets"] = [s.get_secret_value() for s in values["callback_secrets"]]
        if isinstance(values.get("outbound_secret"), SecretStr):
            values["outbound_secret"] = values["outbound_secret"].get_secret_value()
        return values


class ProviderCreate(ProviderUpdate):
    code: Code
    name: Annotated[str, Field(min_length=1, max_length=200)]
    casino_code: Annotated[str, Field(min_length=1, max_length=100)]


class ProviderOut(Output):
    """Secrets are never shown, only how many are set."""

    id: int
    code: str
    name: str
    casino_code: str
    api_base_url: str | None
    callback_secret_count: int
    has_outbound_secret: bool
    is_default: bool
    token_ttl_seconds: int
    signature_skew_seconds: int
    status: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> ProviderOut:
        data = dict(row)
        data["callback_secret_count"] = len(data.pop("callback_secrets"))
        data["has_outbound_secret"] = data.pop("outbound_secret") is not None
        return cls.model_validate(data)
