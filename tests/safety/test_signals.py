"""The signal rules of reference A3.2, as pure functions."""

from __future__ import annotations

import statistics
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from croupier.safety import signals
from croupier.safety.state import RING_SIZE, Spin, day_key, from_ms


def ring_of(
    stakes_wins: list[tuple[int, int]], gap_ms: int = 5000, spin_ms: int = -1
) -> list[Spin]:
    return [[i * gap_ms, stake, win, spin_ms] for i, (stake, win) in enumerate(stakes_wins)]


def test_bet_accel_is_recent_mean_over_baseline() -> None:
    ring = ring_of([(100, 0)] * 5 + [(300, 0)] * 10)
    assert signals.bet_accel(ring, 100.0, 10) == pytest.approx(3.0)
    assert signals.bet_accel(ring, None, 10) == 0.0


def test_session_baseline_needs_enough_spins() -> None:
    assert signals.session_baseline([100] * 9, 10) is None
    assert signals.session_baseline([100] * 9 + [500], 10) == 100.0


def test_loss_chase_counts_raises_right_after_losses_only() -> None:
    # martingale: three doublings after losses count three; a raise after a win does not count
    ring = ring_of([(100, 0), (200, 0), (400, 0), (800, 1600), (1600, 0)])
    assert signals.chase_events(ring, 20, 1.5) == (3, 1)


def test_loss_chase_treats_losses_disguised_as_wins_as_losses() -> None:
    ring = ring_of([(100, 60), (200, 0)])  # won back 60 of 100: still a loss
    assert signals.chase_events(ring, 20, 1.5) == (1, 0)


def test_loss_chase_looks_only_at_the_window() -> None:
    ring = ring_of([(100, 0), (200, 0)] + [(200, 0)] * 20)
    assert signals.chase_events(ring, 20, 1.5) == (0, 0)


@pytest.mark.parametrize(("p_loss", "length"), [(0.72, 15), (0.55, 8), (0.80, 21)])
def test_loss_streak_length_matches_the_reference(p_loss: float, length: int) -> None:
    assert signals.loss_streak_length(p_loss) == length
    assert signals.loss_streak(length, p_loss) == pytest.approx(1.0)
    assert signals.loss_streak(length - 1, p_loss) < 1.0


def test_loss_streak_without_p_loss_is_silent() -> None:
    assert signals.loss_streak(100, None) == 0.0


def test_spin_rate_is_pace_over_the_fastest_legal_pace() -> None:
    fast = ring_of([(100, 0)] * 22, gap_ms=2500)  # 22 spins in 52.5 s at a 2.5 s minimum cycle
    assert signals.spin_rate(fast, fast[-1][0], 2500, 5, 0.5) >= 0.9
    slow = ring_of([(100, 0)] * 22, gap_ms=5000)
    assert signals.spin_rate(slow, slow[-1][0], 2500, 5, 0.5) < 0.9


def test_spin_rate_counts_faster_decisions_after_losses() -> None:
    ring: list[Spin] = []
    t = 0
    for i in range(24):
        lost = i % 2 == 0
        ring.append([t, 100, 0 if lost else 200, 1000])
        t += 1500 if lost else 9000  # quick after a loss, slow after a win
    assert signals.faster_after_losses(ring, 5, 0.5)
    assert signals.spin_rate(ring, t, 2500, 5, 0.5) == 1.0


def test_session_loss_share_of_funds() -> None:
    assert signals.session_loss(5000, 8000, 2000) == pytest.approx(0.5)
    assert signals.session_loss(-100, 8000, 0) == 0.0
    assert signals.session_loss(100, 0, 0) == 0.0


def test_night_window_and_share() -> None:
    assert signals.is_night(3, 0, 6) and not signals.is_night(6, 0, 6)
    assert signals.is_night(23, 22, 6) and signals.is_night(2, 22, 6)
    assert signals.night_play(True, 0.1, 0.68) == 1.0
    assert signals.night_play(True, 0.9, 0.68) == 0.0  # a habitual night player: no change
    assert signals.night_play(False, 0.5, 0.68) == 0.0


def test_bet_volatility_needs_a_full_ring() -> None:
    steady = ring_of([(100, 0)] * RING_SIZE)
    wild = ring_of([(10, 0), (1000, 0)] * (RING_SIZE // 2))
    assert signals.bet_volatility(steady, RING_SIZE) == 0.0
    assert signals.bet_volatility(wild, RING_SIZE) >= 0.9
    assert signals.bet_volatility(wild[:10], RING_SIZE) == 0.0


def test_deposit_velocity_by_count_or_daily_multiple() -> None:
    deposits = [[0, 100], [60_000, 100], [120_000, 100]]
    kwargs = {"count": 3, "window_minutes": 60, "daily_multiple": 3.0, "min_days": 3}
    assert signals.deposit_velocity(deposits, 150_000, 300, [], **kwargs) == 1.0
    assert signals.deposit_velocity(deposits[:1], 150_000, 100, [], **kwargs) == 0.0
    assert signals.deposit_velocity(deposits[:1], 0, 3000, [1000, 900, 1100], **kwargs) == 1.0
    assert signals.deposit_velocity(deposits[:1], 0, 2000, [1000, 900, 1100], **kwargs) == 0.0


# ---- the ring scans run on every spin, written as plain loops: they must equal the rules ----

_rings = st.lists(
    st.tuples(
        st.integers(0, 120_000),  # at_ms
        st.integers(1, 5_000),  # stake
        st.sampled_from([0, 1, 50, 100, 200, 1_000, 10_000]),  # win
        st.sampled_from([-1, 0, 800, 2_500]),  # spin_ms
    ).map(list),
    max_size=RING_SIZE,
)


@given(ring=_rings, window=st.integers(2, 30), ratio=st.sampled_from([1.0, 1.5, 2.0]))
def test_chase_events_counts_what_the_rule_says(
    ring: list[Spin], window: int, ratio: float
) -> None:
    recent = ring[-window:]
    expected = tuple(
        sum(
            1
            for previous, spin in pairwise(recent)
            if (previous[2] < previous[1]) == after_loss and spin[1] >= ratio * previous[1]
        )
        for after_loss in (True, False)
    )
    assert signals.chase_events(ring, window, ratio) == expected


@given(ring=_rings, at_ms=st.integers(0, 200_000), min_cycle=st.sampled_from([0, 1, 2_500]))
def test_spin_rate_is_the_last_minutes_spins_over_the_fastest_pace(
    ring: list[Spin], at_ms: int, min_cycle: int
) -> None:
    recent = len([spin for spin in ring if spin[0] > at_ms - 60_000])
    pace = recent / (60_000 / max(min_cycle, 1))
    rate = signals.spin_rate(ring, at_ms, min_cycle, 5, 0.5)
    assert rate == pace or (pace < 1.0 and rate == 1.0)


@given(ring=_rings)
def test_bet_volatility_is_the_stakes_coefficient_of_variation(ring: list[Spin]) -> None:
    stakes = [spin[1] for spin in ring[-RING_SIZE:]]
    if len(stakes) < RING_SIZE:
        assert signals.bet_volatility(ring, RING_SIZE) == 0.0
        return
    assert signals.bet_volatility(ring, RING_SIZE) == pytest.approx(
        statistics.pstdev(stakes) / statistics.fmean(stakes), rel=1e-12
    )


@given(ms=st.integers(-(10**13), 10**13))
def test_a_moments_day_is_its_utc_date(ms: int) -> None:
    assert day_key(ms) == from_ms(ms).date().isoformat()
