"""Bet errors."""

from croupier.kit.errors import CroupierError, InvalidInputError, NotFoundError


class StakeOutOfRangeError(InvalidInputError):
    code = "STAKE_OUT_OF_RANGE"
    default_message = "The stake is outside this game's limits."


class BetNotFoundError(NotFoundError):
    code = "BET_NOT_FOUND"
    default_message = "Bet not found."


class ExternalGameError(CroupierError):
    code = "GAME_NOT_BUILTIN"
    status_code = 409
    default_message = "This game is played through its provider (POST /casino/launchGame)."
