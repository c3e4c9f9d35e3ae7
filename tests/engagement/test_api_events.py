"""Custom events: store, list the last 100 newest first, validate meta, aggregate stats."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from croupier.config import Settings
from tests.engagement.test_api_world import Guest, engagement_app, new_guest, open_casino

TS = "2025-10-25T10:30:00Z"


@pytest.fixture(scope="module")
async def app(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    async for application in engagement_app(settings, tmp_path_factory.mktemp("events")):
        yield application


async def _event(
    client: httpx.AsyncClient, guest: Guest, event_type: str, meta: object = None
) -> httpx.Response:
    body = {"eventType": event_type, "meta": meta, "timestampUtc": TS}
    return await client.post("/api/v1/event", json=body, headers=guest.headers)


async def test_seed_event_with_meta_as_a_string_is_stored_as_an_object(client: httpx.AsyncClient):
    casino = await open_casino(client)
    guest = await new_guest(client, casino.slug)
    as_string = await _event(client, guest, "level_complete", '{"level":42,"score":9999}')
    as_object = await _event(client, guest, "level_complete", {"level": 42, "score": 9999})
    assert as_string.status_code == as_object.status_code == 201, as_string.text
    assert as_string.json()["meta"] == as_object.json()["meta"] == {"level": 42, "score": 9999}
    assert as_string.json()["timestampUtc"].startswith("2025-10-25T10:30:00")
    assert "receivedAt" in as_string.json()
    without_meta = await _event(client, guest, "app_open")
    assert without_meta.status_code == 201 and without_meta.json()["meta"] == {}


async def test_events_lists_the_last_100_newest_first_and_only_ones_own(
    client: httpx.AsyncClient,
):
    casino = await open_casino(client)
    guest = await new_guest(client, casino.slug, "mine")
    other = await new_guest(client, casino.slug, "theirs")
    await _event(client, other, "foreign")
    for n in range(105):
        response = await _event(client, guest, "tick", {"n": n})
        assert response.status_code == 201, response.text
    listed = await client.get("/api/v1/events", headers=guest.headers)
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert len(items) == 100
    assert [item["meta"]["n"] for item in items] == list(range(104, 4, -1))
    assert {item["eventType"] for item in items} == {"tick"}


async def test_bad_event_input_is_422(client: httpx.AsyncClient, pool: asyncpg.Pool):
    casino = await open_casino(client)
    guest = await new_guest(client, casino.slug)
    big = {"blob": "x" * (8 * 1024)}
    bad_bodies = [
        {"eventType": "e", "meta": "not json", "timestampUtc": TS},
        {"eventType": "e", "meta": "[1, 2]", "timestampUtc": TS},
        {"eventType": "e", "meta": '"just a string"', "timestampUtc": TS},
        {"eventType": "e", "meta": '{"x": NaN}', "timestampUtc": TS},
        {"eventType": "e", "meta": [1, 2], "timestampUtc": TS},
        {"eventType": "e", "meta": 42, "timestampUtc": TS},
        {"eventType": "e", "meta": big, "timestampUtc": TS},
        {"eventType": "e", "meta": json.dumps(big), "timestampUtc": TS},
        {"eventType": "e", "meta": "[" * 4000 + "]" * 4000, "timestampUtc": TS},
        {"eventType": "9starts-with-digit", "timestampUtc": TS},
        {"eventType": "", "timestampUtc": TS},
        {"eventType": "e" * 65, "timestampUtc": TS},
        {"eventType": "e"},
        {"eventType": "e", "timestampUtc": "yesterday"},
        {"eventType": "e", "timestampUtc": "1970-01-01T00:00:00Z"},
        {"eventType": "e", "timestampUtc": TS, "unknown": True},
    ]
    for body in bad_bodies:
        response = await client.post("/api/v1/event", json=body, headers=guest.headers)
        assert response.status_code == 422, (str(body)[:80], response.text)
    assert await pool.fetchval("SELECT count(*) FROM engagement_events") == 0


async def _at(pool: asyncpg.Pool, event_id: int, moment: str) -> None:
    await pool.execute(
        "UPDATE engagement_events SET server_ts = $2::text::timestamptz WHERE id = $1",
        event_id,
        moment,
    )


async def test_stats_by_type_and_local_day_scoped_to_the_caller(
    client: httpx.AsyncClient, pool: asyncpg.Pool
):
    alpha = await open_casino(client, "alpha")
    beta = await open_casino(client, "beta")
    guest = await new_guest(client, alpha.slug, "a")
    other = await new_guest(client, alpha.slug, "b")
    placed = [
        ((await _event(client, guest, "level_complete")).json()["id"], "2026-03-10T23:30:00Z"),
        ((await _event(client, guest, "level_complete")).json()["id"], "2026-03-11T00:30:00Z"),
        ((await _event(client, guest, "purchase")).json()["id"], "2026-03-11T12:00:00Z"),
        ((await _event(client, other, "level_complete")).json()["id"], "2026-03-11T12:00:00Z"),
    ]
    for event_id, moment in placed:
        await _at(pool, event_id, moment)
    span = {"from": "2026-03-10", "to": "2026-03-11"}

    mine = await client.get(
        "/api/v1/stats", params={**span, "timezone": "UTC"}, headers=guest.headers
    )
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert (body["scope"], body["playerId"], body["total"]) == ("player", guest.player_id, 3)
    assert (body["from"], body["to"]) == ("2026-03-10", "2026-03-11")
    assert body["byType"] == [
        {"eventType": "level_complete", "count": 2},
        {"eventType": "purchase", "count": 1},
    ]
    assert body["byTypeAndDay"] == [
        {"day": "2026-03-10", "eventType": "level_complete", "count": 1},
        {"day": "2026-03-11", "eventType": "level_complete", "count": 1},
        {"day": "2026-03-11", "eventType": "purchase", "count": 1},
    ]

    # 00:30 UTC on the 11th is still the 10th in New York (UTC-4 after the March DST switch).
    new_york = await client.get(
        "/api/v1/stats", params={**span, "timezone": "America/New_York"}, headers=guest.headers
    )
    assert new_york.json()["byDay"] == [
        {"day": "2026-03-10", "count": 2},
        {"day": "2026-03-11", "count": 1},
    ]

    operator_wide = await client.get("/api/v1/stats", params=span, headers=alpha.boss.headers)
    assert operator_wide.json()["scope"] == "operator"
    assert operator_wide.json()["total"] == 4
    assert operator_wide.json()["timezone"] == "UTC"  # the operator's own zone by default

    other_operator = await client.get("/api/v1/stats", params=span, headers=beta.boss.headers)
    assert other_operator.json()["total"] == 0
    peek = await client.get(
        "/api/v1/stats", params={**span, "operatorId": alpha.id}, headers=beta.boss.headers
    )
    assert peek.status_code == 404
    player_peek = await client.get(
        "/api/v1/stats", params={**span, "operatorId": beta.id}, headers=guest.headers
    )
    assert player_peek.status_code == 404

    platform = await client.get(
        "/api/v1/stats", params={**span, "operatorId": alpha.id}, headers=alpha.admin.headers
    )
    assert platform.json()["total"] == 4
    everywhere = await client.get("/api/v1/stats", params=span, headers=alpha.admin.headers)
    assert everywhere.json()["scope"] == "platform" and everywhere.json()["total"] == 4


async def test_stats_rejects_bad_ranges_and_zones(client: httpx.AsyncClient):
    casino = await open_casino(client)
    guest = await new_guest(client, casino.slug)
    for params in (
        {"timezone": "Mars/Olympus"},
        {"timezone": "../../etc/passwd"},
        {"from": "2026-03-12", "to": "2026-03-11"},
        {"from": "2024-01-01", "to": "2026-01-01"},
        {"from": "not-a-date"},
    ):
        response = await client.get("/api/v1/stats", params=params, headers=guest.headers)
        assert response.status_code == 422, (params, response.text)
    default = await client.get("/api/v1/stats", headers=guest.headers)
    assert default.status_code == 200 and default.json()["total"] == 0
