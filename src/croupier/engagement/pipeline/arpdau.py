"""ARPDAU per campaign key and UTC day (analytics.md B1: ``revenue_day / DAU_day``).

* DAU: distinct players with at least one session that UTC day.
* Each player belongs to exactly one campaign key, so campaign DAUs add up to the total:
  the attribution on their earliest session that carries one, else the attribution of
  their earliest AppsFlyer purchase, else ``organic``.
* Revenue: net confirmed revenue (reporting currency, reversals restated to the purchase,
  as in ROAS) of purchases made that day. Matched purchases use the AppsFlyer attribution;
  ``PG_ONLY`` purchases are organic (B4.2). ``AF_ONLY`` was never paid and is excluded.
* For a period or a total: ``sum(revenue) / sum(DAU)``, never an average of daily ratios.
"""

from __future__ import annotations

import polars as pl

from .config import NO_VALUE, ORGANIC
from .schema import CAMPAIGN_KEY


def player_attribution(sessions: pl.DataFrame, purchases: pl.DataFrame) -> pl.DataFrame:
    """One campaign key per player (see module docstring for the precedence)."""
    from_sessions = (
        sessions.filter(pl.col("media_source").is_not_null())
        .sort("session_start_ts", "row", nulls_last=True)
        .group_by("player_id", maintain_order=True)
        .first()
        .select("player_id", *(pl.col(c).alias(f"s_{c}") for c in CAMPAIGN_KEY))
    )
    from_purchases = (
        purchases.sort("ts", "row")
        .group_by("player_id", maintain_order=True)
        .first()
        .select("player_id", *(pl.col(c).alias(f"p_{c}") for c in CAMPAIGN_KEY))
    )
    players = sessions.select("player_id").unique()
    df = players.join(from_sessions, on="player_id", how="left").join(
        from_purchases, on="player_id", how="left"
    )
    has_session_source = pl.col("s_media_source").is_not_null()
    defaults = {"media_source": ORGANIC, "campaign": NO_VALUE, "adset": NO_VALUE}
    return df.select(
        "player_id",
        *(
            pl.when(has_session_source)
            .then(pl.col(f"s_{c}").fill_null(NO_VALUE))
            .otherwise(pl.col(f"p_{c}"))
            .fill_null(defaults[c])
            .alias(c)
            for c in CAMPAIGN_KEY
        ),
    )


def daily_arpdau(
    curated: pl.DataFrame, sessions: pl.DataFrame, purchases: pl.DataFrame
) -> pl.DataFrame:
    """(day, campaign key) -> dau, net_revenue_minor, arpdau_minor."""
    attribution = player_attribution(sessions, purchases)
    dau = (
        sessions.select("player_id", "day")
        .unique()
        .join(attribution, on="player_id", how="left")
        .group_by("day", *CAMPAIGN_KEY)
        .agg(pl.len().alias("dau"))
    )
    revenue = (
        curated.filter(pl.col("revenue_minor").is_not_null())
        .group_by(pl.col("purchase_day").alias("day"), *CAMPAIGN_KEY)
        .agg(pl.col("net_revenue_minor").sum())
    )
    table = dau.join(revenue, on=["day", *CAMPAIGN_KEY], how="full", coalesce=True)
    table = table.with_columns(pl.col("dau").fill_null(0), pl.col("net_revenue_minor").fill_null(0))
    arpdau = pl.when(pl.col("dau") > 0).then(pl.col("net_revenue_minor") / pl.col("dau"))
    return table.with_columns(arpdau.alias("arpdau_minor")).sort("day", *CAMPAIGN_KEY)


def daily_totals(table: pl.DataFrame) -> pl.DataFrame:
    """All campaigns per day: sum(revenue) / sum(DAU)."""
    df = table.group_by("day").agg(pl.col("dau").sum(), pl.col("net_revenue_minor").sum())
    arpdau = pl.when(pl.col("dau") > 0).then(pl.col("net_revenue_minor") / pl.col("dau"))
    return df.with_columns(arpdau.alias("arpdau_minor")).sort("day")
