"""Batched provider callbacks (providers.batcher): concurrent stakes and payouts of different
players share a unit of work (providers.service.many), and each is answered exactly as the lone
path (debit.debit / credit.credit in a unit of work of its own) would answer it.

What is tested:

* a burst of stakes, then of payouts, is written as one batch with the lone path's answers and
  rows (ledger transfers and their metadata, stored outcomes, rounds, safety records);
* the same scenario played batched and played call by call on the lone path gives the same
  answers and the same rows;
* the calls a batch must leave to the lone path (replays, refusals, rejections, payouts without
  ``relatedTransactionId``, unknown players, ids shared by two calls...) mixed with good calls;
* one player's calls are played in turn, in arrival order;
* the app's own batcher under concurrent HTTP callbacks on small balances;
* a property test against a model of the wallet;
* a batch that fails as a whole: every call is played alone, money moves once.

Calls are driven straight through a batcher with its own pool and ``in_flight=1``, so batches
are predictable: the first call of a burst is played at once, inline; the second finds it
running and is played as a batch of one (alone); the rest of the burst waits for that and then
forms one batch (at most one call per player: a player's next call waits for the next batch).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from croupier.config import Settings
from croupier.db.pool import create_pool, unit_of_work
from croupier.ledger import service as ledger
from croupier.ledger.service import Leg
from croupier.providers import batcher as batcher_module
from croupier.providers.batcher import CallbackBatcher, play_alone
from croupier.providers.errors import PlayerNotFoundError
from croupier.providers.schemas import CreditIn, DebitIn, parse
from croupier.providers.service import credit as credit_service
from croupier.providers.service import debit as debit_service
from croupier.providers.service.context import authenticate
from croupier.providers.service.many import Call
from croupier.providers.service.outcomes import Outcome, call_essential
from croupier.providers.signature import sign
from croupier.safety import tools
from tests import factories
from tests.factories import Session
from tests.ledger.helpers import assert_audit_ok
from tests.providers.conftest import Demo, money, new_id

_names = itertools.count(1)
GAME = "SLOTS_001"  # seed 003's game 1: min bet 1,000, max bet 100,000

# ---- players, signed calls, expected answers ---------------------------------------------------


@dataclass
class Player:
    id: int
    login: Session
    token: str  # a live session token for SLOTS_001
    session_id: int


@dataclass
class Signer:
    """Builds what the callback endpoints hand the batcher: the caller authenticated over the
    signed raw bytes, and the parsed body."""

    pool: asyncpg.Pool
    settings: Settings

    async def call(self, kind: str, body: dict[str, Any]) -> Call:
        raw = json.dumps(body).encode()
        secret = self.settings.casino_secret.get_secret_value()
        async with self.pool.acquire() as conn:
            caller = await authenticate(
                conn,
                self.settings,
                raw=raw,
                signature_header=sign(secret, raw),
                timestamp_header=None,
                provider_code=None,
            )
        model = DebitIn if kind == "debit" else CreditIn
        return Call(caller, parse(model, caller.payload))

    async def debit(
        self,
        player: Player,
        tx: str,
        round_id: str,
        amount: int,
        *,
        token: str | None = None,
        user: int | None = None,
        **rest: Any,
    ) -> Call:
        body = money(token or player.token, user or player.id, tx, round_id, amount=amount, **rest)
        return await self.call("debit", body)

    async def credit(
        self,
        player: Player,
        tx: str,
        round_id: str,
        amount: int,
        related: str | None,
        *,
        token: str | None = None,
        **rest: Any,
    ) -> Call:
        if related is not None:
            rest["relatedTransactionId"] = related
        body = money(token or player.token, player.id, tx, round_id, amount=amount, **rest)
        return await self.call("credit", body)


@pytest.fixture
async def batcher(database_url: str) -> AsyncIterator[CallbackBatcher]:
    # One batch at a time, so the batches are predictable (see the module docstring).
    callbacks = CallbackBatcher(
        pool=await create_pool(database_url, min_size=1, max_size=4), in_flight=1
    )
    yield callbacks
    await callbacks.close()


@pytest.fixture
def signer(pool: asyncpg.Pool, demo: Demo) -> Signer:
    return Signer(pool, demo.settings)


async def _launch(client: httpx.AsyncClient, login: Session, game: int = 1) -> Player:
    """A session for a registered player, who launches for themselves (Bearer token)."""
    response = await client.post(
        "/casino/launchGame",
        json={"userId": login.subject_id, "gameId": game},
        headers=login.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return Player(login.subject_id, login, body["sessionToken"], body["casinoSessionId"])


async def _players(client: httpx.AsyncClient, demo: Demo, funds: Sequence[int]) -> list[Player]:
    """Registered lucky-star players, funded with ``funds`` cents of cash, each with a live
    SLOTS_001 session."""
    players = []
    for amount in funds:
        name = f"callbacks{next(_names)}"
        login = await factories.register_player(client, "lucky-star", name)
        if amount:
            await factories.fund_player(
                client, demo.operator_admin, login.subject_id, amount, key=f"fund-{name}"
            )
        players.append(await _launch(client, login))
    return players


async def _burst(batcher: CallbackBatcher, pool: asyncpg.Pool, calls: Sequence[Call]) -> list[Any]:
    """Every call at once, as concurrent requests would be; an exception is returned."""
    return await asyncio.gather(
        *(batcher.play(call, pool) for call in calls), return_exceptions=True
    )


async def _one_by_one(pool: asyncpg.Pool, calls: Sequence[Call]) -> list[Any]:
    """The lone path, call after call, in order."""
    results: list[Any] = []
    for call in calls:
        try:
            results.append(await play_alone(pool, call))
        except Exception as exc:
            results.append(exc)
    return results


def _wire(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def _ok(tx: str, balance: int) -> Outcome:
    return Outcome(
        200,
        _wire({"transactionId": tx, "balance": str(balance), "currency": "USD", "status": "ok"}),
    )


def _refused(
    status: int, error: str, code: str, balance: int | None = None, **details: str
) -> Outcome:
    body: dict[str, Any] = {"error": error, "code": code}
    if balance is not None:
        body["balance"] = str(balance)
    return Outcome(status, _wire(body | details))


def _ledger_key(tx: str) -> str:
    return f"prov:jaqpot:{tx}"


async def _cash(pool: asyncpg.Pool, player_id: int) -> int:
    """The player's available cash (the balance the wallet protocol reports)."""
    balance = await pool.fetchval(
        """SELECT balance - reserved FROM ledger_accounts
           WHERE owner_id = $1 AND kind = 'player_cash'""",
        player_id,
    )
    return balance or 0


async def _account(pool: asyncpg.Pool, kind: str, owner: int | None = None) -> int:
    if owner is None:
        return await pool.fetchval("SELECT id FROM ledger_accounts WHERE kind = $1", kind)
    return await pool.fetchval(
        "SELECT id FROM ledger_accounts WHERE kind = $1 AND owner_id = $2", kind, owner
    )


