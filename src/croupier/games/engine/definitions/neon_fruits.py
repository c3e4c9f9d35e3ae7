"""Neon Fruits: a classic three-reel fruit machine. Low volatility: many small wins, no feature."""

from croupier.games.engine.model import GameDefinition, strip

_REEL = strip(
    """CHERRY LEMON ORANGE PLUM BELL WILD CHERRY LEMON ORANGE SEVEN CHERRY PLUM STAR LEMON
    ORANGE CHERRY BELL WILD PLUM LEMON ORANGE CHERRY"""
)

NEON_FRUITS = GameDefinition(
    slug="neon-fruits",
    name="Neon Fruits",
    version="1.0.0",
    volatility="low",
    rows=3,
    reels=(_REEL, _REEL, _REEL),
    paylines=((1, 1, 1), (0, 0, 0), (2, 2, 2), (0, 1, 2), (2, 1, 0)),
    paytable={
        "CHERRY": {2: 1, 3: 5},
        "LEMON": {3: 5},
        "ORANGE": {3: 8},
        "PLUM": {3: 12},
        "BELL": {3: 20},
        "SEVEN": {3: 55},
        "WILD": {3: 100},
    },
    wild="WILD",
    scatter="STAR",
    scatter_pays={2: 1, 3: 10},
    free_spins=None,
    min_bet=5,
    max_bet=50_000,
)
