"""What the casino sends the demo provider (seed 003, steps 0a and 0b)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError
from pydantic.alias_generators import to_camel

from croupier.providers.jaqpot.errors import ProviderRequestError

Text = Annotated[StrictStr, Field(min_length=1, max_length=128)]
Id = Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]


class ProviderIn(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, strict=True)

    session_token: Text
    user_id: Id
    game_id: Text
    currency: Annotated[StrictStr, Field(pattern=r"^[A-Z]{3}$")]
    casino_code: Text


class LaunchIn(ProviderIn):
    casino_session_id: Id


class SimulateIn(ProviderIn):
    # A UUID we issued at launch; lax here, as JSON has no UUID type.
    provider_session_id: Annotated[uuid.UUID, Field(strict=False)]


M = TypeVar("M", bound=ProviderIn)


def parse(model: type[M], payload: Any) -> M:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise ProviderRequestError(f"Invalid request: {where}: {first['msg']}") from None