# The columns of a stored outcome and of a round that the tests compare.
_STORED = (
    "kind", "state", "http_status", "response_body", "amount", "player_id", "session_id",
    "round_id", "round_ref", "game_id", "currency", "reference_ref", "error_code", "transfer_id",
)  # fmt: skip
_ROUND = (
    "player_id", "game_id", "game_code", "session_id", "currency", "status", "has_credit",
    "live_debits", "debit_total", "credit_total", "refund_total",
)  # fmt: skip


async def _stored(pool: asyncpg.Pool, tx: str) -> asyncpg.Record | None:
    return await pool.fetchrow("SELECT * FROM casino_transactions WHERE tx_ref = $1", tx)


async def _round(pool: asyncpg.Pool, round_ref: str) -> asyncpg.Record | None:
    return await pool.fetchrow("SELECT * FROM casino_rounds WHERE round_ref = $1", round_ref)


async def _assert_one_transfer_per_applied_call(pool: asyncpg.Pool) -> None:
    """Every applied debit (rolled back since or not), and every applied credit that moved
    money, has exactly one posted transfer under its ledger key, the one its stored outcome
    names; nothing else has one."""
    rows = await pool.fetch(
        """SELECT t.tx_ref, t.kind, t.amount, t.transfer_id,
                  array_agg(l.id) FILTER (WHERE l.status = 'posted') AS posted
             FROM casino_transactions t
             LEFT JOIN ledger_transfers l ON l.idempotency_key = 'prov:jaqpot:' || t.tx_ref
            WHERE t.state IN ('applied', 'rolled_back') AND t.kind IN ('debit', 'credit')
            GROUP BY t.id"""
    )
    for row in rows:
        if row["kind"] == "credit" and row["amount"] == 0:
            assert row["posted"] is None and row["transfer_id"] is None, dict(row)
        else:
            assert row["posted"] == [row["transfer_id"]], dict(row)
    moved = await pool.fetchval(
        """SELECT count(*) FROM ledger_transfers
            WHERE type IN ('bet', 'win') AND status = 'posted'"""
    )
    assert moved == sum(1 for row in rows if row["posted"] is not None)


# ---- 1. a burst of stakes and payouts is one batch with the lone path's rows ------------------


class TestBatches:
    async def test_a_burst_of_stakes_then_of_payouts_writes_the_lone_paths_rows(
        self,
        client: httpx.AsyncClient,
        pool: asyncpg.Pool,
        demo: Demo,
        batcher: CallbackBatcher,
        signer: Signer,
    ) -> None:
        players = await _players(client, demo, [10_000] * 8)
        stakes = [1_000 + 250 * i for i in range(8)]
        wins = [0, 0, 500, 1_250, 3_000, 0, 9_999, 1]
        bets = [(f"bet-{p.id}", f"round-{p.id}") for p in players]
        debits = [
            await signer.debit(p, tx, round_id, stake)
            for p, (tx, round_id), stake in zip(players, bets, stakes, strict=True)
        ]
        answers = await _burst(batcher, pool, debits)
        # The first stake went inline, the second alone; the other six were one batch.
        assert (batcher.batches, batcher.largest_batch, batcher.played_alone) == (1, 6, 1)

        cash_id = {p.id: await _account(pool, "player_cash", p.id) for p in players}
        clearing = await _account(pool, "provider_clearing")
        for player, (tx, round_id), stake, answer, call in zip(
            players, bets, stakes, answers, debits, strict=True
        ):
            assert answer == _ok(tx, 10_000 - stake)
            assert await _cash(pool, player.id) == 10_000 - stake
            [transfer] = await pool.fetch(
                "SELECT * FROM ledger_transfers WHERE idempotency_key = $1", _ledger_key(tx)
            )
            assert (transfer["type"], transfer["status"]) == ("bet", "posted")
            assert transfer["reference"] == f"prov:jaqpot:{round_id}"
            assert transfer["metadata"] == {
                "provider": "jaqpot",
                "game_id": demo.games[0],
                "round": round_id,
                "transaction": tx,
            }
            # The hash the lone path stores, so a later retry of the key there replays it.
            request = {"player": player.id, "amount": stake, "reference": f"prov:jaqpot:{round_id}"}
            assert bytes(transfer["request_hash"]) == ledger._debit_digest(
                "bet", request, cash_id[player.id], None, stake, clearing
            )
            entries = await pool.fetch(
                "SELECT account_id, amount, balance_after FROM ledger_entries"
                " WHERE transfer_id = $1",
                transfer["id"],
            )
            legs = {(e["account_id"], e["amount"]) for e in entries}
            assert legs == {(cash_id[player.id], -stake), (clearing, stake)}
            stored = await _stored(pool, tx)
            round_row = await _round(pool, round_id)
            assert stored is not None and round_row is not None
            assert {k: stored[k] for k in _STORED} == {
                "kind": "debit",
                "state": "applied",
                "http_status": 200,
                "response_body": answer.body,
                "amount": stake,
                "player_id": player.id,
                "session_id": player.session_id,
                "round_id": round_row["id"],
                "round_ref": round_id,
                "game_id": demo.games[0],
                "currency": "USD",
                "reference_ref": None,
                "error_code": None,
                "transfer_id": transfer["id"],
            }
            assert bytes(stored["essential_hash"]) == call_essential(
                "debit", call.body, debit_service.essential_fields(call.body)
            )
            assert {k: round_row[k] for k in _ROUND} == {
                "player_id": player.id,
                "game_id": demo.games[0],
                "game_code": GAME,
                "session_id": player.session_id,
                "currency": "USD",
                "status": "open",
                "has_credit": False,
                "live_debits": 1,
                "debit_total": stake,
                "credit_total": 0,
                "refund_total": 0,
            }
            assert round_row["closed_at"] is None
        # Stakes are checked by the safety engine, recorded by it only when settled.
        assert await pool.fetchval("SELECT count(*) FROM safety_sessions") == 0

        credits = [
            await signer.credit(p, f"win-{p.id}", round_id, win, tx)
            for p, (tx, round_id), win in zip(players, bets, wins, strict=True)
        ]
        answers = await _burst(batcher, pool, credits)
        assert (batcher.batches, batcher.largest_batch, batcher.played_alone) == (2, 6, 2)
        for player, (tx, round_id), stake, win, answer, call in zip(
            players, bets, stakes, wins, answers, credits, strict=True
        ):
            after = 10_000 - stake + win
            assert answer == _ok(f"win-{player.id}", after)
            assert await _cash(pool, player.id) == after
            wins_paid = await pool.fetch(
                "SELECT * FROM ledger_transfers WHERE idempotency_key = $1",
                _ledger_key(f"win-{player.id}"),
            )
            stored = await _stored(pool, f"win-{player.id}")
            round_row = await _round(pool, round_id)
            assert stored is not None and round_row is not None
            if win:
                [paid] = wins_paid
                assert (paid["type"], paid["status"]) == ("win", "posted")
                assert paid["metadata"] == {
                    "provider": "jaqpot",
                    "game_id": demo.games[0],
                    "round": round_id,
                    "transaction": f"win-{player.id}",
                }
                request = {
                    "player": player.id,
                    "amount": win,
                    "reference": f"prov:jaqpot:{round_id}",
                }
                legs = [Leg(clearing, -win), Leg(cash_id[player.id], win)]
                assert bytes(paid["request_hash"]) == ledger._post_digest(
                    "win", request, legs, None
                )
            else:
                assert wins_paid == []  # a zero payout moves nothing
            assert {k: stored[k] for k in _STORED} == {
                "kind": "credit",
                "state": "applied",
                "http_status": 200,
                "response_body": answer.body,
                "amount": win,
                "player_id": player.id,
                "session_id": player.session_id,
                "round_id": round_row["id"],
                "round_ref": round_id,
                "game_id": demo.games[0],
                "currency": "USD",
                "reference_ref": tx,
                "error_code": None,
                "transfer_id": wins_paid[0]["id"] if win else None,
            }
            assert bytes(stored["essential_hash"]) == call_essential(
                "credit", call.body, credit_service.essential_fields(call.body)
            )
            assert (round_row["status"], round_row["has_credit"]) == ("settled", True)
            assert (round_row["debit_total"], round_row["credit_total"]) == (stake, win)
            assert round_row["live_debits"] == 1 and round_row["closed_at"] is not None
            # The safety engine's record of the settled round (credit._pay's record_round).
            session = await pool.fetchrow(
                "SELECT * FROM safety_sessions WHERE player_id = $1 AND session_key = ''",
                player.id,
            )
            assert session is not None and session["net_loss"] == stake - win
            state = session["state"]
            assert (state["spins"], state["staked"], state["won"]) == (1, stake, win)
            assert [entry[1:3] for entry in state["ring"]] == [[stake, win]]
            safety_player = await pool.fetchrow(
                "SELECT * FROM safety_players WHERE player_id = $1", player.id
            )
            assert safety_player is not None and safety_player["last_activity_at"] is not None
        await _assert_one_transfer_per_applied_call(pool)
        await assert_audit_ok(pool)

    async def test_one_players_calls_are_played_in_turn(
        self,
        client: httpx.AsyncClient,
        pool: asyncpg.Pool,
        demo: Demo,
        batcher: CallbackBatcher,
        signer: Signer,
    ) -> None:
        busy, *others = await _players(client, demo, [5_000] * 4)
        calls = [
            await signer.debit(others[0], new_id(), new_id(), 1_000),
            await signer.debit(others[1], new_id(), new_id(), 1_000),
            await signer.debit(busy, "turn-1", "turn-round-1", 2_000),
            await signer.credit(busy, "turn-2", "turn-round-1", 500, "turn-1"),
            await signer.debit(others[2], new_id(), new_id(), 1_000),
            await signer.debit(busy, "turn-3", "turn-round-2", 3_500),
            await signer.debit(busy, "turn-4", "turn-round-3", 1_000),
        ]
        answers = await _burst(batcher, pool, calls)
        # In arrival order: the payout saw its stake; the third stake took the last cash.
        assert [answers[i] for i in (2, 3, 5, 6)] == [
            _ok("turn-1", 3_000),
            _ok("turn-2", 3_500),
            _ok("turn-3", 0),
            _refused(402, "Insufficient funds", "INSUFFICIENT_FUNDS", 0),
        ]
        assert all(answers[i].status == 200 for i in (0, 1, 4))
        # Never two calls of one player in a batch: `busy`'s first stake was batched with
        # others[2]'s, each of its next calls waited for the previous one.
        assert (batcher.batches, batcher.largest_batch, batcher.played_alone) == (1, 2, 4)
        assert await _cash(pool, busy.id) == 0
        await assert_audit_ok(pool)


