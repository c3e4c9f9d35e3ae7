"""Seed 003's nine-step simulation through POST /casino/simulateRound, exactly as written."""

from __future__ import annotations

import asyncpg
import httpx

from tests.ledger.helpers import assert_audit_ok
from tests.providers.conftest import Demo

# (step, action, amount, balance after, HTTP status) from the seed's table.
SEED_TABLE = [
    (1, "Balance check", None, "1000000", 200),
    (2, "Bet 1 (debit)", -1000, "999000", 200),
    (3, "Bet 2 (debit)", -1000, "998000", 200),
    (4, "Rollback bet 2", 1000, "999000", 200),
    (5, "Payout (credit)", 2000, "1001000", 200),
    (6, "Final balance check", None, "1001000", 200),
    (7, "Idempotency retry (bet 1)", 0, "1001000", 200),
    (8, "Tombstone rollback", 0, "1001000", 200),
    (9, "Rejected rollback", None, "1001000", 400),
]


def _check_responses(report: dict) -> None:
    steps = {step["step"]: step for step in report["steps"]}
    token = steps[1]["request"]["sessionToken"]
    bet1 = steps[2]["request"]["transactionId"]
    assert steps[1]["response"] == {"userId": 1, "balance": "1000000", "currency": "USD"}
    for number, balance in ((2, "999000"), (3, "998000"), (4, "999000"), (5, "1001000")):
        tx = steps[number]["request"]["transactionId"]
        assert steps[number]["response"] == {
            "transactionId": tx,
            "balance": balance,
            "currency": "USD",
            "status": "ok",
        }
    assert steps[6]["response"] == {"userId": 1, "balance": "1001000", "currency": "USD"}
    # Step 7: the very request of step 2, answered with step 2's cached response.
    assert steps[7]["request"] == steps[2]["request"]
    assert steps[7]["response"] == steps[2]["response"]
    assert steps[8]["response"] == {
        "transactionId": steps[8]["request"]["transactionId"],
        "balance": "1001000",
        "currency": "USD",
        "status": "ok",
        "tombstone": True,
    }
    assert steps[9]["request"]["originalTransactionId"] == bet1
    assert steps[9]["response"]["error"] == "Cannot rollback: round already has a payout"
    assert steps[9]["response"]["code"] == "BET_ALREADY_SETTLED"
    assert list(steps[2]["request"]) == [
        "sessionToken",
        "userId",
        "transactionId",
        "roundId",
        "amount",
    ]
    assert list(steps[5]["request"]) == [
        "sessionToken",
        "userId",
        "transactionId",
        "roundId",
        "amount",
        "relatedTransactionId",
    ]
    assert list(steps[4]["request"]) == [
        "sessionToken",
        "userId",
        "transactionId",
        "roundId",
        "originalTransactionId",
    ]
    assert all(step["request"]["sessionToken"] == token for step in report["steps"])


async def test_the_seed_curl_twice_in_a_row(
    client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
) -> None:
    assert demo.users == [1, 2] and demo.games == [1, 2]
    for _ in range(2):
        response = await client.post("/casino/simulateRound", json={"userId": 1, "gameId": 1})
        assert response.status_code == 200, response.text
        report = response.json()
        table = [
            (s["step"], s["action"], s["amount"], s["balanceAfter"], s["status"])
            for s in report["steps"]
        ]
        assert table == SEED_TABLE
        _check_responses(report)
        assert (report["startingBalance"], report["finalBalance"]) == ("1000000", "1001000")
        assert report["gameCode"] == "SLOTS_001"
        assert await demo.balance(pool) == 1_001_000
    await assert_audit_ok(pool)


async def test_ledger_sees_one_transfer_per_money_call(
    client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
) -> None:
    response = await client.post("/casino/simulateRound", json={"userId": 1, "gameId": 1})
    round_ref = response.json()["roundId"]
    transfers = await pool.fetch(
        "SELECT type, reference FROM ledger_transfers WHERE reference LIKE 'prov:%' ORDER BY id"
    )
    assert [t["type"] for t in transfers] == ["bet", "bet", "rollback", "win"]
    assert {t["reference"] for t in transfers} == {f"prov:jaqpot:{round_ref}"}
    rounds = await pool.fetch(
        "SELECT status, has_credit, debit_total, credit_total, refund_total FROM casino_rounds"
    )
    assert [tuple(r) for r in rounds] == [("settled", True, 2000, 2000, 1000)]
    logged = await pool.fetchval("SELECT count(*) FROM provider_callbacks")
    assert logged == 11  # nine steps and two balance verifications


async def test_the_second_demo_user_and_game(
    client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
) -> None:
    await client.post("/casino/simulateRound", json={"userId": 1, "gameId": 1})
    response = await client.post("/casino/simulateRound", json={"userId": 2, "gameId": "SLOTS_002"})
    assert response.status_code == 200, response.text
    steps = response.json()["steps"]
    assert [s["balanceAfter"] for s in steps] == [row[3] for row in SEED_TABLE]
    assert steps[0]["response"]["userId"] == 2


async def test_only_demo_players_can_be_simulated(
    client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
) -> None:
    player = await pool.fetchval(
        "INSERT INTO players (operator_id, username) VALUES ($1, 'real') RETURNING id",
        demo.operator_id,
    )
    response = await client.post("/casino/simulateRound", json={"userId": player, "gameId": 1})
    assert response.status_code == 404
    assert response.json()["code"] == "PLAYER_NOT_FOUND"
    response = await client.post("/casino/simulateRound", json={"userId": "1", "gameId": 1})
    assert response.status_code == 400 and response.json()["code"] == "INVALID_REQUEST"
