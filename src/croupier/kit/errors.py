"""Typed errors with a stable machine ``code`` and an HTTP status, rendered by one handler."""

from __future__ import annotations

from typing import Any, ClassVar


class CroupierError(Exception):
    """Base of every domain error. Services raise these; the app renders them."""

    code: ClassVar[str] = "ERROR"
    status_code: ClassVar[int] = 400
    default_message: ClassVar[str] = "The request could not be completed."

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or self.default_message
        self.details = details
        self.headers: dict[str, str] = {}
        # A recorded rejection: the unit of work commits what was written before the raise
        # (a failed login attempt, a stored rejected transfer) instead of rolling it back.
        self.commit_work = False
        super().__init__(self.message)

    def recorded(self) -> CroupierError:
        self.commit_work = True
        return self

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class NotFoundError(CroupierError):
    code = "NOT_FOUND"
    status_code = 404
    default_message = "Not found."


class ConflictError(CroupierError):
    code = "CONFLICT"
    status_code = 409
    default_message = "The request conflicts with the current state."


class InvalidInputError(CroupierError):
    code = "INVALID_INPUT"
    status_code = 422
    default_message = "The input is not valid."


class UnauthorizedError(CroupierError):
    code = "UNAUTHORIZED"
    status_code = 401
    default_message = "Authentication required."


class ForbiddenError(CroupierError):
    code = "FORBIDDEN"
    status_code = 403
    default_message = "Not allowed."


class TooManyRequestsError(CroupierError):
    code = "TOO_MANY_REQUESTS"
    status_code = 429
    default_message = "Too many requests; try again later."

    def __init__(self, message: str | None = None, *, retry_after: int, **details: Any) -> None:
        super().__init__(message, **details)
        self.headers["Retry-After"] = str(max(1, retry_after))