# ---- 2. batched and lone play of one scenario give the same answers and rows -----------------

# p3 is short, p4 can afford more than the game's maximum bet, p9 stakes all it has, p10 has
# part of its cash reserved.
_SCENARIO_FUNDS = [10_000] * 3 + [4_000, 200_000] + [10_000] * 4 + [3_000, 5_000]


async def _scenario(
    signer: Signer,
    pool: asyncpg.Pool,
    tag: str,
    players: list[Player],
    play: Callable[[Sequence[Call]], Awaitable[list[Any]]],
) -> list[list[Any]]:
    """Three bursts of good and bad calls; every id starts with ``tag``."""
    p = players
    await pool.execute("UPDATE players SET status = 'blocked' WHERE id = $1", p[8].id)
    async with unit_of_work(pool) as uow:  # p10 has a withdrawal pending: 3,000 reserved
        operator_id = await uow.conn.fetchval(
            "SELECT operator_id FROM players WHERE id = $1", p[10].id
        )
        await ledger.hold(
            uow.conn,
            operator_id=operator_id,
            idempotency_key=f"{tag}:withdrawal",
            request={"withdrawal": tag},
            account_id=await _account(pool, "player_cash", p[10].id),
            amount=3_000,
        )

    def i(name: str) -> str:
        return f"{tag}:{name}"

    stakes = [
        await signer.debit(p[0], i("d0"), i("r0"), 1_000),
        await signer.debit(p[1], i("d1"), i("r1"), 2_000),
        await signer.debit(p[2], i("d2"), i("r2"), 3_000, currency="USD", gameId=GAME),
        await signer.debit(p[3], i("d3"), i("r3"), 5_000),  # short of funds
        await signer.debit(p[4], i("d4"), i("r4"), 100_001),  # above the game's maximum
        await signer.debit(p[5], i("d5a"), i("r5a"), 1_500),
        await signer.debit(p[5], i("d5b"), i("r5b"), 2_500),  # waits for p5's first
        await signer.credit(p[6], i("c6"), i("r6"), 700, None),  # a promotion, no stake
        await signer.debit(p[7], i("d7"), i("r7"), 1_000, currency="EUR"),
        await signer.debit(p[8], i("d8"), i("r8"), 1_000),  # blocked
        await signer.debit(p[9], i("d9"), i("r9"), 3_000),  # exactly the balance
        await signer.debit(p[10], i("d10"), i("r10"), 2_500),  # more than is not reserved
    ]
    payouts = [
        await signer.credit(p[0], i("w0"), i("r0"), 0, i("d0")),
        await signer.credit(p[1], i("w1"), i("r1"), 4_000, i("d1")),
        await signer.credit(p[2], i("w2"), i("r2"), 2_500, i("d2"), roundClosed=False),
        await signer.credit(p[3], i("w3"), i("r3"), 1_000, i("d3")),  # its stake was refused
        await signer.debit(p[4], i("d4b"), i("r4"), 4_000),
        await signer.credit(p[5], i("w5"), i("r5b"), 10, i("d5b")),
        await signer.credit(p[6], i("w6"), i("r6"), 5, i("c6")),  # names a payout
        await signer.credit(p[8], i("w8"), i("r8"), 100, None),  # blocked, still paid
        await signer.credit(p[9], i("w9"), i("r9"), 6_000, i("d9"), roundClosed=True),
        await signer.debit(p[7], i("d7"), i("r7"), 1_000, currency="EUR"),  # a replay
        await signer.debit(p[10], i("d10b"), i("r10"), 1_500),
    ]
    more = [  # (the first two are played ahead of the batch)
        await signer.debit(p[9], i("d9b"), i("r9b"), 4_000),
        await signer.debit(p[0], i("w0"), i("r0"), 1_000),  # w0 is a credit's id
        await signer.credit(p[2], i("w2b"), i("r2"), 100, i("d2")),  # settles r2 now
        await signer.credit(p[1], i("w1b"), i("r1"), 100, i("d1")),  # r1 is settled
        await signer.credit(p[5], i("w5a"), i("r5a"), 3_000, i("d5a")),
    ]
    return [await play(stakes), await play(payouts), await play(more)]


