"""RTP monitoring per slice (reference B2.3): game x game version x stake level x channel, the
per-game aggregate, and game x stake level (the games report's rows), each judged by the full
z-test (rtp_monitor), the capped z-test, the large-win count and the CUSUM drift (rtp_tests).

Only the game's current catalogue version is monitored: a new version starts a new window, and
its maths (game_configs) must be for that version, else the tests answer NO_CONFIG. Everything
is read from the rollups in one query: the 32 days before the report's end, by day; the three
trailing 30-day windows (ending at the end and 1 and 2 days before, for the consecutive-WARN
rule) are sums of those days, and the last 30 are the drift's daily series.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from croupier.analytics import queries, rtp_monitor, rtp_tests
from croupier.analytics.buckets import Ranges, split
from croupier.analytics.reports import Request

_FINE = ("x.game_id", "x.game_version", "x.stake_level", "x.channel")
_LEVEL = ("x.game_id", "x.game_version", "x.stake_level")
_GAME = ("x.game_id", "x.game_version")

Key = tuple[int, int | None, str | None]  # game, stake level (None: all), channel (None: all)


@dataclass(frozen=True, slots=True)
class SliceReport:
    game_id: int
    game_version: int
    stake_level: int | None
    channel: str | None
    window: rtp_monitor.SliceStats
    full: rtp_monitor.Assessment
    capped: rtp_tests.CappedResult
    large_wins: rtp_tests.LargeWinResult
    drift: rtp_tests.DriftResult

    @property
    def status(self) -> str:
        return rtp_tests.worst(
            self.full.status, self.capped.status, self.large_wins.status, self.drift.status
        )


@dataclass(slots=True)
class Monitor:
    slices_tested: int  # K, for the multiplicity correction
    day_starts: list[datetime]
    reports: dict[Key, SliceReport] = field(default_factory=dict)

    def game(self, game_id: int) -> SliceReport | None:
        return self.reports.get((game_id, None, None))

    def level(self, game_id: int, stake_level: int) -> SliceReport | None:
        return self.reports.get((game_id, stake_level, None))

    def levels(self, game_id: int) -> list[SliceReport]:
        """Game x stake level, every channel."""
        return sorted(
            (r for k, r in self.reports.items() if k[0] == game_id and _is_level(k)),
            key=lambda r: r.stake_level or 0,
        )

    def fine(self, game_id: int) -> list[SliceReport]:
        """Game x version x stake level x channel."""
        return sorted(
            (r for k, r in self.reports.items() if k[0] == game_id and k[2] is not None),
            key=lambda r: (r.stake_level or 0, r.channel or ""),
        )

    def game_status(self, game_id: int) -> str | None:
        """The worst status of the game's aggregate and of every slice of it."""
        statuses = [r.status for k, r in self.reports.items() if k[0] == game_id]
        return rtp_tests.worst(*statuses) if statuses else None


def _is_level(key: Key) -> bool:
    return key[1] is not None and key[2] is None


# The days read: the 30-day window plus the days before it that the consecutive-WARN rule's
# earlier windows (ending 1 and 2 days before) reach back to.
_SPAN_DAYS = rtp_monitor.WINDOW_DAYS + rtp_monitor.CONSECUTIVE_WARN_DAYS - 1


def _days(end: datetime) -> tuple[Ranges, list[datetime]]:
    """The ``_SPAN_DAYS`` days before ``end``, oldest first (bucket = day index)."""
    ranges, starts = Ranges([], [], [], []), []
    for day in range(_SPAN_DAYS):
        start = end - timedelta(days=_SPAN_DAYS - day)
        starts.append(start)
        _add(ranges, start, start + timedelta(days=1), day)
    return ranges, starts


# What the tests read (rtp_monitor.SliceStats, in its field order): the only sums queried.
_MONITORED = ("rounds", "stake", "stake_sq", "win", "capped_win", "large_wins")
_NOTHING = rtp_monitor.SliceStats(0, 0, 0.0, 0, 0, 0)

Days = dict[int, tuple[Any, ...]]  # day index -> the monitored sums of that day


def _over(days: Days, first: int, stop: int) -> rtp_monitor.SliceStats:
    """The monitored sums of days [first, stop), added column by column."""
    present = [values for day, values in days.items() if first <= day < stop]
    if not present:
        return _NOTHING
    return rtp_monitor.SliceStats(*(sum(column) for column in zip(*present, strict=True)))


