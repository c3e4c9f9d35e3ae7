"""Load and validate the four input CSVs into typed, UTC, minor-unit frames.

The column sets are documented in :mod:`.schema`. Every file is read as text (no type
inference, so a single odd cell cannot change a column's type), checked for its required
header columns, parsed with :mod:`.parsing`, and split into good rows and ``bad_rows``
(file, 1-based data row number, first reason). Bad rows are excluded, never fatal.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from . import schema as s
from .config import NO_VALUE, ORGANIC, PipelineConfig
from .parsing import (
    clean_text,
    err_col,
    parse_currency,
    parse_date,
    parse_fx_rate,
    parse_money,
    parse_timestamp,
    require,
)

BAD_ROWS_SCHEMA = {"file": pl.String, "row": pl.Int64, "reason": pl.String}


class InputSchemaError(ValueError):
    """A file is missing or lacks a required column: nothing sensible can be computed."""


@dataclass(slots=True)
class Inputs:
    """Validated inputs. Times are ``Datetime[us, UTC]``, money is ``Int64`` minor units."""

    purchases: pl.DataFrame  # one row per AppsFlyer event (duplicates still in)
    payments: pl.DataFrame  # gateway rows of kind payment, any status
    reversals: pl.DataFrame  # gateway refunds and chargebacks
    costs: pl.DataFrame  # date x campaign key, spend_minor summed
    sessions: pl.DataFrame  # player_id, day, optional attribution
    bad_rows: pl.DataFrame  # file, row, reason


def read_text_csv(
    path: Path, required: tuple[str, ...], optional: tuple[str, ...], one_of: tuple
) -> pl.DataFrame:
    """Read ``path`` as all-text columns, with a 1-based ``row`` number and trimmed cells."""
    if not path.is_file():
        raise InputSchemaError(f"{path.name}: file not found in {path.parent}")
    df = pl.read_csv(path, infer_schema=False, raise_if_empty=False)
    missing = [c for c in required if c not in df.columns]
    missing += ["|".join(group) for group in one_of if not set(group) & set(df.columns)]
    if missing:
        raise InputSchemaError(f"{path.name}: missing required column(s) {', '.join(missing)}")
    wanted = (*required, *optional)
    absent = [pl.lit(None, dtype=pl.String).alias(c) for c in optional if c not in df.columns]
    df = df.with_columns(absent).select(wanted)
    return df.with_columns(clean_text(c) for c in wanted).with_row_index("row", offset=1)


def split_bad(df: pl.DataFrame, file: str, reasons: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split on the first non-null reason column, in the priority order given."""
    df = df.with_columns(pl.coalesce(*reasons).alias("_reason")).drop(reasons)
    bad = df.filter(pl.col("_reason").is_not_null()).select(
        pl.lit(file).alias("file"), pl.col("row").cast(pl.Int64), pl.col("_reason").alias("reason")
    )
    return df.filter(pl.col("_reason").is_null()).drop("_reason"), bad


def _campaign_columns() -> list[pl.Expr]:
    return [
        pl.col("media_source").fill_null(ORGANIC),
        pl.col("campaign").fill_null(NO_VALUE),
        pl.col("adset").fill_null(NO_VALUE),
    ]


def load_purchases(path: Path, cfg: PipelineConfig) -> tuple[pl.DataFrame, pl.DataFrame]:
    """AppsFlyer ``af_purchase`` rows -> event_id, player_id, ts, amount_minor, currency..."""
    df = read_text_csv(path, s.PURCHASES_REQUIRED, s.PURCHASES_OPTIONAL, s.PURCHASES_ONE_OF)
    df = df.with_columns(require(c) for c in ("event_id", "appsflyer_id", "customer_user_id"))
    df = parse_currency(df, "currency", cfg.currency_exponents)
    df = parse_money(df, "revenue", "revenue_minor", "amount_minor")
    df = parse_timestamp(df, "event_time", "event_tz", "ts")
    df = parse_timestamp(df, "install_time", "event_tz", "install_ts")
    order = ["event_id", "appsflyer_id", "customer_user_id", "currency", "amount_minor"]
    good, bad = split_bad(df, path.name, [err_col(c) for c in (*order, "ts", "install_ts")])
    good = good.select(
        "row",
        "event_id",
        "appsflyer_id",
        pl.col("customer_user_id").alias("player_id"),
        "ts",
        "amount_minor",
        "currency",
        "order_id",
        *_campaign_columns(),
        "install_ts",
    )
    return good, bad


def _optional_time(df: pl.DataFrame, name: str, tz: str) -> pl.DataFrame:
    """Parse an optional timestamp column: only a present-but-bad value is an error."""
    df = parse_timestamp(df, name, tz, f"{name}_ts")
    reason = pl.when(pl.col(name).is_not_null()).then(pl.col(err_col(f"{name}_ts")))
    return df.with_columns(reason.alias(err_col(f"{name}_ts")))


