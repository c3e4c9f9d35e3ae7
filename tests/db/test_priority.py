"""Background pools: their backends run at a lower CPU priority, and nothing else does."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from pydantic import ValidationError

from croupier.config import Settings
from croupier.db.pool import asyncpg_dsn, create_pool
from croupier.db.priority import is_local_backend, lower_priority

pytestmark = [
    pytest.mark.skipif(
        not Path("/proc/self/autogroup").exists(), reason="a kernel without autogroups"
    ),
    pytest.mark.skipif(
        bool(os.environ.get("CROUPIER_TEST_DATABASE_URL")),
        reason="a server of the caller's, maybe on another machine: only the embedded one is ours",
    ),
]


def autogroup_nice(pid: int) -> int:
    """The nice value of process ``pid``'s autogroup ("/autogroup-123 nice 5")."""
    return int(Path(f"/proc/{pid}/autogroup").read_text().split()[-1])


async def _data_directory(conn: asyncpg.Connection) -> str:
    return await conn.fetchval("SELECT current_setting('data_directory')")


async def test_a_background_pool_runs_its_backends_at_its_nice_and_other_pools_do_not(
    database_url: str,
) -> None:
    background = await create_pool(database_url, min_size=2, max_size=2, background_nice=7)
    normal = await create_pool(database_url, min_size=1, max_size=1)
    try:
        async with background.acquire() as first, background.acquire() as second:
            pids = {first.get_server_pid(), second.get_server_pid()}
            assert await first.fetchval("SELECT 1") == 1  # still an ordinary connection
        async with normal.acquire() as conn:
            other = conn.get_server_pid()
        assert len(pids) == 2
        assert {autogroup_nice(pid) for pid in pids} == {7}
        assert autogroup_nice(other) == 0  # each backend is a session (autogroup) of its own
    finally:
        await background.close()
        await normal.close()


async def test_the_apps_analytics_fold_runs_at_the_configured_nice_and_spins_do_not(
    app: Any, settings: Settings
) -> None:
    assert settings.analytics_fold_nice == 5  # the default
    async with app.state.analytics_pool.acquire() as conn:
        assert autogroup_nice(conn.get_server_pid()) == 5
    async with app.state.pool.acquire() as conn:
        assert autogroup_nice(conn.get_server_pid()) == 0
    async with app.state.spin_batcher.pool.acquire() as conn:
        assert autogroup_nice(conn.get_server_pid()) == 0


async def test_only_a_backend_of_the_server_at_that_data_directory_is_local(
    pool: asyncpg.Pool, tmp_path: Path
) -> None:
    async with pool.acquire() as conn:
        pid, data_directory = conn.get_server_pid(), await _data_directory(conn)
    assert is_local_backend(pid, data_directory)
    assert not is_local_backend(pid, str(tmp_path))  # a pid that is another server's backend
    assert not is_local_backend(os.getpid(), data_directory)  # a process that is no backend
    assert not is_local_backend(2**22 + 1, data_directory)  # above Linux's pid limit


@pytest.mark.parametrize("nice", [0, -5, 20])
async def test_a_nice_value_outside_1_to_19_is_refused_and_changes_nothing(
    pool: asyncpg.Pool, nice: int
) -> None:
    async with pool.acquire() as conn:
        with pytest.raises(ValueError, match="1-19"):
            await lower_priority(conn, nice)
        assert autogroup_nice(conn.get_server_pid()) == 0


async def test_a_role_that_may_not_read_the_data_directory_is_left_at_normal_priority(
    pool: asyncpg.Pool, database_url: str
) -> None:
    role, password = f"plain_{secrets.token_hex(4)}", secrets.token_hex(16)
    await pool.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    try:
        params = asyncpg_dsn(database_url)
        conn = await asyncpg.connect(params, user=role, password=password)
        try:
            assert not await lower_priority(conn, 5)
            assert autogroup_nice(conn.get_server_pid()) == 0
        finally:
            await conn.close()
    finally:
        await pool.execute(f"DROP ROLE {role}")


@pytest.mark.parametrize("nice", [-1, 20])
def test_the_fold_nice_setting_is_validated(nice: int) -> None:
    with pytest.raises(ValidationError, match="analytics_fold_nice"):
        Settings(analytics_fold_nice=nice)
