"""``croupier simulate``: seed 003's ``pnpm simulate``, against a running server."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from croupier.config import ConfigError, load_settings

# Seed 003's "Expected Simulation Output": the balance after each of the nine steps.
SEED_BALANCES = (
    1_000_000,
    999_000,
    998_000,
    999_000,
    1_001_000,
    1_001_000,
    1_001_000,
    1_001_000,
    1_001_000,
)

console = Console()


def _amount(amount: int | None) -> str:
    if amount is None:
        return "--"
    return f"{amount:+,}" if amount else "0"


def seed_table(report: dict[str, Any]) -> tuple[Table, bool]:
    """The seed's table with the balances the casino actually reported, and whether every
    step matches the seed."""
    table = Table(
        title=f"Seed 003 round {report.get('roundId')} (user {report.get('userId')}, "
        f"{report.get('gameCode')})"
    )
    for column in ("Step", "Action", "Amount", "Balance After", "HTTP", "Validates", ""):
        table.add_column(column)
    steps = report.get("steps", [])
    ok = len(steps) == len(SEED_BALANCES)
    for step, expected in zip(steps, SEED_BALANCES, strict=False):
        actual = step.get("balanceAfter")
        matches = actual == str(expected)
        ok &= matches
        table.add_row(
            str(step["step"]),
            step["action"],
            _amount(step["amount"]),
            f"{int(actual):,}" if actual and actual.isdigit() else str(actual),
            str(step["status"]),
            step["validates"],
            "[green]ok[/green]" if matches else f"[red]seed says {expected:,}[/red]",
        )
    return table, ok


def simulate(
    url: Annotated[
        str | None,
        typer.Option("--url", help="The running server; default http://CROUPIER_HOST:PORT."),
    ] = None,
    user_id: Annotated[int, typer.Option("--user-id", min=1)] = 1,
    game_id: Annotated[int, typer.Option("--game-id", min=1)] = 1,
    runs: Annotated[int, typer.Option("--runs", min=1, help="Rounds to play in a row.")] = 1,
) -> None:
    """Run seed 003's simulation (POST /casino/simulateRound) and print its table."""
    if url is None:
        try:
            settings = load_settings()
        except ConfigError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from None
        url = f"http://{settings.host}:{settings.port}"
    all_ok = True
    for _ in range(runs):
        try:
            response = httpx.post(
                f"{url.rstrip('/')}/casino/simulateRound",
                json={"userId": user_id, "gameId": game_id},
                timeout=60,
            )
        except httpx.HTTPError as exc:
            console.print(
                f"[red]No server at {url} ({type(exc).__name__}); start one with "
                "`croupier up`.[/red]"
            )
            raise typer.Exit(1) from None
        if response.status_code != 200:
            console.print(f"[red]{response.status_code}: {response.text}[/red]")
            raise typer.Exit(1)
        report = response.json()
        table, ok = seed_table(report)
        console.print(table)
        final = int(report["finalBalance"])
        console.print(
            f"Final balance: {final:,} cents (${final // 100:,}.{final % 100:02d})"
            + (" — as in the seed." if ok else " — [red]differs from the seed[/red].")
        )
        all_ok &= ok
    if not all_ok:
        raise typer.Exit(1)
