"""Bodies of the /casino/* calls, with seed 003's field names.

Strict on purpose (provider-wallet.md §2.8): amounts are JSON integers of minor units and
nothing else (no floats, strings, booleans, negatives or values beyond 2^53 - 1, the largest a
JavaScript peer holds exactly); ids are exact strings, never trimmed; unknown fields are refused.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError
from pydantic.alias_generators import to_camel

from croupier.providers.errors import InvalidRequestError

MAX_AMOUNT = 2**53 - 1
MAX_ID = 2**63 - 1

Amount = Annotated[StrictInt, Field(ge=0, le=MAX_AMOUNT)]
Stake = Annotated[StrictInt, Field(ge=1, le=MAX_AMOUNT)]
Ref = Annotated[StrictStr, Field(min_length=1, max_length=128)]
UserId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
Currency = Annotated[StrictStr, Field(pattern=r"^[A-Z]{3}$")]


class Wire(BaseModel):
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=False, strict=True
    )


class BalanceIn(Wire):
    session_token: Ref
    user_id: UserId


class MoneyIn(BalanceIn):
    transaction_id: Ref
    round_id: Ref
    # Optional in seed 003; when sent they must match the session.
    currency: Currency | None = None
    game_id: Ref | None = None


class DebitIn(MoneyIn):
    amount: Stake


class CreditIn(MoneyIn):
    amount: Amount
    related_transaction_id: Ref | None = None
    # A payout settles its round unless the provider says more results follow (cascades).
    round_closed: StrictBool | None = None


class RollbackIn(MoneyIn):
    original_transaction_id: Ref
    # Ignored: a rollback always refunds the stored original amount (no partial rollbacks).
    amount: Amount | None = None


class LaunchIn(Wire):
    user_id: UserId
    # The casino's game id (seed 003's simulateRound sends 1) or the game code ("SLOTS_001").
    game_id: UserId | Ref
    currency: Currency | None = None


class SimulateIn(Wire):
    user_id: UserId
    game_id: UserId | Ref


W = TypeVar("W", bound=Wire)


def parse(model: type[W], payload: Any) -> W:
    """Validate a decoded JSON body; any problem is a 400 INVALID_REQUEST naming the field."""
    if not isinstance(payload, dict):
        raise InvalidRequestError("Invalid request: the body must be a JSON object")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise InvalidRequestError(f"Invalid request: {where}: {first['msg']}") from None
