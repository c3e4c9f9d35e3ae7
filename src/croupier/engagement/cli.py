"""``croupier pipeline``: the marketing data pipeline from the command line.

The lead mounts :data:`pipeline_app` on the main CLI. ``sample`` writes a realistic input
set; ``run`` turns a data directory into the reports and charts.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from .pipeline import PipelineConfig, run_pipeline
from .pipeline.io import InputSchemaError
from .pipeline.sample import generate_sample

pipeline_app = typer.Typer(
    name="pipeline",
    help="Marketing pipeline: AppsFlyer <-> gateway reconciliation, ROAS, ARPDAU, chargebacks.",
    no_args_is_help=True,
)
console = Console()


def _parse_day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise typer.BadParameter(f"expected YYYY-MM-DD, got {value!r}") from exc


@pipeline_app.command("run")
def run_command(
    data_dir: Path = typer.Option(Path("data"), "--data-dir", help="Folder with the input CSVs."),
    out: Path = typer.Option(Path("reports"), "--out", help="Folder for reports and charts."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="'Yesterday' (YYYY-MM-DD). Default: last complete day in the data."
    ),
    min_spend_minor: int = typer.Option(
        10_000, "--min-spend-minor", help="Spend (minor units) below which no anomaly is judged."
    ),
    time_column: str = typer.Option(
        "authorized_at", "--gateway-time", help="Gateway time of truth: authorized_at|captured_at."
    ),
    charts: bool = typer.Option(True, "--charts/--no-charts", help="Draw the PNG charts."),
) -> None:
    """Reconcile, compute ROAS / ARPDAU / chargeback-adjusted revenue, write reports."""
    if time_column not in ("authorized_at", "captured_at"):
        raise typer.BadParameter("--gateway-time must be authorized_at or captured_at")
    cfg = PipelineConfig(
        as_of=_parse_day(as_of),
        anomaly_min_spend_minor=min_spend_minor,
        gateway_time_column=time_column,
        charts=charts,
    )
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("starting", total=None)
        try:
            result = run_pipeline(
                data_dir, out, cfg, lambda step: progress.update(task, description=step)
            )
        except InputSchemaError as exc:
            console.print(f"[red]input error:[/red] {exc}")
            raise typer.Exit(code=2) from exc
    table = Table(title=f"Pipeline run, as of {result.as_of} (ROAS cohort {result.cohort_day})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for outcome, count in result.counts.items():
        table.add_row(outcome, f"{count:,}")
    rate = "n/a" if result.match_rate is None else f"{result.match_rate:.2%}"
    table.add_row("match rate", rate)
    table.add_row("bad rows (excluded)", f"{result.bad_rows:,}")
    table.add_row("ROAS anomalies", str(result.anomalies))
    for step, seconds in result.timings.items():
        table.add_row(f"time: {step}", f"{seconds:.2f} s")
    console.print(table)
    console.print(f"Reports in [bold]{out}[/bold]: {', '.join(p.name for p in result.outputs)}")


@pipeline_app.command("sample")
def sample_command(
    rows: int = typer.Option(100_000, "--rows", min=50, help="Raw AppsFlyer purchase rows."),
    data_dir: Path = typer.Option(Path("data"), "--data-dir", help="Where to write the CSVs."),
    seed: int = typer.Option(7, "--seed", help="Random seed; the same seed gives the same files."),
) -> None:
    """Write a realistic input set (duplicates, late confirmations, DST night, anomalies...)."""
    start = time.perf_counter()
    with console.status(f"generating {rows:,} purchase rows"):
        summary = generate_sample(data_dir, rows, seed)
    table = Table(title=f"Sample written to {data_dir} in {time.perf_counter() - start:.1f} s")
    table.add_column("file")
    table.add_column("rows", justify="right")
    for name, count in summary.rows.items():
        table.add_row(name, f"{count:,}")
    console.print(table)
    anomaly = summary.anomaly
    console.print(
        f"Last complete day {summary.as_of}; injected ROAS anomaly: {anomaly['media_source']} / "
        f"{anomaly['campaign']} / {anomaly['adset']} on cohort {anomaly['cohort_day']}."
    )
