"""The curated purchase table: one row per distinct purchase, with its money settled.

Built from the reconciliation pairs (``DUPLICATE_AF`` rows dropped). For a confirmed
purchase the gateway amount is the truth: ``revenue_minor`` is that amount in the
reporting currency at the payment's booking rate, and ``net_revenue_minor`` subtracts the
refunds and chargebacks restated to it. ``AF_ONLY`` rows keep their client-side amount but
have no revenue (B4.2: exclude them from ROAS). ``PG_ONLY`` rows are organic.
Every ROAS, ARPDAU and chargeback figure is an aggregate of this one table.
"""

from __future__ import annotations

import polars as pl

from .chargebacks import per_payment
from .config import DUPLICATE_AF, NO_VALUE, ORGANIC, PipelineConfig
from .money import to_reporting_minor
from .reconcile import Reconciliation

CURATED_COLUMNS = (
    "purchase_id",
    "outcome",
    "event_id",
    "psp_txn_id",
    "player_id",
    "order_id",
    "purchase_ts",
    "purchase_day",
    "gateway_ts",
    "delta_seconds",
    "currency",
    "af_amount_minor",
    "amount_minor",
    "revenue_minor",
    "refund_minor",
    "chargeback_minor",
    "net_revenue_minor",
    "media_source",
    "campaign",
    "adset",
    "install_ts",
    "install_day",
)


def build_curated(
    recon: Reconciliation,
    purchases: pl.DataFrame,
    payments: pl.DataFrame,
    reversals: pl.DataFrame,  # lines from chargebacks.reversal_lines
    cfg: PipelineConfig,
) -> pl.DataFrame:
    """Join pairs back to both sides and settle the money (see module docstring)."""
    af = purchases.select(
        pl.col("row").alias("af_row"),
        pl.col("player_id").alias("af_player"),
        pl.col("order_id").alias("af_order"),
        pl.col("ts").alias("af_ts"),
        pl.col("currency").alias("af_currency"),
        pl.col("amount_minor").alias("af_amount_minor"),
        "media_source",
        "campaign",
        "adset",
        "install_ts",
    )
    pg = payments.select(
        pl.col("row").alias("pg_row"),
        pl.col("player_id").alias("pg_player"),
        pl.col("order_id").alias("pg_order"),
        pl.col("ts").alias("gateway_ts"),
        pl.col("currency").alias("pg_currency"),
        pl.col("amount_minor").alias("pg_amount_minor"),
        "fx_rate_e9",
    )
    pairs = recon.pairs.filter(pl.col("outcome") != DUPLICATE_AF).drop("duplicate_of")
    df = pairs.join(af, on="af_row", how="left").join(pg, on="pg_row", how="left")
    df = df.join(per_payment(reversals), on="psp_txn_id", how="left")
    confirmed = pl.col("pg_row").is_not_null()
    currency = pl.coalesce("pg_currency", "af_currency")
    revenue = to_reporting_minor(
        pl.col("pg_amount_minor"),
        pl.col("pg_currency"),
        pl.col("fx_rate_e9"),
        cfg.currency_exponents,
        cfg.reporting_currency,
    )
    refunds = pl.when(confirmed).then(pl.col("refund_minor").fill_null(0))
    chargebacks = pl.when(confirmed).then(pl.col("chargeback_minor").fill_null(0))
    purchase_ts = pl.coalesce("af_ts", "gateway_ts")
    df = df.with_columns(
        pl.coalesce("event_id", "psp_txn_id").alias("purchase_id"),
        pl.coalesce("af_player", "pg_player").alias("player_id"),
        pl.coalesce("af_order", "pg_order").alias("order_id"),
        purchase_ts.alias("purchase_ts"),
        purchase_ts.dt.date().alias("purchase_day"),
        ((pl.col("gateway_ts") - pl.col("af_ts")).dt.total_microseconds() / 1e6).alias(
            "delta_seconds"
        ),
        currency.alias("currency"),
        pl.coalesce("pg_amount_minor", "af_amount_minor").alias("amount_minor"),
        revenue.alias("revenue_minor"),
        refunds.alias("refund_minor"),
        chargebacks.alias("chargeback_minor"),
        pl.col("media_source").fill_null(ORGANIC),
        pl.col("campaign").fill_null(NO_VALUE),
        pl.col("adset").fill_null(NO_VALUE),
        pl.col("install_ts").dt.date().alias("install_day"),
    )
    net = pl.col("revenue_minor") - pl.col("refund_minor") - pl.col("chargeback_minor")
    return df.with_columns(net.alias("net_revenue_minor")).select(CURATED_COLUMNS)
