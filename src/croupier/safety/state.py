"""The rolling state the engine keeps per session and per player, serialisable to JSON.

Times are epoch milliseconds (cheap to store and compare). Everything is bounded: the last 50
spins of a session, 30 days of per-day player history, 24 hours of deposits, so the state row
stays a few kilobytes however long a player plays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

RING_SIZE = 50
HISTORY_DAYS = 30
DAY_MS = 86_400_000
_EPOCH = date(1970, 1, 1)

# A spin in the ring: [at_ms, stake, win, spin_ms], spin_ms = -1 when the client did not say.
Spin = list[int]


def to_ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def day_key(ms: int) -> str:
    """The UTC date of an epoch-millisecond moment, ISO-formatted."""
    return _day_name(ms // DAY_MS)  # Unix time has no leap seconds: every day is DAY_MS long


@lru_cache(maxsize=64)  # asked on every spin, for a handful of distinct days
def _day_name(day: int) -> str:
    return (_EPOCH + timedelta(days=day)).isoformat()


def stake_bucket(stake: int) -> int:
    """Quarter-octave buckets (about 19% wide): a day's stakes summarised in a few integers."""
    return round(math.log2(max(stake, 1)) * 4)


def bucket_stake(bucket: int) -> float:
    return 2 ** (bucket / 4)


@dataclass(slots=True)
class SessionState:
    started_ms: int
    last_ms: int
    start_balance: int = 0
    staked: int = 0
    won: int = 0
    spins: int = 0
    # Spins the platform itself recorded (bets, provider debits). Once there is one, client
    # telemetry for the session only refines timing and is never counted as another spin.
    server_spins: int = 0
    ring: list[Spin] = field(default_factory=list)
    first_stakes: list[int] = field(default_factory=list)
    streak: int = 0
    # Baselines frozen at session start from the player's history (None: not enough history).
    baseline_stake: float | None = None
    night_share: float = 0.0
    last_reality_ms: int = 0
    # The session loss limit: set from the player's standing limit when the session starts,
    # then only ever lowered.
    loss_limit: int | None = None
    # An action the platform issued that the game client has not been told about yet.
    pending_action: dict[str, Any] | None = None
    ended_code: str | None = None

    @property
    def net_loss(self) -> int:
        return self.staked - self.won

    def to_json(self) -> dict[str, Any]:
        # Shallow on purpose: the JSON encoder walks the lists; copying them would cost more.
        return {name: getattr(self, name) for name in _SESSION_FIELDS}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SessionState:
        return cls(**{k: v for k, v in data.items() if k in _SESSION_FIELDS})

    def add_spin(
        self, at_ms: int, stake: int, win: int, balance_after: int, spin_ms: int | None
    ) -> None:
        if self.spins == 0:
            self.start_balance = balance_after + stake - win
        self.spins += 1
        self.staked += stake
        self.won += win
        self.last_ms = at_ms
        self.ring.append([at_ms, stake, win, -1 if spin_ms is None else spin_ms])
        if len(self.ring) > RING_SIZE:
            del self.ring[: len(self.ring) - RING_SIZE]
        self.streak = self.streak + 1 if win < stake else 0

    def note_first_stake(self, stake: int, keep: int) -> None:
        if len(self.first_stakes) < keep:
            self.first_stakes.append(stake)

    def set_spin_ms(self, spin_ms: int) -> None:
        """Client telemetry for the latest recorded spin (its animation time)."""
        if self.ring and self.ring[-1][3] < 0:
            self.ring[-1][3] = spin_ms


@dataclass(slots=True)
class PlayerState:
    # day (UTC date) -> [spins, night_spins, deposits, median_stake]; the median is filled in
    # when the day is closed, from that day's stake histogram.
    days: dict[str, list[float]] = field(default_factory=dict)
    today: str = ""
    today_stakes: dict[str, int] = field(default_factory=dict)
    deposits: list[list[int]] = field(default_factory=list)  # [at_ms, amount], last 24 h
    bust_ms: int = 0
    redeposits: list[int] = field(default_factory=list)  # at_ms, last 24 h
    # The scoring memory is the player's, not a session's: a signal fired in one session keeps
    # counting for its TTL in the next, and the band's hysteresis carries over.
    # Fired signals: code -> [fired_at_ms, weight].
    fired: dict[str, list[int]] = field(default_factory=dict)
    band: str = "NORMAL"
    score: int = 0
    reasons: list[str] = field(default_factory=list)
    tilt_entries: list[int] = field(default_factory=list)
    in_tilt_episode: bool = False
    # When the episode's cooldown ends: still in TILT_RISK after it counts as a new entry.
    rearm_ms: int = 0
    last_nudge_ms: int = 0
    limit_near: bool = False

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _PLAYER_FIELDS}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlayerState:
        return cls(**{k: v for k, v in data.items() if k in _PLAYER_FIELDS})

    def _roll_day(self, at_ms: int) -> list[float]:
        day = day_key(at_ms)
        if day != self.today:
            if self.today in self.days:
                self.days[self.today][3] = _histogram_median(self.today_stakes)
            self.today, self.today_stakes = day, {}
            cutoff = day_key(at_ms - HISTORY_DAYS * DAY_MS)
            self.days = {d: v for d, v in self.days.items() if d > cutoff}
        return self.days.setdefault(day, [0, 0, 0, 0.0])

    def add_spin(self, at_ms: int, stake: int, balance_after: int, night: bool) -> None:
        row = self._roll_day(at_ms)
        row[0] += 1
        row[1] += 1 if night else 0
        bucket = str(stake_bucket(stake))
        self.today_stakes[bucket] = self.today_stakes.get(bucket, 0) + 1
        if balance_after < stake:
            self.bust_ms = at_ms

    def add_deposit(self, at_ms: int, amount: int) -> None:
        self._roll_day(at_ms)[2] += amount
        self.deposits = [d for d in self.deposits if d[0] > at_ms - DAY_MS]
        self.deposits.append([at_ms, amount])
        self.redeposits = [r for r in self.redeposits if r > at_ms - DAY_MS]

    def deposits_since(self, since_ms: int) -> int:
        return sum(amount for at_ms, amount in self.deposits if at_ms >= since_ms)

    def history(self) -> tuple[int, float | None, float]:
        """(spins, median stake, night share) over the closed days of the last 30."""
        closed = [v for d, v in self.days.items() if d != self.today]
        spins = int(sum(v[0] for v in closed))
        if not spins:
            return 0, None, 0.0
        night = sum(v[1] for v in closed) / spins
        # The spin-weighted median of the daily medians: close to the 30-day median stake at
        # a fraction of the storage.
        ordered = sorted((v[3], v[0]) for v in closed if v[0])
        half, running = spins / 2, 0.0
        median = ordered[-1][0]
        for value, weight in ordered:
            running += weight
            if running >= half:
                median = value
                break
        return spins, median, night


_SESSION_FIELDS = frozenset(f.name for f in fields(SessionState))
_PLAYER_FIELDS = frozenset(f.name for f in fields(PlayerState))


def _histogram_median(histogram: dict[str, int]) -> float:
    total = sum(histogram.values())
    if not total:
        return 0.0
    running = 0
    for bucket in sorted(histogram, key=int):
        running += histogram[bucket]
        if running * 2 >= total:
            return bucket_stake(int(bucket))
    return 0.0
