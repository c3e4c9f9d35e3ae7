"""The seed routes' rules: load the demo data, create bots, and run one simulation at a time in
the background of the serving process.

One run platform-wide: a session-level advisory lock, held on a connection of its own for as
long as the run lasts, is what a second start (in any worker process) collides with. The run's
live figures are known to the process running it; another process reports only that it runs.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog

from croupier.config import Settings
from croupier.kit.errors import ConflictError
from croupier.simulation.client import Tally
from croupier.simulation.simulator import SimulationConfig, simulate

log = structlog.get_logger("croupier.simulation.service")

_LOCK = 7_402_517_311  # pg advisory lock key: "a simulation is running"


class SimulationRunningError(ConflictError):
    code = "SIMULATION_RUNNING"
    default_message = "A simulation is already running; wait for it to end."


@dataclass
class _Run:
    config: SimulationConfig
    started_at: datetime
    task: asyncio.Task[Tally] | None = None
    tally: Tally = field(default_factory=Tally)
    error: str | None = None
    ended_at: datetime | None = None


_last: _Run | None = None


async def start_simulation(
    pool: asyncpg.Pool, settings: Settings, config: SimulationConfig
) -> dict[str, Any]:
    global _last
    conn = await pool.acquire()
    try:
        locked = await conn.fetchval("SELECT pg_try_advisory_lock($1)", _LOCK)
    except BaseException:
        await pool.release(conn)
        raise
    if not locked:
        await pool.release(conn)
        raise SimulationRunningError()
    run = _Run(config=config, started_at=datetime.now(UTC))
    run.task = asyncio.create_task(_execute(run, settings, pool, conn))
    _last = run
    log.info("simulation_requested", intensity=config.intensity, duration=config.duration)
    return _describe(run)


async def _execute(
    run: _Run, settings: Settings, pool: asyncpg.Pool, conn: asyncpg.Connection
) -> Tally:
    def on_tick(runtime: Any) -> None:
        run.tally = runtime.tally

    try:
        return await simulate(run.config, settings, on_tick=on_tick)
    except Exception as exc:  # reported by the status route; the process serves on
        run.error = f"{type(exc).__name__}: {exc}"
        log.exception("simulation_failed")
        return run.tally
    finally:
        run.ended_at = datetime.now(UTC)
        try:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK)
        finally:
            await pool.release(conn)


async def simulation_status(conn: asyncpg.Connection) -> dict[str, Any]:
    if _last is not None and _last.ended_at is None:
        return _describe(_last)
    elsewhere = await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
                            AND ((classid::bigint << 32) | objid::bigint) = $1)""",
        _LOCK,
    )
    if elsewhere:
        return {"state": "running", "details": "running in another worker process"}
    return _describe(_last) if _last is not None else {"state": "idle"}


def _describe(run: _Run) -> dict[str, Any]:
    tally = run.tally
    state = "running" if run.ended_at is None else ("failed" if run.error else "finished")
    return {
        "state": state,
        "intensity": run.config.intensity,
        "durationSeconds": run.config.duration,
        "startedAt": run.started_at.isoformat(),
        "endedAt": run.ended_at.isoformat() if run.ended_at else None,
        "bets": tally.bets,
        "events": dict(tally.events),
        "requests": sum(tally.requests.values()),
        "serverErrors": tally.server_errors,
        "error": run.error,
    }
