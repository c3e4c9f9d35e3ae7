"""Text formatting helpers for the sample generator: vectorised, no per-row Python.

The sample deliberately mixes representations the loader must accept: naive UTC
timestamps, ``Z`` timestamps with milliseconds, local times with offsets, naive local
times with a zone column, decimal amounts and integer minor-unit amounts.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl

US = 1_000_000
DAY_US = 86_400 * US
START = datetime(2024, 9, 2, tzinfo=UTC)  # a Monday
START_US = int(START.timestamp() * US)
FULL_DAYS = 70  # 2024-09-02 .. 2024-11-10; the partial day 2024-11-11 follows
END_US = START_US + FULL_DAYS * DAY_US + 6 * 3600 * US
# DST changes inside the window: London falls back 2024-10-27 01:00 UTC, New York
# 2024-11-03 06:00 UTC. The repeated local hour is where naive local times are ambiguous.
LONDON_AMBIGUOUS_US = (START_US + 55 * DAY_US, START_US + 55 * DAY_US + 2 * 3600 * US)
NY_DST_NIGHT_US = (START_US + 62 * DAY_US + 5 * 3600 * US, START_US + 62 * DAY_US + 7 * 3600 * US)

REGION_UTC, REGION_NY, REGION_LONDON = 0, 1, 2
NEW_YORK = "America/New_York"
LONDON = "Europe/London"

CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CAD", "KWD")
EXPONENT = {"USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "CAD": 2, "KWD": 3}
# Localised price points (minor units) for the same seven store products.
PRICES = {
    "USD": (99, 199, 499, 999, 1999, 4999, 9999),
    "EUR": (99, 199, 499, 999, 1999, 4999, 9999),
    "GBP": (89, 179, 449, 899, 1799, 4499, 8999),
    "JPY": (160, 320, 800, 1600, 3200, 8000, 16000),
    "CAD": (139, 279, 699, 1399, 2799, 6999, 13999),
    "KWD": (300, 600, 1500, 3000, 6000, 15000, 30000),
}
PRICE_WEIGHTS = (0.30, 0.25, 0.20, 0.12, 0.08, 0.04, 0.01)
BAD_SHARE = 0.001  # corrupt rows per file
USD_PER_UNIT = {"USD": 1.0, "EUR": 1.09, "GBP": 1.30, "JPY": 0.0067, "CAD": 0.73, "KWD": 3.26}


def price_table() -> np.ndarray:
    """(currency index, product) -> minor units."""
    return np.array([PRICES[c] for c in CURRENCIES], dtype=np.int64)


def utc(col: str) -> pl.Expr:
    """Epoch microseconds -> aware UTC datetime."""
    return pl.from_epoch(col, time_unit="us").dt.replace_time_zone("UTC")


def af_time_text(col: str, region: str) -> pl.Expr:
    """AppsFlyer-style text: naive UTC, New York with offset, or naive London local time.

    London rows in the repeated autumn hour get an explicit offset, as a careful exporter
    would, since the naive text alone could not say which of the two hours it meant.
    """
    t = utc(col)
    naive_utc = t.dt.strftime("%Y-%m-%d %H:%M:%S")
    new_york = t.dt.convert_time_zone(NEW_YORK).dt.strftime("%Y-%m-%dT%H:%M:%S%:z")
    london = t.dt.convert_time_zone(LONDON)
    ambiguous = pl.col(col).is_between(*LONDON_AMBIGUOUS_US, closed="left")
    london_text = (
        pl.when(ambiguous)
        .then(london.dt.strftime("%Y-%m-%dT%H:%M:%S%:z"))
        .otherwise(london.dt.strftime("%Y-%m-%d %H:%M:%S"))
    )
    return (
        pl.when(pl.col(region) == REGION_NY)
        .then(new_york)
        .when(pl.col(region) == REGION_LONDON)
        .then(london_text)
        .otherwise(naive_utc)
    )


def af_zone_text(region: str, col: str) -> pl.Expr:
    """The ``event_tz`` cell: only naive London rows need one."""
    ambiguous = pl.col(col).is_between(*LONDON_AMBIGUOUS_US, closed="left")
    return pl.when((pl.col(region) == REGION_LONDON) & ~ambiguous).then(pl.lit(LONDON))


def iso_z(col: str) -> pl.Expr:
    """Gateway-style ``2024-09-03T10:00:20.123Z``."""
    return utc(col).dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")


def decimal_text(amount: str, currency: str) -> pl.Expr:
    """Minor units -> major-unit decimal text for the row's currency (exact)."""
    a = pl.col(amount)
    out: pl.Expr = a.cast(pl.String)  # exponent 0
    for code, exp in EXPONENT.items():
        if exp == 0:
            continue
        scale = 10**exp
        text = pl.format("{}.{}", a // scale, (a % scale).cast(pl.String).str.zfill(exp))
        out = pl.when(pl.col(currency) == code).then(text).otherwise(out)
    return out


def padded_id(prefix: str, col: str, width: int = 9) -> pl.Expr:
    """``prefix`` + zero-padded integer, e.g. ``p000001234``."""
    return pl.lit(prefix) + pl.col(col).cast(pl.String).str.zfill(width)


def pick(rng: np.random.Generator, n: int, share: float, minimum: int = 1) -> np.ndarray:
    """A sorted random subset of ``range(n)`` of about ``share * n`` (at least ``minimum``)."""
    k = min(n, max(minimum, round(n * share)))
    return np.sort(rng.choice(n, size=k, replace=False)) if k else np.empty(0, np.int64)


def corrupt(
    df: pl.DataFrame, rng: np.random.Generator, edits: list[tuple[str, str]]
) -> pl.DataFrame:
    """Overwrite about ``BAD_SHARE`` of the rows, cycling through ``(column, bad value)``."""
    rows = pick(rng, df.height, BAD_SHARE, minimum=min(df.height, len(edits)))
    kind = pl.Series(np.full(df.height, -1, dtype=np.int64))
    kind[rows] = np.arange(len(rows)) % len(edits)
    df = df.with_columns(kind.alias("_bad"))
    changes = {}
    for i, (column, value) in enumerate(edits):
        current = changes.get(column, pl.col(column))
        changes[column] = pl.when(pl.col("_bad") == i).then(pl.lit(value)).otherwise(current)
    return df.with_columns(v.alias(k) for k, v in changes.items()).drop("_bad")
