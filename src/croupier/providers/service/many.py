"""Provider money calls in bulk: stakes and payouts of different players in one unit of work.

A call on the lone path (``debit.debit``, ``credit.credit``) is about ten statements. Under load
the callback batcher (``providers.batcher``) hands concurrent calls of different players here,
and they are checked and written together, with one statement each for: the claims of their
transaction ids, the stakers' player rows, their safety checks, the stakes' rounds (opened or
locked), the payouts' rounds (locked) and the stakes they pay, the wallets' locks, every
transfer (``ledger.post_many``), the settled rounds' safety records, and every stored outcome.
The rules are the lone path's, checked in its order on the same rows, and the rows written
are the ones it writes.

Only calls that the lone path would apply are applied here. Any other call is left to it (its
answer here is None) and it then answers the call exactly as it would have: a taken id (a
replay, or a refusal), a business rejection (which it stores: short funds, a closed round, a
safety limit, a blocked player, a disabled game, a mismatched currency or game...), an unknown
player, a token that is not the player's, a payout without ``relatedTransactionId``, and
rollbacks, which never come here. A call left to the lone path has written nothing here but,
for a stake, its round, which the lone path opens in the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from croupier.games import service as games
from croupier.kit.errors import CroupierError
from croupier.kit.tenancy import ALL_OPERATORS
from croupier.ledger import service as ledger
from croupier.ledger.service import Leg
from croupier.players import service as players
from croupier.providers import bulk_queries
from croupier.providers.queries import RoundChange
from croupier.providers.schemas import CreditIn, DebitIn
from croupier.providers.service import credit, debit, money
from croupier.providers.service.context import Caller, TokenSession
from croupier.providers.service.outcomes import Outcome, call_essential, lock_key, success_body
from croupier.safety import service as safety
from croupier.safety.runs import SpinRun
from croupier.wallets import service as wallets


@dataclass(frozen=True, slots=True)
class Call:
    caller: Caller
    body: DebitIn | CreditIn


@dataclass(slots=True)
class _Item:
    """A call being played: what the batch has learnt of it so far."""

    index: int
    caller: Caller
    body: DebitIn | CreditIn
    session: TokenSession
    round_row: asyncpg.Record | None = None
    cash_id: int = 0
    clearing_id: int = 0
    transfer: int | None = None  # index into the batch's transfers
    balance: int = 0  # available cash after the call

    @property
    def staking(self) -> bool:
        return isinstance(self.body, DebitIn)

    @property
    def provider_id(self) -> int:
        return self.caller.provider.id

    @property
    def code(self) -> str:
        return self.caller.provider.code

    @property
    def tx_key(self) -> tuple[int, str]:
        return self.provider_id, self.body.transaction_id

    @property
    def round_key(self) -> tuple[int, str]:
        return self.provider_id, self.body.round_id

    @property
    def game_id(self) -> int:
        return self.round_row["game_id"] if self.round_row is not None else self.session.game_id


async def apply_many(conn: asyncpg.Connection, calls: Sequence[Call]) -> list[Outcome | None]:
    """Apply what can be applied of these calls (distinct players), in the caller's unit of
    work: one outcome per call, in order, or None for a call left to the lone path."""
    items = _bulk_candidates(calls)
    if items:
        taken = await bulk_queries.claim(
            conn,
            [lock_key(item.provider_id, item.body.transaction_id) for item in items],
            [item.tx_key for item in items],
        )
        items = [item for item in items if item.tx_key not in taken]
    stakes = await _checked_stakes(conn, [item for item in items if item.staking])
    payouts = await _checked_payouts(conn, [item for item in items if not item.staking])
    items = await _funded(conn, stakes + payouts)
    outcomes: list[Outcome | None] = [None] * len(calls)
    if items:
        await _write(conn, items, outcomes)
    return outcomes


def _bulk_candidates(calls: Sequence[Call]) -> list[_Item]:
    """The calls whose token is the player's (live, for a stake), whose currency is the
    session's, and whose ids are not another call's in this batch."""
    now = datetime.now(UTC)
    items: list[_Item] = []
    seen: set[tuple[str, int, str]] = set()
    for index, call in enumerate(calls):
        body, session = call.body, call.caller.session
        if session is None or session.player_id != body.user_id:
            continue
        if body.currency is not None and body.currency != session.currency:
            continue
        if isinstance(body, DebitIn):
            if not session.live(now):
                continue
        elif body.related_transaction_id is None:
            continue
        provider = call.caller.provider.id
        ids = {("tx", provider, body.transaction_id), ("round", provider, body.round_id)}
        if isinstance(body, CreditIn) and body.related_transaction_id is not None:
            ids.add(("tx", provider, body.related_transaction_id))
        if ids & seen:
            continue
        seen |= ids
        items.append(_Item(index, call.caller, body, session))
    return items


async def _checked_stakes(conn: asyncpg.Connection, items: list[_Item]) -> list[_Item]:
    """``debit._stake``'s checks up to the ledger: an active player, a playable game that is
    the session's, the safety engine's limits, the game's maximum bet, an open round of this
    player in this game."""
    if not items:
        return []
    rows = await players.get_players(conn, ALL_OPERATORS, [item.body.user_id for item in items])
    items = [
        item
        for item in items
        if (row := rows.get(item.body.user_id)) is not None and row["status"] == "active"
    ]
    playable: dict[tuple[int, int], asyncpg.Record | None] = {}
    for key in {(item.session.game_id, item.session.operator_id) for item in items}:
        try:
            playable[key] = await games.playable_game(conn, *key)
        except CroupierError:
            playable[key] = None
    items = [
        item
        for item in items
        if (game := playable[item.session.game_id, item.session.operator_id]) is not None
        and item.body.game_id in (None, game["slug"])
        and item.body.amount <= game["max_bet"]
    ]
    if not items:
        return []
    refusals = await safety.spin_refusals(
        conn,
        [(item.session.operator_id, item.body.user_id, item.body.amount) for item in items],
        session_key=None,
    )
    items = [item for item, refusal in zip(items, refusals, strict=True) if refusal is None]
    if not items:
        return []
    rounds = await bulk_queries.open_rounds(conn, [_new_round(item) for item in items])
    checked = []
    for item in items:
        item.round_row = row = rounds[item.round_key]
        if (
            row["player_id"] == item.body.user_id
            and row["game_id"] == item.session.game_id
            and row["status"] == "open"
        ):
            checked.append(item)
    return checked


async def _checked_payouts(conn: asyncpg.Connection, items: list[_Item]) -> list[_Item]:
    """``credit._win_round``'s checks: the stake it pays is this player's, applied and not
    rolled back, in this round, which is locked and neither voided nor settled."""
    if not items:
        return []
    rounds = await bulk_queries.lock_rounds(conn, [item.round_key for item in items])
    stakes = await bulk_queries.transactions(
        conn, [(item.provider_id, _related(item)) for item in items]
    )
    checked = []
    for item in items:
        row = rounds.get(item.round_key)
        stake = stakes.get((item.provider_id, _related(item)))
        if (
            row is not None
            and row["status"] == "open"
            and stake is not None
            and stake["player_id"] == item.body.user_id
            and stake["kind"] == "debit"
            and stake["state"] == "applied"
            and stake["round_id"] == row["id"]
        ):
            item.round_row = row
            checked.append(item)
    return checked


async def _funded(conn: asyncpg.Connection, items: list[_Item]) -> list[_Item]:
    """Lock the players' cash and plan each transfer; a stake short of funds is left out."""
    if not items:
        return []
    for item in items:
        session = item.session
        accounts = await wallets.player_accounts(
            conn,
            operator_id=session.operator_id,
            player_id=session.player_id,
            currency=session.currency,
        )
        item.cash_id = accounts.cash_id
        item.clearing_id = await money.clearing_account(
            conn, session.operator_id, item.provider_id, session.currency
        )
    locked = await ledger.lock_balances(conn, [item.cash_id for item in items])
    return [item for item in items if _plan(item, locked)]


