"""Sample ad spend (with weekly seasonality and one injected anomaly) and sessions."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl

from . import sample_format as f
from .sample_purchases import CAMPAIGNS, INSTALL_WEEKDAY, Players, Purchases, campaign_columns

# Weekend auctions are dearer: spend per install rises at the weekend, so ROAS has a
# weekly pattern that a same-weekday baseline handles and a 7-day mean would not.
SPEND_WEEKDAY = (0.95, 0.95, 0.97, 1.00, 1.05, 1.16, 1.12)
ANOMALY_CAMPAIGN = 0
ANOMALY_FACTOR = 0.125  # most of the day's spend missing from the cost import
SESSION_CORRUPTIONS = [("session_start", "yesterday"), ("player_id", "")]


def cost_rows(rng: np.random.Generator, players: Players) -> tuple[pl.DataFrame, dict[str, str]]:
    """Daily spend per campaign: paying installs x cost per paying install x noise."""
    days = np.arange(f.FULL_DAYS)
    install_day = (players.install_t - f.START_US) // f.DAY_US
    weekday = (days + f.START.weekday()) % 7
    frames = []
    for c, (source, campaign, adset, _share, cpi) in enumerate(CAMPAIGNS):
        installs = np.bincount(install_day[players.camp == c], minlength=f.FULL_DAYS)
        noise = rng.lognormal(0.0, 0.06, f.FULL_DAYS)
        spend = np.maximum(installs, 0.5) * cpi * np.array(SPEND_WEEKDAY)[weekday] * noise
        frames.append(
            pl.DataFrame(
                {
                    "day": days,
                    "media_source": source,
                    "campaign": campaign,
                    "adset": adset,
                    "cents": np.round(spend * 100).astype(np.int64),
                }
            )
        )
    df = pl.concat(frames)
    cohort = f.FULL_DAYS - 2  # the newest complete D1 cohort when as_of is the last full day
    source, campaign, adset = CAMPAIGNS[ANOMALY_CAMPAIGN][:3]
    injected = (pl.col("campaign") == campaign) & (pl.col("adset") == adset)
    injected &= pl.col("day") == cohort
    df = df.with_columns(
        pl.when(injected)
        .then((pl.col("cents") * ANOMALY_FACTOR).cast(pl.Int64))
        .otherwise(pl.col("cents"))
    )
    start = f.START.date()
    cents = pl.col("cents")
    out = df.select(
        (pl.lit(start) + pl.duration(days=pl.col("day")))
        .cast(pl.Date)
        .cast(pl.String)
        .alias("date"),
        "media_source",
        "campaign",
        "adset",
        pl.format("{}.{}", cents // 100, (cents % 100).cast(pl.String).str.zfill(2)).alias("spend"),
        pl.lit("USD").alias("currency"),
    )
    bad = pl.DataFrame(
        {
            "date": ["2024-09-31"],
            "media_source": [source],
            "campaign": [campaign],
            "adset": [adset],
            "spend": ["12.00"],
            "currency": ["USD"],
        }
    )
    anomaly = {
        "media_source": source,
        "campaign": campaign,
        "adset": adset,
        "cohort_day": str(start + timedelta(days=cohort)),
        "spend_factor": str(ANOMALY_FACTOR),
    }
    return pl.concat([out, bad]), anomaly


def session_rows(
    rng: np.random.Generator, players: Players, purchases: Purchases, rows: int
) -> pl.DataFrame:
    """Sessions of payers (around purchases and on other days) and of non-paying players."""
    buying = f.pick(rng, len(purchases.t), 0.6)
    start_buy = purchases.t[buying] - rng.integers(60, 1800, len(buying)) * f.US
    n_extra = max(10, rows // 5)
    payer = rng.choice(len(players.camp), size=n_extra)
    span = f.END_US - players.install_t[payer]
    start_extra = players.install_t[payer] + (rng.random(n_extra) * span).astype(np.int64)
    n_np = max(30, 3 * len(players.camp))
    shares = np.array([c[3] for c in CAMPAIGNS] + [0.12])
    np_camp = rng.choice(len(shares), size=n_np, p=shares / shares.sum())
    day_weight = np.array(INSTALL_WEEKDAY)[(np.arange(f.FULL_DAYS) + f.START.weekday()) % 7]
    np_day = rng.choice(f.FULL_DAYS, size=n_np, p=day_weight / day_weight.sum())
    np_install = f.START_US + np_day * f.DAY_US + rng.integers(0, f.DAY_US, n_np)
    who = rng.choice(n_np, size=n_extra)
    start_np = np_install[who] + (rng.random(n_extra) * (f.END_US - np_install[who])).astype(
        np.int64
    )
    df = pl.DataFrame(
        {
            "prefix": ["p"] * (len(buying) + n_extra) + ["n"] * n_extra,
            "player": np.concatenate([purchases.player[buying], payer, who]),
            "start": np.concatenate([start_buy, start_extra, start_np]) // f.US * f.US,
            "camp": np.concatenate(
                [players.camp[purchases.player[buying]], players.camp[payer], np_camp[who]]
            ),
            "attributed": np.concatenate(
                [rng.random(len(buying) + n_extra) < 0.5, np.ones(n_extra, dtype=bool)]
            ),
        }
    ).sort("start")
    df = df.with_columns(
        (pl.col("start") + pl.Series(rng.integers(300, 2400, df.height) * f.US)).alias("end")
    )
    campaign = [
        pl.when(pl.col("attributed")).then(e).alias(e.meta.output_name())
        for e in campaign_columns(pl.col("camp"))
    ]
    frame = df.select(
        (pl.col("prefix") + pl.col("player").cast(pl.String).str.zfill(9)).alias("player_id"),
        f.iso_z("start").alias("session_start"),
        f.iso_z("end").alias("session_end"),
        *campaign,
    )
    return f.corrupt(frame, rng, SESSION_CORRUPTIONS)
