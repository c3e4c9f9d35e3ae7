"""The seamless-wallet error codes (provider-wallet.md, "Error codes (ours)").

Every one is answered in seed 003's shape, ``{"error": message, "code": code}``, plus the player's
balance where the player is known. All are terminal for the provider except INTERNAL_ERROR.
"""

from __future__ import annotations

from croupier.kit.errors import CroupierError


class CallbackError(CroupierError):
    """An answer to a provider or a launching client, rendered by ``providers.wire``."""


class InvalidRequestError(CallbackError):
    code = "INVALID_REQUEST"
    status_code = 400
    default_message = "Invalid request"


class InvalidSignatureError(CallbackError):
    code = "INVALID_SIGNATURE"
    status_code = 401
    default_message = "Invalid signature"


class TokenInvalidError(CallbackError):
    code = "TOKEN_INVALID"
    status_code = 401
    default_message = "Invalid session token"


class TokenExpiredError(CallbackError):
    code = "TOKEN_EXPIRED"
    status_code = 401
    default_message = "Session token expired"


class PlayerBlockedError(CallbackError):
    code = "PLAYER_BLOCKED"
    status_code = 403
    default_message = "Player is blocked"


class LimitExceededError(CallbackError):
    code = "LIMIT_EXCEEDED"
    status_code = 403
    default_message = "Bet exceeds a limit"


class WrongCurrencyError(CallbackError):
    code = "WRONG_CURRENCY"
    status_code = 400
    default_message = "Currency does not match the player's wallet"


class InvalidGameError(CallbackError):
    code = "INVALID_GAME"
    status_code = 400
    default_message = "Game is not available"


class InsufficientFundsError(CallbackError):
    code = "INSUFFICIENT_FUNDS"
    status_code = 402
    default_message = "Insufficient funds"


class PlayerNotFoundError(CallbackError):
    code = "PLAYER_NOT_FOUND"
    status_code = 404
    default_message = "Player not found"


class TransactionNotFoundError(CallbackError):
    code = "TRANSACTION_NOT_FOUND"
    status_code = 404
    default_message = "Related transaction not found for this player and round"


class DuplicateTransactionError(CallbackError):
    code = "DUPLICATE_TRANSACTION"
    status_code = 409
    default_message = "Duplicate transactionId with different parameters"


class TransactionRolledBackError(CallbackError):
    code = "TRANSACTION_ROLLED_BACK"
    status_code = 409
    default_message = "Transaction was rolled back"


class RoundClosedError(CallbackError):
    code = "ROUND_CLOSED"
    status_code = 409
    default_message = "Round is closed"


class BetAlreadySettledError(CallbackError):
    code = "BET_ALREADY_SETTLED"
    status_code = 400
    default_message = "Cannot rollback: round already has a payout"


class RollbackNotAllowedError(CallbackError):
    code = "ROLLBACK_NOT_ALLOWED"
    status_code = 400
    default_message = "Cannot rollback: only debits can be rolled back"


class ProviderUnavailableError(CallbackError):
    """The casino could not complete its own call to the provider (launch, simulate)."""

    code = "PROVIDER_UNAVAILABLE"
    status_code = 502
    default_message = "The game provider did not answer"


class UnknownProviderError(CallbackError):
    code = "PROVIDER_NOT_FOUND"
    status_code = 404
    default_message = "Provider not found"
