"""Sample payment-gateway rows: payments, gateway-only and failed payments, reversals."""

from __future__ import annotations

import numpy as np
import polars as pl

from . import sample_format as f
from .sample_purchases import AF_ONLY, Players, Purchases

PG_ONLY_SHARE = 0.03
FAILED_SHARE = 0.02
REFUND_SHARE = 0.01
CHARGEBACK_SHARE = 0.004

GATEWAY_CORRUPTIONS = [
    ("amount", "abc"),
    ("authorized_at", "not-a-date"),
    ("currency", "XYZ"),
    ("amount_minor", "-500"),
    ("player_id", ""),
]


def _payments(rng: np.random.Generator, players: Players, purchases: Purchases) -> pl.DataFrame:
    """Confirmed payments for every purchase but AF_ONLY, then PG-only and failed ones."""
    seen = np.flatnonzero(purchases.scenario != AF_ONLY)
    n = len(purchases.t)
    confirmed = pl.DataFrame(
        {
            "purchase": seen,
            "player": purchases.player[seen],
            "auth": purchases.t[seen] + purchases.lag[seen],
            "cur": purchases.pg_cur[seen],
            "amount": purchases.pg_amount[seen],
            "has_order": purchases.pg_order[seen],
            "status": np.full(len(seen), "captured"),
        }
    )
    k = max(1, round(n * PG_ONLY_SHARE))
    who = rng.choice(len(players.camp), size=k)
    span = f.END_US - players.install_t[who]
    when = players.install_t[who] + (rng.random(k) * span).astype(np.int64) // 1000 * 1000
    product = rng.choice(7, size=k, p=f.PRICE_WEIGHTS)
    gateway_only = pl.DataFrame(
        {
            "purchase": np.full(k, -1),
            "player": who,
            "auth": when,
            "cur": players.cur[who],
            "amount": f.price_table()[players.cur[who], product],
            "has_order": rng.random(k) < 0.5,
            "status": np.full(k, "captured"),
        }
    )
    k = max(1, round(n * FAILED_SHARE))  # declined first attempts next to real purchases
    src = rng.choice(n, size=k)
    failed = pl.DataFrame(
        {
            "purchase": np.full(k, -1),
            "player": purchases.player[src],
            "auth": purchases.t[src] - rng.integers(5, 120, k) * f.US,
            "cur": purchases.pg_cur[src],
            "amount": purchases.pg_amount[src],
            "has_order": np.zeros(k, dtype=bool),
            "status": rng.choice(["failed", "authorized", "voided"], size=k, p=[0.8, 0.1, 0.1]),
        }
    )
    df = pl.concat([confirmed, gateway_only, failed]).sort("auth")
    return df.with_row_index("txn").with_columns(pl.col("txn").cast(pl.Int64))


def _reversals(rng: np.random.Generator, payments: pl.DataFrame) -> pl.DataFrame:
    """Refunds (1 %, days later) and chargebacks (0.4 %, weeks later) of captured payments."""
    captured = payments.filter(pl.col("status") == "captured")
    out = []
    specs = (
        ("refund", REFUND_SHARE, (3600, 10 * 86_400), ["succeeded", "failed"], [0.9, 0.1]),
        ("chargeback", CHARGEBACK_SHARE, (10 * 86_400, 45 * 86_400), ["lost", "won"], [0.8, 0.2]),
    )
    for kind, share, (lo, hi), statuses, weights in specs:
        rows = f.pick(rng, captured.height, share, minimum=2)
        src = captured[rows]
        k = src.height
        partial = (rng.random(k) < 0.3) if kind == "refund" else np.zeros(k, dtype=bool)
        out.append(
            src.with_columns(
                pl.lit(kind).alias("kind"),
                pl.col("txn").alias("original"),
                (pl.col("auth") + pl.Series(rng.integers(lo, hi, k) * f.US)).alias("auth"),
                pl.when(pl.Series(partial))
                .then((pl.col("amount") // 2).clip(lower_bound=1))
                .otherwise(pl.col("amount"))
                .alias("amount"),
                pl.Series("status", rng.choice(statuses, size=k, p=weights)),
            )
        )
    reversals = pl.concat(out).filter(pl.col("auth") < f.END_US)
    return reversals.with_columns((pl.col("txn") + 1_000_000_000).alias("txn"))


def _fx_text(currency: pl.Expr, auth: str) -> pl.Expr:
    """Booking-time USD rate with a small daily drift, six decimals; empty for USD."""
    day = (pl.col(auth) - f.START_US) // f.DAY_US
    base = currency.replace_strict(f.USD_PER_UNIT, return_dtype=pl.Float64)
    drift = 1 + 0.01 * (day.cast(pl.Float64) / 9).sin()
    micro = (base * drift * 1_000_000).round(0).cast(pl.Int64)
    text = pl.format("{}.{}", micro // 1_000_000, (micro % 1_000_000).cast(pl.String).str.zfill(6))
    return pl.when(currency != "USD").then(text)


def gateway_rows(rng: np.random.Generator, players: Players, purchases: Purchases) -> pl.DataFrame:
    """The confirmed_purchases.csv frame, text columns in schema order."""
    payments = _payments(rng, players, purchases)
    reversals = _reversals(rng, payments)
    df = pl.concat(
        [
            payments.with_columns(
                pl.lit("payment").alias("kind"), pl.lit(None, dtype=pl.Int64).alias("original")
            ),
            reversals,
        ],
        how="diagonal",
    ).sort("auth")
    currency = pl.col("cur").replace_strict(dict(enumerate(f.CURRENCIES)), return_dtype=pl.String)
    as_minor = pl.Series(rng.random(df.height) < 0.5)
    region = pl.Series(players.region)[df["player"]]
    df = df.with_columns(currency.alias("currency"), region.alias("region"))
    ny = pl.col("region") == f.REGION_NY
    local = f.utc("auth").dt.convert_time_zone(f.NEW_YORK).dt.strftime("%Y-%m-%dT%H:%M:%S%.3f%:z")
    captured_us = pl.col("auth") + 1_500_000
    df = df.with_columns(captured_us.alias("cap"))
    frame = df.select(
        f.padded_id("pi_", "txn", 10).alias("psp_txn_id"),
        "kind",
        pl.when(pl.col("original").is_not_null())
        .then(f.padded_id("pi_", "original", 10))
        .alias("original_psp_txn_id"),
        pl.when(pl.col("has_order") & (pl.col("purchase") >= 0))
        .then(f.padded_id("ord_", "purchase"))
        .when(pl.col("has_order") & (pl.col("kind") == "payment"))
        .then(f.padded_id("ordg_", "txn"))
        .alias("order_id"),
        f.padded_id("p", "player").alias("player_id"),
        pl.when(~as_minor).then(f.decimal_text("amount", "currency")).alias("amount"),
        pl.when(as_minor).then(pl.col("amount").cast(pl.String)).alias("amount_minor"),
        "currency",
        "status",
        pl.when(pl.col("kind") == "payment")
        .then(pl.when(ny).then(local).otherwise(f.iso_z("auth")))
        .alias("authorized_at"),
        pl.when((pl.col("status") == "captured") | (pl.col("kind") != "payment"))
        .then(f.iso_z("cap"))
        .alias("captured_at"),
        pl.lit(None, dtype=pl.String).alias("tz"),
        pl.when(pl.col("kind") == "payment")
        .then(_fx_text(pl.col("currency"), "auth"))
        .alias("fx_rate"),
    )
    return f.corrupt(frame, rng, GATEWAY_CORRUPTIONS)
