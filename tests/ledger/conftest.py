"""The ledger suites' fixture: one operator's books, set up in SQL and through the ledger."""

from __future__ import annotations

import asyncpg
import pytest

from tests.ledger.helpers import Books, open_books


@pytest.fixture
async def books(pool: asyncpg.Pool) -> Books:
    async with pool.acquire() as conn:
        return await open_books(conn)