def _plan(item: _Item, locked: dict[int, tuple[int, int]]) -> bool:
    balance, reserved = locked.get(item.cash_id, (0, 0))
    available = balance - reserved
    amount = item.body.amount
    if item.staking and amount > available:
        return False
    item.balance = available - amount if item.staking else available + amount
    return True


async def _write(
    conn: asyncpg.Connection, items: list[_Item], outcomes: list[Outcome | None]
) -> None:
    transfers = []
    for item in items:
        if item.body.amount > 0:
            item.transfer = len(transfers)
            transfers.append(_transfer(item))
    posted = await ledger.post_many(conn, transfers) if transfers else []
    await _record_settled_rounds(conn, [item for item in items if not item.staking])
    stored = []
    for item in items:
        body, session = item.body, item.session
        transfer_id = posted[item.transfer] if item.transfer is not None else None
        response = success_body(body.transaction_id, item.balance, session.currency)
        row = {
            "provider_id": item.provider_id,
            "tx_ref": body.transaction_id,
            "kind": "debit" if item.staking else "credit",
            "operator_id": session.operator_id,
            "player_id": session.player_id,
            "session_id": session.id,
            "round_id": item.round_row["id"],
            "round_ref": body.round_id,
            "game_id": item.game_id,
            "currency": session.currency,
            "reference_ref": None if item.staking else _related(item),
            "essential_hash": _essential(item),
            "response_body": response,
            "amount": body.amount,
            "transfer_id": transfer_id,
        }
        stored.append((row, _round_change(item)))
        outcomes[item.index] = Outcome(200, response)
    await bulk_queries.store_applied(conn, stored)


