"""The ledger's API for every other domain: the only code that moves money.

Each money operation is one call to a SQL function (one round trip) that claims the
idempotency key, moves the money and appends the entries; see migration 0002_ledger. A retry
with the same key and request gets the stored outcome back (``replayed``), rejections included;
the same key with another request raises :class:`IdempotencyKeyReusedError`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from croupier.kit.errors import NotFoundError
from croupier.kit.hashing import request_hash
from croupier.ledger import account_cache, queries
from croupier.ledger.errors import translate

PLAYER_CASH = "player_cash"
PLAYER_BONUS = "player_bonus"
PLAYER_COINS = "player_coins"


@dataclass(frozen=True, slots=True)
class Leg:
    account_id: int
    amount: int  # signed, credit-normal: + increases what we owe the account's owner


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    kind: str
    currency: str
    balance: int
    reserved: int


@dataclass(frozen=True, slots=True)
class TransferResult:
    transfer_id: int
    status: str  # posted | rejected | pending | voided
    reject_code: str | None
    balances: dict[int, int]  # cached account id -> balance after (now, if nothing moved)
    replayed: bool
    created_at: datetime
    amounts: dict[int, int] = field(default_factory=dict)  # cached account id -> amount moved
    # post_debit's ``read`` accounts as they were before it: id -> (balance, reserved).
    before: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def posted(self) -> bool:
        return self.status == "posted"

    @property
    def rejected(self) -> bool:
        return self.status == "rejected"


def _digest(operation: str, **parts: Any) -> bytes:
    """The request hash stored with the key: what the caller asked for, and of which operation."""
    return request_hash({"operation": operation, **parts})


def _post_digest(
    type: str, request: Mapping[str, Any], legs: Sequence[Leg], reverses_id: int | None
) -> bytes:
    return _digest(
        "post",
        type=type,
        request=dict(request),
        legs=sorted((leg.account_id, leg.amount) for leg in legs),
        reverses=reverses_id,
    )


def _debit_digest(
    type: str,
    request: Mapping[str, Any],
    cash_id: int,
    bonus_id: int | None,
    amount: int,
    to_id: int,
) -> bytes:
    return _digest(
        "debit", type=type, request=dict(request), cash=cash_id, bonus=bonus_id, amount=amount,
        to=to_id,
    )  # fmt: skip


async def post(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    type: str,
    idempotency_key: str,
    request: Mapping[str, Any],
    legs: Sequence[Leg],
    reference: str | None = None,
    metadata: dict[str, Any] | None = None,
    created_by_staff: int | None = None,
    reverses_id: int | None = None,
    read: Sequence[int] = (),
) -> TransferResult:
    """Post one balanced transfer. Short of funds it comes back ``rejected`` (stored, so a
    retry replays the rejection); raising is the caller's choice. The accounts in ``read``
    come back in ``before`` as they were just before it, in the same round trip."""
    digest = _post_digest(type, request, legs, reverses_id)
    return await _call(
        queries.post(
            conn,
            operator_id=operator_id,
            type=type,
            key=idempotency_key,
            request_hash=digest,
            account_ids=[leg.account_id for leg in legs],
            amounts=[leg.amount for leg in legs],
            reference=reference,
            metadata=metadata,
            staff_id=created_by_staff,
            reverses_id=reverses_id,
            read_ids=read,
        )
    )


async def post_debit(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    type: str,
    idempotency_key: str,
    request: Mapping[str, Any],
    cash_account_id: int,
    bonus_account_id: int | None,
    amount: int,
    to_account_id: int,
    reference: str | None = None,
    metadata: dict[str, Any] | None = None,
    read: Sequence[int] = (),
) -> TransferResult:
    """Debit ``amount`` from the cash account first, then the bonus account (if given), into
    ``to_account_id``; the split is decided under the rows' locks and read from ``amounts``.
    The accounts in ``read`` come back in ``before`` as they were just before the debit (in
    the same round trip), for the balances the debit does not report."""
    digest = _debit_digest(type, request, cash_account_id, bonus_account_id, amount, to_account_id)
    return await _call(
        queries.debit(
            conn,
            operator_id=operator_id,
            type=type,
            key=idempotency_key,
            request_hash=digest,
            cash_id=cash_account_id,
            bonus_id=bonus_account_id,
            amount=amount,
            to_account_id=to_account_id,
            reference=reference,
            metadata=metadata,
            read_ids=read,
        )
    )


# ---- bulk posting: many transfers in one call (migration 0013_ledger_bulk) -------------------


@dataclass(frozen=True, slots=True)
class PlannedTransfer:
    """A transfer for :func:`post_many`, built by :func:`planned_post` or :func:`planned_debit`
    so that its stored request hash is the one the single-transfer call would store: a later
    retry of the same key through ``post`` / ``post_debit`` replays it."""

    operator_id: int
    type: str
    idempotency_key: str
    digest: bytes
    legs: tuple[Leg, ...]
    reference: str | None
    at: datetime | None  # created_at; None: the platform clock
    metadata: dict[str, Any] | None = None


def planned_post(
    *,
    operator_id: int,
    type: str,
    idempotency_key: str,
    request: Mapping[str, Any],
    legs: Sequence[Leg],
    reference: str | None = None,
    at: datetime | None = None,
    metadata: dict[str, Any] | None = None,
) -> PlannedTransfer:
    digest = _post_digest(type, request, legs, None)
    return PlannedTransfer(
        operator_id, type, idempotency_key, digest, tuple(legs), reference, at, metadata
    )


def planned_debit(
    *,
    operator_id: int,
    type: str,
    idempotency_key: str,
    request: Mapping[str, Any],
    cash_account_id: int,
    bonus_account_id: int | None,
    cash_part: int,
    bonus_part: int,
    to_account_id: int,
    reference: str | None = None,
    at: datetime | None = None,
    metadata: dict[str, Any] | None = None,
) -> PlannedTransfer:
    """A debit split by the caller from balances it read with :func:`lock_balances` (cash
    first, then bonus, as ``post_debit`` splits it); ``post_many`` re-checks every balance."""
    amount = cash_part + bonus_part
    legs = [Leg(to_account_id, amount)]
    if cash_part:
        legs.append(Leg(cash_account_id, -cash_part))
    if bonus_part:
        assert bonus_account_id is not None
        legs.append(Leg(bonus_account_id, -bonus_part))
    digest = _debit_digest(type, request, cash_account_id, bonus_account_id, amount, to_account_id)
    return PlannedTransfer(
        operator_id, type, idempotency_key, digest, tuple(legs), reference, at, metadata
    )


async def lock_balances(
    conn: asyncpg.Connection, account_ids: Sequence[int]
) -> dict[int, tuple[int, int]]:
    """Lock cached accounts (ascending id order) for a bulk plan: id -> (balance, reserved)."""
    rows = await queries.lock_balances(conn, account_ids)
    return {row["id"]: (row["balance"], row["reserved"]) for row in rows}


async def post_many(conn: asyncpg.Connection, transfers: Sequence[PlannedTransfer]) -> list[int]:
    """Post every transfer, in order, in one call, or none: a taken key or a balance that
    would go short at any point fails the whole batch (IdempotencyKeyReusedError,
    InvalidTransferError); it is never stored as a rejection. The transfers' ids, in order
    (a caller that needs a balance after planned it from the balances it locked)."""
    return await _call_value(
        queries.post_many(
            conn,
            transfers=[
                (t.operator_id, t.type, t.idempotency_key, t.digest, t.reference, t.at, t.metadata)
                for t in transfers
            ],
            legs=[
                (number, leg.account_id, leg.amount)
                for number, t in enumerate(transfers, start=1)
                for leg in t.legs
            ],
        )
    )


async def hold(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    idempotency_key: str,
    request: Mapping[str, Any],
    account_id: int,
    amount: int,
    reference: str | None = None,
    metadata: dict[str, Any] | None = None,
    type: str = "hold",
) -> TransferResult:
    """Reserve ``amount`` of a cached account: ``pending`` (resolve it with post_hold or
    void_hold) or ``rejected`` if its available balance is short."""
    digest = _digest("hold", type=type, request=dict(request), account=account_id, amount=amount)
    return await _call(
        queries.hold(
            conn,
            operator_id=operator_id,
            type=type,
            key=idempotency_key,
            request_hash=digest,
            account_id=account_id,
            amount=amount,
            reference=reference,
            metadata=metadata,
        )
    )


async def post_hold(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    hold_id: int,
    idempotency_key: str,
    to_account_id: int,
    reference: str | None = None,
    type: str = "hold_post",
) -> TransferResult:
    """Move the held amount to ``to_account_id``. A hold resolves once: another key raises
    :class:`HoldAlreadyResolvedError`."""
    digest = _digest("post_hold", type=type, hold=hold_id, to=to_account_id)
    return await _call(
        queries.resolve_hold(
            conn,
            operator_id=operator_id,
            hold_id=hold_id,
            post=True,
            type=type,
            key=idempotency_key,
            request_hash=digest,
            to_account_id=to_account_id,
            reference=reference,
        )
    )


async def void_hold(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    hold_id: int,
    idempotency_key: str,
    reference: str | None = None,
    type: str = "hold_void",
) -> TransferResult:
    """Release the held amount: status ``voided``, nothing moves."""
    digest = _digest("void_hold", type=type, hold=hold_id)
    return await _call(
        queries.resolve_hold(
            conn,
            operator_id=operator_id,
            hold_id=hold_id,
            post=False,
            type=type,
            key=idempotency_key,
            request_hash=digest,
            to_account_id=None,
            reference=reference,
        )
    )


async def ensure_account(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    kind: str,
    currency: str,
    owner_id: int = 0,
    shard: int = 0,
) -> int:
    """The id of the account, created on first use. Hot shared kinds (house, jackpot...) are
    derived accounts that take no row lock, so one shard is enough."""
    key = (operator_id, owner_id, kind, currency, shard)
    cached = account_cache.get(key)
    if cached is not None:
        return cached
    row = await _call_value(
        queries.ensure_account(
            conn,
            operator_id=operator_id,
            kind=kind,
            currency=currency,
            owner_id=owner_id,
            shard=shard,
        )
    )
    if row["settled"]:
        account_cache.remember(key, row["id"])
    return row["id"]


async def ensure_accounts(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    owner_id: int,
    kinds: Sequence[str],
    currency: str | None = None,
    currency_of: int | None = None,
) -> list[Account]:
    """One account per kind for this owner, in ``kinds`` order, created on first use; in
    ``currency``, or in the currency of account ``currency_of``. Always reads the balances."""
    rows = await _call_value(
        queries.ensure_accounts(
            conn,
            operator_id=operator_id,
            owner_id=owner_id,
            kinds=kinds,
            currency=currency,
            currency_of=currency_of,
        )
    )
    for row in rows:
        if row["settled"]:
            key = (operator_id, owner_id, row["kind"], row["currency"], 0)
            account_cache.remember(key, row["id"])
    return [
        Account(row["id"], row["kind"], row["currency"], row["balance"], row["reserved"])
        for row in rows
    ]


async def account_ids(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    owner_id: int,
    kinds: Sequence[str],
    currency: str | None = None,
    currency_of: int | None = None,
) -> tuple[list[int], str]:
    """Like :func:`ensure_accounts` but only the ids (in ``kinds`` order) and their currency:
    no query once this process knows them."""
    known_currency = currency or (
        account_cache.currency_of(currency_of) if currency_of is not None else None
    )
    if known_currency is not None:
        ids = [account_cache.get((operator_id, owner_id, k, known_currency, 0)) for k in kinds]
        if None not in ids:
            return ids, known_currency  # type: ignore[return-value]
    accounts = await ensure_accounts(
        conn,
        operator_id=operator_id,
        owner_id=owner_id,
        kinds=kinds,
        currency=currency,
        currency_of=currency_of,
    )
    return [account.id for account in accounts], accounts[0].currency


def forget_cached_accounts() -> None:
    """For a database emptied under a running process (the test suite does, between tests)."""
    account_cache.forget_all()


async def find_accounts(
    conn: asyncpg.Connection,
    *,
    operator_id: int,
    owner_id: int,
    kinds: Sequence[str],
    currency: str,
) -> list[Account]:
    """The existing accounts among those kinds (read only: nothing is created)."""
    rows = await queries.find_accounts(
        conn, operator_id=operator_id, owner_id=owner_id, kinds=kinds, currency=currency
    )
    return [Account(**dict(row)) for row in rows]


async def account_balance(conn: asyncpg.Connection, account_id: int) -> int:
    """The balance of any account: the cached row, or a derived account's snapshot + entries."""
    balance = await queries.account_balance(conn, account_id)
    if balance is None:
        raise NotFoundError("Account not found.")
    return balance


