"""The statistics of RTP monitoring (rtp_tests) against hand-computed values: the exact Poisson
tails, the capped z-test's statuses and gate, the large-win count and the CUSUM."""

from __future__ import annotations

from decimal import Decimal, localcontext
from math import exp, sqrt

import pytest

from croupier.analytics import rtp_tests
from croupier.analytics.rtp_monitor import SliceStats, z_critical
from croupier.analytics.rtp_tests import CappedConfig, capped_test, cusum, large_win_test

CONFIG = CappedConfig(
    cap_multiple=100, mean=Decimal("0.8"), sigma=4.0, p_large=Decimal("0.001"), p_top=0.001
)
STAKE = 100


def _window(rounds: int, z: float = 0.0, large: int = 0) -> SliceStats:
    """``rounds`` equal stakes whose capped RTP sits ``z`` standard errors from mu_C = 0.8."""
    handle = rounds * STAKE
    capped = round(handle * (0.8 + z * CONFIG.sigma / sqrt(rounds)))
    return SliceStats(rounds, handle, float(rounds * STAKE * STAKE), capped, capped, large)


def _reference_tail(k: int, lam: str, upper: bool) -> float:
    """P(X <= k) or P(X >= k) for Poisson(lam) in 60-digit decimals, the plain way."""
    with localcontext() as ctx:
        ctx.prec = 60
        rate = Decimal(lam)
        term, below = Decimal(1), Decimal(0)  # lam^i / i!
        for i in range(k + (0 if upper else 1)):
            below += term
            term = term * rate / (i + 1)
        below *= (-rate).exp()
        return float(1 - below if upper else below)


def test_poisson_tails_against_closed_forms() -> None:
    # P(X >= 8 | 2) = 1 - e^-2 (1 + 2 + 2 + 4/3 + 2/3 + 4/15 + 4/45 + 8/315) = 1 - (155/21) e^-2
    upper = 1 - 155 / 21 * exp(-2)
    assert rtp_tests.poisson_upper(8, 2.0) == pytest.approx(upper, rel=1e-12)
    assert rtp_tests.poisson_two_sided(8, 2.0) == pytest.approx(2 * upper, rel=1e-12)
    # Nothing observed where 10 are expected: P(X <= 0) = e^-10.
    assert rtp_tests.poisson_cdf(0, 10.0) == pytest.approx(exp(-10), rel=1e-12)
    assert rtp_tests.poisson_two_sided(0, 10.0) == pytest.approx(2 * exp(-10), rel=1e-12)
    assert rtp_tests.poisson_two_sided(3, 3.0) == 1.0  # both tails hold more than half
    assert rtp_tests.poisson_two_sided(0, 0.0) == 1.0
    assert rtp_tests.poisson_two_sided(1, 0.0) == 0.0  # impossible under the maths
    with pytest.raises(ValueError):
        rtp_tests.poisson_two_sided(-1, 2.0)


@pytest.mark.parametrize(("k", "lam"), [(400, "288.6"), (200, "288.6"), (2, "30"), (31, "30")])
def test_poisson_tails_against_a_decimal_reference(k: int, lam: str) -> None:
    lower, upper = _reference_tail(k, lam, False), _reference_tail(k, lam, True)
    assert rtp_tests.poisson_cdf(k, float(lam)) == pytest.approx(lower, rel=1e-9)
    assert rtp_tests.poisson_upper(k, float(lam)) == pytest.approx(upper, rel=1e-9)
    expected = min(1.0, 2 * min(lower, upper))
    assert rtp_tests.poisson_two_sided(k, float(lam)) == pytest.approx(expected, rel=1e-9)


def test_p_thresholds_are_the_z_thresholds() -> None:
    assert rtp_tests.p_threshold(3.29) == pytest.approx(0.001, rel=0.01)
    # 500 slices at alpha = 0.01: z_crit = 4.26 and its p-value is alpha / K.
    assert rtp_tests.p_threshold(z_critical(500)) == pytest.approx(0.01 / 500, rel=1e-9)


def test_capped_test_statuses() -> None:
    # N = 40 000 stakes of 100: SE = 4 / 200 = 0.02, so a capped RTP of 0.70 is z = -5.
    result = capped_test(_window(40_000, -5), CONFIG, slices=500)
    assert result.status == "ALERT" and result.z == pytest.approx(-5)
    assert result.observed == Decimal("0.7") and result.expected == Decimal("0.8")
    assert result.required_n_eff == 10_000  # max(10 000, 10 / p_top)
    assert capped_test(_window(40_000, 0.5), CONFIG, slices=500).status == "OK"
    assert capped_test(_window(40_000, -3.5), CONFIG, slices=500).status == "WARN"
    streak = [_window(40_000, -3.4), _window(40_000, -3.6)]
    assert capped_test(_window(40_000, -3.5), CONFIG, slices=500, previous_days=streak).status == (
        "ALERT"
    )
    broken = [_window(40_000, -3.4), _window(40_000, -1.0)]
    assert capped_test(_window(40_000, -3.5), CONFIG, slices=500, previous_days=broken).status == (
        "WARN"
    )
    assert capped_test(_window(9_000, -9), CONFIG, slices=1).status == "INSUFFICIENT_VOLUME"
    assert capped_test(_window(40_000, -9), None, slices=1).status == "NO_CONFIG"


def test_large_win_test_statuses() -> None:
    # 100 000 rounds at p_large = 0.001: lambda = 100.
    on_target = large_win_test(_window(100_000, large=100), CONFIG, slices=500)
    assert on_target.status == "OK" and on_target.expected == pytest.approx(100)
    many = large_win_test(_window(100_000, large=160), CONFIG, slices=500)
    assert many.status == "ALERT"
    assert many.p_value == pytest.approx(2 * _reference_tail(160, "100", True), rel=1e-9)
    # 140 large wins: p = 2 P(X >= 140) lies between alpha / K = 2e-5 and 0.001: WARN.
    p_140 = 2 * _reference_tail(140, "100", True)
    assert 0.01 / 500 < p_140 < 0.001
    assert large_win_test(_window(100_000, large=140), CONFIG, slices=500).status == "WARN"
    few = large_win_test(_window(100_000, large=55), CONFIG, slices=500)
    assert few.p_value == pytest.approx(2 * _reference_tail(55, "100", False), rel=1e-9)
    assert few.status == "ALERT"  # far too few big wins is a fault too
    assert large_win_test(_window(100_000, large=1), None, slices=1).status == "NO_CONFIG"


def test_cusum_catches_a_slow_drift_no_day_shows() -> None:
    """20 days slightly over (z = +0.6) then 10 days under (z = -1.2): S stays at 0, then grows
    by 1.2 - 0.5 = 0.7 a day and first reaches h = 5 on the 8th bad day (5.6), day index 27."""
    scores = [0.6] * 20 + [-1.2] * 10
    path = cusum(scores)
    assert path[:20] == [0.0] * 20
    assert path[20:] == pytest.approx([0.7 * n for n in range(1, 11)])
    assert next(t for t, s in enumerate(path) if s >= rtp_tests.CUSUM_H) == 27
    assert max(abs(z) for z in scores) < 3.29
    assert sum(scores) == pytest.approx(0)  # and the 30-day window is on target
    assert cusum([-1.0, None, -1.0]) == [0.5, 0.5, 1.0]  # a day under the gate keeps S
    assert rtp_tests.worst("OK", "NO_CONFIG", "WARN") == "WARN"
    assert rtp_tests.worst("INSUFFICIENT_VOLUME", "NO_CONFIG") == "INSUFFICIENT_VOLUME"
