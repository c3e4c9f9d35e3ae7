"""Hypothesis stateful test: random credits, debits, transfers, holds, posts, voids and retries
(same and changed payloads) against a simple model; the audit must pass after every step.

Hypothesis drives state machines synchronously, so each example runs its coroutines on an
event loop owned by a background thread, over connections of its own.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import asyncpg
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from croupier.db.pool import create_pool
from croupier.ledger import service as ledger
from croupier.ledger.errors import HoldAlreadyResolvedError, IdempotencyKeyReusedError
from croupier.ledger.service import TransferResult
from croupier.wallets import service as wallets
from tests.ledger.helpers import Books, assert_audit_ok, make_player, open_books

T = TypeVar("T")
PLAYERS = 3
_keys = itertools.count(1)


@dataclass
class Wallet:
    player_id: int
    accounts: wallets.PlayerAccounts
    cash: int = 0
    bonus: int = 0
    reserved: int = 0


@dataclass
class Operation:
    """A call already made: how to repeat it, with the same or with a changed payload."""

    key: str
    run: Callable[[asyncpg.Connection, str, int], Awaitable[TransferResult]]  # (conn, key, amount)
    amount: int
    result: TransferResult


@dataclass
class Hold:
    transfer_id: int
    wallet: Wallet
    amount: int
    resolved: bool = False


@dataclass
class Model:
    wallets: list[Wallet] = field(default_factory=list)
    house: int = 0
    clearing: int = 0
    holds: list[Hold] = field(default_factory=list)


class LedgerMachine(RuleBasedStateMachine):
    loop: ClassVar[asyncio.AbstractEventLoop]
    database_url: ClassVar[str]

    def __init__(self) -> None:
        super().__init__()
        self.pool: asyncpg.Pool = self._await(
            create_pool(self.database_url, min_size=1, max_size=2)
        )
        self.model = Model()
        self.operations: list[Operation] = []

    def _await(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)

    def _in_transaction(self, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        async def run() -> T:
            async with self.pool.acquire() as conn, conn.transaction():
                return await work(conn)

        return self._await(run())

    def teardown(self) -> None:
        self._await(self.pool.close())

    @initialize()
    def open_books(self) -> None:
        async def setup(conn: asyncpg.Connection) -> Books:
            books = await open_books(conn)
            for _ in range(PLAYERS):
                player_id = await make_player(conn, books.operator_id)
                accounts = await wallets.player_accounts(
                    conn, operator_id=books.operator_id, player_id=player_id, currency="USD"
                )
                self.model.wallets.append(Wallet(player_id, accounts))
            return books

        self.books = self._in_transaction(setup)

    def _record(
        self, run: Callable[[asyncpg.Connection, str, int], Awaitable[TransferResult]], amount: int
    ) -> TransferResult:
        key = f"op-{next(_keys)}"
        result = self._in_transaction(lambda conn: run(conn, key, amount))
        self.operations.append(Operation(key, run, amount, result))
        return result

    @rule(player=st.integers(0, PLAYERS - 1), bonus=st.booleans(), amount=st.integers(1, 500))
    def deposit(self, player: int, bonus: bool, amount: int) -> None:
        wallet = self.model.wallets[player]

        def run(conn: asyncpg.Connection, key: str, value: int) -> Awaitable[TransferResult]:
            return wallets.credit(
                conn,
                operator_id=self.books.operator_id,
                player_id=wallet.player_id,
                amount=value,
                from_account_id=self.books.world,
                type="deposit",
                idempotency_key=key,
                request={"amount": value},
                to_kind="player_bonus" if bonus else "player_cash",
            )

        result = self._record(run, amount)
        assert result.status == "posted"
        if bonus:
            wallet.bonus += amount
        else:
            wallet.cash += amount

    @rule(player=st.integers(0, PLAYERS - 1), amount=st.integers(1, 200), use_bonus=st.booleans())
    def bet(self, player: int, amount: int, use_bonus: bool) -> None:
        wallet = self.model.wallets[player]
        results: list[wallets.DebitResult] = []

        async def run(conn: asyncpg.Connection, key: str, value: int) -> TransferResult:
            debit = await wallets.debit(
                conn,
                operator_id=self.books.operator_id,
                player_id=wallet.player_id,
                amount=value,
                to_account_id=self.books.house,
                type="bet",
                idempotency_key=key,
                request={"stake": value},
                use_bonus=use_bonus,
            )
            results.append(debit)
            return debit.result

        self._record(run, amount)
        debit = results[0]
        available = wallet.cash - wallet.reserved
        cash_part = min(available, amount)
        bonus_part = amount - cash_part
        if bonus_part == 0 or (use_bonus and bonus_part <= wallet.bonus):
            assert debit.result.status == "posted"
            assert (debit.cash_part, debit.bonus_part) == (cash_part, bonus_part)
            wallet.cash -= cash_part
            wallet.bonus -= bonus_part
            self.model.house += amount
        else:
            assert debit.result.status == "rejected"

    @rule(
        payer=st.integers(0, PLAYERS - 1),
        payee=st.integers(0, PLAYERS - 1),
        amount=st.integers(1, 200),
    )
    def transfer(self, payer: int, payee: int, amount: int) -> None:
        source, target = self.model.wallets[payer], self.model.wallets[payee]
        if source is target:
            return

        def run(conn: asyncpg.Connection, key: str, value: int) -> Awaitable[TransferResult]:
            return wallets.transfer(
                conn,
                operator_id=self.books.operator_id,
                from_account_id=source.accounts.cash_id,
                to_account_id=target.accounts.cash_id,
                amount=value,
                type="p2p",
                idempotency_key=key,
                request={"amount": value},
            )

        result = self._record(run, amount)
        if amount <= source.cash - source.reserved:
            assert result.status == "posted"
            source.cash -= amount
            target.cash += amount
        else:
            assert result.status == "rejected"

    @rule(player=st.integers(0, PLAYERS - 1), amount=st.integers(1, 200))
    def hold(self, player: int, amount: int) -> None:
        wallet = self.model.wallets[player]

        def run(conn: asyncpg.Connection, key: str, value: int) -> Awaitable[TransferResult]:
            return wallets.hold_cash(
                conn,
                operator_id=self.books.operator_id,
                player_id=wallet.player_id,
                currency="USD",
                amount=value,
                idempotency_key=key,
                request={"amount": value},
            )

        result = self._record(run, amount)
        if amount <= wallet.cash - wallet.reserved:
            assert result.status == "pending"
            wallet.reserved += amount
            self.model.holds.append(Hold(result.transfer_id, wallet, amount))
        else:
            assert result.status == "rejected"

    @precondition(lambda self: any(not h.resolved for h in self.model.holds))
    @rule(data=st.data(), post=st.booleans())
    def resolve(self, data: st.DataObject, post: bool) -> None:
        hold = data.draw(st.sampled_from([h for h in self.model.holds if not h.resolved]))

        def run(conn: asyncpg.Connection, key: str, hold_id: int) -> Awaitable[TransferResult]:
            if post:
                return wallets.post_hold(
                    conn,
                    operator_id=self.books.operator_id,
                    hold_id=hold_id,
                    to_account_id=self.books.clearing,
                    idempotency_key=key,
                )
            return wallets.void_hold(
                conn, operator_id=self.books.operator_id, hold_id=hold_id, idempotency_key=key
            )

        # The "amount" a changed retry alters is the hold id: another hold, another request.
        result = self._record(run, hold.transfer_id)
        assert result.status == ("posted" if post else "voided")
        hold.resolved = True
        hold.wallet.reserved -= hold.amount
        if post:
            hold.wallet.cash -= hold.amount
            self.model.clearing += hold.amount

    @precondition(lambda self: any(h.resolved for h in self.model.holds))
    @rule(data=st.data())
    def resolve_again(self, data: st.DataObject) -> None:
        hold = data.draw(st.sampled_from([h for h in self.model.holds if h.resolved]))
        with pytest.raises(HoldAlreadyResolvedError):
            self._in_transaction(
                lambda conn: wallets.void_hold(
                    conn,
                    operator_id=self.books.operator_id,
                    hold_id=hold.transfer_id,
                    idempotency_key=f"op-{next(_keys)}",
                )
            )

    @precondition(lambda self: self.operations)
    @rule(data=st.data())
    def retry_same(self, data: st.DataObject) -> None:
        operation = data.draw(st.sampled_from(self.operations))
        again = self._in_transaction(
            lambda conn: operation.run(conn, operation.key, operation.amount)
        )
        first = operation.result
        assert again.replayed
        assert (again.transfer_id, again.status, again.reject_code, again.created_at) == (
            first.transfer_id,
            first.status,
            first.reject_code,
            first.created_at,
        )
        if first.posted:
            assert again.balances == first.balances

    @precondition(lambda self: self.operations)
    @rule(data=st.data(), delta=st.integers(1, 50))
    def retry_changed(self, data: st.DataObject, delta: int) -> None:
        operation = data.draw(st.sampled_from(self.operations))
        with pytest.raises(IdempotencyKeyReusedError):
            self._in_transaction(
                lambda conn: operation.run(conn, operation.key, operation.amount + delta)
            )

    @rule()
    def rollup(self) -> None:
        self._in_transaction(ledger.rollup_derived)

    @invariant()
    def database_matches_model(self) -> None:
        if not self.model.wallets:
            return

        async def check(conn: asyncpg.Connection) -> None:
            for wallet in self.model.wallets:
                balances = await wallets.get_balances(
                    conn, operator_id=self.books.operator_id, player_id=wallet.player_id
                )
                assert (balances.cash, balances.bonus, balances.reserved) == (
                    wallet.cash,
                    wallet.bonus,
                    wallet.reserved,
                )
            assert await ledger.account_balance(conn, self.books.house) == self.model.house
            assert await ledger.account_balance(conn, self.books.clearing) == self.model.clearing
            await assert_audit_ok(conn, self.books.operator_id)

        self._in_transaction(check)


@pytest.fixture
def event_loop_thread() -> Any:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.close()


def test_ledger_matches_a_simple_model(database_url: str, event_loop_thread: Any) -> None:
    LedgerMachine.loop = event_loop_thread
    LedgerMachine.database_url = database_url
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
