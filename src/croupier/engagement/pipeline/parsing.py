"""Vectorised, exact parsers for the text columns of the input CSVs.

Each parser adds a typed column plus an ``_err_<name>`` column that holds a short reason
when that row's value is unusable (null otherwise). The loaders in :mod:`.io` pick the
first reason per row, so one bad cell never stops the run. Nothing here loops over rows:
the only Python loop is over the handful of distinct timezone names.
"""

from __future__ import annotations

from zoneinfo import available_timezones

import polars as pl

UTC = "UTC"
_OFFSET_RX = r"[+-]\d{2}:?\d{2}$"
_AWARE_FMT = "%Y-%m-%dT%H:%M:%S%.f%z"
# sign, integer part, fraction: exact decimal text, at most 15 integer digits so the value
# fits an Int64 after scaling by the largest exponent (3).
_DECIMAL_RX = r"^(-?)(\d{1,15})(?:\.(\d{1,18}))?$"
_TIMEZONES = frozenset(available_timezones())


def err_col(name: str) -> str:
    """Name of the reason column that accompanies parsed column ``name``."""
    return f"_err_{name}"


def clean_text(name: str) -> pl.Expr:
    """Trimmed text with empty cells as null, so "missing" has one representation."""
    stripped = pl.col(name).str.strip_chars()
    return pl.when(stripped.str.len_bytes() > 0).then(stripped).alias(name)


def require(name: str, label: str | None = None) -> pl.Expr:
    """A reason column flagging rows where text column ``name`` is missing."""
    return (
        pl.when(pl.col(name).is_null())
        .then(pl.lit(f"missing {label or name}"))
        .alias(err_col(name))
    )


def parse_currency(df: pl.DataFrame, name: str, exponents: dict[str, int]) -> pl.DataFrame:
    """Upper-case the ISO code and attach its minor-unit exponent as ``_exp``."""
    code = pl.col(name).str.to_uppercase()
    exp = code.replace_strict(exponents, default=None, return_dtype=pl.Int64)
    reason = (
        pl.when(pl.col(name).is_null())
        .then(pl.lit(f"missing {name}"))
        .when(exp.is_null())
        .then(pl.format("unknown currency '{}'", pl.col(name)))
    )
    return df.with_columns(code.alias(name), exp.alias("_exp"), reason.alias(err_col(name)))


def _pow10(exp: pl.Expr) -> pl.Expr:
    return exp.replace_strict({0: 1, 1: 10, 2: 100, 3: 1000}, return_dtype=pl.Int64)


def parse_money(df: pl.DataFrame, major: str, minor: str, out: str) -> pl.DataFrame:
    """Integer minor units from a ``<minor>`` integer cell or a ``<major>`` decimal cell.

    The decimal text is split into integer and fraction digits and scaled with integer
    arithmetic by the currency exponent in ``_exp``, which is exact: ``"4.99"`` USD is
    499, ``"800"`` JPY is 800, ``"1.250"`` KWD is 1250. Needs :func:`parse_currency` first.
    """
    parts = pl.col(major).str.extract_groups(_DECIMAL_RX)
    df = df.with_columns(
        parts.struct.field("1").alias("_sign"),
        parts.struct.field("2").alias("_int"),
        parts.struct.field("3").fill_null("").alias("_frac"),
    )
    exp = pl.col("_exp")
    kept = (pl.col("_frac") + "000").str.slice(0, exp)
    from_major = pl.col("_int").cast(pl.Int64) * _pow10(exp) + pl.when(exp > 0).then(
        kept.cast(pl.Int64, strict=False)
    ).otherwise(0)
    too_precise = pl.col("_frac").str.slice(exp).str.contains("[1-9]")
    from_minor = pl.col(minor).str.to_integer(strict=False)
    use_minor = pl.col(minor).is_not_null()
    value = pl.when(use_minor).then(from_minor).otherwise(from_major)
    reason = (
        pl.when(use_minor & from_minor.is_null())
        .then(pl.format("unparseable {} '{}'", pl.lit(minor), pl.col(minor)))
        .when(use_minor & (from_minor < 0))
        .then(pl.lit(f"negative {minor}"))
        .when(use_minor)
        .then(None)
        .when(pl.col(major).is_null())
        .then(pl.lit(f"missing {major}"))
        .when(pl.col("_int").is_null())
        .then(pl.format("unparseable {} '{}'", pl.lit(major), pl.col(major)))
        .when(pl.col("_sign") == "-")
        .then(pl.lit(f"negative {major}"))
        .when(exp.is_not_null() & too_precise)
        .then(pl.lit(f"{major} has more decimals than the currency allows"))
    )
    return df.with_columns(value.alias(out), reason.alias(err_col(out))).drop(
        "_sign", "_int", "_frac"
    )