async def rollup_derived(conn: asyncpg.Connection) -> int:
    """Fold derived accounts' committed entries into their snapshots; returns how many moved.
    Run it in a transaction of its own (a job), so its horizon excludes nothing of its own."""
    return await queries.rollup_derived(conn)


async def _call(query: Awaitable[asyncpg.Record]) -> TransferResult:
    row = await _call_value(query)
    balances = dict(zip(row["account_ids"], row["balances"], strict=True))
    before = row.get("before") or ()
    return TransferResult(
        transfer_id=row["transfer_id"],
        status=row["status"],
        reject_code=row["reject_code"],
        balances=balances,
        replayed=row["replayed"],
        created_at=row["created_at"],
        amounts=dict(zip(row["account_ids"], row["amounts"], strict=False)),
        before={account_id: (balance, reserved) for account_id, balance, reserved in before},
    )


async def _call_value(query: Awaitable[Any]) -> Any:
    try:
        return await query
    except asyncpg.PostgresError as exc:
        error = translate(exc)
        if error is None:
            raise
        raise error from exc


async def rollup_derived_job(pool: asyncpg.Pool) -> int:
    """The periodic job: fold derived accounts' entries into snapshots in a transaction of its
    own, so reading a hot account's balance never sums its whole history."""
    async with pool.acquire() as conn, conn.transaction():
        return await rollup_derived(conn)
