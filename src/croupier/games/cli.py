"""``croupier games``: inspect the builtin slot games and their exact math."""

from __future__ import annotations

from fractions import Fraction

import typer
from rich.console import Console
from rich.table import Table

from croupier.games.engine import (
    GameNotFoundError,
    compute_capped_math,
    compute_math,
    get_game_definition,
    list_game_definitions,
)

games_app = typer.Typer(help="Builtin slot games: catalogue and exact math.", no_args_is_help=True)
_console = Console()


@games_app.callback()
def _games() -> None:
    """Builtin slot games: catalogue and exact math."""


@games_app.command("list")
def list_games() -> None:
    """List the builtin games with their limits and volatility."""
    table = Table(title="Builtin games")
    for column in ("Slug", "Name", "Version", "Volatility", "Lines", "Bet (minor units)"):
        table.add_column(column)
    for game in list_game_definitions():
        table.add_row(
            game.slug,
            game.name,
            game.version,
            game.volatility,
            str(game.n_lines),
            f"{game.min_bet}-{game.max_bet}, multiple of {game.n_lines}",
        )
    _console.print(table)


@games_app.command("math")
def show_math(game: str = typer.Argument(..., help="Game slug, e.g. pharaoh-gold.")) -> None:
    """Print a game's exact RTP, hit rate, volatility and maximum win (full enumeration)."""
    try:
        definition = get_game_definition(game)
    except GameNotFoundError:
        slugs = ", ".join(g.slug for g in list_game_definitions())
        _console.print(f"[red]Unknown game {game!r}.[/red] Known games: {slugs}")
        raise typer.Exit(code=2) from None
    with _console.status(f"Enumerating every reel stop of {definition.name}..."):
        result = compute_math(definition)
        capped = compute_capped_math(definition)

    table = Table(title=f"{definition.name} ({definition.slug} v{definition.version})")
    table.add_column("Per paid spin")
    table.add_column("Value", justify="right")
    table.add_row("RTP", _percent(result.rtp))
    if definition.free_spins is not None:
        table.add_row("  of which free spins", _percent(result.feature_rtp))
    table.add_row(
        "Hit rate (win > 0)", f"{_percent(result.hit_rate)} (1 in {_one_in(result.hit_rate)})"
    )
    table.add_row("P(win < stake)", _percent(result.p_loss))
    table.add_row("Volatility σ (× stake)", f"{result.sigma:.4f} ({definition.volatility})")
    table.add_row("Max win (× stake, theoretical)", f"{float(result.max_win_multiplier):,.2f}")
    if definition.free_spins is not None:
        trigger = result.feature_trigger_probability
        table.add_row("Free-spins trigger", f"{_percent(trigger)} (1 in {_one_in(trigger)})")
    cap = capped.cap_multiple
    table.add_row(f"RTP with wins capped at {cap}x (μ_C)", _percent(capped.mean))
    table.add_row(f"σ_C of the win capped at {cap}x", f"{capped.sigma:.4f}")
    large = capped.p_large
    table.add_row(
        f"P(win ≥ {cap}x stake)", f"{_percent(large)} (1 in {_one_in(large)})" if large else "0"
    )
    table.add_row("Stop combinations", f"{result.combinations:,}")
    _console.print(table)


def _percent(value: Fraction) -> str:
    return f"{float(value) * 100:.4f}%"


def _one_in(probability: Fraction) -> str:
    return f"{float(1 / probability):,.2f}"
