"""Run the marketing pipeline in the background for one operator, as a job with a status.

Starting a run writes a ``pipeline_jobs`` row (queued) in the request's unit of work; once that
commits, an asyncio task in this process claims it (running), exports the operator's data
(:mod:`.platform_source`) or takes a platform admin's data folder, runs the colleague's
pipeline in a worker thread, and records the outcome (succeeded/failed, summary, output
folder ``<data_dir>/reports/<operator slug>/<job id>``). A partial unique index allows one
unfinished run per operator, so a second start gets 409 even when both race.

A job whose process died stays unfinished; the next start of that operator closes it once it
has been untouched for :data:`STALE_AFTER_SECONDS`. :func:`shutdown` closes the jobs of a
process that stops cleanly.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import structlog

from croupier.auth.principal import Principal, Role
from croupier.config import Settings
from croupier.db.pool import unit_of_work
from croupier.engagement.api import job_queries, platform_source
from croupier.engagement.api.errors import PipelineAlreadyRunningError, PipelineSourceError
from croupier.engagement.pipeline import PipelineConfig, RunResult, run_pipeline
from croupier.engagement.pipeline.config import CURRENCY_EXPONENTS
from croupier.engagement.pipeline.io import InputSchemaError
from croupier.kit.errors import ForbiddenError, NotFoundError
from croupier.operators import service as operators

log = structlog.get_logger("croupier.engagement.pipeline_jobs")

STALE_AFTER_SECONDS = 3600
# Enough history for the anomaly baseline (same weekday over 8 weeks) plus the ROAS window.
EXPORT_DAYS = 120
# Runs are CPU-bound and draw with pyplot, whose state is global: one at a time per process.
_RUN_LOCK = threading.Lock()
_tasks: set[asyncio.Task[None]] = set()


async def start(
    conn: asyncpg.Connection,
    principal: Principal,
    *,
    operator_id: int | None,
    data_dir: str | None,
    as_of: date | None,
    charts: bool,
) -> asyncpg.Record:
    """Queue a run; the caller launches it (:func:`launch`) once the row is committed."""
    scope = principal.scope(operator_id)
    target = scope.require_operator()
    await operators.get_operator(conn, scope, target)
    folder = None
    if data_dir is not None:
        # The server's file system is the platform's, not an operator's.
        if principal.role is not Role.PLATFORM_ADMIN:
            raise ForbiddenError("Only a platform admin may run the pipeline on a data folder.")
        folder = await asyncio.to_thread(_existing_folder, data_dir)
    await job_queries.fail_stale(conn, target, STALE_AFTER_SECONDS)
    job = await job_queries.insert(
        conn,
        operator_id=target,
        source="data_dir" if folder else "platform",
        data_dir=folder,
        as_of=as_of,
        charts=charts,
        staff_id=principal.subject_id,
    )
    if job is None:
        raise PipelineAlreadyRunningError()
    log.info("pipeline_job_queued", job_id=job["id"], operator_id=target)
    return job


async def get(conn: asyncpg.Connection, principal: Principal, job_id: int) -> asyncpg.Record:
    job = await job_queries.get(conn, job_id)
    if job is None or not principal.scope().allows(job["operator_id"]):
        raise NotFoundError("Pipeline job not found.")
    return job


async def recent(
    conn: asyncpg.Connection, principal: Principal, *, operator_id: int | None, limit: int
) -> list[asyncpg.Record]:
    return await job_queries.recent(conn, principal.scope(operator_id), limit)


def _existing_folder(data_dir: str) -> str:
    path = Path(data_dir).resolve()
    if not path.is_dir():
        raise PipelineSourceError("dataDir is not a folder on the server.", field="dataDir")
    return str(path)


def reports_root(settings: Settings) -> Path:
    return settings.data_dir / "reports"


def launch(pool: asyncpg.Pool, settings: Settings, job_id: int) -> None:
    task = asyncio.get_running_loop().create_task(
        _run(pool, settings, job_id), name=f"pipeline-job-{job_id}"
    )
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def shutdown() -> None:
    """Stop this process's runs, marking them failed (for the app's lifespan, before the
    pool closes)."""
    for task in list(_tasks):
        task.cancel()
    await asyncio.gather(*_tasks, return_exceptions=True)


async def _run(pool: asyncpg.Pool, settings: Settings, job_id: int) -> None:
    try:
        async with unit_of_work(pool) as uow:
            job = await job_queries.mark_running(uow.conn, job_id)
        if job is None:
            return
        out_dir = reports_root(settings) / job["operator_slug"] / str(job_id)
        summary = await _execute(pool, job, out_dir)
        async with unit_of_work(pool) as uow:
            await job_queries.finish(
                uow.conn,
                job_id,
                status="succeeded",
                output_dir=str(out_dir),
                summary=summary,
                error=None,
            )
        log.info("pipeline_job_succeeded", job_id=job_id, operator_id=job["operator_id"])
    except asyncio.CancelledError:
        await _fail(pool, job_id, "interrupted: the server stopped during the run")
        raise
    except (InputSchemaError, PipelineSourceError) as exc:
        await _fail(pool, job_id, str(exc))
    except Exception:
        # The trace stays in the log; the operator sees no internals.
        log.exception("pipeline_job_crashed", job_id=job_id)
        await _fail(pool, job_id, f"internal error; see the server log for job {job_id}")


async def _execute(pool: asyncpg.Pool, job: asyncpg.Record, out_dir: Path) -> dict[str, Any]:
    if job["source"] == "data_dir":
        cfg = PipelineConfig(as_of=job["as_of"], charts=job["charts"])
        result = await asyncio.to_thread(_run_locked, Path(job["data_dir"]), out_dir, cfg)
        return _summary(result, exported=None)
    currency = job["currency"]
    if currency not in CURRENCY_EXPONENTS:
        raise PipelineSourceError(f"The pipeline does not know the currency {currency}.")
    as_of = job["as_of"] or datetime.now(UTC).date() - timedelta(days=1)
    since = datetime.combine(as_of - timedelta(days=EXPORT_DAYS), datetime.min.time(), UTC)
    cfg = PipelineConfig(as_of=as_of, charts=job["charts"], reporting_currency=currency)
    with tempfile.TemporaryDirectory(prefix="croupier-pipeline-") as folder:
        exported = await platform_source.export(
            pool, operator_id=job["operator_id"], since=since, into=Path(folder)
        )
        result = await asyncio.to_thread(_run_locked, exported.data_dir, out_dir, cfg)
    return _summary(result, exported=exported.rows)


def _run_locked(data_dir: Path, out_dir: Path, cfg: PipelineConfig) -> RunResult:
    with _RUN_LOCK:
        return run_pipeline(data_dir, out_dir, cfg)


def _summary(result: RunResult, *, exported: dict[str, int] | None) -> dict[str, Any]:
    return {
        "asOf": result.as_of.isoformat() if result.as_of else None,
        "cohortDay": result.cohort_day.isoformat() if result.cohort_day else None,
        "counts": result.counts,
        "matchRate": _finite(result.match_rate),
        "badRows": result.bad_rows,
        "anomalies": result.anomalies,
        "rowsIn": result.rows_in,
        "exportedRows": exported,
        "outputs": [path.name for path in result.outputs],
        "seconds": round(result.timings.get("total", 0.0), 3),
    }


def _finite(value: float | None) -> float | None:
    """JSON (and so jsonb) has no NaN: an undefined rate is null."""
    return None if value is None or math.isnan(value) else round(value, 6)


async def _fail(pool: asyncpg.Pool, job_id: int, error: str) -> None:
    log.warning("pipeline_job_failed", job_id=job_id, error=error)
    async with unit_of_work(pool) as uow:
        await job_queries.finish(
            uow.conn, job_id, status="failed", output_dir=None, summary=None, error=error[:1000]
        )
