"""``croupier vip``: VIP jobs from the command line."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from croupier.config import ConfigError, load_settings
from croupier.db.pool import create_pool
from croupier.vip.cashback import CashbackRun, run_due

vip_app = typer.Typer(help="VIP levels and rewards.", no_args_is_help=True)
console = Console()


@vip_app.callback()
def _vip() -> None:
    """VIP levels and rewards."""


@vip_app.command("cashback")
def cashback(
    at: Annotated[
        str | None,
        typer.Option("--at", help="Pay the last period complete at this ISO time (default: now)."),
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Embedded database folder.")
    ] = None,
) -> None:
    """Pay each operator's VIP cashback for its last complete period (each player once)."""
    # Imported here: croupier.cli mounts this command, and owns how a database is reached.
    from croupier.cli import database

    moment = _parse_moment(at)
    try:
        settings = load_settings(**({"data_dir": data_dir} if data_dir else {}))
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    with database(settings) as url:
        runs = asyncio.run(_run(url, moment))
    table = Table(title="VIP cashback")
    for column in ("operator", "period (UTC)", "players paid", "amount", "suppressed"):
        table.add_column(column)
    for run in runs:
        table.add_row(
            str(run.operator_id),
            f"{run.period_start:%Y-%m-%d %H:%M} – {run.period_end:%Y-%m-%d %H:%M}",
            str(run.paid),
            str(run.amount),
            str(run.suppressed),
        )
    console.print(table)


async def _run(url: str, moment: datetime) -> list[CashbackRun]:
    pool = await create_pool(url, min_size=1, max_size=2)
    try:
        return await run_due(pool, now=moment)
    finally:
        await pool.close()


def _parse_moment(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"expected an ISO date-time, got {value!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
