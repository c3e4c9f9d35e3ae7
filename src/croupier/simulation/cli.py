"""``croupier seed static | bots N | history`` and ``croupier bots start``."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from croupier.config import ConfigError, Settings, load_settings
from croupier.db.pool import create_pool, unit_of_work
from croupier.simulation.client import Tally
from croupier.simulation.runtime import Runtime

seed_app = typer.Typer(help="Demo data: the static casino, bot players, past activity.")
bots_app = typer.Typer(help="Bot players acting through the HTTP API.")
console = Console()

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Embedded database folder.")]


@seed_app.callback()
def _seed() -> None:
    """Demo data: the static casino, bot players, past activity."""


@bots_app.callback()
def _bots() -> None:
    """Bot players acting through the HTTP API."""


def _settings(data_dir: Path | None) -> Settings:
    try:
        return load_settings(**({"data_dir": data_dir} if data_dir else {}))
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


@seed_app.command("static")
def static(data_dir: DataDir = None) -> None:
    """Load the static demo casino (idempotent: a second run changes nothing)."""
    # Imported here: croupier.cli mounts these commands and owns how a database is reached.
    from croupier.cli import database
    from croupier.simulation.static_seed import load_static_demo

    settings = _settings(data_dir)
    with database(settings) as url:
        logins = load_static_demo(url, settings)
    table = Table(title="Demo logins")
    for column in ("role", "operator", "login", "password"):
        table.add_column(column)
    for row in logins:
        table.add_row(*row)
    console.print(table)


@seed_app.command("bots")
def bots(
    count: Annotated[int, typer.Argument(min=1, max=100_000, help="How many bots to add.")],
    data_dir: DataDir = None,
) -> None:
    """Create COUNT bot players spread over the operators (about 0.3 s each: argon2)."""
    from croupier.cli import database

    settings = _settings(data_dir)
    with database(settings) as url:
        made = asyncio.run(_create_bots(url, settings, count))
    table = Table(title=f"{len(made)} bot players")
    for column in ("profile", "bots"):
        table.add_column(column)
    for profile in sorted({bot.profile for bot in made}):
        table.add_row(profile, str(sum(1 for bot in made if bot.profile == profile)))
    console.print(table)
    console.print("Passwords: HMAC of the username with CROUPIER_SECRET_KEY (see simulation.bots).")


async def _create_bots(url: str, settings: Settings, count: int) -> list:
    from croupier.simulation.bots import create_bots

    pool = await create_pool(url, min_size=1, max_size=2)
    made: list = []
    try:
        with _progress() as progress:
            task = progress.add_task("bots", total=count)
            while len(made) < count:
                # A unit of work per batch: an interrupted run keeps the bots made so far.
                async with unit_of_work(pool) as uow:
                    batch = await create_bots(
                        uow.conn,
                        settings,
                        min(20, count - len(made)),
                        on_created=lambda _: progress.advance(task),
                    )
                if not batch:
                    break
                made += batch
    finally:
        await pool.close()
    return made


@seed_app.command("history")
def history(
    days: Annotated[int, typer.Option("--days", min=1, max=3650)] = 90,
    bets: Annotated[int, typer.Option("--bets", min=1)] = 100_000,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=64, help="Units of work in flight, in all.")
    ] = 4,
    processes: Annotated[
        int, typer.Option("--processes", min=1, max=32, help="Python processes.")
    ] = 2,
    seed: Annotated[int | None, typer.Option("--seed", help="Reproducible plans.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Generate past play spread over the last DAYS days, through the live services."""
    from croupier.cli import database
    from croupier.simulation.backfill_parallel import backfill_in_processes

    settings = _settings(data_dir)
    with database(settings) as url, _progress() as progress:
        task = progress.add_task("bets", total=bets)
        try:
            report = backfill_in_processes(
                url,
                settings,
                days=days,
                bets=bets,
                concurrency=concurrency,
                processes=processes,
                seed=seed,
                progress=lambda n: progress.advance(task, n),
            )
        except LookupError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
    console.print(
        f"{report.bets:,} bets in {report.seconds:,.1f} s ({report.rate:,.0f} bets/s), "
        f"{report.deposits:,} deposits, {report.top_ups:,} operator top-ups, "
        f"{report.failed_units} failed units, {report.safety_skipped:,} rounds handed on "
        f"by safety pauses ({report.shortfall:,} never played); "
        f"from {report.first:%Y-%m-%d} to {report.last:%Y-%m-%d}; by operator {report.by_operator}"
    )


