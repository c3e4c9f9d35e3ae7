"""Strict idempotency of money calls (provider-wallet.md §2.3 and the persisted-outcome rule).

A money call's outcome, applied or rejected, is stored under (provider, transactionId) with the
hash of its essential fields and the exact response bytes. A retry with the same fields gets
those bytes back; different fields are a 409. One namespace serves debits, credits, rollbacks
and tombstones, across players and operators.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from croupier.kit.hashing import request_hash
from croupier.providers import queries
from croupier.providers.errors import (
    CallbackError,
    DuplicateTransactionError,
    TransactionRolledBackError,
)
from croupier.providers.schemas import MoneyIn
from croupier.providers.service.context import (
    Caller,
    Player,
    Provider,
    resolve_player,
    wallet_currency,
)
from croupier.providers.service.money import available_balance
from croupier.providers.wire import error_body, stringify


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int
    body: bytes


def essential_hash(kind: str, fields: dict[str, Any]) -> bytes:
    """What makes two calls with one id the same call. The token, timestamps, signature and
    ``roundClosed`` are left out: a retry may carry a fresh token or signature, and the round's
    closing follows the first call. A rollback's amount is left out too, being ignored."""
    return request_hash({"kind": kind, **fields})


def call_essential(kind: str, body: MoneyIn, fields: dict[str, Any]) -> bytes:
    """A money call's essential hash: the fields every kind shares, and its own ``fields``."""
    return essential_hash(
        kind,
        {
            "userId": body.user_id,
            "roundId": body.round_id,
            "currency": body.currency,
            "gameId": body.game_id,
            **fields,
        },
    )


def lock_key(provider_id: int, ref: str) -> int:
    digest = hashlib.sha256(f"casino_tx:{provider_id}:{ref}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def claim(
    conn: asyncpg.Connection,
    provider: Provider,
    call: tuple[str, str, int],
    essential: bytes,
    *also_locked: str,
) -> Outcome | None:
    """Serialise every call naming these ids (a rollback names its original too), then answer
    a call whose id is taken; None means the id is new and the call is ours to process.
    ``call`` is (kind, transactionId, userId)."""
    kind, tx_ref, user_id = call
    keys = [lock_key(provider.id, ref) for ref in (tx_ref, *also_locked)]
    prior = await queries.claim(conn, keys, provider.id, tx_ref)
    if prior is None:
        return None
    if prior["kind"] == "tombstone":
        # A rollback got here first: the id is dead for every kind of call.
        return await _refuse(conn, prior, TransactionRolledBackError(), user_id)
    if prior["kind"] != kind or bytes(prior["essential_hash"]) != essential:
        return await _refuse(conn, prior, DuplicateTransactionError(), user_id)
    if prior["state"] == "rolled_back":
        return await _refuse(conn, prior, TransactionRolledBackError(), user_id)
    return Outcome(prior["http_status"], bytes(prior["response_body"]))


async def _refuse(
    conn: asyncpg.Connection, prior: asyncpg.Record, error: CallbackError, user_id: int
) -> Outcome:
    """Not stored (the id already holds an outcome) but deterministic, so a retry hears the
    same. The balance shown is the caller's player's only if the id is theirs: another
    player's balance is never disclosed."""
    balance = None
    if prior["player_id"] == user_id:
        balance = await available_balance(
            conn, prior["operator_id"], prior["player_id"], prior["currency"].strip()
        )
    return Outcome(error.status_code, error_body(error, balance))


def success_body(tx_ref: str, balance: int, currency: str, **flags: bool) -> bytes:
    return stringify(
        {"transactionId": tx_ref, "balance": str(balance), "currency": currency, "status": "ok"}
        | flags
    )


@dataclass(slots=True)
class Attempt:
    """One money call being processed: what its stored row will say."""

    provider: Provider
    kind: str
    tx_ref: str
    essential: bytes
    player: Player
    currency: str
    amount: int = 0
    round_ref: str | None = None
    reference_ref: str | None = None
    session_id: int | None = None
    game_id: int | None = None
    round_id: int | None = None

    def _row(self, state: str, status: int, body: bytes) -> dict[str, Any]:
        return {
            "provider_id": self.provider.id,
            "tx_ref": self.tx_ref,
            "kind": self.kind,
            "state": state,
            "operator_id": self.player.operator_id,
            "player_id": self.player.id,
            "session_id": self.session_id,
            "round_id": self.round_id,
            "round_ref": self.round_ref,
            "game_id": self.game_id,
            "currency": self.currency,
            "reference_ref": self.reference_ref,
            "essential_hash": self.essential,
            "http_status": status,
            "response_body": body,
        }

    async def applied(
        self,
        conn: asyncpg.Connection,
        *,
        balance: int,
        transfer_id: int | None,
        round_change: queries.RoundChange | None = None,
        reversed_tx: int | None = None,
        **flags: bool,
    ) -> Outcome:
        """Store the success (with its effect on the round and on a reversed stake)."""
        body = success_body(self.tx_ref, balance, self.currency, **flags)
        row = self._row("applied", 200, body) | {"amount": self.amount, "transfer_id": transfer_id}
        await queries.store_outcome(conn, row, round_change=round_change, reversed_tx=reversed_tx)
        return Outcome(200, body)

    async def rejected(
        self, conn: asyncpg.Connection, error: CallbackError, balance: int | None = None
    ) -> Outcome:
        """Store a business rejection so a late retry of the id is refused the same way."""
        if balance is None:
            balance = await available_balance(
                conn, self.player.operator_id, self.player.id, self.currency
            )
        body = error_body(error, balance)
        row = self._row("rejected", error.status_code, body) | {
            "amount": self.amount,
            "error_code": error.code,
        }
        await queries.store_outcome(conn, row)
        return Outcome(error.status_code, body)


async def process(
    conn: asyncpg.Connection,
    caller: Caller,
    body: MoneyIn,
    *,
    kind: str,
    essential_fields: dict[str, Any],
    apply: Callable[[Attempt], Awaitable[Outcome]],
    amount: int = 0,
    reference_ref: str | None = None,
    staking: bool = False,
    also_locked: tuple[str, ...] = (),
) -> Outcome:
    """One money call: replay a taken id, else ``apply`` it; a business rejection raised by
    ``apply`` is stored and answered. An unknown player is a 404 that is not stored."""
    essential = call_essential(kind, body, essential_fields)
    prior = await claim(
        conn, caller.provider, (kind, body.transaction_id, body.user_id), essential, *also_locked
    )
    if prior is not None:
        return prior
    player = await resolve_player(conn, caller, body.user_id, with_status=staking)
    attempt = Attempt(
        provider=caller.provider,
        kind=kind,
        tx_ref=body.transaction_id,
        essential=essential,
        player=player,
        currency=await wallet_currency(conn, caller, player),
        amount=amount,
        round_ref=body.round_id,
        reference_ref=reference_ref,
    )
    try:
        return await apply(attempt)
    except CallbackError as exc:
        return await attempt.rejected(conn, exc)
