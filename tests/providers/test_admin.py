"""The operator's provider views and the platform's provider configuration."""

from __future__ import annotations

import asyncpg
import httpx

from tests import factories
from tests.providers.conftest import Demo

BASE = "/api/v1/operator/providers"


async def _simulate(client: httpx.AsyncClient) -> dict:
    response = await client.post("/casino/simulateRound", json={"userId": 1, "gameId": 1})
    assert response.status_code == 200, response.text
    return response.json()


async def test_operator_views_of_a_simulated_round(
    client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
) -> None:
    report = await _simulate(client)
    headers = demo.operator_admin.headers
    sessions = (await client.get(f"{BASE}/sessions", headers=headers)).json()
    assert [s["providerSessionId"] for s in sessions["items"]] == [report["providerSessionId"]]
    assert sessions["items"][0]["gameCode"] == "SLOTS_001"

    rounds = (await client.get(f"{BASE}/rounds", headers=headers)).json()["items"]
    assert len(rounds) == 1
    assert {
        k: rounds[0][k]
        for k in ("roundId", "status", "hasCredit", "debitTotal", "creditTotal", "refundTotal")
    } == {
        "roundId": report["roundId"],
        "status": "settled",
        "hasCredit": True,
        "debitTotal": 2000,
        "creditTotal": 2000,
        "refundTotal": 1000,
    }
    detail = (await client.get(f"{BASE}/rounds/{rounds[0]['id']}", headers=headers)).json()
    assert [(t["kind"], t["state"], t["httpStatus"]) for t in detail["transactions"]] == [
        ("debit", "applied", 200),
        ("debit", "rolled_back", 200),
        ("rollback", "applied", 200),
        ("credit", "applied", 200),
        ("rollback", "rejected", 400),
    ]
    assert detail["transactions"][-1]["response"]["code"] == "BET_ALREADY_SETTLED"

    page = (await client.get(f"{BASE}/transactions?limit=4", headers=headers)).json()
    assert len(page["items"]) == 4 and page["nextCursor"]
    rest = (
        await client.get(f"{BASE}/transactions?cursor={page['nextCursor']}", headers=headers)
    ).json()
    assert len(page["items"]) + len(rest["items"]) == 7 and rest["nextCursor"] is None
    kinds = (await client.get(f"{BASE}/transactions?kind=tombstone", headers=headers)).json()
    tombstones = (await client.get(f"{BASE}/tombstones", headers=headers)).json()
    assert kinds == tombstones
    assert tombstones["items"][0]["transactionId"].startswith("non-existent-tx-id-")
    assert tombstones["items"][0]["referenceId"] == report["steps"][7]["request"]["transactionId"]


async def test_reconciliation_as_json_and_csv(
    client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
) -> None:
    await _simulate(client)
    await _simulate(client)
    headers = demo.operator_admin.headers
    rows = (await client.get(f"{BASE}/reconciliation", headers=headers)).json()
    assert len(rows) == 1
    row = rows[0]
    assert {k: row[k] for k in row if k != "day"} == {
        "provider": "jaqpot",
        "currency": "USD",
        "debitCount": 4,
        "debitSum": 4000,
        "creditCount": 2,
        "creditSum": 4000,
        "rollbackCount": 2,
        "rollbackSum": 2000,
        "tombstoneCount": 2,
        "rejectedCount": 2,
        "net": -2000,
    }
    response = await client.get(
        f"{BASE}/reconciliation?format=csv&tz=America/New_York", headers=headers
    )
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0] == (
        "day,provider,currency,debit_count,debit_sum,credit_count,credit_sum,"
        "rollback_count,rollback_sum,tombstone_count,rejected_count,net"
    )
    assert lines[1].endswith(",jaqpot,USD,4,4000,2,4000,2,2000,2,2,-2000")
    bad = await client.get(f"{BASE}/reconciliation?tz=Mars/Base", headers=headers)
    assert bad.status_code == 422


