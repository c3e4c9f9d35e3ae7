"""Orchestrate one pipeline run: load -> reconcile -> settle -> metrics -> reports -> charts.

Each step is timed (``RunResult.timings``) so the benchmark and the CLI can show where the
time goes. The JSON report bodies are built in :mod:`.outputs`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from . import charts, outputs
from .anomaly import robust_z
from .arpdau import daily_arpdau, daily_totals
from .chargebacks import reversal_lines
from .config import PipelineConfig
from .curated import build_curated
from .io import BAD_ROWS_SCHEMA, Inputs, load_inputs
from .reconcile import reconcile
from .report import write_curated, write_json
from .roas import cohort_roas, latest_complete_cohort, roas_for_cohort
from .schema import CAMPAIGN_KEY

Progress = Callable[[str], None]


@dataclass(slots=True)
class RunResult:
    """What a run produced, for the CLI summary and the benchmark."""

    as_of: date | None
    cohort_day: date | None
    counts: dict[str, int]
    match_rate: float | None
    bad_rows: int
    anomalies: int
    rows_in: dict[str, int]
    timings: dict[str, float] = field(default_factory=dict)
    outputs: list[Path] = field(default_factory=list)


def last_complete_day(inputs: Inputs) -> date | None:
    """The UTC day before the one holding the newest purchase (that day may be partial)."""
    newest = inputs.purchases["ts"].max()
    if newest is not None:
        return newest.date() - timedelta(days=1)  # type: ignore[union-attr]
    newest_cost = inputs.costs["day"].max()
    return newest_cost if isinstance(newest_cost, date) else None


@contextmanager
def _timed(timings: dict[str, float], name: str, progress: Progress | None) -> Iterator[None]:
    if progress:
        progress(name)
    start = time.perf_counter()
    yield
    timings[name] = time.perf_counter() - start


def run_pipeline(
    data_dir: Path,
    out_dir: Path,
    cfg: PipelineConfig | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Run every step over ``data_dir`` and write all reports into ``out_dir``."""
    cfg = cfg or PipelineConfig()
    t: dict[str, float] = {}
    with _timed(t, "load", progress):
        inputs = load_inputs(data_dir, cfg)
    out_dir.mkdir(parents=True, exist_ok=True)  # only once the inputs are known to be usable
    with _timed(t, "reconcile", progress):
        recon = reconcile(inputs.purchases, inputs.payments, cfg)
    with _timed(t, "settle", progress):
        lines, bad_reversals, ignored = reversal_lines(inputs.reversals, inputs.payments, cfg)
        curated = build_curated(recon, inputs.purchases, inputs.payments, lines, cfg)
        bad = pl.concat([inputs.bad_rows, bad_reversals.cast(BAD_ROWS_SCHEMA)])  # type: ignore[arg-type]
    as_of = cfg.as_of or last_complete_day(inputs)
    cohort = latest_complete_cohort(as_of, cfg.roas_window_days) if as_of else None
    with _timed(t, "metrics", progress):
        roas = cohort_roas(curated, inputs.costs, cfg.roas_window_days)
        scored = robust_z(
            roas.rename({"cohort_day": "day"}),
            CAMPAIGN_KEY,
            "roas",
            weeks=cfg.anomaly_weeks,
            min_spend=cfg.anomaly_min_spend_minor,
            min_history=cfg.anomaly_min_history,
            threshold=cfg.anomaly_threshold,
        ).rename({"day": "cohort_day"})
        arpdau = daily_arpdau(curated, inputs.sessions, inputs.purchases)
        arpdau_totals = daily_totals(arpdau)
    written: list[Path] = []
    with _timed(t, "write", progress):
        files = {
            "reconciliation.json": outputs.reconciliation(recon, curated, cfg),
            "roas_d1.json": outputs.roas_report(roas_for_cohort(roas, cohort), as_of, cohort, cfg),
            "roas_anomaly.json": outputs.anomaly_report(scored, as_of, cohort, cfg),
            "arpdau_d1.json": outputs.arpdau_report(arpdau, as_of, cfg),
            "revenue_chargeback_adjusted.json": outputs.chargeback_report(
                curated, lines, ignored, cfg
            ),
            "bad_rows.json": outputs.bad_rows_report(bad),
        }
        for name, (head, frames) in files.items():
            write_json(out_dir / name, head, frames)
            written.append(out_dir / name)
        write_curated(out_dir / "purchases_curated.csv", curated)
        written.append(out_dir / "purchases_curated.csv")
    if cfg.charts:
        with _timed(t, "charts", progress):
            written += _draw(out_dir, scored, cohort, arpdau, arpdau_totals, curated, as_of, cfg)
    t["total"] = sum(t.values())
    flagged = scored.filter(pl.col("flagged") & (pl.col("cohort_day") == cohort)).height
    return RunResult(
        as_of=as_of,
        cohort_day=cohort,
        counts=recon.counts,
        match_rate=recon.match_rate,
        bad_rows=bad.height,
        anomalies=flagged,
        rows_in={
            "purchases": inputs.purchases.height,
            "payments": inputs.payments.height,
            "reversals": inputs.reversals.height,
            "costs": inputs.costs.height,
            "sessions": inputs.sessions.height,
        },
        timings=t,
        outputs=sorted(written),
    )


def _draw(
    out_dir: Path,
    scored: pl.DataFrame,
    cohort: date | None,
    arpdau: pl.DataFrame,
    arpdau_totals: pl.DataFrame,
    curated: pl.DataFrame,
    as_of: date | None,
    cfg: PipelineConfig,
) -> list[Path]:
    paths = [out_dir / n for n in ("roas_by_campaign.png", "arpdau_trend.png", "match_rate.png")]
    title = f"ROAS D{cfg.roas_window_days}, install cohort {cohort} (red: anomaly)"
    charts.roas_by_campaign(paths[0], scored.filter(pl.col("cohort_day") == cohort), title)
    start = (as_of or date.max) - timedelta(days=cfg.arpdau_trend_days - 1)
    window = (pl.col("day") >= start) & (pl.col("day") <= (as_of or date.max))
    charts.arpdau_trend(paths[1], arpdau.filter(window), arpdau_totals.filter(window))
    charts.match_rate(paths[2], curated)
    return paths
