"""Bonus errors."""

from __future__ import annotations

from croupier.kit.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError


class BonusMaxBetError(InvalidInputError):
    code = "BONUS_MAX_BET_EXCEEDED"
    default_message = "The stake is above the maximum bet allowed while a bonus is active."


class BonusCodeInvalidError(InvalidInputError):
    code = "BONUS_CODE_INVALID"
    default_message = "This bonus code is not valid here."


class BonusNotAvailableError(ForbiddenError):
    code = "BONUS_NOT_AVAILABLE"
    default_message = "Bonuses are not available for this account at the moment."


class BonusAlreadyClaimedError(ConflictError):
    code = "BONUS_ALREADY_CLAIMED"
    default_message = "This bonus has already been granted to the player."


class BonusRuleNotFoundError(NotFoundError):
    code = "BONUS_RULE_NOT_FOUND"
    default_message = "Bonus rule not found."


class BonusCodeTakenError(ConflictError):
    code = "BONUS_CODE_TAKEN"
    default_message = "A bonus rule with that code already exists."


class BonusRuleInvalidError(InvalidInputError):
    code = "BONUS_RULE_INVALID"
    default_message = "The bonus rule is not consistent."
