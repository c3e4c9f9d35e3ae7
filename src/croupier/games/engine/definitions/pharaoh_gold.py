"""Pharaoh Gold: five reels, 20 lines, free spins at x3. Medium volatility."""

from croupier.games.engine.definitions.paylines import PAYLINES_5X3
from croupier.games.engine.model import FreeSpins, GameDefinition, strip

_REEL = strip(
    """TEN JACK QUEEN KING ACE ANKH EYE SCARAB TEN JACK QUEEN KING PHARAOH WILD TEN JACK
    ACE PYRAMID QUEEN KING TEN JACK ANKH EYE SCARAB ACE QUEEN KING TEN JACK"""
)

PHARAOH_GOLD = GameDefinition(
    slug="pharaoh-gold",
    name="Pharaoh Gold",
    version="1.0.0",
    volatility="medium",
    rows=3,
    reels=(_REEL,) * 5,
    paylines=PAYLINES_5X3,
    paytable={
        "TEN": {3: 8, 4: 25, 5: 100},
        "JACK": {3: 8, 4: 25, 5: 100},
        "QUEEN": {3: 14, 4: 40, 5: 150},
        "KING": {3: 15, 4: 50, 5: 200},
        "ACE": {3: 20, 4: 75, 5: 250},
        "ANKH": {3: 25, 4: 100, 5: 400},
        "EYE": {3: 40, 4: 150, 5: 500},
        "SCARAB": {2: 2, 3: 50, 4: 200, 5: 750},
        "PHARAOH": {2: 5, 3: 100, 4: 400, 5: 1000},
        "WILD": {2: 10, 3: 150, 4: 500, 5: 1000},
    },
    wild="WILD",
    scatter="PYRAMID",
    scatter_pays={3: 2, 4: 10, 5: 50},
    free_spins=FreeSpins(awards={3: 10, 4: 15, 5: 20}, multiplier=3, retrigger=False, max_spins=20),
    min_bet=20,
    max_bet=20_000,
)
