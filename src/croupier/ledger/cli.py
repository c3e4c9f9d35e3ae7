"""``croupier audit``: the ledger audit from the command line; exit code 1 if a check fails."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import asyncpg
import typer
from rich.console import Console
from rich.table import Table

from croupier.config import ConfigError, load_settings
from croupier.db.pool import asyncpg_dsn
from croupier.kit.tenancy import Scope
from croupier.ledger.audit import AuditReport, run_audit

console = Console()


def audit(
    operator_id: Annotated[
        int | None, typer.Option("--operator-id", min=1, help="Audit one operator only.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Embedded database folder.")
    ] = None,
) -> None:
    """Check the ledger: zero-sum transfers, balances = entries, no forbidden negatives,
    balanced books per operator, holds = reservations."""
    # Imported here: croupier.cli mounts this command, and owns how a database is reached.
    from croupier.cli import database

    try:
        settings = load_settings(**({"data_dir": data_dir} if data_dir else {}))
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    with database(settings) as url:
        report = asyncio.run(_audit(url, Scope(operator_id=operator_id)))
    if as_json:
        typer.echo(json.dumps(asdict(report), default=str, indent=2))
    else:
        _print(report)
    raise typer.Exit(0 if report.ok else 1)


async def _audit(url: str, scope: Scope) -> AuditReport:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return await run_audit(conn, scope)
    finally:
        await conn.close()


def _print(report: AuditReport) -> None:
    scope = f"operator {report.operator_id}" if report.operator_id else "all operators"
    table = Table(
        title=f"Ledger audit, {scope}: {report.accounts} accounts, {report.transfers} transfers, "
        f"{report.entries} entries ({report.duration_ms} ms)"
    )
    for column in ("check", "result", "offenders", "sample ids"):
        table.add_column(column)
    for check in report.checks:
        result = "[green]ok[/green]" if check.ok else "[red]FAILED[/red]"
        table.add_row(check.name, result, str(check.count), ", ".join(check.sample_ids))
    console.print(table)
    console.print("[green]The books balance.[/green]" if report.ok else "[red]Audit failed.[/red]")
