"""Engine errors, typed so the API renders them with a stable code."""

from croupier.kit.errors import InvalidInputError, NotFoundError


class GameNotFoundError(NotFoundError):
    code = "GAME_NOT_FOUND"
    default_message = "No such game."


class InvalidStakeError(InvalidInputError):
    code = "INVALID_STAKE"
    default_message = "The stake is outside the game's limits or not a multiple of its lines."


class ReplayMismatchError(InvalidInputError):
    code = "REPLAY_MISMATCH"
    default_message = "The recorded reel stops do not describe a complete round of this game."
