"""The platform clock of migration 0010_clock: rows a transaction writes by default carry
``croupier_now()``, which is the time set here (for history generated after the fact), else
``now()``."""

from __future__ import annotations

from datetime import datetime

import asyncpg


async def set_clock(conn: asyncpg.Connection, moment: datetime | None) -> None:
    """Rows written from here to the next call (or the end of the transaction) are dated
    ``moment``; None goes back to real time."""
    value = moment.isoformat() if moment is not None else ""
    await conn.execute("SELECT set_config('croupier.clock', $1, true)", value)
