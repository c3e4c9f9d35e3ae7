"""Exact conversion of minor units into the reporting currency (analytics.md B1).

Each gateway payment carries its booking-time FX rate (``fx_rate_e9``: reporting units per
one unit of its currency, scaled by 10**9). The conversion is pure integer arithmetic on
Int128, so it can neither overflow nor pick up float error, and rounds half up once.
"""

from __future__ import annotations

import polars as pl

RATE_SCALE = 1_000_000_000


def _pow10(exp: pl.Expr) -> pl.Expr:
    """10**exp for the small non-negative exponents of ISO 4217 (0..3 and their gaps)."""
    table = {k: 10**k for k in range(7)}
    return exp.replace_strict(table, return_dtype=pl.Int128)


def to_reporting_minor(
    amount: pl.Expr, currency: pl.Expr, rate_e9: pl.Expr, exponents: dict[str, int], reporting: str
) -> pl.Expr:
    """``amount`` (minor units of ``currency``) in minor units of ``reporting``, rounded half up.

    value = amount * rate * 10**(e_rep - e_cur); e.g. 1000 JPY (e=0) at 0.0067 USD/JPY is
    1000 * 0.0067 * 100 = 670 US cents.
    """
    e_cur = currency.replace_strict(exponents, default=None, return_dtype=pl.Int64)
    shift = pl.lit(exponents[reporting], dtype=pl.Int64) - e_cur
    numerator = amount.cast(pl.Int128) * rate_e9.cast(pl.Int128) * _pow10(shift.clip(lower_bound=0))
    denominator = pl.lit(RATE_SCALE, dtype=pl.Int128) * _pow10((-shift).clip(lower_bound=0))
    two = pl.lit(2, dtype=pl.Int128)
    return ((numerator * two + denominator) // (denominator * two)).cast(pl.Int64)
