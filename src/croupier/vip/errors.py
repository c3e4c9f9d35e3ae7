"""VIP errors."""

from __future__ import annotations

from croupier.kit.errors import ConflictError, InvalidInputError, NotFoundError


class VipLevelNotFoundError(NotFoundError):
    code = "VIP_LEVEL_NOT_FOUND"
    default_message = "VIP level not found."


class VipLevelTakenError(ConflictError):
    code = "VIP_LEVEL_TAKEN"
    default_message = "A VIP level with that number or XP threshold already exists."


class VipLevelOrderError(InvalidInputError):
    code = "VIP_LEVEL_ORDER"
    default_message = "Higher levels must require more XP than lower ones."


class VipLevelInUseError(ConflictError):
    code = "VIP_LEVEL_IN_USE"
    default_message = "Players have reached this level; it cannot be deleted."


class VipLevelInvalidError(InvalidInputError):
    code = "VIP_LEVEL_INVALID"
    default_message = "The VIP level is not consistent."