def load_gateway(
    path: Path, cfg: PipelineConfig
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Gateway rows -> (payments, reversals, bad rows); ``ts`` is the configured time of truth."""
    df = read_text_csv(path, s.GATEWAY_REQUIRED, s.GATEWAY_OPTIONAL, s.GATEWAY_ONE_OF)
    df = df.with_columns(
        pl.col("kind").str.to_lowercase().fill_null(s.KIND_PAYMENT),
        pl.col("status").str.to_lowercase(),
        pl.col("psp_txn_id").is_first_distinct().alias("_first"),
    )
    df = df.with_columns(require(c) for c in ("psp_txn_id", "player_id", "status"))
    df = parse_currency(df, "currency", cfg.currency_exponents)
    df = parse_money(df, "amount", "amount_minor", "amount_minor")
    df = _optional_time(df, "authorized_at", "tz")
    df = _optional_time(df, "captured_at", "tz")
    df = parse_fx_rate(df, "fx_rate", "fx_rate_e9")
    is_payment = pl.col("kind") == s.KIND_PAYMENT
    truth = f"{cfg.gateway_time_column}_ts"
    candidate = is_payment & pl.col("status").is_in(list(cfg.candidate_statuses))
    foreign = pl.col("currency") != cfg.reporting_currency
    rule = (
        pl.when(pl.col("psp_txn_id").is_not_null() & ~pl.col("_first"))
        .then(pl.lit("duplicate psp_txn_id"))
        .when(~pl.col("kind").is_in(list(s.KINDS)))
        .then(pl.format("unknown kind '{}'", pl.col("kind")))
        .when(is_payment & pl.col(truth).is_null() & pl.col(err_col(truth)).is_null())
        .then(pl.lit(f"missing {cfg.gateway_time_column}"))
        .when(~is_payment & pl.col("original_psp_txn_id").is_null())
        .then(pl.lit("reversal without original_psp_txn_id"))
        .when(
            ~is_payment & pl.col("captured_at_ts").is_null() & pl.col("authorized_at_ts").is_null()
        )
        .then(pl.lit("reversal without a timestamp"))
        .when(candidate & foreign & pl.col("fx_rate_e9").is_null())
        .then(pl.format("missing fx_rate for a {} payment", pl.col("currency")))
    )
    df = df.with_columns(rule.alias("_err_rule"))
    order = ["psp_txn_id", "player_id", "status", "currency", "amount_minor"]
    order += ["authorized_at_ts", "captured_at_ts", "fx_rate_e9"]
    good, bad = split_bad(df, path.name, [*(err_col(c) for c in order), "_err_rule"])
    good = good.with_columns(
        pl.col(truth).alias("ts"),
        pl.coalesce("captured_at_ts", "authorized_at_ts").alias("reversal_ts"),
        pl.when(pl.col("currency") == cfg.reporting_currency)
        .then(pl.lit(1_000_000_000, dtype=pl.Int128))
        .otherwise(pl.col("fx_rate_e9"))
        .alias("fx_rate_e9"),
    )
    base = ["row", "psp_txn_id", "player_id", "amount_minor", "currency", "status"]
    payments = good.filter(is_payment).select(
        *base, "order_id", "ts", "authorized_at_ts", "captured_at_ts", "fx_rate_e9"
    )
    reversals = good.filter(~is_payment).select(*base, "kind", "original_psp_txn_id", "reversal_ts")
    return payments, reversals, bad


def load_costs(path: Path, cfg: PipelineConfig) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Daily spend per campaign key, in reporting-currency minor units."""
    df = read_text_csv(path, s.COSTS_REQUIRED, s.COSTS_OPTIONAL, s.COSTS_ONE_OF)
    df = df.with_columns(pl.col("currency").fill_null(cfg.reporting_currency))
    df = parse_currency(df, "currency", cfg.currency_exponents)
    df = parse_money(df, "spend", "spend_minor", "spend_minor")
    df = parse_date(df, "date", "day")
    wrong = pl.when(pl.col("currency") != cfg.reporting_currency).then(
        pl.format("spend currency {} is not the reporting currency", pl.col("currency"))
    )
    df = df.with_columns(wrong.alias("_err_rule"))
    reasons = [err_col("day"), err_col("currency"), "_err_rule", err_col("spend_minor")]
    good, bad = split_bad(df, path.name, reasons)
    good = (
        good.with_columns(_campaign_columns())
        .group_by("day", *s.CAMPAIGN_KEY)
        .agg(pl.col("spend_minor").sum())
        .sort("day", *s.CAMPAIGN_KEY)
    )
    return good, bad


def load_sessions(path: Path, cfg: PipelineConfig) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One row per session with its UTC ``day`` and any attribution the source knew."""
    del cfg  # sessions need no thresholds; the parameter keeps the loaders uniform
    df = read_text_csv(path, s.SESSIONS_REQUIRED, s.SESSIONS_OPTIONAL, s.SESSIONS_ONE_OF)
    df = df.with_columns(require("player_id"))
    df = _optional_time(df, "session_start", "tz")
    df = parse_date(df, "date", "_date")
    day = pl.coalesce(pl.col("session_start_ts").dt.date(), pl.col("_date"))
    rule = (
        pl.when(pl.col("session_start").is_null() & pl.col("date").is_null())
        .then(pl.lit("missing session_start and date"))
        .when(pl.col("session_start").is_null())
        .then(pl.col(err_col("_date")))
    )
    df = df.with_columns(day.alias("day"), rule.alias("_err_rule"))
    reasons = [err_col("player_id"), err_col("session_start_ts")]
    good, bad = split_bad(df, path.name, [*reasons, "_err_rule"])
    good = good.select("row", "player_id", "day", "session_start_ts", *s.CAMPAIGN_KEY)
    return good, bad


def load_inputs(data_dir: Path, cfg: PipelineConfig) -> Inputs:
    """Load all four files from ``data_dir``; raises :class:`InputSchemaError` only."""
    purchases, bad_p = load_purchases(data_dir / s.PURCHASES_FILE, cfg)
    payments, reversals, bad_g = load_gateway(data_dir / s.GATEWAY_FILE, cfg)
    costs, bad_c = load_costs(data_dir / s.COSTS_FILE, cfg)
    sessions, bad_s = load_sessions(data_dir / s.SESSIONS_FILE, cfg)
    bad = pl.concat([b.cast(BAD_ROWS_SCHEMA) for b in (bad_p, bad_g, bad_c, bad_s)])  # type: ignore[arg-type]
    return Inputs(purchases, payments, reversals, costs, sessions, bad)
