"""The robust same-weekday anomaly rule (analytics.md B4.3) on hand-computed series."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from croupier.engagement.pipeline.anomaly import robust_z

TODAY = date(2024, 3, 4)  # a Monday
KEY = ("campaign",)


def _series(today: float | None, baseline: list[float], spend: int = 50_000) -> pl.DataFrame:
    """``baseline`` on the previous Mondays (most recent first), noise on other weekdays."""
    rows = [{"campaign": "c1", "day": TODAY, "roas": today, "spend_minor": spend}]
    for weeks_back, value in enumerate(baseline, start=1):
        rows.append({"campaign": "c1", "day": TODAY - timedelta(weeks=weeks_back),
                     "roas": value, "spend_minor": 50_000})  # fmt: skip
    # Other weekdays hold wildly different values: the rule must not look at them.
    for days_back in range(1, 7):
        rows.append({"campaign": "c1", "day": TODAY - timedelta(days=days_back),
                     "roas": 50.0, "spend_minor": 50_000})  # fmt: skip
    return pl.DataFrame(rows)


def _score(series: pl.DataFrame, **overrides) -> dict:
    params = {"weeks": 8, "min_spend": 10_000, "min_history": 4, "threshold": 3.5} | overrides
    scored = robust_z(series, KEY, "roas", **params)
    return scored.filter(pl.col("day") == TODAY).to_dicts()[0]


BASELINE = [1.0, 1.1, 0.9, 1.0, 1.05, 0.95, 1.0, 1.02]
# sorted: .9 .95 1 1 1 1.02 1.05 1.1 -> median 1.0
# |dev| sorted: 0 0 0 .02 .05 .05 .1 .1 -> MAD 0.035; sigma = 1.4826 * 0.035 = 0.051891


def test_injected_outlier_is_flagged():
    row = _score(_series(2.0, BASELINE))
    assert row["median"] == pytest.approx(1.0)
    assert row["mad"] == pytest.approx(0.035)
    assert row["z"] == pytest.approx(1.0 / (1.4826 * 0.035))  # 19.27
    assert row["flagged"] is True


def test_a_normal_day_is_not_flagged():
    row = _score(_series(1.03, BASELINE))
    assert row["z"] == pytest.approx(0.03 / (1.4826 * 0.035))  # 0.58
    assert row["evaluated"] is True
    assert row["flagged"] is False


def test_a_drop_is_flagged_too():
    assert _score(_series(0.5, BASELINE))["z"] == pytest.approx(-0.5 / (1.4826 * 0.035))


def test_low_spend_days_are_not_evaluated():
    row = _score(_series(9.0, BASELINE, spend=9_999))
    assert (row["evaluated"], row["flagged"]) == (False, False)
    assert row["not_evaluated_reason"] == "spend below minimum"
    assert row["z"] is None


def test_low_spend_baseline_days_are_left_out_of_the_baseline():
    series = _series(1.0, BASELINE).with_columns(
        pl.when(pl.col("day") == TODAY - timedelta(weeks=1))
        .then(0)
        .otherwise(pl.col("spend_minor"))
        .alias("spend_minor")
    )
    assert len(_score(series)["baseline"]) == 7


def test_short_history_is_not_evaluated():
    row = _score(_series(5.0, [1.0, 1.1, 0.9]))
    assert row["not_evaluated_reason"] == "insufficient history"
    assert row["flagged"] is False


def test_mad_zero_falls_back_to_the_mean_absolute_deviation():
    baseline = [1.0] * 7 + [2.0]  # MAD 0, mean |dev| = 1/8
    row = _score(_series(1.5, baseline))
    assert row["mad"] == 0
    assert row["z"] == pytest.approx(0.5 / (1.253314 * 0.125))  # 3.19: not flagged
    assert row["flagged"] is False
    assert _score(_series(2.0, baseline))["flagged"] is True  # 6.38


def test_constant_baseline_flags_any_change_and_nothing_else():
    assert _score(_series(1.0, [1.0] * 8))["z"] == 0
    changed = _score(_series(1.01, [1.0] * 8))
    assert changed["z"] == float("inf")
    assert changed["flagged"] is True
