"""Bot behaviour profiles and the distributions they draw from.

A bot's profile and timezone follow from its username (a stable hash), so ``seed bots`` and the
simulator agree without storing anything: the player row carries the timezone for the platform,
and the profile is a property of the bot, not of the player.

Times are simulated seconds. Stakes are minor units of the operator's currency before they are
fitted to a game (its limits and line count).
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    weight: int  # share of the bot population, in percent
    small_stake: tuple[int, int]  # 80% of stakes are drawn here...
    large_stake: tuple[int, int]  # ...and 20% here
    spins_median: float  # spins per session: lognormal around this median
    spins_sigma: float
    gap_mean: float  # seconds between spins within a session: exponential, plus MIN_GAP
    pause_mean: float  # seconds between sessions: exponential, stretched at local night
    deposit: tuple[int, int]  # a top-up's amount range
    bonus_appetite: float  # chance to use a bonus code when depositing or between sessions
    provider_share: float  # share of rounds played on the provider's games
    withdraw_at: float  # asks to withdraw once cash reaches this multiple of its last deposit
    chases_losses: bool = False


MIN_GAP = 3.0  # the slot's animation: nobody spins faster than this (except the loss-chaser)
CHASER_GAP = 0.6
LARGE_SHARE = 0.2

_HOUR = 3600.0
PROFILES: tuple[Profile, ...] = (
    Profile("casual", 40, (20, 100), (200, 500), 40, 0.6, 4.0, 8 * _HOUR, (1_000, 5_000),
            0.2, 0.10, 3.0),
    Profile("regular", 30, (50, 250), (500, 1_500), 120, 0.5, 2.5, 4 * _HOUR, (2_500, 10_000),
            0.3, 0.25, 2.5),
    Profile("high_roller", 10, (1_000, 5_000), (10_000, 25_000), 200, 0.5, 2.0, 6 * _HOUR,
            (50_000, 200_000), 0.1, 0.40, 1.8),
    Profile("bonus_hunter", 12, (20, 60), (100, 200), 80, 0.4, 1.5, 3 * _HOUR, (1_000, 3_000),
            0.9, 0.05, 1.5),
    Profile("loss_chaser", 8, (100, 200), (400, 800), 150, 0.3, 0.5, 2 * _HOUR, (2_000, 10_000),
            0.1, 0.0, 5.0, chases_losses=True),
)  # fmt: skip
BY_NAME = {profile.name: profile for profile in PROFILES}

# Where an operator's players live: their local time drives the day/night rhythm.
TIMEZONES: dict[str, tuple[str, ...]] = {
    "lucky-star": ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix"),
    "royal-malta": ("Europe/Malta", "Europe/Berlin", "Europe/London", "Europe/Helsinki"),
    "playtime-usa": ("America/Los_Angeles", "America/New_York", "America/Chicago"),
}
DEFAULT_TIMEZONES = ("UTC",)


def _draw(username: str, salt: str) -> int:
    digest = hashlib.sha256(f"{salt}:{username}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def profile_of(username: str) -> Profile:
    point = _draw(username, "profile") % 100
    for profile in PROFILES:
        if point < profile.weight:
            return profile
        point -= profile.weight
    return PROFILES[0]


def timezone_of(username: str, operator_slug: str) -> str:
    zones = TIMEZONES.get(operator_slug, DEFAULT_TIMEZONES)
    return zones[_draw(username, "timezone") % len(zones)]


def activity(local_hour: int) -> float:
    """How likely a player is to be playing at this local hour, 0..1: an evening peak and a
    trough between 2 and 7 in the morning."""
    return (
        0.55
        + 0.45 * math.cos((local_hour - 21) / 24 * 2 * math.pi)
        - (0.35 if 2 <= local_hour < 7 else 0.0)
    )


def local_hour(moment: datetime, zone: str) -> int:
    return moment.astimezone(ZoneInfo(zone)).hour


def session_spins(profile: Profile, rng: random.Random) -> int:
    return max(5, round(rng.lognormvariate(math.log(profile.spins_median), profile.spins_sigma)))


def spin_gap(profile: Profile, rng: random.Random) -> float:
    if profile.chases_losses:
        return CHASER_GAP + rng.expovariate(1 / profile.gap_mean)
    return MIN_GAP + rng.expovariate(1 / profile.gap_mean)


def session_pause(profile: Profile, rng: random.Random, hour: int) -> float:
    """Exponential, and longer when it is night where the player lives."""
    return rng.expovariate(1 / profile.pause_mean) / max(activity(hour), 0.05)


def base_stake(profile: Profile, rng: random.Random) -> int:
    low, high = profile.large_stake if rng.random() < LARGE_SHARE else profile.small_stake
    return rng.randint(low, high)


def fit_stake(stake: int, *, min_bet: int, max_bet: int, multiple: int) -> int | None:
    """The nearest stake a game accepts (a multiple of its lines within its limits), or None if
    the game's minimum is out of reach of this stake's player."""
    multiple = max(multiple, 1)
    fitted = max(min_bet, min(max_bet, stake)) // multiple * multiple
    if fitted < min_bet:
        fitted += multiple
    return fitted if min_bet <= fitted <= max_bet else None


def chase_stake(previous: int, lost: bool, base: int, ceiling: int) -> int:
    """Martingale: double after a loss, back to base after a win."""
    return min(previous * 2, ceiling) if lost else base