async def test_another_operator_sees_nothing(
    client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
) -> None:
    await _simulate(client)
    other = await factories.create_operator(client, demo.admin, "royal-malta", currency="EUR")
    rival = await factories.create_operator_admin(
        client, demo.admin, other["id"], "boss-malta@example.com"
    )
    round_id = await pool.fetchval("SELECT id FROM casino_rounds")
    for path in ("sessions", "rounds", "transactions", "tombstones"):
        response = await client.get(f"{BASE}/{path}", headers=rival.headers)
        assert response.json()["items"] == [], path
        peek = await client.get(
            f"{BASE}/{path}?operatorId={demo.operator_id}", headers=rival.headers
        )
        assert peek.status_code == 404
    assert (await client.get(f"{BASE}/reconciliation", headers=rival.headers)).json() == []
    assert (await client.get(f"{BASE}/rounds/{round_id}", headers=rival.headers)).status_code == 404
    # The platform admin sees every operator, or one of them.
    everything = await client.get(f"{BASE}/rounds", headers=demo.admin.headers)
    assert len(everything.json()["items"]) == 1
    theirs = await client.get(f"{BASE}/rounds?operatorId={other['id']}", headers=demo.admin.headers)
    assert theirs.json()["items"] == []
    player = await factories.register_player(client, "lucky-star", "nosy-player")
    assert (await client.get(f"{BASE}/rounds", headers=player.headers)).status_code == 403


async def test_provider_configuration_is_platform_only_and_hides_secrets(
    client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
) -> None:
    listed = await client.get("/api/v1/admin/providers", headers=demo.admin.headers)
    assert [p["code"] for p in listed.json()] == ["jaqpot"]
    assert listed.json()[0]["isDefault"] is True and listed.json()[0]["callbackSecretCount"] == 0
    created = await client.post(
        "/api/v1/admin/providers",
        headers=demo.admin.headers,
        json={
            "code": "acme",
            "name": "Acme",
            "casinoCode": "ACME",
            "isDefault": True,
            "outboundSecret": "acme-outbound-secret-01",
        },
    )
    assert created.status_code == 201, created.text
    assert "outboundSecret" not in created.json() and created.json()["hasOutboundSecret"]
    defaults = await pool.fetch("SELECT code FROM casino_providers WHERE is_default")
    assert [r["code"] for r in defaults] == ["acme"]
    again = await client.post(
        "/api/v1/admin/providers",
        headers=demo.admin.headers,
        json={"code": "acme", "name": "Acme", "casinoCode": "ACME"},
    )
    assert again.status_code == 409
    denied = await client.get("/api/v1/admin/providers", headers=demo.operator_admin.headers)
    assert denied.status_code == 403


async def test_operators_can_simulate_with_their_own_test_players(
    client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
) -> None:
    tester = await factories.register_player(client, "lucky-star", "qa-tester")
    body = {"playerId": tester.subject_id, "resetBalance": 50_000}
    added = await client.post(
        f"{BASE}/demo-players", json=body, headers=demo.operator_admin.headers
    )
    assert added.status_code == 201, added.text
    response = await client.post(
        "/casino/simulateRound", json={"userId": tester.subject_id, "gameId": 1}
    )
    assert response.status_code == 200, response.text
    assert [s["balanceAfter"] for s in response.json()["steps"]][::4] == ["50000", "51000", "51000"]
    listed = await client.get(f"{BASE}/demo-players", headers=demo.operator_admin.headers)
    assert [p["playerId"] for p in listed.json()] == [1, 2, tester.subject_id]
    other = await factories.create_operator(client, demo.admin, "royal-malta", currency="EUR")
    rival = await factories.create_operator_admin(
        client, demo.admin, other["id"], "boss-malta@example.com"
    )
    stolen = await client.post(f"{BASE}/demo-players", json=body, headers=rival.headers)
    assert stolen.status_code == 404
    assert (await client.get(f"{BASE}/demo-players", headers=rival.headers)).json() == []
