"""What every bot of a run shares: the API client, the settings, the compressed clock, the
stop signal, and what the run discovered about the casino (operators, games, bonus codes)."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from croupier.config import Settings
from croupier.simulation.client import Api


@dataclass(frozen=True, slots=True)
class Intensity:
    time_scale: float  # simulated seconds per real second, for the pauses between sessions
    online: float  # share of bots in a session when the run starts (at their local peak)


INTENSITIES = {
    "low": Intensity(time_scale=60, online=0.25),
    "medium": Intensity(time_scale=600, online=0.5),
    # An hour of casino life per real second: a two-minute run spans several days and nights.
    "high": Intensity(time_scale=3600, online=0.9),
}


@dataclass(frozen=True, slots=True)
class GameInfo:
    id: int
    slug: str
    provider: str
    min_bet: int
    max_bet: int
    lines: int

    @property
    def builtin(self) -> bool:
        return self.provider == "builtin"


@dataclass
class OperatorInfo:
    id: int
    slug: str
    currency: str
    mode: str
    games: list[GameInfo] = field(default_factory=list)
    # deposit-match bonus codes with their minimum deposit
    deposit_codes: list[tuple[str, int]] = field(default_factory=list)
    claim_codes: list[str] = field(default_factory=list)  # no-deposit and free-spins codes


class Runtime:
    def __init__(
        self, api: Api, settings: Settings, intensity: Intensity, duration: float, seed: int | None
    ) -> None:
        self.api = api
        self.settings = settings
        self.intensity = intensity
        self.rng = random.Random(seed)
        self.stop = asyncio.Event()
        self.started_wall = datetime.now(UTC)
        self.started = time.monotonic()
        self.deadline = self.started + duration
        self.operators: dict[int, OperatorInfo] = {}
        self.features: dict[str, bool] = {"telemetry": True}
        self.pace = 1.0
        self.online = 0  # bots in a session now
        self.logged_in = 0

    @property
    def tally(self) -> Any:
        return self.api.tally

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def sim_now(self) -> datetime:
        """The simulated wall clock, for the bots' day/night rhythm."""
        return self.started_wall + timedelta(seconds=self.elapsed() * self.intensity.time_scale)

    def stopping(self) -> bool:
        return self.stop.is_set() or time.monotonic() >= self.deadline

    async def sleep(self, seconds: float) -> bool:
        """Wait real seconds; False if the run is ending meanwhile."""
        remaining = self.deadline - time.monotonic()
        if self.stop.is_set() or remaining <= 0:
            return False
        try:
            await asyncio.wait_for(self.stop.wait(), timeout=min(max(seconds, 0), remaining))
        except TimeoutError:
            return not self.stopping()
        return False

    async def sleep_simulated(self, seconds: float) -> bool:
        return await self.sleep(seconds / self.intensity.time_scale)
