"""Operator administration and cross-operator isolation on every scoped route."""

from __future__ import annotations

import asyncpg
import httpx

from tests import factories


async def _two_operators(client: httpx.AsyncClient) -> dict[str, object]:
    admin = await factories.platform_admin(client)
    op_a = await factories.create_operator(client, admin, "alpha")
    op_b = await factories.create_operator(
        client, admin, "beta", currency="EUR", timezone="Europe/Malta"
    )
    admin_a = await factories.create_operator_admin(
        client, admin, op_a["id"], "boss-alpha@example.com"
    )
    admin_b = await factories.create_operator_admin(
        client, admin, op_b["id"], "boss-beta@example.com"
    )
    player_a = await factories.register_player(client, "alpha", "pla")
    player_b = await factories.register_player(client, "beta", "plb")
    return {
        "admin": admin,
        "a": op_a,
        "b": op_b,
        "admin_a": admin_a,
        "admin_b": admin_b,
        "player_a": player_a,
        "player_b": player_b,
    }


class TestOperatorAdministration:
    async def test_create_list_update(self, client: httpx.AsyncClient) -> None:
        admin = await factories.platform_admin(client)
        created = await factories.create_operator(
            client, admin, "gamma", mode="sweepstakes", timezone="America/Los_Angeles"
        )
        assert created["mode"] == "sweepstakes"
        listed = await client.get("/api/v1/platform/operators", headers=admin.headers)
        assert [o["slug"] for o in listed.json()] == ["gamma"]
        updated = await client.patch(
            f"/api/v1/platform/operators/{created['id']}",
            json={"name": "Gamma Palace", "timezone": "Asia/Kolkata"},
            headers=admin.headers,
        )
        assert updated.status_code == 200
        assert updated.json()["name"] == "Gamma Palace"
        assert updated.json()["timezone"] == "Asia/Kolkata"

    async def test_duplicate_slug_is_409(self, client: httpx.AsyncClient) -> None:
        admin = await factories.platform_admin(client)
        await factories.create_operator(client, admin, "delta")
        again = await client.post(
            "/api/v1/platform/operators",
            json={"slug": "delta", "name": "Delta", "currency": "USD", "timezone": "UTC"},
            headers=admin.headers,
        )
        assert again.status_code == 409
        assert again.json()["code"] == "OPERATOR_SLUG_TAKEN"

    async def test_bad_operator_bodies_are_422_and_change_nothing(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        admin = await factories.platform_admin(client)
        good = {"slug": "omega", "name": "Omega", "currency": "USD", "timezone": "UTC"}
        for body in [
            {**good, "timezone": "Mars/Olympus"},
            {**good, "currency": "usd"},
            {**good, "currency": "DOLLARS"},
            {**good, "slug": "Has Spaces"},
            {**good, "mode": "crypto"},
            {**good, "name": "n" * 5000},
            {**good, "id": 7},
            {k: v for k, v in good.items() if k != "name"},
        ]:
            response = await client.post(
                "/api/v1/platform/operators", json=body, headers=admin.headers
            )
            assert response.status_code == 422, body
        assert await pool.fetchval("SELECT count(*) FROM operators") == 0

    async def test_non_platform_roles_cannot_administer_operators(
        self, client: httpx.AsyncClient
    ) -> None:
        world = await _two_operators(client)
        for who in ("admin_a", "player_a"):
            session = world[who]
            listed = await client.get("/api/v1/platform/operators", headers=session.headers)
            assert listed.status_code == 403
            created = await client.post(
                "/api/v1/platform/operators",
                json={"slug": "evil", "name": "Evil", "currency": "USD", "timezone": "UTC"},
                headers=session.headers,
            )
            assert created.status_code == 403


class TestCrossOperatorIsolation:
    async def test_operator_admin_gets_404_for_the_other_operators_objects(
        self, client: httpx.AsyncClient
    ) -> None:
        world = await _two_operators(client)
        admin_a, b = world["admin_a"], world["b"]
        player_b = world["player_b"]
        for path in (
            f"/api/v1/platform/operators/{b['id']}",
            f"/api/v1/platform/operators/{b['id']}/staff",
            f"/api/v1/operator/players/{player_b.subject_id}",
            f"/api/v1/operator/player/{player_b.subject_id}",
            f"/api/v1/operator/players?operatorId={b['id']}",
        ):
            response = await client.get(path, headers=admin_a.headers)
            assert response.status_code == 404, path

    async def test_operator_admin_cannot_change_another_operator(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        world = await _two_operators(client)
        admin_a, b = world["admin_a"], world["b"]
        patched = await client.patch(
            f"/api/v1/platform/operators/{b['id']}",
            json={"name": "Pwned"},
            headers=admin_a.headers,
        )
        assert patched.status_code in (403, 404)
        new_admin = await client.post(
            f"/api/v1/platform/operators/{b['id']}/admins",
            json={"email": "mole-beta@example.com", "password": factories.PASSWORD},
            headers=admin_a.headers,
        )
        assert new_admin.status_code in (403, 404)
        assert await pool.fetchval("SELECT name FROM operators WHERE id = $1", b["id"]) == "Beta"
        assert (
            await pool.fetchval(
                "SELECT count(*) FROM staff_users WHERE email = 'mole-beta@example.com'"
            )
            == 0
        )

    async def test_listing_shows_only_own_players(self, client: httpx.AsyncClient) -> None:
        world = await _two_operators(client)
        listed = await client.get("/api/v1/operator/players", headers=world["admin_a"].headers)
        assert [p["username"] for p in listed.json()["items"]] == ["pla"]
        own = await client.get(
            f"/api/v1/operator/players/{world['player_a'].subject_id}",
            headers=world["admin_a"].headers,
        )
        assert own.status_code == 200

    async def test_platform_admin_sees_all_or_narrows(self, client: httpx.AsyncClient) -> None:
        world = await _two_operators(client)
        admin = world["admin"]
        everyone = await client.get("/api/v1/operator/players", headers=admin.headers)
        assert sorted(p["username"] for p in everyone.json()["items"]) == ["pla", "plb"]
        narrowed = await client.get(
            f"/api/v1/operator/players?operatorId={world['b']['id']}", headers=admin.headers
        )
        assert [p["username"] for p in narrowed.json()["items"]] == ["plb"]

    async def test_players_cannot_use_operator_routes(self, client: httpx.AsyncClient) -> None:
        world = await _two_operators(client)
        response = await client.get("/api/v1/operator/players", headers=world["player_a"].headers)
        assert response.status_code == 403

    async def test_cursor_pagination(self, client: httpx.AsyncClient) -> None:
        world = await _two_operators(client)
        for i in range(4):
            await factories.register_player(client, "alpha", f"pager{i}")
        seen: list[str] = []
        cursor = None
        for _ in range(5):
            params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = (
                await client.get(
                    "/api/v1/operator/players", params=params, headers=world["admin_a"].headers
                )
            ).json()
            seen += [p["username"] for p in page["items"]]
            cursor = page["nextCursor"]
            if cursor is None:
                break
        assert len(seen) == 5 and len(set(seen)) == 5
        bad = await client.get(
            "/api/v1/operator/players", params={"cursor": "!!!"}, headers=world["admin_a"].headers
        )
        assert bad.status_code == 422