async def _snapshot(pool: asyncpg.Pool, tag: str, players: list[Player]) -> dict[str, Any]:
    """Every row the scenario wrote, with ids made comparable across the two runs: the tag is
    cut from the provider's ids, players and sessions become their index, row ids the
    provider's ids they stand for."""
    index = {p.id: n for n, p in enumerate(players)}
    sessions = {p.session_id: n for n, p in enumerate(players)}
    ids = list(index)

    def n(text: Any) -> Any:
        if isinstance(text, bytes):
            return text.replace(f"{tag}:".encode(), b"")
        return text.replace(f"{tag}:", "") if isinstance(text, str) else text

    rounds = await pool.fetch(
        "SELECT * FROM casino_rounds WHERE round_ref LIKE $1 ORDER BY round_ref", f"{tag}:%"
    )
    round_refs = {r["id"]: n(r["round_ref"]) for r in rounds}
    transfers = await pool.fetch(
        "SELECT * FROM ledger_transfers WHERE idempotency_key LIKE $1", _ledger_key(f"{tag}:%")
    )
    transfer_keys = {t["id"]: n(t["idempotency_key"]) for t in transfers}
    accounts = {
        a["id"]: (a["kind"], index.get(a["owner_id"]))
        for a in await pool.fetch("SELECT id, kind, owner_id FROM ledger_accounts")
    }
    entries = await pool.fetch(
        "SELECT * FROM ledger_entries WHERE transfer_id = ANY($1::bigint[])", list(transfer_keys)
    )
    stored = await pool.fetch("SELECT * FROM casino_transactions WHERE tx_ref LIKE $1", f"{tag}:%")

    def stored_row(t: asyncpg.Record) -> tuple[Any, ...]:
        return (
            n(t["tx_ref"]),
            *(t[k] for k in ("kind", "state", "http_status", "error_code", "amount")),
            *(t[k] for k in ("currency", "game_id")),
            n(bytes(t["response_body"])),
            n(t["round_ref"]),
            n(t["reference_ref"]),
            index[t["player_id"]],
            sessions.get(t["session_id"]),
            round_refs.get(t["round_id"]),
            transfer_keys.get(t["transfer_id"]),
        )

    def round_row(r: asyncpg.Record) -> tuple[Any, ...]:
        return (
            round_refs[r["id"]],
            index[r["player_id"]],
            sessions[r["session_id"]],
            *(r[k] for k in _ROUND if k not in ("player_id", "session_id")),
            r["closed_at"] is None,
        )

    def entry(e: asyncpg.Record) -> tuple[Any, ...]:
        account = accounts[e["account_id"]]
        # A shared account's running balance depends on the other run: only players' are kept.
        return account, e["amount"], e["balance_after"] if account[1] is not None else None

    def transfer_row(t: asyncpg.Record) -> tuple[Any, ...]:
        return (
            transfer_keys[t["id"]],
            *(t[k] for k in ("type", "status", "reject_code")),
            n(t["reference"]),
            {k: n(v) for k, v in t["metadata"].items()},
            sorted(entry(e) for e in entries if e["transfer_id"] == t["id"]),
        )

    safety_sessions = await pool.fetch(
        "SELECT * FROM safety_sessions WHERE player_id = ANY($1::bigint[]) ORDER BY player_id",
        ids,
    )
    safety_players = await pool.fetch(
        "SELECT * FROM safety_players WHERE player_id = ANY($1::bigint[]) ORDER BY player_id",
        ids,
    )
    audiences = {f"player:{p.id}": n for n, p in enumerate(players)}
    outbox = await pool.fetch(
        "SELECT topic, audience FROM outbox WHERE audience = ANY($1::text[])", list(audiences)
    )
    return {
        "outbox": sorted((o["topic"], audiences[o["audience"]]) for o in outbox),
        "stored": sorted(stored_row(t) for t in stored),
        "rounds": [round_row(r) for r in rounds],
        "transfers": sorted(transfer_row(t) for t in transfers),
        "cash": [await _cash(pool, p.id) for p in players],
        "safety_sessions": [
            (
                index[s["player_id"]],
                *(s[k] for k in ("session_key", "net_loss", "loss_limit", "ended_code")),
                _timeless(s["state"]),
            )
            for s in safety_sessions
        ],
        "safety_players": [
            (
                index[s["player_id"]],
                *(s[k] for k in ("band", "score", "reasons", "limits")),
                _timeless(s["state"]),
                s["last_activity_at"] is None,
            )
            for s in safety_players
        ],
    }


def _timeless(state: dict[str, Any]) -> dict[str, Any]:
    """A safety state without its clock readings (the two runs happen at different times)."""
    out: dict[str, Any] = {}
    for key, value in state.items():
        if key.endswith("_ms") or key == "today":
            continue
        if key == "ring":
            value = [entry[1:] for entry in value]
        elif key == "fired":  # code -> [fired_at_ms, weight]: the night-play signal, at night
            value = {code: entry[1:] for code, entry in value.items()}
        elif key == "days":
            value = sorted(value.values())
        out[key] = value
    return out


