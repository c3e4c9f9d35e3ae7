"""Pass 2 of the reconciliation: fuzzy, one-to-one pairing (analytics.md B4.2 step 3).

Candidates are generated with an equi-join, not a Python loop: each timestamp is put in a
bucket of one window width, and every AppsFlyer row is joined against the gateway rows of
the same (player, currency) in its own and both neighbouring buckets. Two rows at most one
window apart are always at most one bucket apart, so no candidate is lost, and a player
with thousands of purchases only meets the few that are near in time (a plain join on
player alone would be quadratic for whales).

The one-to-one choice must equal the textbook greedy algorithm (take edges in ascending
(|dt|, |d amount|, event_id, psp_txn_id) order, skip edges whose endpoint is taken). We
get the same answer in vectorised rounds: an edge that is the best remaining edge of *both*
of its endpoints is exactly one greedy would take, since every edge ranked before it
touches neither endpoint. Each round accepts all such edges at once and removes their
endpoints; the globally best remaining edge always qualifies, so the loop terminates, and
in practice it needs a handful of rounds (one per link of the longest conflict chain).
"""

from __future__ import annotations

import polars as pl

from .config import PipelineConfig

EDGE_COLUMNS = ("af_row", "pg_row", "abs_dt_us", "abs_da")


def candidate_edges(af: pl.DataFrame, pg: pl.DataFrame, cfg: PipelineConfig) -> pl.DataFrame:
    """All admissible (af_row, pg_row) pairs with their |dt| (us) and |d amount| (minor).

    ``af`` needs af_row, event_id, player_id, currency, af_t (epoch us), af_amount,
    af_order; ``pg`` needs pg_row, psp_txn_id, player_id, currency, pg_t, pg_amount,
    pg_order.
    """
    width = cfg.window_us
    bucket = pl.col("af_t") // width
    left = af.with_columns(pl.concat_list(bucket - 1, bucket, bucket + 1).alias("bucket"))
    left = left.explode("bucket")
    right = pg.with_columns((pl.col("pg_t") // width).alias("bucket"))
    edges = left.join(right, on=["player_id", "currency", "bucket"], how="inner")
    abs_dt = (pl.col("pg_t") - pl.col("af_t")).abs()
    abs_da = (pl.col("pg_amount") - pl.col("af_amount")).abs()
    within_amount = (abs_da <= cfg.amount_tolerance_min_minor) | (
        abs_da * cfg.amount_tolerance_ratio_denominator <= pl.col("pg_amount")
    )
    # Two different order ids are two different orders, however close in time and amount.
    conflicting_orders = (
        pl.col("af_order").is_not_null()
        & pl.col("pg_order").is_not_null()
        & (pl.col("af_order") != pl.col("pg_order"))
    )
    return (
        edges.with_columns(abs_dt.alias("abs_dt_us"), abs_da.alias("abs_da"))
        .filter((pl.col("abs_dt_us") <= width) & within_amount & ~conflicting_orders)
        .select(*EDGE_COLUMNS, "event_id", "psp_txn_id")
    )


def greedy_one_to_one(edges: pl.DataFrame) -> pl.DataFrame:
    """The greedy matching of ``edges`` (see module docstring); returns chosen edges."""
    ranked = edges.sort("abs_dt_us", "abs_da", "event_id", "psp_txn_id").with_row_index("rank")
    remaining = ranked.select("rank", "af_row", "pg_row")
    chosen: list[pl.DataFrame] = []
    while remaining.height:
        best_for_both = (pl.col("rank") == pl.col("rank").min().over("af_row")) & (
            pl.col("rank") == pl.col("rank").min().over("pg_row")
        )
        won = remaining.filter(best_for_both)
        chosen.append(won)
        remaining = remaining.join(won.select("af_row"), on="af_row", how="anti").join(
            won.select("pg_row"), on="pg_row", how="anti"
        )
    if not chosen:
        return ranked.drop("rank").clear()
    picked = pl.concat(chosen).select("rank")
    return ranked.join(picked, on="rank", how="semi").drop("rank")


def match_fuzzy(af: pl.DataFrame, pg: pl.DataFrame, cfg: PipelineConfig) -> pl.DataFrame:
    """Fuzzy pairs (af_row, pg_row, abs_dt_us, abs_da, event_id, psp_txn_id)."""
    return greedy_one_to_one(candidate_edges(af, pg, cfg))
