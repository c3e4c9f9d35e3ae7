"""AppsFlyer <-> payment gateway reconciliation, exactly as analytics.md B4.2.

0. Duplicates: AppsFlyer rows sorted by (UTC time, file row). A repeated ``event_id`` (a
   resend) or a repeated non-empty ``order_id`` (the same order reported twice) is
   ``DUPLICATE_AF``; the first row is kept and the others point at it (``duplicate_of``).
   Without an order id a second purchase cannot be told from a resend, so only the event
   id is used there.
1. Candidates on the gateway side are payments whose status is in
   ``cfg.candidate_statuses`` (``captured``); their time is ``cfg.gateway_time_column``.
2. Pass 1, exact key: equal ``order_id``. Equal amount and currency -> ``MATCHED_KEY``,
   otherwise ``AMOUNT_MISMATCH``. If the gateway holds several captures for one order,
   only the first takes part in the key pass; the rest go on to pass 2.
3. Pass 2, fuzzy, for everything left: see :mod:`.fuzzy` -> ``MATCHED_FUZZY``.
4. Leftovers: ``AF_ONLY`` (never confirmed; no ROAS revenue) and ``PG_ONLY`` (organic).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from .config import (
    AF_ONLY,
    AMOUNT_MISMATCH,
    DUPLICATE_AF,
    MATCHED_FUZZY,
    MATCHED_KEY,
    MATCHED_OUTCOMES,
    OUTCOMES,
    PG_ONLY,
    PipelineConfig,
)
from .fuzzy import match_fuzzy

PAIR_COLUMNS = {
    "outcome": pl.String,
    "af_row": pl.UInt32,
    "event_id": pl.String,
    "pg_row": pl.UInt32,
    "psp_txn_id": pl.String,
    "duplicate_of": pl.String,
}


@dataclass(slots=True)
class Reconciliation:
    """Outcome of every AppsFlyer row and every candidate gateway row."""

    pairs: pl.DataFrame  # PAIR_COLUMNS: one row per AF row and per unmatched PG candidate
    counts: dict[str, int]
    match_rate: float | None  # matched / (matched + AF_ONLY)
    ignored_gateway_statuses: dict[str, int]  # payments that were never candidates


def _af_side(purchases: pl.DataFrame) -> pl.DataFrame:
    return purchases.select(
        pl.col("row").alias("af_row"),
        "event_id",
        "player_id",
        "currency",
        pl.col("ts").dt.epoch("us").alias("af_t"),
        pl.col("amount_minor").alias("af_amount"),
        pl.col("order_id").alias("af_order"),
    )


def _pg_side(payments: pl.DataFrame) -> pl.DataFrame:
    return payments.select(
        pl.col("row").alias("pg_row"),
        "psp_txn_id",
        "player_id",
        "currency",
        pl.col("ts").dt.epoch("us").alias("pg_t"),
        pl.col("amount_minor").alias("pg_amount"),
        pl.col("order_id").alias("pg_order"),
    )


def mark_duplicates(af: pl.DataFrame) -> pl.DataFrame:
    """Add ``duplicate_of`` (null for the row kept) to the AppsFlyer side."""
    af = af.sort("af_t", "af_row").with_columns(
        pl.col("event_id").is_first_distinct().alias("_first_event"),
        (pl.col("af_order").is_null() | pl.col("af_order").is_first_distinct()).alias(
            "_first_order"
        ),
    )
    # Only the (few) repeated orders need to look up the event id that was kept.
    kept = af.filter(pl.col("af_order").is_not_null() & pl.col("_first_order")).select(
        "af_order", pl.col("event_id").alias("_kept")
    )
    repeated = af.filter(~pl.col("_first_order")).select("af_row", "af_order")
    lookup = repeated.join(kept, on="af_order", how="left").select("af_row", "_kept")
    af = af.join(lookup, on="af_row", how="left", maintain_order="left")
    return af.with_columns(
        pl.when(~pl.col("_first_event"))
        .then(pl.col("event_id"))
        .when(~pl.col("_first_order"))
        .then(pl.col("_kept"))
        .alias("duplicate_of")
    ).drop("_first_event", "_first_order", "_kept")


def _key_pass(af: pl.DataFrame, pg: pl.DataFrame) -> pl.DataFrame:
    keyed_pg = pg.filter(pl.col("pg_order").is_not_null() & pl.col("pg_order").is_first_distinct())
    pairs = af.filter(pl.col("af_order").is_not_null()).join(
        keyed_pg, left_on="af_order", right_on="pg_order", how="inner", suffix="_pg"
    )
    same_money = (pl.col("af_amount") == pl.col("pg_amount")) & (
        pl.col("currency") == pl.col("currency_pg")
    )
    outcome = pl.when(same_money).then(pl.lit(MATCHED_KEY)).otherwise(pl.lit(AMOUNT_MISMATCH))
    return pairs.select(outcome.alias("outcome"), "af_row", "event_id", "pg_row", "psp_txn_id")


def reconcile(
    purchases: pl.DataFrame, payments: pl.DataFrame, cfg: PipelineConfig
) -> Reconciliation:
    """Classify every AppsFlyer purchase and every candidate gateway payment."""
    af = mark_duplicates(_af_side(purchases))
    is_candidate = pl.col("status").is_in(list(cfg.candidate_statuses))
    pg = _pg_side(payments.filter(is_candidate)).sort("pg_t", "pg_row")
    live = af.filter(pl.col("duplicate_of").is_null())

    keyed = _key_pass(live, pg)
    rest_af = live.join(keyed.select("af_row"), on="af_row", how="anti")
    rest_pg = pg.join(keyed.select("pg_row"), on="pg_row", how="anti")
    fuzzy = match_fuzzy(rest_af, rest_pg, cfg).select(
        pl.lit(MATCHED_FUZZY).alias("outcome"), "af_row", "event_id", "pg_row", "psp_txn_id"
    )
    matched = pl.concat([keyed, fuzzy])
    af_only = rest_af.join(fuzzy.select("af_row"), on="af_row", how="anti").select(
        pl.lit(AF_ONLY).alias("outcome"), "af_row", "event_id"
    )
    pg_only = rest_pg.join(fuzzy.select("pg_row"), on="pg_row", how="anti").select(
        pl.lit(PG_ONLY).alias("outcome"), "pg_row", "psp_txn_id"
    )
    dups = af.filter(pl.col("duplicate_of").is_not_null()).select(
        pl.lit(DUPLICATE_AF).alias("outcome"), "af_row", "event_id", "duplicate_of"
    )
    frames = [
        f.cast({k: v for k, v in PAIR_COLUMNS.items() if k in f.columns})
        for f in (matched, af_only, pg_only, dups)
    ]
    pairs = pl.concat(frames, how="diagonal").select(list(PAIR_COLUMNS))

    counts = {name: 0 for name in OUTCOMES}
    counts.update(dict(pairs.group_by("outcome").len().iter_rows()))
    n_matched = sum(counts[o] for o in MATCHED_OUTCOMES)
    denominator = n_matched + counts[AF_ONLY]
    ignored = payments.filter(~is_candidate).group_by("status").len().sort("status")
    return Reconciliation(
        pairs=pairs,
        counts=counts,
        match_rate=n_matched / denominator if denominator else None,
        ignored_gateway_statuses=dict(ignored.iter_rows()),
    )
