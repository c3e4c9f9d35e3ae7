"""The three PNG charts, drawn with matplotlib's Agg backend (no display needed).

Charts are a convenience for people: a failure here must not lose the JSON reports, so
the runner draws them last, after every report is on disk.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import polars as pl

from .config import AF_ONLY, MATCHED_OUTCOMES


def _label(row: dict) -> str:
    return f"{row['media_source']} / {row['campaign']} / {row['adset']}"


def roas_by_campaign(path: Path, rows: pl.DataFrame, title: str) -> None:
    """Horizontal bars of ROAS per campaign key; flagged anomalies in red."""
    data = rows.filter(pl.col("roas").is_not_null()).sort("roas")
    height = max(3.0, 0.35 * data.height + 1.5)
    fig, ax = plt.subplots(figsize=(9, height))
    labels = [_label(r) for r in data.iter_rows(named=True)]
    colours = ["tab:red" if f else "tab:blue" for f in data["flagged"].fill_null(False)]
    ax.barh(labels, data["roas"].to_list(), color=colours)
    ax.set_xlabel("ROAS (net revenue / spend)")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def arpdau_trend(path: Path, table: pl.DataFrame, totals: pl.DataFrame, top: int = 5) -> None:
    """Daily ARPDAU (major units) of the total and of the top campaigns by revenue."""
    fig, ax = plt.subplots(figsize=(10, 5))
    ax.plot(
        totals["day"].to_list(),
        (totals["arpdau_minor"] / 100).to_list(),
        "k-",
        lw=2,
        label="all campaigns",
    )
    key = ["media_source", "campaign", "adset"]
    leaders = (
        table.group_by(key).agg(pl.col("net_revenue_minor").sum()).sort("net_revenue_minor")
    ).tail(top)
    for row in leaders.iter_rows(named=True):
        one = table.join(pl.DataFrame([row]).select(key), on=key).sort("day")
        ax.plot(
            one["day"].to_list(), (one["arpdau_minor"] / 100).to_list(), lw=1, label=_label(row)
        )
    ax.set_ylabel("ARPDAU (reporting currency, major units)")
    ax.set_title("ARPDAU trend")
    ax.legend(fontsize=7)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def match_rate(path: Path, curated: pl.DataFrame) -> None:
    """Daily match rate, matched / (matched + AF_ONLY), by AppsFlyer purchase day."""
    daily = (
        curated.filter(pl.col("event_id").is_not_null())
        .group_by("purchase_day")
        .agg(
            pl.col("outcome").is_in(list(MATCHED_OUTCOMES)).sum().alias("matched"),
            (pl.col("outcome") == AF_ONLY).sum().alias("af_only"),
        )
        .sort("purchase_day")
        .with_columns((pl.col("matched") / (pl.col("matched") + pl.col("af_only"))).alias("rate"))
    )
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.plot(daily["purchase_day"].to_list(), daily["rate"].to_list(), "g.-")
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("match rate")
    ax.set_title("AppsFlyer -> gateway match rate per day")
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
