"""Plans of past play for the backfill: each bot's sessions over the period, in time order.

Pure: the same seed gives the same plan. A session starts at an hour the bot's profile and
local day/night rhythm make likely, never overlaps the previous one, and holds the bot's spins
at its profile's pace; the stakes themselves are drawn while playing (a loss-chaser's next
stake depends on the last outcome).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from croupier.simulation import profiles
from croupier.simulation.profiles import Profile

_SESSION_BREAK = timedelta(minutes=20)  # at least this between two sessions of a bot


@dataclass(frozen=True, slots=True)
class Session:
    game_index: int  # into the bot's operator's playable builtin games
    times: list[datetime]  # one per spin


def split(total: int, parts: int) -> list[int]:
    """``total`` spread over ``parts`` as evenly as whole numbers allow."""
    share, extra = divmod(total, parts)
    return [share + (1 if index < extra else 0) for index in range(parts)]


def _session_start(rng: random.Random, start: datetime, span: float, zone: ZoneInfo) -> datetime:
    """A moment in the period, by rejection sampling on the local hour's activity."""
    while True:
        moment = start + timedelta(seconds=rng.random() * span)
        if rng.random() < profiles.activity(moment.astimezone(zone).hour):
            return moment


def plan_sessions(
    *,
    profile: Profile,
    timezone: str,
    spins: int,
    games: int,
    start: datetime,
    end: datetime,
    rng: random.Random,
    extra: Callable[[], int] | None = None,
) -> Iterator[Session]:
    """The bot's sessions, oldest first, holding ``spins`` spins in all (the last ones may be
    squeezed before ``end`` when a bot has more play than its period holds). ``extra`` is
    asked at each session's start for spins to add to it (ones the bot could not play in an
    earlier session), so the sessions after it move later."""
    lengths: list[int] = []
    while sum(lengths) < spins:
        lengths.append(min(profiles.session_spins(profile, rng), spins - sum(lengths)))
    zone = ZoneInfo(timezone)
    span = (end - start).total_seconds()
    starts = sorted(_session_start(rng, start, span, zone) for _ in lengths)
    free_from = start
    for begin, planned in zip(starts, lengths, strict=True):
        length = planned + (extra() if extra is not None else 0)
        moment = max(begin, free_from)
        times = []
        for _ in range(length):
            times.append(min(moment, end))
            moment += timedelta(seconds=profiles.spin_gap(profile, rng))
        free_from = moment + _SESSION_BREAK
        yield Session(game_index=rng.randrange(games), times=times)
