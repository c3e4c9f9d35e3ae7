"""Issuing vouchers: the agent pays face value plus the 50% bonus up front, out of its float.

The bonus of a voucher of amount A is A / 2, and A must be even, so the charge is exactly
150% of the face value to the minor unit with no rounding rule to argue about (an odd amount is
refused with 422). N vouchers cost N·(A + A/2), taken in one ledger transfer; if the float is
short the issue is refused with 402 and the unit of work rolls back: no batch, no voucher, no
transfer is left behind.

Codes are returned once, in the response to the issue, for the shop to print: only their
hashes are stored. A retry with the same idempotency key returns the batch without the codes
(they are unknowable by then); a batch whose codes were lost can be voided voucher by voucher,
which gives the value back to the float.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import structlog

from croupier.kit.hashing import request_hash
from croupier.kit.pagination import decode_cursor, encode_cursor
from croupier.kit.tenancy import Scope
from croupier.vouchers import agents, codes, expiry, money, queries
from croupier.vouchers.errors import (
    AgentSuspendedError,
    BatchKeyReusedError,
    InsufficientFloatError,
    VoucherNotActiveError,
    VoucherNotFoundError,
)

log = structlog.get_logger("croupier.vouchers.issue")


def bonus_for(amount: int) -> int:
    """The bonus the agent pays on top of a voucher: half its face value (amounts are even)."""
    return amount // 2


@dataclass(frozen=True, slots=True)
class IssueRequest:
    agent_id: int
    staff_id: int
    is_cashier: bool
    amount: int
    count: int
    expires_in_days: int
    idempotency_key: str

    def fingerprint(self) -> bytes:
        return request_hash(
            {"amount": self.amount, "count": self.count, "expiresInDays": self.expires_in_days}
        )


@dataclass(frozen=True, slots=True)
class IssuedBatch:
    batch: asyncpg.Record
    vouchers: list[asyncpg.Record]
    codes: list[str | None]  # display form, aligned with vouchers; None on a replay
    float_balance: int
    replayed: bool

    @property
    def charged(self) -> int:
        """What the agent's float paid: count × (amount + bonus)."""
        return self.batch["count"] * (self.batch["amount"] + self.batch["bonus"])


async def issue_vouchers(
    conn: asyncpg.Connection, scope: Scope, request: IssueRequest
) -> IssuedBatch:
    agent = await agents.require_agent(conn, scope, request.agent_id)
    if agent["status"] != "active" or agent["operator_status"] != "active":
        raise AgentSuspendedError()
    operator_id = agent["operator_id"]
    existing = await queries.batch_by_key(
        conn, operator_id, request.agent_id, request.idempotency_key
    )
    if existing is not None:
        return await _replayed(conn, agent, existing, request)

    await expiry.release_expired(conn, operator_id=operator_id, agent_id=request.agent_id)
    bonus = bonus_for(request.amount)
    total = request.count * (request.amount + bonus)
    charged, float_id = await money.charge_issue(
        conn,
        operator_id=operator_id,
        agent_id=request.agent_id,
        currency=agent["currency"],
        total=total,
        idempotency_key=request.idempotency_key,
        request={"fingerprint": request.fingerprint().hex(), "total": total},
        staff_id=request.staff_id,
    )
    if charged.replayed:
        # A concurrent request with this key committed first: answer with its batch.
        existing = await queries.batch_by_key(
            conn, operator_id, request.agent_id, request.idempotency_key
        )
        assert existing is not None
        return await _replayed(conn, agent, existing, request)
    if not charged.posted:
        raise InsufficientFloatError(float=charged.balances.get(float_id, 0), required=total)

    batch = await queries.insert_batch(
        conn,
        {
            "operator_id": operator_id,
            "agent_id": request.agent_id,
            "issued_by": request.staff_id,
            "cashier_id": request.staff_id if request.is_cashier else None,
            "currency": agent["currency"],
            "amount": request.amount,
            "bonus": bonus,
            "count": request.count,
            "expires_at": datetime.now(UTC) + timedelta(days=request.expires_in_days),
            "idempotency_key": request.idempotency_key,
            "request_hash": request.fingerprint(),
            "transfer_id": charged.transfer_id,
        },
    )
    compact = [codes.new_voucher_code() for _ in range(request.count)]
    vouchers = await queries.insert_vouchers(
        conn,
        batch,
        region=agent["region"],
        code_hashes=[codes.code_hash(code) for code in compact],
        hints=[codes.code_hint(code) for code in compact],
    )
    log.info(
        "vouchers_issued",
        agent_id=request.agent_id,
        batch_id=batch["id"],
        count=request.count,
        charged=total,
    )
    return IssuedBatch(
        batch=batch,
        vouchers=vouchers,
        codes=[codes.display_voucher_code(code) for code in compact],
        float_balance=charged.balances[float_id],
        replayed=False,
    )


async def _replayed(
    conn: asyncpg.Connection,
    agent: asyncpg.Record,
    batch: asyncpg.Record,
    request: IssueRequest,
) -> IssuedBatch:
    if bytes(batch["request_hash"]) != request.fingerprint():
        raise BatchKeyReusedError()
    vouchers = await queries.batch_vouchers(conn, batch["id"])
    float_balance, _ = await money.agent_balances(
        conn, operator_id=agent["operator_id"], agent_id=agent["id"], currency=agent["currency"]
    )
    return IssuedBatch(
        batch=batch,
        vouchers=vouchers,
        codes=[None] * len(vouchers),
        float_balance=float_balance,
        replayed=True,
    )


async def list_vouchers(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    agent_id: int,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[asyncpg.Record], str | None]:
    """The agent's vouchers, newest first (codes are never shown again; the hint is)."""
    await agents.require_agent(conn, scope, agent_id)
    before = None
    if cursor:
        created_at, row_id = decode_cursor(cursor)
        before = (created_at, int(row_id))
    rows = await queries.list_vouchers(
        conn, scope, agent_id=agent_id, status=status, before=before, limit=limit + 1
    )
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1]["created_at"], rows[-1]["id"])


async def void_voucher(
    conn: asyncpg.Connection, scope: Scope, *, agent_id: int, voucher_id: int
) -> asyncpg.Record:
    """Withdraw an unredeemed voucher (lost slip, misprint, codes never received): its value
    goes back to the float, and the code can no longer be redeemed."""
    agent = await agents.require_agent(conn, scope, agent_id)
    row = await queries.void_voucher(conn, scope, agent_id=agent_id, voucher_id=voucher_id)
    if row is None:
        if await queries.get_voucher(conn, scope, agent_id=agent_id, voucher_id=voucher_id):
            raise VoucherNotActiveError()
        raise VoucherNotFoundError()
    await money.release_to_float(
        conn,
        operator_id=agent["operator_id"],
        agent_id=agent_id,
        currency=row["currency"],
        voucher_id=voucher_id,
        amount=row["amount"] + row["bonus"],
        reason="void",
    )
    log.info("voucher_voided", agent_id=agent_id, voucher_id=voucher_id)
    return row
