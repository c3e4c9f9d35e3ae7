"""Session look-ups of concurrent requests, read with one statement (``kit.coalescing``).

A spin's request looks up its session outside any transaction (``web.deps``); under load the
look-ups of concurrent spins are read together (``token_hash = ANY(...)``).
"""

from __future__ import annotations

import asyncpg

from croupier.auth import queries
from croupier.kit.coalescing import CoalescedReads


class SessionReader(CoalescedReads[bytes, asyncpg.Record]):
    """``find(token_hash)``: the live session of this token (``queries.find_session``'s row),
    or None."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__(pool, queries.find_sessions)
