"""The operator's side: players by risk, cases and notes, config; and that no operator ever
sees or touches another operator's players or cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from croupier.db.pool import unit_of_work
from croupier.safety import service
from tests.factories import create_operator_admin, platform_admin, register_player
from tests.safety.conftest import SEED_CONFIG, Casino, make_casino

OPS = "/api/v1/operator/safety"


async def stop_by_loss_limit(pool: asyncpg.Pool, casino: Casino) -> None:
    async with unit_of_work(pool) as uow:
        await service.set_session_loss_limit(uow.conn, **casino.ids, session_key=None, amount=300)
    for _ in range(3):
        async with unit_of_work(pool) as uow:
            await service.record_spin(
                uow.conn,
                **casino.ids,
                game_key="neon-fruits",
                stake=100,
                win=0,
                balance_after=1000,
                session_key=None,
                p_loss=0.72,
            )


async def test_operators_see_only_their_players_and_cases(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    root = await platform_admin(client)
    a = await make_casino(client, "casino-a")
    b = await make_casino(client, "casino-b")
    admin_a = await create_operator_admin(client, root, a.operator_id, "a@ops.example.com")
    admin_b = await create_operator_admin(client, root, b.operator_id, "b@ops.example.com")
    await stop_by_loss_limit(pool, a)
    await stop_by_loss_limit(pool, b)

    page = (await client.get(f"{OPS}/players", headers=admin_a.headers)).json()
    assert [p["playerId"] for p in page["items"]] == [a.player.subject_id]
    row = page["items"][0]
    assert row["restrictions"]["stopCode"] == "LOSS_LIMIT_REACHED"
    assert [x["actionType"] for x in row["recentActions"]][:1] == ["STOP"]
    assert row["openCaseId"] is not None

    cases_a = (await client.get(f"{OPS}/cases", headers=admin_a.headers)).json()["items"]
    cases_b = (await client.get(f"{OPS}/cases", headers=admin_b.headers)).json()["items"]
    assert [c["playerId"] for c in cases_a] == [a.player.subject_id]
    assert [c["triggerCode"] for c in cases_a] == ["LOSS_LIMIT_REACHED"]
    case_a = cases_a[0]["id"]
    assert case_a not in [c["id"] for c in cases_b]

    # another operator's case or player is not found, not forbidden
    note = {"body": "Called the player."}
    denied = await client.post(f"{OPS}/cases/{case_a}/notes", json=note, headers=admin_b.headers)
    assert denied.status_code == 404
    patch = await client.patch(
        f"{OPS}/cases/{case_a}", json={"status": "closed"}, headers=admin_b.headers
    )
    assert patch.status_code == 404
    summary = await client.get(f"{OPS}/players/{a.player.subject_id}", headers=admin_b.headers)
    assert summary.status_code == 404
    peek = await client.get(
        f"{OPS}/players", params={"operatorId": a.operator_id}, headers=admin_b.headers
    )
    assert peek.status_code == 404

    added = await client.post(f"{OPS}/cases/{case_a}/notes", json=note, headers=admin_a.headers)
    assert added.status_code == 201
    assert [n["body"] for n in added.json()["notes"]] == ["Called the player."]
    closed = await client.patch(
        f"{OPS}/cases/{case_a}", json={"status": "closed"}, headers=admin_a.headers
    )
    assert closed.json()["status"] == "closed" and closed.json()["closedBy"] == admin_a.subject_id
    audit = await pool.fetch(
        "SELECT actor_type, actor_id, action FROM safety_audit WHERE subject = $1 ORDER BY id",
        f"case:{case_a}",
    )
    assert [tuple(r) for r in audit] == [
        ("staff", admin_a.subject_id, "case.note"),
        ("staff", admin_a.subject_id, "case.status"),
    ]

    # the platform admin sees both, or one operator when it asks
    everyone = (await client.get(f"{OPS}/players", headers=root.headers)).json()["items"]
    assert len(everyone) == 2
    only_b = await client.get(
        f"{OPS}/players", params={"operatorId": b.operator_id}, headers=root.headers
    )
    assert [p["playerId"] for p in only_b.json()["items"]] == [b.player.subject_id]


async def test_player_summary_and_band_filter_with_cursor_pages(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    root = await platform_admin(client)
    casino = await make_casino(client, "pages")
    admin = await create_operator_admin(client, root, casino.operator_id, "pages@ops.example.com")
    players = [casino.player] + [
        await register_player(client, "pages", f"pagesplayer{i}") for i in range(2)
    ]
    start = datetime.now(UTC) - timedelta(minutes=10)
    for n, player in enumerate(players):
        async with unit_of_work(pool) as uow:
            await service.record_spin(
                uow.conn,
                operator_id=casino.operator_id,
                player_id=player.subject_id,
                game_key="neon-fruits",
                stake=100,
                win=0,
                balance_after=1000,
                session_key=None,
                p_loss=0.72,
                at=start + timedelta(minutes=n),
            )
    first = (await client.get(f"{OPS}/players", params={"limit": 2}, headers=admin.headers)).json()
    assert [p["playerId"] for p in first["items"]] == [p.subject_id for p in players[:0:-1]]
    second = await client.get(
        f"{OPS}/players", params={"limit": 2, "cursor": first["nextCursor"]}, headers=admin.headers
    )
    assert [p["playerId"] for p in second.json()["items"]] == [players[0].subject_id]
    assert second.json()["nextCursor"] is None
    tilted = await client.get(f"{OPS}/players", params={"band": "TILT_RISK"}, headers=admin.headers)
    assert tilted.json()["items"] == []
    bad = await client.get(f"{OPS}/players", params={"band": "PANIC"}, headers=admin.headers)
    assert bad.status_code == 422

    summary = await client.get(f"{OPS}/players/{players[0].subject_id}", headers=admin.headers)
    assert summary.status_code == 200
    assert summary.json()["band"] == "NORMAL" and summary.json()["limits"] == []


async def test_effective_config(client: httpx.AsyncClient) -> None:
    root = await platform_admin(client)
    seeded = await make_casino(client, "configured", SEED_CONFIG)
    broken = await make_casino(client, "misconfigured", {"cooldownFirstSeconds": "soon"})
    admin = await create_operator_admin(client, root, seeded.operator_id, "cfg@ops.example.com")
    view = (await client.get(f"{OPS}/config", headers=admin.headers)).json()
    assert view["problem"] is None
    assert view["config"]["cooldownFirstSeconds"] == 90
    assert view["config"]["signals"]["BET_ACCEL"]["tiers"] == [[2.0, 35], [3.0, 45]]
    assert view["config"]["signals"]["LOSS_CHASE"]["tiers"] == [[3.0, 20]]  # default kept
    other = await client.get(
        f"{OPS}/config", params={"operatorId": broken.operator_id}, headers=root.headers
    )
    assert other.json()["problem"] and other.json()["config"]["cooldownFirstSeconds"] == 300
    assert (await client.get(f"{OPS}/config", headers=root.headers)).status_code == 404
