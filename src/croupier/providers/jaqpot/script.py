"""Seed 003's scripted round: nine callbacks, with the seed's bodies and key order.

Every run draws fresh ids, as the seed's simulation does. Step 8's unknown original is fresh as
well (the seed's example value is the literal "non-existent-tx-id"): a fixed id would be the
first demo player's tombstone, and the casino rightly refuses another player's rollback of it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Step:
    number: int
    action: str
    endpoint: str
    body: dict[str, Any]
    amount: int | None  # the balance change the seed's table shows; None is its "--"
    validates: str
    # The answer is not the balance now (a replay, a refusal): read it with getBalance.
    verify_balance: bool = False


def seed_round(*, session_token: str, user_id: int, round_id: str, bet: int) -> list[Step]:
    bet1, bet2, undo2, payout, marker, refused = (str(uuid.uuid4()) for _ in range(6))

    def money(transaction_id: str, **rest: Any) -> dict[str, Any]:
        return {
            "sessionToken": session_token,
            "userId": user_id,
            "transactionId": transaction_id,
            "roundId": round_id,
            **rest,
        }

    balance = {"sessionToken": session_token, "userId": user_id}
    first_bet = money(bet1, amount=bet)
    return [
        Step(1, "Balance check", "/casino/getBalance", balance, None, "Read-only query"),
        Step(2, "Bet 1 (debit)", "/casino/debit", first_bet, -bet, "Atomic debit"),
        Step(3, "Bet 2 (debit)", "/casino/debit", money(bet2, amount=bet), -bet, "Atomic debit"),
        Step(
            4,
            "Rollback bet 2",
            "/casino/rollback",
            money(undo2, originalTransactionId=bet2),
            bet,
            "Reversal of bet 2",
        ),
        Step(
            5,
            "Payout (credit)",
            "/casino/credit",
            money(payout, amount=2 * bet, relatedTransactionId=bet1),
            2 * bet,
            "2x bet 1 winnings",
        ),
        Step(6, "Final balance check", "/casino/getBalance", balance, None, "Confirms integrity"),
        Step(
            7,
            "Idempotency retry (bet 1)",
            "/casino/debit",
            first_bet,
            0,
            "Cached response, no double-charge",
            verify_balance=True,
        ),
        Step(
            8,
            "Tombstone rollback",
            "/casino/rollback",
            money(marker, originalTransactionId=f"non-existent-tx-id-{uuid.uuid4()}"),
            0,
            "Marker for non-existent original",
        ),
        Step(
            9,
            "Rejected rollback",
            "/casino/rollback",
            money(refused, originalTransactionId=bet1),
            None,
            "Denied: round has payout",
            verify_balance=True,
        ),
    ]