async def test_batched_and_lone_play_give_the_same_answers_and_rows(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    demo: Demo,
    batcher: CallbackBatcher,
    signer: Signer,
) -> None:
    batched_players = await _players(client, demo, _SCENARIO_FUNDS)
    lone_players = await _players(client, demo, _SCENARIO_FUNDS)
    # The two runs happen one after the other: in a zone where it is about noon, no run can
    # straddle the night window's edge, where NIGHT_PLAY would fire in one run and not the
    # other (a CI run at 05:59 UTC did just that). Players have no API for their zone.
    await pool.execute(
        "UPDATE players SET timezone = $1 WHERE id = ANY($2::bigint[])",
        factories.daytime_zone(),
        [p.id for p in batched_players + lone_players],
    )

    async def batched(calls: Sequence[Call]) -> list[Any]:
        return await _burst(batcher, pool, calls)

    async def lone(calls: Sequence[Call]) -> list[Any]:
        return await _one_by_one(pool, calls)

    with_batches = await _scenario(signer, pool, "B", batched_players, batched)
    assert batcher.batches == 3 and batcher.largest_batch == 9
    alone = await _scenario(signer, pool, "L", lone_players, lone)

    def comparable(results: list[list[Any]], tag: str) -> list[list[Any]]:
        return [
            [
                Outcome(r.status, r.body.replace(f"{tag}:".encode(), b""))
                if isinstance(r, Outcome)
                else repr(r)
                for r in burst
            ]
            for burst in results
        ]

    assert comparable(with_batches, "B") == comparable(alone, "L")
    # A sample of the answers, so that the comparison cannot pass on two wrong runs.
    stakes, payouts, more = comparable(with_batches, "B")
    assert stakes[:4] == [
        _ok("d0", 9_000),
        _ok("d1", 8_000),
        _ok("d2", 7_000),
        _refused(402, "Insufficient funds", "INSUFFICIENT_FUNDS", 4_000),
    ]
    assert stakes[7] == _ok("c6", 10_700) and stakes[10] == _ok("d9", 0)
    assert stakes[4] == _refused(
        403, "Bet exceeds the game's maximum", "LIMIT_EXCEEDED", 200_000, maxBet="100000"
    )
    assert stakes[11] == _refused(402, "Insufficient funds", "INSUFFICIENT_FUNDS", 2_000)
    assert payouts[10] == _ok("d10b", 500)
    assert payouts[1] == _ok("w1", 12_000) and payouts[8] == _ok("w9", 6_000)
    assert more[2] == _ok("w2b", 9_600)
    assert more[3].body == b'{"error":"Round is closed","code":"ROUND_CLOSED","balance":"12000"}'
    batched_rows = await _snapshot(pool, "B", batched_players)
    lone_rows = await _snapshot(pool, "L", lone_players)
    for table, rows in batched_rows.items():
        assert rows == lone_rows[table], table
    assert len(batched_rows["stored"]) == 26 and len(batched_rows["safety_sessions"]) == 5
    await _assert_one_transfer_per_applied_call(pool)
    await assert_audit_ok(pool)


# ---- 3. what a batch leaves to the lone path, answered as the lone path answers it -----------


