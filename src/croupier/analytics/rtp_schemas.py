"""Response body of one game's RTP monitoring, slice by slice (camelCase JSON)."""

from __future__ import annotations

from croupier.analytics.schemas import (
    CappedTestOut,
    DriftOut,
    FullTestOut,
    Header,
    LargeWinsTestOut,
    Ratio,
    ThresholdsOut,
)
from croupier.kit.schemas import Output


class GameMathsOut(Output):
    """game_configs for the game: the full and the capped maths, and the game version they are
    for (tests answer NO_CONFIG while it differs from the catalogue's)."""

    source: str | None
    engine_version: str | None
    config_version: int | None
    expected_rtp: Ratio
    sigma: float | None
    p_top: float | None
    cap_multiple: int | None
    expected_capped_rtp: Ratio
    capped_sigma: float | None
    p_large: float | None
    p_top_capped: float | None


class SliceOut(Output):
    """One slice: the aggregate (no stake level, no channel), a stake level (no channel), or
    game x version x stake level x channel."""

    game_version: int
    stake_level: int | None
    band: str | None
    channel: str | None  # '' for rounds folded without a channel
    rounds: int
    handle: int
    wins: int  # jackpots excluded
    capped_wins: int
    large_win_count: int
    status: str  # the worst of the four tests
    full: FullTestOut
    capped: CappedTestOut
    large_wins: LargeWinsTestOut
    drift: DriftOut


class GameRtpOut(Header):
    monitor_window_days: int
    game_id: int
    game_key: str
    name: str
    provider: str
    game_version: int
    status: str
    config: GameMathsOut
    thresholds: ThresholdsOut
    aggregate: SliceOut | None
    stake_levels: list[SliceOut]
    slices: list[SliceOut]
