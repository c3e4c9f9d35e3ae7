"""Per-operator bonus defaults, read from ``operators.settings["bonuses"]`` (camelCase keys).

Seed 002 §5.5: deposits are wagered 1×, bonuses N×. ``wageringMultiplier`` is N for VIP
rewards and the default for new rules; a rule may set its own.
"""

from __future__ import annotations

from typing import Annotated

import asyncpg
import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from croupier.operators import service as operators

log = structlog.get_logger("croupier.bonuses")

Multiplier = Annotated[int, Field(ge=0, le=200)]


class BonusSettings(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    deposit_wagering_multiplier: Multiplier = 1
    wagering_multiplier: Multiplier = 30
    cashback_wagering_multiplier: Multiplier = 1
    valid_days: Annotated[int, Field(ge=1, le=365)] = 30
    # A deposit's own turnover requirement lapses after this long.
    deposit_wagering_days: Annotated[int, Field(ge=1, le=3650)] = 365


DEFAULTS = BonusSettings()


async def bonus_settings(conn: asyncpg.Connection, operator_id: int) -> BonusSettings:
    raw = (await operators.operator_settings(conn, operator_id)).get("bonuses")
    if not raw:
        return DEFAULTS
    try:
        return BonusSettings.model_validate(raw)
    except ValidationError as exc:
        log.error("bonus_settings_invalid", operator_id=operator_id, error=str(exc)[:500])
        return DEFAULTS
