"""Authentication errors."""

from croupier.kit.errors import ConflictError, CroupierError, UnauthorizedError


class InvalidCredentialsError(UnauthorizedError):
    code = "INVALID_CREDENTIALS"
    # One message for unknown user and wrong password, so accounts cannot be enumerated.
    default_message = "Invalid login or password."


class SessionInvalidError(UnauthorizedError):
    code = "SESSION_INVALID"
    default_message = "Your session is missing, expired or revoked."


class CsrfError(CroupierError):
    code = "CSRF_TOKEN_INVALID"
    status_code = 403
    default_message = "Cookie-authenticated writes need a matching X-CSRF-Token header."


class AccountTakenError(ConflictError):
    code = "ACCOUNT_EXISTS"
    default_message = "That email or username is already registered with this operator."


class OperatorUnknownError(CroupierError):
    code = "OPERATOR_UNKNOWN"
    status_code = 422
    default_message = "Unknown or inactive operator."
