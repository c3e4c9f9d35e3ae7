"""Engagement API errors, each with a stable code."""

from __future__ import annotations

from typing import Any

from croupier.kit.errors import (
    ConflictError,
    CroupierError,
    InvalidInputError,
    TooManyRequestsError,
    UnauthorizedError,
)


class DeviceCredentialsError(UnauthorizedError):
    code = "INVALID_DEVICE_CREDENTIALS"
    # One answer for a wrong secret, a missing one and an unknown device with a secret, so
    # the response never tells an attacker more than "no".
    default_message = "Invalid device credentials."


class GuestLoginDisabledError(CroupierError):
    code = "GUEST_LOGIN_DISABLED"
    status_code = 403
    default_message = "This operator does not offer guest login."


class EarnReasonUnknownError(InvalidInputError):
    code = "EARN_REASON_UNKNOWN"
    default_message = "This operator does not reward that reason."


class EarnCapReachedError(TooManyRequestsError):
    code = "EARN_CAP_REACHED"
    default_message = "The daily limit for this reason is reached; nothing was credited."

    def __init__(self, *, retry_after: int, **details: Any) -> None:
        super().__init__(retry_after=retry_after, **details)


class EarnKeyReusedError(ConflictError):
    code = "IDEMPOTENCY_KEY_REUSED"
    default_message = "This idempotency key was already used with a different request."


class PipelineAlreadyRunningError(ConflictError):
    code = "PIPELINE_ALREADY_RUNNING"
    default_message = "A pipeline run for this operator is already queued or running."


class PipelineSourceError(InvalidInputError):
    code = "PIPELINE_SOURCE_INVALID"
    default_message = "The pipeline's data source is not usable."
