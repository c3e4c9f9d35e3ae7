"""Catalogue errors."""

from croupier.kit.errors import ConflictError, CroupierError, InvalidInputError, NotFoundError


class GameUnknownError(NotFoundError):
    code = "GAME_NOT_FOUND"
    default_message = "Game not found."


class GameUnavailableError(CroupierError):
    code = "GAME_UNAVAILABLE"
    status_code = 409
    default_message = "This game is not available."


class GameSlugTakenError(ConflictError):
    code = "GAME_SLUG_TAKEN"
    default_message = "A game with that slug already exists."


class CategorySlugTakenError(ConflictError):
    code = "CATEGORY_SLUG_TAKEN"
    default_message = "A category with that slug already exists."


class CategoryUnknownError(InvalidInputError):
    code = "CATEGORY_UNKNOWN"
    default_message = "Unknown game category."


class EngineUnknownError(InvalidInputError):
    code = "ENGINE_UNKNOWN"
    default_message = "No builtin game definition has that engineKey."
