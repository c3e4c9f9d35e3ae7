"""The builtin RNG slot engine: game data, play, exact math and provably fair rounds.

Pure Python and numpy, no database. The bet service calls::

    game = get_game_definition("pharaoh-gold")
    outcome = spin(game, stake_minor, CsprngStops())            # or FairStops(seed, client, nonce)
    record = outcome.to_json()                                  # store with the bet
    assert replay(game, stake_minor, record["stops"]) == outcome
"""

from croupier.games.engine.capped import CAP_MULTIPLE, CappedMath, compute_capped_math
from croupier.games.engine.definitions import get_game_definition, list_game_definitions
from croupier.games.engine.errors import GameNotFoundError, InvalidStakeError, ReplayMismatchError
from croupier.games.engine.fair import (
    FairStops,
    hash_server_seed,
    new_server_seed,
    stops_from_seeds,
    verify_round,
)
from croupier.games.engine.math import GameMath, compute_math, p_loss
from croupier.games.engine.model import FreeSpins, GameDefinition
from croupier.games.engine.play import LineWin, ReelSpin, SpinOutcome, replay, spin
from croupier.games.engine.rng import CsprngStops, StopsSource

__all__ = [
    "CAP_MULTIPLE",
    "CappedMath",
    "CsprngStops",
    "FairStops",
    "FreeSpins",
    "GameDefinition",
    "GameMath",
    "GameNotFoundError",
    "InvalidStakeError",
    "LineWin",
    "ReelSpin",
    "ReplayMismatchError",
    "SpinOutcome",
    "StopsSource",
    "compute_capped_math",
    "compute_math",
    "get_game_definition",
    "hash_server_seed",
    "list_game_definitions",
    "new_server_seed",
    "p_loss",
    "replay",
    "spin",
    "stops_from_seeds",
    "verify_round",
]
