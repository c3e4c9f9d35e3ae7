"""Robust, seasonality-aware anomaly rule (analytics.md B4.3).

For each campaign-day value x (here ROAS_D1 of an install cohort) the baseline is the same
weekday in each of the previous ``weeks`` weeks, keeping only baseline days that were
themselves evaluable (spend >= the minimum and a value present)::

    z = (x - median) / (1.4826 * MAD)        flag when |z| >= 3.5

A day is evaluated only when its own spend >= ``min_spend`` (otherwise the ratio is noise)
and at least ``min_history`` baseline days exist.

MAD = 0 happens when more than half of the baseline values are identical (e.g. a campaign
with ROAS 0 most weeks). Dividing by zero would flag every change, so we fall back to the
mean absolute deviation scaled for consistency with a normal sigma (1.2533 * MeanAD, the
usual companion of the modified z-score). If that is 0 too - a perfectly constant
baseline - any departure is flagged (z = +-inf) and an identical value gets z = 0.
"""

from __future__ import annotations

import polars as pl

MAD_SCALE = 1.4826
MEAN_AD_SCALE = 1.253314


def robust_z(
    series: pl.DataFrame,
    keys: tuple[str, ...],
    value: str,
    *,
    weeks: int,
    min_spend: int,
    min_history: int,
    threshold: float,
) -> pl.DataFrame:
    """Add baseline, median, mad, z, evaluated and flagged to ``series``.

    ``series`` has one row per (keys..., ``day``) with ``value`` and ``spend_minor``.
    """
    usable = series.filter(
        (pl.col("spend_minor") >= min_spend) & pl.col(value).is_not_null()
    ).select(*keys, "day", value)
    shifted = pl.concat(
        usable.with_columns(pl.col("day") + pl.duration(days=7 * k)) for k in range(1, weeks + 1)
    )
    baseline = shifted.group_by(*keys, "day").agg(pl.col(value).sort().alias("baseline"))
    df = series.join(baseline, on=[*keys, "day"], how="left")
    deviation = (pl.element() - pl.element().median()).abs()
    df = df.with_columns(
        pl.col("baseline").fill_null([]).alias("baseline"),
        pl.col("baseline").list.median().alias("median"),
        pl.col("baseline").list.eval(deviation.median()).list.first().alias("mad"),
        pl.col("baseline").list.eval(deviation.mean()).list.first().alias("mean_ad"),
    )
    diff = pl.col(value) - pl.col("median")
    z = (
        pl.when(pl.col("mad") > 0)
        .then(diff / (MAD_SCALE * pl.col("mad")))
        .when(pl.col("mean_ad") > 0)
        .then(diff / (MEAN_AD_SCALE * pl.col("mean_ad")))
        .when(diff == 0)
        .then(0.0)
        .when(diff > 0)
        .then(float("inf"))
        .otherwise(float("-inf"))
    )
    reason = (
        pl.when(pl.col(value).is_null())
        .then(pl.lit("no value"))
        .when(pl.col("spend_minor") < min_spend)
        .then(pl.lit("spend below minimum"))
        .when(pl.col("baseline").list.len() < min_history)
        .then(pl.lit("insufficient history"))
    )
    df = df.with_columns(reason.alias("not_evaluated_reason"))
    evaluated = pl.col("not_evaluated_reason").is_null()
    df = df.with_columns(pl.when(evaluated).then(z).alias("z"), evaluated.alias("evaluated"))
    return df.with_columns((evaluated & (pl.col("z").abs() >= threshold)).alias("flagged"))
