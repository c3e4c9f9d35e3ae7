"""``croupier db``: run the embedded PostgreSQL server in the background and inspect it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from croupier.config import ConfigError, get_settings
from croupier.db.embedded import EmbeddedPostgres, EmbeddedPostgresError, EmbeddedStatus

db_app = typer.Typer(help="The embedded PostgreSQL server.", no_args_is_help=True)
console = Console()
error_console = Console(stderr=True, soft_wrap=True)  # one line, however long

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        file_okay=False,
        help="Directory holding the cluster [default: CROUPIER_DATA_DIR, else .croupier].",
    ),
]


@contextmanager
def _server(data_dir: Path | None) -> Iterator[EmbeddedPostgres]:
    """The server for ``data_dir``; our errors become one line on stderr and exit code 1."""
    try:
        yield EmbeddedPostgres(data_dir or get_settings().data_dir)
    except (EmbeddedPostgresError, ConfigError) as exc:
        # The first line says what failed; the rest (a log tail) is in the log file it names.
        error_console.print(f"[red]error:[/red] {escape(str(exc).splitlines()[0])}")
        raise typer.Exit(1) from None


def _print_status(status: EmbeddedStatus) -> None:
    table = Table.grid(padding=(0, 2))
    state = "[green]running[/green]" if status.running else "[yellow]stopped[/yellow]"
    table.add_row("state", state)
    table.add_row("pid", str(status.pid or "-"))
    table.add_row("port", str(status.port or "-"))
    table.add_row("data dir", escape(str(status.data_dir)))
    console.print(table)


@db_app.command()
def start(data_dir: DataDir = None) -> None:
    """Start the server in the background; it keeps running after this command exits."""
    with _server(data_dir) as server:
        server.start_daemon()
        _print_status(server.status())


@db_app.command()
def stop(data_dir: DataDir = None) -> None:
    """Stop the server (fast shutdown: open transactions are rolled back)."""
    with _server(data_dir) as server:
        was_running = server.status().running
        server.stop_daemon()
    console.print("stopped" if was_running else "not running")


@db_app.command()
def status(data_dir: DataDir = None) -> None:
    """Show whether the server runs, its pid and port."""
    with _server(data_dir) as server:
        _print_status(server.status())


@db_app.command()
def url(data_dir: DataDir = None) -> None:
    """Print the connection URL (it contains the password)."""
    with _server(data_dir) as server:
        # Plain output: Rich would wrap a long URL, and scripts capture this.
        typer.echo(server.url())
