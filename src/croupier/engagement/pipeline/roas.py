"""ROAS per campaign key and install-date cohort (analytics.md B1 and B4.3).

``ROAS_d(cohort c) = net matched revenue of players installed on day c, from purchases
made on days c .. c+d (UTC calendar days) / spend on day c``. Net means gross minus
refunds minus chargebacks, restated to the original purchase whenever they happened.
Only matched purchases (``MATCHED_KEY``, ``MATCHED_FUZZY``, ``AMOUNT_MISMATCH``) count:
``AF_ONLY`` was never paid and ``PG_ONLY`` is organic. A purchase stamped before its
install (clock skew) counts as day 0. ROAS is null where there was no spend.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from .config import MATCHED_OUTCOMES
from .schema import CAMPAIGN_KEY

COHORT_KEY = ("cohort_day", *CAMPAIGN_KEY)


def cohort_roas(curated: pl.DataFrame, costs: pl.DataFrame, window_days: int) -> pl.DataFrame:
    """One row per (cohort_day, campaign key) with spend, revenue and ROAS_d."""
    age = (pl.col("purchase_day") - pl.col("install_day")).dt.total_days()
    revenue = (
        curated.filter(
            pl.col("outcome").is_in(list(MATCHED_OUTCOMES))
            & pl.col("install_day").is_not_null()
            & (age <= window_days)
        )
        .group_by(pl.col("install_day").alias("cohort_day"), *CAMPAIGN_KEY)
        .agg(
            pl.len().alias("purchases"),
            pl.col("revenue_minor").sum().alias("gross_revenue_minor"),
            (pl.col("refund_minor") + pl.col("chargeback_minor")).sum().alias("reversed_minor"),
            pl.col("net_revenue_minor").sum().alias("net_revenue_minor"),
        )
    )
    spend = costs.select(pl.col("day").alias("cohort_day"), *CAMPAIGN_KEY, "spend_minor")
    table = spend.join(revenue, on=list(COHORT_KEY), how="full", coalesce=True)
    filled = [
        pl.col(c).fill_null(0)
        for c in ("spend_minor", "purchases", "gross_revenue_minor", "reversed_minor")
    ]
    table = table.with_columns(*filled, pl.col("net_revenue_minor").fill_null(0))
    roas = pl.when(pl.col("spend_minor") > 0).then(
        pl.col("net_revenue_minor") / pl.col("spend_minor")
    )
    return table.with_columns(roas.alias("roas")).sort(*COHORT_KEY)


def latest_complete_cohort(as_of: date, window_days: int) -> date:
    """The newest cohort whose whole ROAS_d window (c .. c+d) has ended by ``as_of``."""
    return as_of - timedelta(days=window_days)


def roas_for_cohort(table: pl.DataFrame, cohort: date) -> pl.DataFrame:
    """The rows of ``table`` for one cohort day, best ROAS first."""
    return table.filter(pl.col("cohort_day") == cohort).sort(
        "roas", *CAMPAIGN_KEY, descending=[True, False, False, False], nulls_last=True
    )


def totals(rows: pl.DataFrame) -> dict[str, int | float | None]:
    """Ratio of sums over ``rows`` (B1: never an average of ratios)."""
    spend = int(rows["spend_minor"].sum() or 0)
    net = int(rows["net_revenue_minor"].sum() or 0)
    return {
        "spend_minor": spend,
        "net_revenue_minor": net,
        "roas": net / spend if spend else None,
    }
