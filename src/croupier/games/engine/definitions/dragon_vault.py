"""Dragon Vault: five reels, 10 lines, stacked dragons, retriggering free spins at x5.

High volatility: a quarter of spins win, and most of the return sits in rare dragon screens
and the feature.
"""

from croupier.games.engine.definitions.paylines import PAYLINES_5X3
from croupier.games.engine.model import FreeSpins, GameDefinition, strip

_OUTER = strip(
    """TEN JACK QUEEN KING ACE COIN SWORD TEN JACK QUEEN KING TEN JACK GEM QUEEN DRAGON
    DRAGON DRAGON DRAGON ACE VAULT TEN JACK KING QUEEN COIN TEN JACK SWORD ACE KING
    QUEEN TEN JACK"""
)
_INNER = strip(
    """TEN JACK QUEEN KING ACE COIN SWORD DRAGON DRAGON DRAGON DRAGON TEN JACK QUEEN KING
    TEN JACK GEM QUEEN ACE VAULT TEN JACK KING QUEEN COIN TEN WILD WILD JACK SWORD ACE
    KING QUEEN TEN JACK"""
)

DRAGON_VAULT = GameDefinition(
    slug="dragon-vault",
    name="Dragon Vault",
    version="1.0.0",
    volatility="high",
    rows=3,
    reels=(_OUTER, _INNER, _INNER, _INNER, _OUTER),
    paylines=PAYLINES_5X3[:10],
    paytable={
        "TEN": {3: 2, 4: 5, 5: 20},
        "JACK": {3: 2, 4: 5, 5: 20},
        "QUEEN": {3: 4, 4: 10, 5: 40},
        "KING": {3: 5, 4: 15, 5: 50},
        "ACE": {3: 5, 4: 20, 5: 75},
        "COIN": {3: 20, 4: 60, 5: 200},
        "SWORD": {3: 30, 4: 100, 5: 300},
        "GEM": {3: 50, 4: 150, 5: 500},
        "DRAGON": {2: 5, 3: 90, 4: 400, 5: 1000},
        "WILD": {3: 200, 4: 1000, 5: 2500},
    },
    wild="WILD",
    scatter="VAULT",
    scatter_pays={3: 2, 4: 10, 5: 100},
    free_spins=FreeSpins(awards={3: 8, 4: 12, 5: 20}, multiplier=5, retrigger=True, max_spins=30),
    min_bet=10,
    max_bet=10_000,
)
