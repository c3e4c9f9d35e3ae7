"""Background database work at a lower CPU priority: a PostgreSQL backend's autogroup nice.

Linux shares the CPU between sessions ("autogroups", on by default) before it shares it between
the processes of one session, and every PostgreSQL backend starts a session of its own. So one
backend busy with a long statement weighs as much as all of Croupier's worker processes
together, and a process's own nice value only ranks it inside its session. The analytics fold is
such work: 50-130 ms of one backend's CPU once a second under a full spin load, and the spins
that overlapped it took twice as long as the others (bench/RESULTS.md, sessions 14 and 16).

Raising the nice value of the fold's backend's session (``/proc/<pid>/autogroup``; raising needs
no privilege) spreads that burst out: at nice 5 the fold weighs a third of a worker session, so
it still gets its share on a busy box and keeps up, but it no longer takes a core from the
spins at once. Nice 19 starves it on a saturated box (freshness fell behind, session 14).

This only works when the backend runs on this machine and may be reniced by us (the embedded
server, or a PostgreSQL beside the app under the same user); elsewhere it does nothing.
"""

from __future__ import annotations

import asyncio
import errno
import os
from pathlib import Path

import asyncpg
import structlog

log = structlog.get_logger("croupier.db")

# A process without CAP_SYS_ADMIN may change an autogroup's nice once per 100 ms (the whole
# machine's): several workers starting together wait their turn.
_RATE_LIMIT_SECONDS = 0.11
_ATTEMPTS = 5


async def lower_priority(conn: asyncpg.Connection, nice: int) -> bool:
    """Give the session of the backend serving ``conn`` the nice value ``nice`` (1-19); whether
    it was done."""
    if not 0 < nice <= 19:
        raise ValueError(f"a background nice value is 1-19, not {nice}")
    pid = conn.get_server_pid()
    try:
        data_directory = await conn.fetchval("SELECT current_setting('data_directory')")
    except asyncpg.InsufficientPrivilegeError:  # not our server to manage
        log.info("background_priority_skipped", reason="data_directory not readable")
        return False
    if not is_local_backend(pid, data_directory):
        log.info("background_priority_skipped", reason="the server is not on this machine")
        return False
    error = _set_autogroup_nice(pid, nice)
    for _ in range(_ATTEMPTS - 1):
        if error is None or error.errno != errno.EAGAIN:
            break
        await asyncio.sleep(_RATE_LIMIT_SECONDS)
        error = _set_autogroup_nice(pid, nice)
    if error is not None:
        # No autogroups (kernel option off), or not allowed: run at normal priority.
        log.info("background_priority_skipped", reason=str(error))
        return False
    return True


def _set_autogroup_nice(pid: int, nice: int) -> OSError | None:
    # A write to /proc is a system call that returns at once, not disk I/O.
    try:
        Path(f"/proc/{pid}/autogroup").write_text(str(nice))
    except OSError as error:
        return error
    return None


def is_local_backend(pid: int, data_directory: str) -> bool:
    """Whether process ``pid`` of this machine serves the database at ``data_directory``: a
    backend works in its data directory. (A server elsewhere may have a backend whose pid is
    that of an unrelated process here.)"""
    try:
        return os.path.samefile(f"/proc/{pid}/cwd", data_directory)
    except OSError:
        return False