def parse_timestamp(df: pl.DataFrame, name: str, tz: str | None, out: str) -> pl.DataFrame:
    """UTC ``Datetime[us]`` from ISO 8601 text with an offset, or naive text in zone ``tz``.

    Offsets are applied directly, which is what makes DST nights safe: ``01:30-04:00`` and
    ``01:30-05:00`` on the autumn change are an hour apart in UTC. Naive values are
    localised per distinct zone name (a short Python loop over zones, not rows).
    """
    # One parse for every row: naive text gets a "+00:00" suffix, so it reads as its own
    # wall-clock time, which is then localised below. Literal replaces are ~5x cheaper
    # than regex ones: a space between date and time becomes "T", a trailing Z "+00:00".
    text = (
        pl.col(name)
        .str.replace(" ", "T", literal=True)
        .str.replace("Z", "+00:00", literal=True)
        .str.replace("z", "+00:00", literal=True)
    )
    df = df.with_columns(text.alias("_text"))
    has_offset = pl.col("_text").str.contains(_OFFSET_RX).fill_null(False)
    df = df.with_columns(has_offset.alias("_aware"))
    suffixed = pl.when(pl.col("_aware")).then(pl.col("_text")).otherwise(pl.col("_text") + "+00:00")
    parsed = suffixed.str.to_datetime(_AWARE_FMT, strict=False, time_unit="us", time_zone=UTC)
    zone = pl.col(tz).fill_null(UTC) if tz else pl.lit(UTC)
    df = df.with_columns(parsed.alias("_t"), zone.alias("_zone")).drop("_text")
    naive = ~pl.col("_aware") & pl.col("_t").is_not_null()
    found = df.select(pl.col("_zone").filter(naive).unique())["_zone"].to_list()
    zones = sorted(z for z in found if z in _TIMEZONES)
    wall = pl.col("_t").dt.replace_time_zone(None)
    localised: pl.Expr = pl.lit(None, dtype=pl.Datetime("us", UTC))
    for zone_name in zones:
        if zone_name == UTC:
            in_zone = pl.col("_t")
        else:
            in_zone = wall.dt.replace_time_zone(
                zone_name, ambiguous="earliest", non_existent="null"
            ).dt.convert_time_zone(UTC)
        localised = pl.when(pl.col("_zone") == zone_name).then(in_zone).otherwise(localised)
    df = df.with_columns(
        pl.when(pl.col("_aware")).then(pl.col("_t")).otherwise(localised).alias(out)
    )
    reason = (
        pl.when(pl.col(name).is_null())
        .then(pl.lit(f"missing {name}"))
        .when(pl.col(out).is_not_null())
        .then(None)
        .when(pl.col("_t").is_null())
        .then(pl.format("unparseable {} '{}'", pl.lit(name), pl.col(name)))
        .when(~pl.col("_zone").is_in(zones))
        .then(pl.format("unknown timezone '{}'", pl.col("_zone")))
        .otherwise(pl.lit(f"{name} is a nonexistent local time (DST gap)"))
    )
    return df.with_columns(reason.alias(err_col(out))).drop("_aware", "_zone", "_t")


def parse_date(df: pl.DataFrame, name: str, out: str) -> pl.DataFrame:
    """A ``Date`` from ``YYYY-MM-DD`` text."""
    value = pl.col(name).str.to_date("%Y-%m-%d", strict=False)
    reason = (
        pl.when(pl.col(name).is_null())
        .then(pl.lit(f"missing {name}"))
        .when(value.is_null())
        .then(pl.format("unparseable {} '{}'", pl.lit(name), pl.col(name)))
    )
    return df.with_columns(value.alias(out), reason.alias(err_col(out)))


def parse_fx_rate(df: pl.DataFrame, name: str, out: str) -> pl.DataFrame:
    """An FX rate as an integer scaled by 10**9, parsed exactly (at most 9 decimals)."""
    parts = pl.col(name).str.extract_groups(r"^(\d{1,9})(?:\.(\d{1,9}))?$")
    whole = parts.struct.field("1").cast(pl.Int64)
    frac = (parts.struct.field("2").fill_null("") + "000000000").str.slice(0, 9)
    scaled = whole * 1_000_000_000 + frac.cast(pl.Int64)
    reason = pl.when(pl.col(name).is_not_null() & (scaled.is_null() | (scaled <= 0))).then(
        pl.format("unparseable {} '{}'", pl.lit(name), pl.col(name))
    )
    return df.with_columns(scaled.cast(pl.Int128).alias(out), reason.alias(err_col(out)))
