"""Refunds and chargebacks: tie each reversal to its payment and restate it there.

analytics.md B4.3: reversals are negative revenue on their own date for cash views, and
are *restated to the original purchase's cohort and campaign* for ROAS and LTV. Both views
come from :func:`reversal_lines`; :func:`adjusted_revenue` is the restated one.

Rules (bad rows, not crashes): a reversal must reference a known payment, in the same
currency, that was captured. Reversals whose status did not move money (``pending``,
``failed``, a chargeback the merchant ``won``...) are ignored and counted. The rate is the
original payment's booking rate, so a refund never creates FX noise in ROAS.
"""

from __future__ import annotations

import polars as pl

from .config import PipelineConfig
from .money import to_reporting_minor
from .schema import CAMPAIGN_KEY, GATEWAY_FILE, KIND_CHARGEBACK, KIND_REFUND


def reversal_lines(
    reversals: pl.DataFrame, payments: pl.DataFrame, cfg: PipelineConfig
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(lines, bad rows, ignored count). Lines: psp_txn_id of the payment, kind, amounts, day."""
    moved = pl.col("status").is_in(list(cfg.reversal_statuses))
    ignored = reversals.filter(~moved).height
    original = payments.select(
        pl.col("psp_txn_id").alias("original_psp_txn_id"),
        pl.col("currency").alias("_orig_currency"),
        pl.col("status").alias("_orig_status"),
        "fx_rate_e9",
    )
    joined = reversals.filter(moved).join(original, on="original_psp_txn_id", how="left")
    reason = (
        pl.when(pl.col("_orig_currency").is_null())
        .then(pl.format("{} of unknown psp_txn_id '{}'", "kind", "original_psp_txn_id"))
        .when(~pl.col("_orig_status").is_in(list(cfg.candidate_statuses)))
        .then(pl.format("{} of a payment that was never captured", "kind"))
        .when(pl.col("currency") != pl.col("_orig_currency"))
        .then(pl.format("{} currency differs from its payment", "kind"))
    )
    joined = joined.with_columns(reason.alias("reason"))
    bad = joined.filter(pl.col("reason").is_not_null()).select(
        pl.lit(GATEWAY_FILE).alias("file"), pl.col("row").cast(pl.Int64), "reason"
    )
    good = joined.filter(pl.col("reason").is_null())
    reporting = to_reporting_minor(
        pl.col("amount_minor"),
        pl.col("currency"),
        pl.col("fx_rate_e9"),
        cfg.currency_exponents,
        cfg.reporting_currency,
    )
    lines = good.select(
        pl.col("original_psp_txn_id").alias("psp_txn_id"),
        pl.col("psp_txn_id").alias("reversal_txn_id"),
        "kind",
        "amount_minor",
        "currency",
        reporting.alias("reporting_minor"),
        pl.col("reversal_ts").dt.date().alias("reversal_day"),
    )
    return lines, bad, ignored


def per_payment(lines: pl.DataFrame) -> pl.DataFrame:
    """Refund and chargeback totals (reporting minor units) per original psp_txn_id."""
    amount = pl.col("reporting_minor")
    return lines.group_by("psp_txn_id").agg(
        amount.filter(pl.col("kind") == KIND_REFUND).sum().alias("refund_minor"),
        amount.filter(pl.col("kind") == KIND_CHARGEBACK).sum().alias("chargeback_minor"),
        (pl.col("kind") == KIND_REFUND).sum().alias("refund_count"),
        (pl.col("kind") == KIND_CHARGEBACK).sum().alias("chargeback_count"),
    )


def adjusted_revenue(curated: pl.DataFrame) -> pl.DataFrame:
    """Confirmed revenue per campaign key x install cohort, reversals restated to the purchase.

    PG_ONLY revenue has no install cohort (organic, unattributed): its cohort is null.
    """
    confirmed = curated.filter(pl.col("revenue_minor").is_not_null())
    return (
        confirmed.group_by(*CAMPAIGN_KEY, "install_day")
        .agg(
            pl.len().alias("purchases"),
            pl.col("revenue_minor").sum().alias("gross_minor"),
            pl.col("refund_minor").sum(),
            pl.col("chargeback_minor").sum(),
            pl.col("net_revenue_minor").sum().alias("net_minor"),
            (pl.col("refund_minor") > 0).sum().alias("refunded_purchases"),
            (pl.col("chargeback_minor") > 0).sum().alias("charged_back_purchases"),
        )
        .sort(*CAMPAIGN_KEY, "install_day", nulls_last=True)
    )


def chargeback_rates(curated: pl.DataFrame) -> dict[str, float | int | None]:
    """Count- and amount-based chargeback rates over confirmed purchases (B1 table)."""
    confirmed = curated.filter(pl.col("revenue_minor").is_not_null())
    n = confirmed.height
    gross = int(confirmed["revenue_minor"].sum() or 0)
    n_cb = int((confirmed["chargeback_minor"] > 0).sum())
    cb_amount = int(confirmed["chargeback_minor"].sum() or 0)
    return {
        "confirmed_purchases": n,
        "charged_back_purchases": n_cb,
        "chargeback_count_rate": n_cb / n if n else None,
        "chargeback_amount_minor": cb_amount,
        "chargeback_amount_rate": cb_amount / gross if gross else None,
    }
