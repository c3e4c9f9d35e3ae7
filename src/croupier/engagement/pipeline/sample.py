"""A realistic, deterministic input set for the pipeline (``croupier pipeline sample``).

Ten weeks of data (2024-09-02 .. 2024-11-10, plus a partial 2024-11-11 so the last
complete day is 2024-11-10) with every trap the reconciliation has to handle:

* duplicates: event resends (same ``event_id``) and the same order reported twice;
* late confirmations within (540-600 s, some exactly 600 s) and just outside (601-720 s)
  the 10-minute window, without order ids so only the fuzzy pass can pair them;
* missing confirmations (``AF_ONLY``), gateway-only purchases (``PG_ONLY``), failed
  payments, key matches with the wrong amount, fuzzy matches a minor unit or 0.3 % off;
* equal purchases three minutes apart (one-to-one by nearest time);
* currency traps: same number, different currency;
* refunds and chargebacks after the match, some that did not move money;
* the New York DST night (2024-11-03) with local offsets on both sides, London players
  with naive local times and an ``event_tz`` column;
* eight campaigns with weekly seasonality in installs and spend, and an injected ROAS
  anomaly on the newest complete D1 cohort: only 1/8 of one campaign's spend reached the
  cost file (a cost-import gap), so its ROAS spikes;
* about 0.1 % corrupt rows in each file.

Everything is numpy/Polars vectorised: 1M purchase rows take about 5 s and 10M about
1.5 minutes on the 2-core development machine (most of it formatting and writing text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from . import sample_format as f
from .sample_activity import cost_rows, session_rows
from .sample_gateway import gateway_rows
from .sample_purchases import Players, Purchases, campaign_columns, make_players, make_purchases
from .schema import COSTS_FILE, GATEWAY_FILE, PURCHASES_FILE, SESSIONS_FILE

DUPLICATE_SHARE = 0.02


@dataclass(slots=True)
class SampleSummary:
    """What was written, and the facts a test or a demo can check the reports against."""

    rows: dict[str, int]
    as_of: date
    anomaly: dict[str, str]
    seed: int
    files: list[Path] = field(default_factory=list)


def _af_frame(players: Players, purchases: Purchases, rng: np.random.Generator) -> pl.DataFrame:
    """One AppsFlyer row per AF-visible purchase, before duplicates and corruption."""
    p = purchases.player
    return pl.DataFrame(
        {
            "idx": np.arange(len(p)),
            "player": p,
            "t": purchases.t,
            "cur": purchases.af_cur,
            "amount": purchases.af_amount,
            "af_order": purchases.af_order,
            "camp": players.camp[p],
            "install_t": players.install_t[p],
            "region": players.region[p],
            "as_minor": rng.random(len(p)) < 0.3,
        }
    )


def _add_duplicates(df: pl.DataFrame, n: int, rng: np.random.Generator) -> pl.DataFrame:
    """``n`` resends: half keep the event id, half are a new event for the same order."""
    src = rng.choice(df.height, size=n, replace=n > df.height)
    copies = df[src].with_columns(
        pl.col("t") + pl.Series(rng.integers(1, 31, n) * f.US),
        pl.Series("new_event", rng.random(n) < 0.5) & pl.col("af_order"),
    )
    return pl.concat([df.with_columns(pl.lit(False).alias("new_event")), copies])


def _af_text(df: pl.DataFrame) -> pl.DataFrame:
    camp = pl.col("camp")
    cur = pl.col("cur").replace_strict(dict(enumerate(f.CURRENCIES)), return_dtype=pl.String)
    df = df.with_columns(cur.alias("currency"))
    return df.select(
        (
            f.padded_id("ev_", "idx")
            + pl.when(pl.col("new_event")).then(pl.lit("r")).otherwise(pl.lit(""))
        ).alias("event_id"),
        f.padded_id("af-", "player", 10).alias("appsflyer_id"),
        f.padded_id("p", "player").alias("customer_user_id"),
        f.af_time_text("t", "region").alias("event_time"),
        f.af_zone_text("region", "t").alias("event_tz"),
        pl.when(~pl.col("as_minor")).then(f.decimal_text("amount", "currency")).alias("revenue"),
        pl.when(pl.col("as_minor")).then(pl.col("amount").cast(pl.String)).alias("revenue_minor"),
        "currency",
        pl.when(pl.col("af_order")).then(f.padded_id("ord_", "idx")).alias("order_id"),
        *campaign_columns(camp),
        f.af_time_text("install_t", "region").alias("install_time"),
    )


AF_CORRUPTIONS = [
    ("event_time", "2024-13-45 25:61:00"),
    ("revenue", "4,99"),
    ("revenue_minor", "-499"),
    ("currency", "ZZZ"),
    ("customer_user_id", ""),
]


def generate_sample(data_dir: Path, rows: int, seed: int = 7) -> SampleSummary:
    """Write the four input CSVs with ``rows`` raw purchase rows into ``data_dir``."""
    if rows < 50:
        raise ValueError("rows must be at least 50 to hold every scenario")
    data_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    base = round(rows / (1 + DUPLICATE_SHARE))
    players = make_players(rng, max(30, rows // 8))
    purchases = make_purchases(rng, players, base)
    af = _add_duplicates(_af_frame(players, purchases, rng), rows - base, rng)
    af = f.corrupt(_af_text(af.sort("t")), rng, AF_CORRUPTIONS)
    gateway = gateway_rows(rng, players, purchases)
    costs, anomaly = cost_rows(rng, players)
    sessions = session_rows(rng, players, purchases, rows)
    frames = {PURCHASES_FILE: af, GATEWAY_FILE: gateway, COSTS_FILE: costs, SESSIONS_FILE: sessions}
    files = []
    for name, frame in frames.items():
        frame.write_csv(data_dir / name)
        files.append(data_dir / name)
    as_of = f.START.date() + timedelta(days=f.FULL_DAYS - 1)
    return SampleSummary(
        rows={name: frame.height for name, frame in frames.items()},
        as_of=as_of,
        anomaly=anomaly,
        seed=seed,
        files=files,
    )
