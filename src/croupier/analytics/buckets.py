"""Local-time buckets (hour, day, ISO week) in an IANA zone, and their decomposition into whole
UTC rollup intervals.

Bucket edges are computed from the zone's rules, so a DST day has 23 or 25 hourly buckets and a
+05:30 day starts at 18:30 UTC. Each bucket is then cut into at most five runs of whole UTC
intervals, coarsest first (days inside, hours at the edges, quarter hours at the very edges),
which is what the rollup queries read: exact in every zone whose offsets are whole quarter hours
(all of them today), and few rows whatever the range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

QUARTER, HOUR, DAY = 0, 1, 2
GRAIN_SECONDS = {QUARTER: 900, HOUR: 3600, DAY: 86400}
UNITS = ("hour", "day", "week")
_STEP = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Bucket:
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    label: datetime  # the local start, with its offset


@dataclass(frozen=True, slots=True)
class Ranges:
    """Parallel arrays for ``unnest``: grain, [lo, hi) in UTC, and the bucket index."""

    grains: list[int]
    los: list[datetime]
    his: list[datetime]
    buckets: list[int]


def local_floor(moment: datetime, unit: str, zone: ZoneInfo) -> datetime:
    """The UTC start of the local hour/day/week containing ``moment``."""
    local = moment.astimezone(zone)
    if unit == "hour":
        # Step back through whole quarter hours to the local hour's first instant: correct in
        # zones whose offset is not a whole hour, and across DST changes.
        probe = moment.astimezone(UTC).replace(second=0, microsecond=0)
        probe -= timedelta(minutes=probe.minute % 15)
        while probe.astimezone(zone).minute != 0:
            probe -= _STEP
        return probe
    day = local.date()
    if unit == "week":
        day -= timedelta(days=day.weekday())
    return _midnight(day, zone)


def next_edge(start: datetime, unit: str, zone: ZoneInfo) -> datetime:
    """The UTC start of the bucket after the one starting at ``start``."""
    if unit == "hour":
        probe = start + _STEP
        while probe.astimezone(zone).minute != 0:
            probe += _STEP
        return probe
    day = start.astimezone(zone).date() + timedelta(days=7 if unit == "week" else 1)
    return _midnight(day, zone)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of a local date. Where midnight falls in a DST gap, fold=0 reads it
    with the earlier offset, which lands exactly on the transition: the day's first instant."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def make_buckets(start: datetime, end: datetime, unit: str, zone: ZoneInfo) -> list[Bucket]:
    """The buckets covering [start, end): from the one holding ``start`` to the one holding the
    last instant before ``end``."""
    edge = local_floor(start, unit, zone)
    buckets = []
    while edge < end:
        following = next_edge(edge, unit, zone)
        buckets.append(Bucket(edge, following, edge.astimezone(zone)))
        edge = following
    return buckets


def _ceil(moment: datetime, seconds: int) -> datetime:
    stamp = int(moment.timestamp())
    return datetime.fromtimestamp(-(-stamp // seconds) * seconds, UTC)


def _floor(moment: datetime, seconds: int) -> datetime:
    stamp = int(moment.timestamp())
    return datetime.fromtimestamp(stamp // seconds * seconds, UTC)


def split(start: datetime, end: datetime) -> list[tuple[int, datetime, datetime]]:
    """[start, end) as runs of whole UTC grain intervals, coarsest inside; both ends must be
    whole quarter hours."""
    if start >= end:
        return []
    for grain in (DAY, HOUR):
        seconds = GRAIN_SECONDS[grain]
        lo, hi = _ceil(start, seconds), _floor(end, seconds)
        if lo < hi:
            return [*split(start, lo), (grain, lo, hi), *split(hi, end)]
    return [(QUARTER, start, end)]


def decompose(buckets: list[Bucket]) -> Ranges:
    ranges = Ranges([], [], [], [])
    for index, bucket in enumerate(buckets):
        for grain, lo, hi in split(bucket.start, bucket.end):
            ranges.grains.append(grain)
            ranges.los.append(lo)
            ranges.his.append(hi)
            ranges.buckets.append(index)
    return ranges