async def test_calls_left_to_the_lone_path_are_answered_as_alone_and_good_ones_batched(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    demo: Demo,
    batcher: CallbackBatcher,
    signer: Signer,
) -> None:
    funds = [10_000] * 26
    funds[3] = 150_000  # `good2` stakes the game's maximum
    funds[8] = 500  # `short`
    (
        first, second, good, good2, payee, payee2, replayed, changed, short, blocked,
        timed_out, stale, expired, foreign, related_unknown, settled, promo, twin_a, twin_b,
        victim, wrong_game, intruder, owner, late, rolled, tombstoned,
    ) = await _players(client, demo, funds)  # fmt: skip
    second_game = await _players(client, demo, [10_000])
    disabled_game = await _launch(client, second_game[0].login, game=demo.games[1])

    # What came before the burst, played on the lone path.
    async def alone(call: Call) -> Outcome:
        outcome = await play_alone(pool, call)
        assert outcome.status == 200, outcome
        return outcome

    for player in (payee, payee2):
        await alone(await signer.debit(player, f"stake-{player.id}", f"round-{player.id}", 2_000))
    replay_call = await signer.debit(replayed, "replayed", "replayed-round", 1_000)
    first_answer = await alone(replay_call)
    await alone(await signer.debit(changed, "changed", "changed-round", 1_000))
    await alone(await signer.debit(settled, "settled", "settled-round", 1_000))
    await alone(await signer.credit(settled, "settled-win", "settled-round", 0, "settled"))
    await alone(await signer.debit(owner, "owner", "owned-round", 1_000))
    await alone(await signer.debit(late, "late", "late-round", 1_000))
    await alone(await signer.credit(late, "late-payout", "late-round", 0, "late"))
    await alone(await signer.debit(rolled, "rolled", "rolled-round", 1_000))
    for player, original, round_id in (
        (rolled, "rolled", "rolled-round"),
        (tombstoned, "tombstone", "tombstone-round"),  # before its stake: a tombstone
    ):
        undo = money(player.token, player.id, new_id(), round_id, originalTransactionId=original)
        response = await demo.call(client, "rollback", undo)
        assert response.status_code == 200, response.text
    await pool.execute("UPDATE games SET is_active = false WHERE id = $1", demo.games[1])
    await pool.execute("UPDATE players SET status = 'blocked' WHERE id = $1", blocked.id)
    async with unit_of_work(pool) as uow:
        await tools.start_time_out(
            uow.conn, operator_id=demo.operator_id, player_id=timed_out.id, days=1
        )
    old_token = stale.token
    await _launch(client, stale.login)  # supersedes `old_token` for stakes
    await pool.execute(
        "UPDATE casino_sessions SET expires_at = now() - interval '1 second' WHERE id = $1",
        expired.session_id,
    )
    rows_before = await pool.fetchval("SELECT count(*) FROM casino_transactions")

    calls = {
        "first": await signer.debit(first, "first", "first-round", 1_000),
        "second": await signer.debit(second, "second", "second-round", 1_000),
        "good": await signer.debit(good, "good", "good-round", 4_000),
        "good2": await signer.debit(good2, "good2", "good2-round", 100_000),
        "payee": await signer.credit(
            payee, "paid", f"round-{payee.id}", 7_000, f"stake-{payee.id}"
        ),
        "payee2": await signer.credit(
            payee2, "paid2", f"round-{payee2.id}", 0, f"stake-{payee2.id}"
        ),
        "twin_a": await signer.debit(twin_a, "twin", "twin-a-round", 1_000),
        # Left to the lone path:
        "replayed": replay_call,
        "changed": await signer.debit(changed, "changed", "changed-round", 2_000),
        "short": await signer.debit(short, "short", "short-round", 1_000),
        "blocked": await signer.debit(blocked, "blocked", "blocked-round", 1_000),
        "timed_out": await signer.debit(timed_out, "timed-out", "timed-out-round", 1_000),
        "stale": await signer.debit(stale, "stale", "stale-round", 1_000, token=old_token),
        "expired": await signer.debit(expired, "expired", "expired-round", 1_000),
        "currency": await signer.debit(
            foreign, "currency", "currency-round", 1_000, currency="EUR"
        ),
        "related_unknown": await signer.credit(
            related_unknown, "unknown-win", "unknown-round", 1_000, "no-such-stake"
        ),
        "settled": await signer.credit(settled, "late-win", "settled-round", 1_000, "settled"),
        "promo": await signer.credit(promo, "promo", "promo-round", 1_500, None),
        "twin_b": await signer.debit(twin_b, "twin", "twin-b-round", 1_000),
        "not_theirs": await signer.debit(
            victim, "intruder", "intruder-round", 1_000, token=good.token
        ),
        "unknown_player": await signer.debit(good2, "ghost", "ghost-round", 1_000, user=10**9),
        "disabled_game": await signer.debit(disabled_game, "disabled", "disabled-round", 1_000),
        "wrong_game": await signer.debit(
            wrong_game, "wrong-game", "wrong-game-round", 1_000, gameId="SLOTS_002"
        ),
        "others_round": await signer.debit(intruder, "thief", "owned-round", 1_000),
        "settled_stake": await signer.debit(late, "late-again", "late-round", 1_000),
        "rolled_back": await signer.credit(rolled, "rolled-win", "rolled-round", 500, "rolled"),
        "tombstoned": await signer.debit(tombstoned, "tombstone", "tombstone-round", 1_000),
    }
    answers = dict(zip(calls, await _burst(batcher, pool, list(calls.values())), strict=True))

    # The two calls ahead, then one batch of the other twenty-five: the five good calls applied
    # there, the twenty others each played alone after it.
    assert (batcher.batches, batcher.largest_batch) == (1, 25)
    assert batcher.played_alone == 1 + 20

    expected = {
        "first": _ok("first", 9_000),
        "second": _ok("second", 9_000),
        "good": _ok("good", 6_000),
        "good2": _ok("good2", 50_000),
        "payee": _ok("paid", 8_000 + 7_000),
        "payee2": _ok("paid2", 8_000),
        "twin_a": _ok("twin", 9_000),
        "replayed": first_answer,
        "changed": _refused(
            409, "Duplicate transactionId with different parameters", "DUPLICATE_TRANSACTION",
            9_000,
        ),
        "short": _refused(402, "Insufficient funds", "INSUFFICIENT_FUNDS", 500),
        "blocked": _refused(403, "Player is blocked", "PLAYER_BLOCKED", 10_000),
        "stale": _refused(401, "Session token expired", "TOKEN_EXPIRED", 10_000),
        "expired": _refused(401, "Session token expired", "TOKEN_EXPIRED", 10_000),
        "currency": _refused(
            400, "Currency does not match the player's wallet", "WRONG_CURRENCY", 10_000
        ),
        "related_unknown": _refused(
            404, "Related transaction not found for this player and round",
            "TRANSACTION_NOT_FOUND", 10_000,
        ),
        "settled": _refused(409, "Round is closed", "ROUND_CLOSED", 9_000),
        "promo": _ok("promo", 11_500),
        # The id's owner is another player: their balance is not disclosed.
        "twin_b": _refused(
            409, "Duplicate transactionId with different parameters", "DUPLICATE_TRANSACTION"
        ),
        "not_theirs": _refused(401, "Invalid session token", "TOKEN_INVALID", 10_000),
        "disabled_game": _refused(400, "Game is not available", "INVALID_GAME", 10_000),
        "wrong_game": _refused(400, "Game does not match the session", "INVALID_GAME", 10_000),
        "others_round": _refused(
            400, "Invalid request: roundId belongs to another player", "INVALID_REQUEST", 10_000
        ),
        "settled_stake": _refused(409, "Round is closed", "ROUND_CLOSED", 9_000),
        "rolled_back": _refused(
            409, "Transaction was rolled back", "TRANSACTION_ROLLED_BACK", 10_000
        ),
        # Not stored: the id is the tombstone's.
        "tombstoned": _refused(
            409, "Transaction was rolled back", "TRANSACTION_ROLLED_BACK", 10_000
        ),
    }  # fmt: skip
    for name, outcome in expected.items():
        assert answers[name] == outcome, name
    timed_out_answer = answers["timed_out"]
    assert isinstance(timed_out_answer, Outcome) and timed_out_answer.status == 403
    body = json.loads(timed_out_answer.body)
    assert (body["code"], body["balance"], body["reason"]) == (
        "PLAYER_BLOCKED", "10000", "TIME_OUT_ACTIVE"
    )  # fmt: skip
    assert isinstance(answers["unknown_player"], PlayerNotFoundError)  # a 404, never stored

    # Stored outcomes: rejections are stored (a late retry hears the same), refusals of a taken
    # id and unknown players are not, replays add nothing.
    stored_rejections = {
        "short": ("short", "INSUFFICIENT_FUNDS"),
        "blocked": ("blocked", "PLAYER_BLOCKED"),
        "timed_out": ("timed-out", "PLAYER_BLOCKED"),
        "stale": ("stale", "TOKEN_EXPIRED"),
        "expired": ("expired", "TOKEN_EXPIRED"),
        "currency": ("currency", "WRONG_CURRENCY"),
        "related_unknown": ("unknown-win", "TRANSACTION_NOT_FOUND"),
        "settled": ("late-win", "ROUND_CLOSED"),
        "not_theirs": ("intruder", "TOKEN_INVALID"),
        "disabled_game": ("disabled", "INVALID_GAME"),
        "wrong_game": ("wrong-game", "INVALID_GAME"),
        "others_round": ("thief", "INVALID_REQUEST"),
        "settled_stake": ("late-again", "ROUND_CLOSED"),
        "rolled_back": ("rolled-win", "TRANSACTION_ROLLED_BACK"),
    }
    for name, (tx, code) in stored_rejections.items():
        row = await _stored(pool, tx)
        assert row is not None, name
        answer = answers[name]
        assert (row["state"], row["error_code"], row["http_status"]) == (
            "rejected", code, answer.status
        ), name  # fmt: skip
        assert bytes(row["response_body"]) == answer.body, name
        assert row["transfer_id"] is None
    assert (await _stored(pool, "intruder"))["player_id"] == victim.id
    for tx in ("first", "second", "good", "good2", "paid", "paid2", "promo"):
        row = await _stored(pool, tx)
        assert (row["state"], row["http_status"]) == ("applied", 200), tx
    twin = await _stored(pool, "twin")
    assert (twin["player_id"], twin["state"]) == (twin_a.id, "applied")
    applied = 7 + 1  # the seven good calls (two ahead of the batch) and the promotion
    assert await pool.fetchval("SELECT count(*) FROM casino_transactions") == rows_before + (
        applied + len(stored_rejections)
    )
    changed_row = await _stored(pool, "changed")
    assert changed_row["amount"] == 1_000  # the first call's row, untouched
    assert (await _stored(pool, "ghost")) is None

    # Money: the good calls moved it once each, nobody else's moved.
    balances = [
        (first, 9_000), (second, 9_000), (good, 6_000), (good2, 50_000), (payee, 15_000),
        (payee2, 8_000), (replayed, 9_000), (changed, 9_000), (short, 500), (blocked, 10_000),
        (timed_out, 10_000), (stale, 10_000), (expired, 10_000), (foreign, 10_000),
        (related_unknown, 10_000), (settled, 9_000), (promo, 11_500), (twin_a, 9_000),
        (twin_b, 10_000), (victim, 10_000), (disabled_game, 10_000), (wrong_game, 10_000),
        (intruder, 10_000), (owner, 9_000), (late, 9_000), (rolled, 10_000),
        (tombstoned, 10_000),
    ]  # fmt: skip
    for player, balance in balances:
        assert await _cash(pool, player.id) == balance, player.login
    promo_round = await _round(pool, "promo-round")
    assert (promo_round["status"], promo_round["live_debits"], promo_round["credit_total"]) == (
        "settled", 0, 1_500
    )  # fmt: skip
    # The stake refused for short funds opened its round, as the lone path does.
    short_round = await _round(pool, "short-round")
    assert (short_round["status"], short_round["live_debits"], short_round["debit_total"]) == (
        "open", 0, 0
    )  # fmt: skip
    for refused_round in (
        "blocked-round", "timed-out-round", "stale-round", "expired-round", "currency-round",
        "twin-b-round", "intruder-round", "ghost-round", "disabled-round", "wrong-game-round",
    ):  # fmt: skip
        assert await _round(pool, refused_round) is None, refused_round
    settled_round = await _round(pool, "settled-round")
    assert (settled_round["status"], settled_round["credit_total"]) == ("settled", 0)
    for round_id, status, live in (
        ("owned-round", "open", 1),
        ("late-round", "settled", 1),
        ("rolled-round", "voided", 0),  # its only stake was refunded
    ):
        row = await _round(pool, round_id)
        assert (row["status"], row["live_debits"], row["debit_total"]) == (status, live, 1_000)
        assert row["credit_total"] == 0 and row["player_id"] != intruder.id
    await _assert_one_transfer_per_applied_call(pool)
    await assert_audit_ok(pool)

    # Late retries of everything, in a burst again, hear the same bytes: every id is taken now,
    # so the batch leaves every call to the lone path, which replays or refuses it.
    again = await _burst(batcher, pool, list(calls.values()))
    assert (batcher.batches, batcher.played_alone) == (2, 21 + 1 + 25)
    for name, answer in zip(calls, again, strict=True):
        if name == "unknown_player":
            assert isinstance(answer, PlayerNotFoundError)
        else:
            assert answer == answers[name], name
    assert await pool.fetchval("SELECT count(*) FROM casino_transactions") == rows_before + (
        applied + len(stored_rejections)
    )


