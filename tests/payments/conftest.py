"""Fixtures for the payments suite."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from tests.payments.helpers import World, build_world


@pytest.fixture
async def world(client: httpx.AsyncClient, pool: asyncpg.Pool) -> World:
    """One operator (alpha) with its admin and a KYC-verified player."""
    return await build_world(client, pool)


@pytest.fixture
async def world2(client: httpx.AsyncClient, pool: asyncpg.Pool) -> World:
    """Two operators (alpha, beta), for tenancy tests."""
    return await build_world(client, pool, operators=2)
