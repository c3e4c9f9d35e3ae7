"""The demo provider's own answers to the casino, in seed 003's ``{"error", "code"}`` shape."""

from __future__ import annotations

from croupier.kit.errors import CroupierError


class ProviderSignatureError(CroupierError):
    code = "INVALID_SIGNATURE"
    status_code = 401
    default_message = "Invalid signature"


class ProviderRequestError(CroupierError):
    code = "INVALID_REQUEST"
    status_code = 400
    default_message = "Invalid request"


class ProviderGameError(CroupierError):
    code = "INVALID_GAME"
    status_code = 400
    default_message = "Unknown game"


class ProviderSessionError(CroupierError):
    code = "SESSION_NOT_FOUND"
    status_code = 404
    default_message = "Provider session not found"


class CasinoUnavailableError(CroupierError):
    code = "CASINO_UNAVAILABLE"
    status_code = 502
    default_message = "The casino did not answer"
