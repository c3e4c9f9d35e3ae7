"""Ledger errors, and the translation of the posting functions' SQLSTATEs into them."""

from __future__ import annotations

import asyncpg

from croupier.kit.errors import ConflictError, CroupierError, NotFoundError


class IdempotencyKeyReusedError(ConflictError):
    code = "IDEMPOTENCY_KEY_REUSED"
    default_message = "This idempotency key was already used with a different request."


class InsufficientFundsError(CroupierError):
    code = "INSUFFICIENT_FUNDS"
    status_code = 402
    default_message = "Insufficient funds."


class HoldAlreadyResolvedError(ConflictError):
    code = "HOLD_ALREADY_RESOLVED"
    default_message = "This hold has already been posted or voided."


class HoldNotFoundError(NotFoundError):
    code = "HOLD_NOT_FOUND"
    default_message = "No open hold with that id."


class TransferAlreadyReversedError(ConflictError):
    code = "TRANSFER_ALREADY_REVERSED"
    default_message = "This transfer has already been reversed."


class InvalidTransferError(CroupierError):
    """The caller built an impossible transfer (unbalanced, foreign accounts...): a bug."""

    code = "LEDGER_INVALID_TRANSFER"
    status_code = 500
    default_message = "The ledger refused an invalid transfer."


_BY_SQLSTATE: dict[str, type[CroupierError]] = {
    "LD001": IdempotencyKeyReusedError,
    "LD002": InvalidTransferError,
    "LD003": HoldNotFoundError,
    "LD005": InvalidTransferError,  # a bulk batch planned past a balance: the caller's bug
}
_BY_CONSTRAINT: dict[str, type[CroupierError]] = {
    # Only a bulk posting meets it: the single postings claim their key ON CONFLICT DO NOTHING.
    "ledger_transfers_operator_id_idempotency_key_key": IdempotencyKeyReusedError,
    "ledger_transfers_one_resolution_per_hold": HoldAlreadyResolvedError,
    "ledger_transfers_one_reversal": TransferAlreadyReversedError,
}


def translate(exc: asyncpg.PostgresError) -> CroupierError | None:
    """The domain error for a database error raised by a ledger function, if it is one."""
    if isinstance(exc, asyncpg.UniqueViolationError):
        error = _BY_CONSTRAINT.get(exc.constraint_name or "")
    else:
        error = _BY_SQLSTATE.get(exc.sqlstate or "")
    if error is None:
        return None
    if error is InvalidTransferError:
        return InvalidTransferError(f"The ledger refused an invalid transfer: {exc.message}")
    return error()
