"""Bodies of the JSON reports: ``(head dict, {member: big frame})`` for :func:`.report.write_json`.

Money is always integer minor units of the reporting currency (``*_minor``); ratios are
floats rounded to 6 places. Each report states its definition next to the figures.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from .chargebacks import adjusted_revenue, chargeback_rates
from .config import DUPLICATE_AF, MATCHED_OUTCOMES, PipelineConfig
from .reconcile import Reconciliation
from .report import json_float
from .roas import totals
from .schema import CAMPAIGN_KEY

Report = tuple[dict[str, Any], dict[str, pl.DataFrame]]


def _rounded(df: pl.DataFrame, *columns: str) -> pl.DataFrame:
    return df.with_columns(pl.col(c).round(6) for c in columns)


def reconciliation(recon: Reconciliation, curated: pl.DataFrame, cfg: PipelineConfig) -> Report:
    """Counts per outcome, match rate, and every pair (or lone row) with its deltas."""
    pairs = curated.select(
        "outcome",
        "event_id",
        "psp_txn_id",
        "player_id",
        "currency",
        "af_amount_minor",
        pl.when(pl.col("psp_txn_id").is_not_null())
        .then(pl.col("amount_minor"))
        .alias("pg_amount_minor"),
        "delta_seconds",
        pl.lit(None, dtype=pl.String).alias("duplicate_of"),
    )
    dups = recon.pairs.filter(pl.col("outcome") == DUPLICATE_AF).select(
        "outcome", "event_id", "duplicate_of"
    )
    pairs = pl.concat([pairs, dups], how="diagonal_relaxed")
    head = {
        "counts": recon.counts,
        "matched": sum(recon.counts[o] for o in MATCHED_OUTCOMES),
        "match_rate": json_float(recon.match_rate),
        "match_rate_definition": "matched / (matched + AF_ONLY); matched = "
        + " + ".join(MATCHED_OUTCOMES),
        "rules": {
            "window_seconds_inclusive": cfg.match_window_seconds,
            "amount_tolerance": f"max({cfg.amount_tolerance_min_minor} minor unit, "
            f"gateway amount / {cfg.amount_tolerance_ratio_denominator})",
            "gateway_time_column": cfg.gateway_time_column,
            "candidate_statuses": list(cfg.candidate_statuses),
        },
        "ignored_gateway_payments_by_status": recon.ignored_gateway_statuses,
    }
    return head, {"pairs": _rounded(pairs, "delta_seconds")}


def roas_report(
    rows: pl.DataFrame, as_of: date | None, cohort: date | None, cfg: PipelineConfig
) -> Report:
    """ROAS_D{window} per campaign key for the newest complete cohort."""
    head = {
        "as_of": as_of,
        "cohort_day": cohort,
        "window_days": cfg.roas_window_days,
        "reporting_currency": cfg.reporting_currency,
        "definition": "net matched revenue (gross - refunds - chargebacks, restated to the "
        "purchase) of players installed on cohort_day, from purchases on cohort_day .. "
        "cohort_day + window_days, divided by spend on cohort_day",
        "campaigns": _rounded(rows.drop("cohort_day"), "roas").to_dicts(),
        "total": {k: json_float(v) if k == "roas" else v for k, v in totals(rows).items()},
    }
    return head, {}


def anomaly_report(
    scored: pl.DataFrame, as_of: date | None, cohort: date | None, cfg: PipelineConfig
) -> Report:
    """Robust-z verdict per campaign for the cohort, plus every flag in the history."""
    columns = [*CAMPAIGN_KEY, "roas", "spend_minor", "baseline", "median", "mad", "z"]
    columns += ["evaluated", "flagged", "not_evaluated_reason"]
    today = scored.filter(pl.col("cohort_day") == cohort).sort(*CAMPAIGN_KEY)
    campaigns = [
        {
            **row,
            "z": json_float(row["z"]),
            "roas": json_float(row["roas"]),
            "median": json_float(row["median"]),
            "mad": json_float(row["mad"]),
            "baseline": [json_float(v) for v in row["baseline"]],
        }
        for row in today.select(columns).iter_rows(named=True)
    ]
    history = scored.filter(pl.col("flagged")).select(
        "cohort_day", *CAMPAIGN_KEY, "roas", "median", "z", "spend_minor"
    )
    head = {
        "as_of": as_of,
        "cohort_day": cohort,
        "metric": f"roas_d{cfg.roas_window_days}",
        "rule": {
            "z": "(x - median) / (1.4826 * MAD) over the same weekday of the previous weeks",
            "weeks": cfg.anomaly_weeks,
            "threshold_abs_z": cfg.anomaly_threshold,
            "min_spend_minor": cfg.anomaly_min_spend_minor,
            "min_history": cfg.anomaly_min_history,
            "mad_zero": "fall back to 1.2533 * mean absolute deviation; if that is 0 too, "
            "z = 0 for an identical value and +-inf (flagged) for any other",
        },
        "anomalies": [c for c in campaigns if c["flagged"]],
        "campaigns": campaigns,
        "history_flags": [
            {
                **r,
                "roas": json_float(r["roas"]),
                "median": json_float(r["median"]),
                "z": json_float(r["z"]),
            }
            for r in history.iter_rows(named=True)
        ],
    }
    return head, {}


def arpdau_report(table: pl.DataFrame, as_of: date | None, cfg: PipelineConfig) -> Report:
    """ARPDAU per campaign key on ``as_of`` (yesterday) and the all-campaign total."""
    day = table.filter(pl.col("day") == as_of).drop("day")
    dau = int(day["dau"].sum() or 0)
    revenue = int(day["net_revenue_minor"].sum() or 0)
    head = {
        "as_of": as_of,
        "day": as_of,
        "reporting_currency": cfg.reporting_currency,
        "definition": "net confirmed revenue of purchases made on the UTC day (reversals "
        "restated to the purchase; PG_ONLY counts as organic) / distinct players with a "
        "session that day; each player counted in one campaign",
        "campaigns": _rounded(
            day.sort("net_revenue_minor", descending=True), "arpdau_minor"
        ).to_dicts(),
        "total": {
            "dau": dau,
            "net_revenue_minor": revenue,
            "arpdau_minor": json_float(revenue / dau if dau else None),
        },
    }
    return head, {}


def chargeback_report(
    curated: pl.DataFrame, lines: pl.DataFrame, ignored: int, cfg: PipelineConfig
) -> Report:
    """Restated revenue per campaign x cohort, the cash view per day, and the rates."""
    cash = (
        lines.group_by("reversal_day", "kind")
        .agg(pl.len().alias("count"), pl.col("reporting_minor").sum().alias("amount_minor"))
        .sort("reversal_day", "kind")
    )
    rates = chargeback_rates(curated)
    head = {
        "reporting_currency": cfg.reporting_currency,
        "definition": "cohorts: confirmed purchases grouped by the purchase's campaign and "
        "install day, refunds and chargebacks subtracted from the purchase they reverse "
        "(install_day null = PG_ONLY, organic). cash_view: reversals on their own day.",
        "rates": {k: json_float(v) if isinstance(v, float) else v for k, v in rates.items()},
        "ignored_reversals": ignored,
        "cash_view": cash.to_dicts(),
        "cohorts": adjusted_revenue(curated).to_dicts(),
    }
    return head, {}


def bad_rows_report(bad: pl.DataFrame) -> Report:
    """Every excluded row: file, 1-based data row number (line = row + 1), reason."""
    by_file = dict(bad.group_by("file").len().sort("file").iter_rows())
    rows = bad.sort("file", "row").with_columns((pl.col("row") + 1).alias("line"))
    return {"count": bad.height, "by_file": by_file}, {"rows": rows}