def _trailing(days: Days) -> list[rtp_monitor.SliceStats]:
    """The 30-day windows ending at the last day, 1 and 2 days earlier: sums of whole days,
    so one read of the rollups serves both the windows and the daily drift series."""
    return [
        _over(days, _SPAN_DAYS - rtp_monitor.WINDOW_DAYS - back, _SPAN_DAYS - back)
        for back in range(rtp_monitor.CONSECUTIVE_WARN_DAYS)
    ]


def _daily(days: Days) -> list[rtp_monitor.SliceStats]:
    """The last window's days, oldest first, for the drift test."""
    first = _SPAN_DAYS - rtp_monitor.WINDOW_DAYS
    return [
        rtp_monitor.SliceStats(*days[day]) if day in days else _NOTHING
        for day in range(first, _SPAN_DAYS)
    ]


def _add(ranges: Ranges, lo: datetime, hi: datetime, bucket: int) -> None:
    for grain, a, b in split(lo, hi):
        ranges.grains.append(grain)
        ranges.los.append(a)
        ranges.his.append(b)
        ranges.buckets.append(bucket)


def _key(row: asyncpg.Record) -> Key:
    return (
        row["game_id"],
        None if row["g_stake_level"] else row["stake_level"],
        None if row["g_channel"] else row["channel"],
    )


def capped_config(game: Any) -> rtp_tests.CappedConfig | None:
    """The capped maths, if game_configs holds them for the game's current version."""
    if game is None or game["capped_rtp"] is None or game["config_version"] != game["game_version"]:
        return None
    return rtp_tests.CappedConfig(
        cap_multiple=game["cap_multiple"],
        mean=Decimal(game["capped_rtp"]),
        sigma=game["capped_sigma"],
        p_large=Decimal(game["p_large"]),
        p_top=game["p_top_capped"] or 0.0,
    )


def _full_config(game: Any) -> tuple[Decimal | None, float | None, float | None]:
    if game is None or game["expected_rtp"] is None:
        return None, None, None
    if game["config_version"] != game["game_version"]:
        return None, None, None  # the maths of another version: not to be judged against
    return game["expected_rtp"], game["sigma"], game["p_top"]


async def monitor(conn: asyncpg.Connection, request: Request) -> Monitor:
    """Every slice of every game in the request's scope and filters."""
    ranges, starts = _days(request.window.end)
    day_starts = starts[-rtp_monitor.WINDOW_DAYS :]
    rows = await queries.rollup_sums(
        conn,
        request.target,
        request.filters,
        ranges,
        sets=(("r.b", *_FINE), ("r.b", *_LEVEL), ("r.b", *_GAME)),
        extra_where="x.game_id <> 0",
        sums=_MONITORED,
    )
    by_day: dict[tuple[int, int], dict[Key, Days]] = {}
    for row in rows:
        by_key = by_day.setdefault((row["game_id"], row["game_version"]), {})
        by_key.setdefault(_key(row), {})[row["b"]] = tuple(row[n] or 0 for n in _MONITORED)
    windows = {
        game: {key: _trailing(days) for key, days in by_key.items()}
        for game, by_key in by_day.items()
    }
    catalogue = await queries.game_catalogue(conn, sorted({g for g, _ in windows}))
    current = {
        key: slices
        for key, slices in windows.items()
        if key[0] in catalogue and catalogue[key[0]]["game_version"] == key[1]
    }
    # K: the slices of the reference's family (game x version x level x channel, and one per
    # game) with play in the window, i.e. the tests run today.
    slices = sum(
        1
        for by_key in current.values()
        for k, periods in by_key.items()
        if (k[2] is not None or k[1] is None) and periods[0].rounds > 0
    )
    result = Monitor(slices, day_starts)
    for (game_id, version), by_key in current.items():
        game = catalogue[game_id]
        expected_rtp, sigma, p_top = _full_config(game)
        capped = capped_config(game)
        days_of = by_day[(game_id, version)]
        for key, trailing in by_key.items():
            window, *previous = trailing
            days = _daily(days_of[key])
            result.reports[key] = SliceReport(
                game_id=game_id,
                game_version=version,
                stake_level=key[1],
                channel=key[2],
                window=window,
                full=rtp_monitor.assess(
                    window,
                    expected_rtp=expected_rtp,
                    sigma=sigma,
                    p_top=p_top,
                    slices=slices,
                    previous_days=previous,
                ),
                capped=rtp_tests.capped_test(window, capped, slices=slices, previous_days=previous),
                large_wins=rtp_tests.large_win_test(
                    window, capped, slices=slices, previous_days=previous
                ),
                drift=rtp_tests.drift_test(days, capped),
            )
    return result
