"""The ``croupier`` command line."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from rich.console import Console

from croupier.config import ConfigError, Settings, load_settings
from croupier.db.cli import db_app
from croupier.db.embedded import EmbeddedPostgres
from croupier.db.migrate import upgrade
from croupier.engagement.cli import pipeline_app
from croupier.games.cli import games_app
from croupier.ledger.cli import audit
from croupier.providers.cli import simulate
from croupier.simulation.cli import bots_app, seed_app
from croupier.vip.cli import vip_app
from croupier.web import workers as worker_processes

app = typer.Typer(help="Croupier: multi-operator casino platform backend.", no_args_is_help=True)
app.add_typer(db_app, name="db", help="Manage the embedded PostgreSQL server.")
app.add_typer(games_app, name="games", help="Builtin slot games and their exact maths.")
app.add_typer(pipeline_app, name="pipeline", help="The marketing data pipeline (seed 004).")
app.add_typer(vip_app, name="vip", help="VIP levels and periodic cashback.")
app.add_typer(seed_app, name="seed", help="Demo data: static casino, bot players, past activity.")
app.add_typer(bots_app, name="bots", help="Bot players acting through the HTTP API.")
app.command(help="Check the ledger's invariants; exit code 1 if any fails.")(audit)
app.command(help="Run seed 003's provider round and print its table with real balances.")(simulate)
console = Console()

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Embedded database folder.")]
Host = Annotated[str | None, typer.Option("--host")]
Port = Annotated[int | None, typer.Option("--port")]
Workers = Annotated[int | None, typer.Option("--workers", help="HTTP worker processes.")]


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


@contextmanager
def database(settings: Settings) -> Iterator[str]:
    """DATABASE_URL if set; otherwise the embedded server (started here, stopped on exit)."""
    if settings.database_url:
        yield settings.database_url
        return
    embedded = EmbeddedPostgres(settings.data_dir)
    with embedded.running() as url:
        yield url


def _serve(settings: Settings, url: str) -> None:
    # Workers are separate processes: they read the URL from the environment.
    if not settings.database_url:
        url = EmbeddedPostgres(settings.data_dir).local_url()  # our own server: its socket
    os.environ["DATABASE_URL"] = url
    options: dict[str, Any] = {
        "factory": True,
        "host": settings.host,
        "port": settings.port,
        "workers": settings.workers,
        "access_log": False,
        "log_level": "warning",
    }
    config = uvicorn.Config("croupier.app:create_app", **options)
    if config.workers > 1 and worker_processes.available(config):
        # Each worker accepts on a socket of its own, so connections spread over all of them.
        raise typer.Exit(worker_processes.run(config))
    uvicorn.run("croupier.app:create_app", **options)


@app.command()
def up(
    host: Host = None,
    port: Port = None,
    data_dir: DataDir = None,
    workers: Workers = None,
    no_demo: Annotated[bool, typer.Option("--no-demo", help="Skip the demo data.")] = False,
) -> None:
    """Start everything: embedded database, migrations, demo data, HTTP server."""
    settings = _settings(host=host, port=port, data_dir=data_dir, workers=workers)
    with database(settings) as url:
        console.print("[bold]Migrating[/bold] the database…")
        upgrade(url)
        if not no_demo:
            from croupier.simulation.static_seed import load_static_demo

            logins = load_static_demo(url, settings)
            _print_logins(logins)
        base = f"http://{settings.host}:{settings.port}"
        console.print(f"[green]Croupier[/green] on {base} — API docs at {base}/docs")
        _serve(settings, url)


@app.command()
def serve(
    host: Host = None, port: Port = None, workers: Workers = None, data_dir: DataDir = None
) -> None:
    """Serve HTTP only: on DATABASE_URL, or on an embedded server from `croupier db start`."""
    settings = _settings(host=host, port=port, workers=workers, data_dir=data_dir)
    url = settings.database_url
    if not url:
        status = EmbeddedPostgres(settings.data_dir).status()
        if not status.running or not status.url:
            console.print(
                "[red]DATABASE_URL is not set and no embedded server is running "
                "(start one with: croupier db start)[/red]"
            )
            raise typer.Exit(2)
        url = status.url
    _serve(settings, url)


@app.command(name="compile")
def compile_native(
    clean: Annotated[bool, typer.Option("--clean", help="Remove the build instead.")] = False,
    status: Annotated[bool, typer.Option("--status", help="Say which build runs.")] = False,
) -> None:
    """Compile the spin's hot modules to C with mypyc (optional: everything runs without it)."""
    from croupier import NATIVE_UNUSED, native

    if clean:
        for path in native.clean():
            console.print(f"removed {path}")
        return
    if status:
        compiled = native.loaded_compiled()
        console.print(f"{len(compiled)} of {len(native.MODULES)} hot modules run compiled.")
        if NATIVE_UNUSED:
            console.print(f"The build is not used: {NATIVE_UNUSED}.")
        return
    if NATIVE_UNUSED:
        console.print(f"The current build is not used: {NATIVE_UNUSED}.")
    console.print(f"[bold]Compiling[/bold] {len(native.MODULES)} modules with mypyc…")
    native.build()
    console.print("Compiled. Processes started from now on run the compiled modules.")


@app.command()
def migrate(data_dir: DataDir = None) -> None:
    """Apply database migrations."""
    settings = _settings(data_dir=data_dir)
    with database(settings) as url:
        upgrade(url)
    console.print("Migrations are current.")


def _print_logins(logins: list[tuple[str, str, str, str]]) -> None:
    from rich.table import Table

    table = Table(title="Demo logins (POST /api/v1/auth/login)")
    for column in ("role", "operatorSlug", "email / username", "password"):
        table.add_column(column, overflow="fold")
    for row in logins:
        table.add_row(*row)
    console.print(table)
