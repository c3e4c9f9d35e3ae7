"""Local-time buckets: DST days of 23 and 25 hours in America/Los_Angeles, +05:30 and +05:45
days, ISO weeks, and the decomposition into whole UTC intervals (checked exhaustively)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from croupier.analytics.buckets import GRAIN_SECONDS, make_buckets, split
from croupier.analytics.params import parse_window
from croupier.kit.errors import InvalidInputError

LA = ZoneInfo("America/Los_Angeles")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_spring_forward_day_has_23_hours_and_fall_back_day_25() -> None:
    march = make_buckets(utc(2026, 3, 8, 8), utc(2026, 3, 9, 7), "hour", LA)
    assert len(march) == 23
    assert [b.label.hour for b in march[:3]] == [0, 1, 3]
    november = make_buckets(utc(2026, 11, 1, 7), utc(2026, 11, 2, 8), "hour", LA)
    assert len(november) == 25
    assert [(b.label.hour, b.label.utcoffset()) for b in november[1:3]] == [
        (1, timedelta(hours=-7)),
        (1, timedelta(hours=-8)),
    ]
    days = make_buckets(utc(2026, 3, 7, 12), utc(2026, 3, 9, 12), "day", LA)
    assert [(b.start, b.end - b.start) for b in days] == [
        (utc(2026, 3, 7, 8), timedelta(hours=24)),
        (utc(2026, 3, 8, 8), timedelta(hours=23)),
        (utc(2026, 3, 9, 7), timedelta(hours=24)),
    ]
    fall = make_buckets(utc(2026, 11, 1, 12), utc(2026, 11, 1, 13), "day", LA)
    assert (fall[0].start, fall[0].end) == (utc(2026, 11, 1, 7), utc(2026, 11, 2, 8))


def test_half_and_three_quarter_hour_zones() -> None:
    kolkata = make_buckets(utc(2026, 3, 8), utc(2026, 3, 8, 1), "day", ZoneInfo("Asia/Kolkata"))
    assert (kolkata[0].start, kolkata[0].end) == (utc(2026, 3, 7, 18, 30), utc(2026, 3, 8, 18, 30))
    hours = make_buckets(utc(2026, 3, 8), utc(2026, 3, 8, 2), "hour", ZoneInfo("Asia/Kolkata"))
    assert [b.start for b in hours] == [
        utc(2026, 3, 7, 23, 30),
        utc(2026, 3, 8, 0, 30),
        utc(2026, 3, 8, 1, 30),
    ]
    nepal = make_buckets(utc(2026, 3, 8, 6), utc(2026, 3, 8, 7), "day", ZoneInfo("Asia/Kathmandu"))
    assert nepal[0].start == utc(2026, 3, 7, 18, 15)


def test_iso_weeks_start_on_local_monday() -> None:
    weeks = make_buckets(utc(2026, 3, 4), utc(2026, 3, 20), "week", LA)
    assert [b.label.date().isoformat() for b in weeks] == ["2026-03-02", "2026-03-09", "2026-03-16"]
    assert weeks[0].end - weeks[0].start == timedelta(hours=167)  # the DST week


def test_window_widens_to_whole_buckets_and_reads_naive_times_as_local() -> None:
    window = parse_window(
        datetime(2026, 3, 8, 12, 7), datetime(2026, 3, 8, 13), "day", "America/Los_Angeles"
    )
    assert (window.start, window.end) == (utc(2026, 3, 8, 8), utc(2026, 3, 9, 7))
    with pytest.raises(InvalidInputError):
        parse_window(utc(2026, 3, 8), utc(2026, 3, 8), "day", "UTC")


@settings(max_examples=300, deadline=None)
@given(
    start=st.integers(0, 4 * 24 * 400),
    length=st.integers(1, 4 * 24 * 40),
)
def test_split_partitions_exactly_into_aligned_runs(start: int, length: int) -> None:
    origin = utc(2026, 1, 1)
    lo = origin + timedelta(minutes=15 * start)
    hi = lo + timedelta(minutes=15 * length)
    runs = split(lo, hi)
    assert runs[0][1] == lo and runs[-1][2] == hi
    assert all(a[2] == b[1] for a, b in pairwise(runs))
    for grain, a, b in runs:
        step = GRAIN_SECONDS[grain]
        assert a.timestamp() % step == 0 and b.timestamp() % step == 0 and a < b
    assert len(runs) <= 5