# ---- 4. the app's batcher under concurrent HTTP callbacks on small balances ------------------


async def test_concurrent_http_callbacks_of_many_players_never_overdraw(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    demo: Demo,
    app: Any,
) -> None:
    app_batcher: CallbackBatcher = app.state.callback_batcher
    assert app_batcher is not None
    players = await _players(client, demo, [2_500 + 500 * (n % 3) for n in range(12)])
    start = {p.id: await _cash(pool, p.id) for p in players}
    batches_before = app_batcher.batches
    answers: list[httpx.Response] = []

    async def play(player: Player, number: int) -> None:
        for round_no in range(4):
            round_id = f"http-{player.id}-{round_no}"
            stakes = [
                money(player.token, player.id, f"{round_id}-{k}", round_id, amount=1_000)
                for k in range(2)
            ]
            # Two stakes of one round at once (a provider retrying on a fresh id).
            responses = await asyncio.gather(*(demo.call(client, "debit", s) for s in stakes))
            answers.extend(responses)
            applied = [s for s, r in zip(stakes, responses, strict=True) if r.status_code == 200]
            if not applied:
                continue
            win = (0, 500, 1_000, 2_500)[(number + round_no) % 4]
            related = applied[0]["transactionId"]
            body = money(
                player.token, player.id, f"{round_id}-win", round_id,
                amount=win, relatedTransactionId=related,
            )  # fmt: skip
            paid = await demo.call(client, "credit", body)
            answers.append(paid)
            assert paid.status_code == 200, paid.text

    await asyncio.gather(*(play(p, n) for n, p in enumerate(players)))
    assert app_batcher.batches > batches_before  # the app's batcher did batch these

    assert {r.status_code for r in answers} <= {200, 402}
    assert all(int(r.json()["balance"]) >= 0 for r in answers)
    rejected = await pool.fetchval(
        "SELECT count(*) FROM casino_transactions WHERE state = 'rejected'"
    )
    assert rejected == sum(1 for r in answers if r.status_code == 402) > 0
    # Never negative at any moment: every running balance of the players' cash.
    lowest = await pool.fetchval(
        """SELECT min(e.balance_after) FROM ledger_entries e
             JOIN ledger_accounts a ON a.id = e.account_id
            WHERE a.kind = 'player_cash' AND a.owner_id = ANY($1::bigint[])""",
        [p.id for p in players],
    )
    assert lowest >= 0
    moved = {
        row["player_id"]: row["net"]
        for row in await pool.fetch(
            """SELECT player_id,
                      sum(CASE kind WHEN 'credit' THEN amount ELSE -amount END) AS net
                 FROM casino_transactions WHERE state = 'applied' GROUP BY player_id"""
        )
    }
    for player in players:
        assert await _cash(pool, player.id) == start[player.id] + moved[player.id] >= 0
    final = [await _cash(pool, p.id) for p in players]
    assert sum(moved[p.id] for p in players) == sum(final) - sum(start.values())
    await _assert_one_transfer_per_applied_call(pool)
    await assert_audit_ok(pool)


# ---- 5. property: any mix of calls keeps every wallet at the model's balance -----------------

_DEBIT_FLAGS = ("ok", "ok", "ok", "stale", "currency", "over_max", "replay")
_CREDIT_FLAGS = ("ok", "ok", "ok", "stale", "no_link", "unknown", "replay")

_ops = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=4),  # player
        st.sampled_from(["debit", "credit"]),
        st.sampled_from([0, 500, 1_000, 2_500, 4_000]),  # amount (a stake of 0 is 1,000)
        st.integers(min_value=0, max_value=6),  # flag
    ),
    min_size=1,
    max_size=16,
)
_examples = itertools.count(1)


@dataclass
class _Model:
    """One player's wallet as the lone path plays their calls, in order."""

    balance: int
    stakes: dict[str, bool]  # tx -> applied
    rounds: dict[str, str]  # round -> status
    last_stake: tuple[str, str] | None = None  # (tx, round)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(funds=st.lists(st.sampled_from([0, 1_000, 3_000, 6_000]), min_size=5, max_size=5), ops=_ops)
