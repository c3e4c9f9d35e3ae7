"""Voucher, agent and sweepstakes-player errors."""

from __future__ import annotations

from croupier.kit.errors import (
    ConflictError,
    CroupierError,
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
)


class SweepstakesOnlyError(ConflictError):
    code = "SWEEPSTAKES_ONLY"
    default_message = "This operator does not run in sweepstakes mode."


class AgentNotFoundError(NotFoundError):
    code = "AGENT_NOT_FOUND"
    default_message = "Agent not found."


class AgentCodeTakenError(ConflictError):
    code = "AGENT_CODE_TAKEN"
    default_message = "An agent with that code already exists for this operator."


class AgentSuspendedError(ForbiddenError):
    code = "AGENT_SUSPENDED"
    default_message = "This agent (or its operator) is suspended and cannot issue vouchers."


class InsufficientFloatError(CroupierError):
    code = "INSUFFICIENT_FLOAT"
    status_code = 402
    default_message = "The agent's float does not cover these vouchers and their bonus."


class VoucherInvalidError(CroupierError):
    """Unknown, malformed, expired, voided or already redeemed: one answer for all, so a
    caller learns nothing about which codes exist."""

    code = "VOUCHER_INVALID"
    status_code = 400
    default_message = "This voucher code is not valid."


class VoucherNotFoundError(NotFoundError):
    code = "VOUCHER_NOT_FOUND"
    default_message = "Voucher not found."


class VoucherNotActiveError(ConflictError):
    code = "VOUCHER_NOT_ACTIVE"
    default_message = "Only an active (unredeemed, unexpired) voucher can be voided."


class BatchKeyReusedError(ConflictError):
    code = "IDEMPOTENCY_KEY_REUSED"
    default_message = "This idempotency key was already used for different vouchers."


class PlayerLoginInvalidError(UnauthorizedError):
    code = "INVALID_CREDENTIALS"
    # One message for an unknown code and a wrong PIN, so login codes cannot be enumerated.
    default_message = "Invalid login code or PIN."


class NotVoucherPlayerError(ForbiddenError):
    code = "NOT_VOUCHER_PLAYER"
    default_message = "Only a player created from a voucher can use this."


class InsufficientWithdrawableError(CroupierError):
    code = "INSUFFICIENT_WITHDRAWABLE"
    status_code = 402
    default_message = "The amount is more than the balance available to cash out."


class CashoutNotFoundError(NotFoundError):
    code = "REDEMPTION_NOT_FOUND"
    default_message = "Redemption not found."


class CashoutAlreadyResolvedError(ConflictError):
    code = "REDEMPTION_ALREADY_RESOLVED"
    default_message = "This redemption was already paid or rejected."


class CashoutKeyReusedError(ConflictError):
    code = "IDEMPOTENCY_KEY_REUSED"
    default_message = "This idempotency key was already used for a different redemption."


class LedgerStateError(CroupierError):
    """The ledger refused a movement the voucher rows say must succeed: a broken invariant."""

    code = "LEDGER_STATE_INCONSISTENT"
    status_code = 500
    default_message = "The ledger refused a movement that should have been possible."
