"""Safety errors: the refusals the hooks raise (403) and the player-tool conflicts (409)."""

from __future__ import annotations

from croupier.kit.errors import ConflictError, CroupierError, NotFoundError


class SafetyRefusal(CroupierError):
    """Base of the refusals at login, spin, provider debit and deposit."""

    status_code = 403


class SelfExcludedError(SafetyRefusal):
    code = "SELF_EXCLUDED"
    default_message = "This account is self-excluded."


class TimeOutActiveError(SafetyRefusal):
    code = "TIME_OUT_ACTIVE"
    default_message = "This account is on a time-out."


class CooldownActiveError(SafetyRefusal):
    code = "COOLDOWN_ACTIVE"
    default_message = "Play is paused for a short break."


class SafetyStopError(SafetyRefusal):
    code = "SAFETY_STOP"
    default_message = "Real-money play is paused for now."


class LossLimitReachedError(SafetyRefusal):
    code = "LOSS_LIMIT_REACHED"
    default_message = "Loss limit reached for this session."


class WagerLimitReachedError(SafetyRefusal):
    code = "WAGER_LIMIT_REACHED"
    default_message = "Wager limit reached for this period."


class DepositLimitReachedError(SafetyRefusal):
    code = "DEPOSIT_LIMIT_REACHED"
    default_message = "Deposit limit reached for this period."


class SessionTimeLimitReachedError(SafetyRefusal):
    code = "SESSION_TIME_LIMIT_REACHED"
    default_message = "Session time limit reached."


class LossLimitLockedError(ConflictError):
    code = "LOSS_LIMIT_LOCKED"
    default_message = (
        "The session loss limit can be lowered but not raised during a session. To raise it "
        "for later sessions, request an increase in your limits: it takes effect after 24 hours "
        "and your confirmation."
    )


class LimitChangeNotDueError(ConflictError):
    code = "LIMIT_CHANGE_NOT_DUE"
    default_message = "This limit change can be confirmed only after its cooling-off period."


class NoPendingLimitChangeError(ConflictError):
    code = "NO_PENDING_LIMIT_CHANGE"
    default_message = "There is no pending change to confirm for this limit."


class LimitNotFoundError(NotFoundError):
    code = "LIMIT_NOT_FOUND"
    default_message = "No such limit is set."


class SelfExclusionLockedError(ConflictError):
    code = "SELF_EXCLUSION_LOCKED"
    default_message = "A self-exclusion cannot be lifted before it ends."


class CaseNotFoundError(NotFoundError):
    code = "CASE_NOT_FOUND"
    default_message = "Case not found."
