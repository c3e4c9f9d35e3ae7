"""Payment errors: each with a stable code for clients and the operator's back office."""

from __future__ import annotations

from croupier.kit.errors import (
    ConflictError,
    CroupierError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    TooManyRequestsError,
    UnauthorizedError,
)


class PaymentKeyReusedError(ConflictError):
    code = "IDEMPOTENCY_KEY_REUSED"
    default_message = "This idempotencyKey was already used for a different request."


class ProviderNotFoundError(NotFoundError):
    code = "PAYMENT_PROVIDER_NOT_FOUND"
    default_message = "Unknown payment provider."


class MethodNotSupportedError(InvalidInputError):
    code = "PAYMENT_METHOD_NOT_SUPPORTED"
    default_message = "This provider does not offer that payment method."


class AmountOutOfRangeError(InvalidInputError):
    code = "AMOUNT_OUT_OF_RANGE"
    default_message = "The amount is outside the operator's limits."


class DepositNotFoundError(NotFoundError):
    code = "DEPOSIT_NOT_FOUND"
    default_message = "Deposit not found."


class WithdrawalNotFoundError(NotFoundError):
    code = "WITHDRAWAL_NOT_FOUND"
    default_message = "Withdrawal not found."


class WebhookSignatureError(UnauthorizedError):
    code = "WEBHOOK_SIGNATURE_INVALID"
    default_message = "The webhook signature is missing or does not match."


class WebhookTimestampError(UnauthorizedError):
    code = "WEBHOOK_TIMESTAMP_OUT_OF_WINDOW"
    default_message = "The webhook timestamp is outside the accepted window."


class WebhookPayloadError(InvalidInputError):
    code = "WEBHOOK_PAYLOAD_INVALID"
    default_message = "The webhook body is not a valid event."


class KycRequiredError(ForbiddenError):
    code = "KYC_REQUIRED"
    default_message = "Identity verification is required before a withdrawal."


class WageringIncompleteError(ForbiddenError):
    code = "WAGERING_INCOMPLETE"
    default_message = "Deposits must be wagered before a withdrawal."


class InsufficientWithdrawableError(CroupierError):
    code = "INSUFFICIENT_WITHDRAWABLE_FUNDS"
    status_code = 402
    default_message = "The amount is more than the withdrawable cash."


class WithdrawalAlreadyReviewedError(ConflictError):
    code = "WITHDRAWAL_ALREADY_REVIEWED"
    default_message = "This withdrawal has already been approved or rejected."


class DepositVelocityError(TooManyRequestsError):
    code = "DEPOSIT_VELOCITY_EXCEEDED"
    default_message = "Too many deposits in a short time; try again later."


class DepositAmountLimitError(ForbiddenError):
    code = "DEPOSIT_AMOUNT_LIMIT_EXCEEDED"
    default_message = "This deposit would exceed the deposit amount allowed in the period."


class WithdrawalVelocityError(TooManyRequestsError):
    code = "WITHDRAWAL_VELOCITY_EXCEEDED"
    default_message = "Too many withdrawal requests in the period; try again later."


class PayloadTooLargeError(CroupierError):
    code = "PAYLOAD_TOO_LARGE"
    status_code = 413
    default_message = "The body is too large."