def _transfer(item: _Item) -> ledger.PlannedTransfer:
    body, session = item.body, item.session
    reference = money.round_reference(item.code, body.round_id)
    # The request each lone call hashes: wallets.debit's for a stake, money.pay's for a payout.
    request = {"player": session.player_id, "amount": body.amount, "reference": reference}
    common: dict[str, Any] = {
        "operator_id": session.operator_id,
        "idempotency_key": money.ledger_key(item.code, body.transaction_id),
        "request": request,
        "reference": reference,
        "metadata": {
            "provider": item.code,
            "game_id": item.game_id,
            "round": body.round_id,
            "transaction": body.transaction_id,
        },
    }
    if item.staking:
        return ledger.planned_debit(
            type="bet",
            cash_account_id=item.cash_id,
            bonus_account_id=None,
            cash_part=body.amount,
            bonus_part=0,
            to_account_id=item.clearing_id,
            **common,
        )
    legs = [Leg(item.clearing_id, -body.amount), Leg(item.cash_id, body.amount)]
    return ledger.planned_post(type="win", legs=legs, **common)


async def _record_settled_rounds(conn: asyncpg.Connection, items: list[_Item]) -> None:
    """The safety engine's record of each round a payout settles (``credit._pay``)."""
    settled = [
        item
        for item in items
        if _settles(item) and item.round_row["debit_total"] - item.round_row["refund_total"] > 0
    ]
    if not settled:
        return
    now = datetime.now(UTC)
    settled.sort(key=lambda item: item.session.player_id)  # the safety rows' lock order
    runs = await SpinRun.open_many(
        conn, [(item.session.operator_id, item.session.player_id, None, now) for item in settled]
    )
    for item, run in zip(settled, runs, strict=True):
        assert run is not None  # the player exists: their stake was applied
        round_row = item.round_row
        run.record(
            game_key=round_row["game_code"],
            stake=round_row["debit_total"] - round_row["refund_total"],
            win=round_row["credit_total"] + item.body.amount,
            balance_after=item.balance,
            p_loss=None,
            at=now,
        )
    await SpinRun.close_many(conn, [run for run in runs if run is not None])


def _settles(item: _Item) -> bool:
    assert isinstance(item.body, CreditIn)
    return item.body.round_closed is not False


def _round_change(item: _Item) -> RoundChange:
    round_id = item.round_row["id"]
    if item.staking:
        return RoundChange(round_id, "open", live_debits=1, debit=item.body.amount)
    status = "settled" if _settles(item) else item.round_row["status"]
    return RoundChange(round_id, status, credit=item.body.amount, has_credit=True)


def _essential(item: _Item) -> bytes:
    body = item.body
    if isinstance(body, DebitIn):
        return call_essential("debit", body, debit.essential_fields(body))
    return call_essential("credit", body, credit.essential_fields(body))


def _related(item: _Item) -> str:
    assert isinstance(item.body, CreditIn) and item.body.related_transaction_id is not None
    return item.body.related_transaction_id


def _new_round(item: _Item) -> dict[str, Any]:
    session = item.session
    return {
        "provider_id": item.provider_id,
        "round_ref": item.body.round_id,
        "operator_id": session.operator_id,
        "player_id": session.player_id,
        "game_id": session.game_id,
        "game_code": session.game_code,
        "session_id": session.id,
        "currency": session.currency,
    }