def _progress() -> Progress:
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def parse_duration(text: str) -> float:
    """'90s', '10m', '2h' or plain seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not match:
        raise typer.BadParameter("use e.g. 90s, 10m or 2h")
    return float(match[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[match[2]]


@bots_app.command("start")
def start(
    duration: Annotated[str, typer.Option("--duration", help="e.g. 90s, 10m, 2h")] = "10m",
    intensity: Annotated[str, typer.Option("--intensity", help="low | medium | high")] = "medium",
    bots_count: Annotated[
        int | None, typer.Option("--bots", min=1, help="How many bots (default: all).")
    ] = None,
    base_url: Annotated[str, typer.Option("--base-url")] = "http://127.0.0.1:8000",
    seed: Annotated[int | None, typer.Option("--seed")] = None,
) -> None:
    """Bots play a running Croupier (croupier up / serve) through its HTTP API until the
    duration ends or Ctrl-C; then a summary."""
    from croupier.simulation.simulator import SetupError, SimulationConfig, simulate

    if intensity not in ("low", "medium", "high"):
        raise typer.BadParameter("low, medium or high", param_hint="--intensity")
    settings = _settings(None)
    config = SimulationConfig(
        base_url=base_url.rstrip("/"),
        duration=parse_duration(duration),
        intensity=intensity,
        bots=bots_count,
        seed=seed,
    )
    with Live(console=console, refresh_per_second=4, transient=False) as live:
        try:
            tally = asyncio.run(
                simulate(
                    config, settings, on_tick=lambda rt: live.update(_live(rt)), handle_signals=True
                )
            )
        except SetupError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
    console.print(summary_table(tally))
    if tally.server_errors:
        raise typer.Exit(1)


def _live(rt: Runtime) -> Table:
    tally, elapsed = rt.tally, max(rt.elapsed(), 0.001)
    table = Table(title=f"Croupier bots — {elapsed:,.0f} s, simulated {rt.sim_now():%a %H:%M} UTC")
    for column in (
        "online",
        "bets",
        "bets/s",
        "deposits",
        "withdrawals",
        "vouchers",
        "safety",
        "5xx",
    ):
        table.add_column(column, justify="right")
    events = tally.events
    table.add_row(
        str(rt.online),
        f"{tally.bets:,}",
        f"{tally.bets / elapsed:,.1f}",
        f"{events['deposit']:,}",
        f"{events['withdrawal_requested']:,}/{events['withdrawal_approved']:,}",
        f"{events['voucher_redeemed']:,}",
        f"{events['safety_nudge']}/{events['safety_cooldown']}/{events['safety_stop']}",
        f"[red]{tally.server_errors}[/red]" if tally.server_errors else "0",
    )
    return table


def summary_table(tally: Tally) -> Table:
    table = Table(title="Simulation summary")
    table.add_column("what")
    table.add_column("count", justify="right")
    for status, n in sorted(tally.by_status().items()):
        table.add_row(f"HTTP {status or 'no answer'}", f"{n:,}")
    for event, n in sorted(tally.events.items()):
        table.add_row(event.replace("_", " "), f"{n:,}")
    table.add_row("bets (builtin + provider)", f"{tally.bets:,}")
    table.add_row("5xx responses", str(tally.server_errors))
    return table
