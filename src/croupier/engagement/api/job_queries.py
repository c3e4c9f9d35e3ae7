"""SQL of the pipeline job rows."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from croupier.kit.sql import Query
from croupier.kit.tenancy import Scope

_JOB = """j.id, j.operator_id, j.status, j.source, j.data_dir, j.as_of, j.charts, j.output_dir,
          j.summary, j.error, j.created_at, j.started_at, j.finished_at"""


async def fail_stale(conn: asyncpg.Connection, operator_id: int, stale_seconds: int) -> int:
    """Close unfinished jobs untouched for too long: their process died with them."""
    result = await conn.execute(
        """UPDATE pipeline_jobs SET status = 'failed', finished_at = now(), updated_at = now(),
                  error = 'abandoned: no progress for too long (the server probably restarted)'
           WHERE operator_id = $1 AND status IN ('queued', 'running')
             AND updated_at < now() - make_interval(secs => $2)""",
        operator_id,
        stale_seconds,
    )
    return int(result.rsplit(" ", 1)[-1])


async def insert(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    source: str,
    data_dir: str | None,
    as_of: date | None,
    charts: bool,
    staff_id: int | None,
) -> asyncpg.Record | None:
    """The queued job, or None if the operator already has an unfinished one."""
    return await conn.fetchrow(
        f"""INSERT INTO pipeline_jobs AS j (operator_id, source, data_dir, as_of, charts,
                                            created_by)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (operator_id) WHERE status IN ('queued', 'running') DO NOTHING
            RETURNING {_JOB}""",
        operator_id,
        source,
        data_dir,
        as_of,
        charts,
        staff_id,
    )


async def get(conn: asyncpg.Connection, job_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_JOB} FROM pipeline_jobs j WHERE j.id = $1", job_id)


async def recent(conn: asyncpg.Connection, scope: Scope, limit: int) -> list[Any]:
    query = scope.apply(Query(f"SELECT {_JOB} FROM pipeline_jobs j"), "j.operator_id")
    sql, args = query.tail("ORDER BY j.id DESC LIMIT {}", limit).build()
    return await conn.fetch(sql, *args)


async def mark_running(conn: asyncpg.Connection, job_id: int) -> asyncpg.Record | None:
    """Claim a queued job; with its operator's slug and currency for the run."""
    return await conn.fetchrow(
        f"""UPDATE pipeline_jobs j SET status = 'running', started_at = now(), updated_at = now()
            FROM operators o
            WHERE j.id = $1 AND j.status = 'queued' AND o.id = j.operator_id
            RETURNING {_JOB}, o.slug AS operator_slug, o.currency""",
        job_id,
    )


async def finish(
    conn: asyncpg.Connection,
    job_id: int,
    *,
    status: str,
    output_dir: str | None,
    summary: dict[str, Any] | None,
    error: str | None,
) -> None:
    await conn.execute(
        """UPDATE pipeline_jobs SET status = $2, output_dir = $3, summary = $4, error = $5,
                  finished_at = now(), updated_at = now()
           WHERE id = $1 AND status IN ('queued', 'running')""",
        job_id,
        status,
        output_dir,
        summary,
        error,
    )