async def test_any_mix_of_calls_keeps_each_wallet_at_the_models_balance(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    demo: Demo,
    batcher: CallbackBatcher,
    signer: Signer,
    funds: list[int],
    ops: list[tuple[int, str, int, int]],
) -> None:
    """Property: whatever the calls, each is answered as the model of the lone path says, and
    each wallet ends at its funding less the applied stakes plus the applied payouts."""
    used = sorted({player for player, *_ in ops})
    players = dict(zip(used, await _players(client, demo, [funds[i] for i in used]), strict=True))
    stale_tokens = {}
    for i, player in players.items():
        stale_tokens[i] = player.token
        players[i] = await _launch(client, player.login)
    example = next(_examples)
    models = {i: _Model(funds[i], {}, {}) for i in players}
    calls: list[Call] = []
    expected: list[tuple[int, int | None]] = []  # (status, balance when 200)
    previous: dict[int, tuple[Call, int]] = {}  # the player's last call and its index
    for n, (i, kind, amount, flag_no) in enumerate(ops):
        player, model = players[i], models[i]
        tx, round_id = f"p{example}-{n}", f"p{example}-round-{n}"
        if kind == "debit":
            flag = _DEBIT_FLAGS[flag_no]
            stake = amount or 1_000
            if flag == "replay" and i in previous:
                call, index = previous[i]
                calls.append(call)
                expected.append(expected[index])
                continue
            rest: dict[str, Any] = {}
            if flag == "stale":
                rest["token"] = stale_tokens[i]
            if flag == "currency":
                rest["currency"] = "EUR"
            if flag == "over_max":
                stake = 100_001
            call = await signer.debit(player, tx, round_id, stake, **rest)
            if flag == "stale":
                outcome = (401, None)
            elif flag == "currency":
                outcome = (400, None)
            elif flag == "over_max":
                outcome = (403, None)
            elif stake > model.balance:
                outcome = (402, None)
                model.stakes[tx] = False
                model.rounds[round_id] = "open"
                model.last_stake = (tx, round_id)
            else:
                model.balance -= stake
                model.stakes[tx] = True
                model.rounds[round_id] = "open"
                model.last_stake = (tx, round_id)
                outcome = (200, model.balance)
        else:
            flag = _CREDIT_FLAGS[flag_no]
            if flag == "replay" and i in previous:
                call, index = previous[i]
                calls.append(call)
                expected.append(expected[index])
                continue
            token = stale_tokens[i] if flag == "stale" else None
            if flag == "unknown":
                call = await signer.credit(player, tx, round_id, amount, f"nope-{tx}", token=token)
                outcome = (404, None)
            elif flag == "no_link" or model.last_stake is None:
                # A payout without a stake: in the last stake's round if any, else a new one.
                if model.last_stake is not None:
                    round_id = model.last_stake[1]
                call = await signer.credit(player, tx, round_id, amount, None, token=token)
                model.balance += amount
                model.rounds[round_id] = "settled"
                outcome = (200, model.balance)
            else:
                stake_tx, round_id = model.last_stake
                call = await signer.credit(player, tx, round_id, amount, stake_tx, token=token)
                if not model.stakes[stake_tx]:
                    outcome = (404, None)
                elif model.rounds[round_id] != "open":
                    outcome = (409, None)
                else:
                    model.balance += amount
                    model.rounds[round_id] = "settled"
                    outcome = (200, model.balance)
        previous[i] = (call, len(calls))
        calls.append(call)
        expected.append(outcome)

    answers = await _burst(batcher, pool, calls)
    for n, (answer, (status, balance)) in enumerate(zip(answers, expected, strict=True)):
        assert isinstance(answer, Outcome), (n, answer)
        assert answer.status == status, (n, ops[n], answer)
        if balance is not None:
            assert json.loads(answer.body)["balance"] == str(balance), (n, ops[n], answer)
    for i, player in players.items():
        net = await pool.fetchval(
            """SELECT coalesce(sum(CASE kind WHEN 'credit' THEN amount ELSE -amount END), 0)
                 FROM casino_transactions WHERE state = 'applied' AND player_id = $1""",
            player.id,
        )
        cash = await _cash(pool, player.id)
        assert cash == funds[i] + net == models[i].balance >= 0
        lowest = await pool.fetchval(
            """SELECT min(e.balance_after) FROM ledger_entries e
                 JOIN ledger_accounts a ON a.id = e.account_id
                WHERE a.kind = 'player_cash' AND a.owner_id = $1""",
            player.id,
        )
        assert lowest is None or lowest >= 0
    await _assert_one_transfer_per_applied_call(pool)
    await assert_audit_ok(pool)


# ---- 6. a batch that fails as a whole -----------------------------------------------------------


@pytest.mark.parametrize("when", ["before_writing", "after_writing"])
async def test_a_failed_batch_plays_every_call_alone_and_moves_money_once(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    demo: Demo,
    batcher: CallbackBatcher,
    signer: Signer,
    monkeypatch: pytest.MonkeyPatch,
    when: str,
) -> None:
    real_apply_many = batcher_module.apply_many
    failures = 0

    async def failing(conn: asyncpg.Connection, calls: Sequence[Call]) -> list[Outcome | None]:
        nonlocal failures
        failures += 1
        if when == "after_writing":
            # Everything written (rounds, transfers, outcomes), then the batch dies before
            # its commit: none of it may survive.
            await real_apply_many(conn, calls)
        raise RuntimeError("the batch failed")

    monkeypatch.setattr(batcher_module, "apply_many", failing)
    players = await _players(client, demo, [5_000] * 6)
    stakes = [
        await signer.debit(p, f"fail-{p.id}", f"fail-round-{p.id}", 1_000 * (1 + n % 3))
        for n, p in enumerate(players)
    ]
    stakes.append(await signer.debit(players[5], "fail-short", "fail-short-round", 9_000))
    answers = await _burst(batcher, pool, stakes)
    assert failures == 1
    assert batcher.batches == 0  # the failed batch is not counted; its calls played alone
    assert batcher.played_alone == 1 + 4 + 1  # second alone, the failed four, players[5]'s
    for n, (player, answer) in enumerate(zip(players, answers, strict=False)):
        stake = 1_000 * (1 + n % 3)
        assert answer == _ok(f"fail-{player.id}", 5_000 - stake)
        assert await _cash(pool, player.id) == 5_000 - stake
        round_row = await _round(pool, f"fail-round-{player.id}")
        assert (round_row["live_debits"], round_row["debit_total"]) == (1, stake)
    assert answers[-1] == _refused(402, "Insufficient funds", "INSUFFICIENT_FUNDS", 2_000)

    payouts = [
        await signer.credit(p, f"fail-win-{p.id}", f"fail-round-{p.id}", 600, f"fail-{p.id}")
        for p in players
    ]
    answers = await _burst(batcher, pool, payouts)
    assert failures == 2 and batcher.batches == 0
    for n, (player, answer) in enumerate(zip(players, answers, strict=True)):
        stake = 1_000 * (1 + n % 3)
        assert answer == _ok(f"fail-win-{player.id}", 5_000 - stake + 600)
        round_row = await _round(pool, f"fail-round-{player.id}")
        assert (round_row["status"], round_row["credit_total"]) == ("settled", 600)
        session = await pool.fetchrow(
            "SELECT net_loss, state FROM safety_sessions WHERE player_id = $1", player.id
        )
        assert session["net_loss"] == stake - 600 and session["state"]["spins"] == 1
    bets = await pool.fetchval("SELECT count(*) FROM ledger_transfers WHERE type = 'bet'")
    assert bets == len(players) + 1  # six posted, and the short stake's rejected debit
    assert await pool.fetchval("SELECT count(*) FROM ledger_transfers WHERE type = 'win'") == 6
    assert await pool.fetchval("SELECT count(*) FROM casino_transactions") == 13
    await _assert_one_transfer_per_applied_call(pool)
    await assert_audit_ok(pool)
