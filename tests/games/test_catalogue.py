"""The game catalogue: admin CRUD (and seed 001's aliases), public listing, operator toggles."""

from __future__ import annotations

import asyncpg
import httpx

from tests import factories


async def _setup(client: httpx.AsyncClient) -> tuple[factories.Session, dict]:
    admin = await factories.platform_admin(client)
    await factories.create_category(client, admin, "slots")
    await factories.create_category(client, admin, "table-games")
    game = await factories.create_builtin_game(client, admin, engine_key="pharaoh-gold")
    return admin, game


class TestAdminCrud:
    async def test_builtin_game_takes_its_maths_from_the_engine(
        self, client: httpx.AsyncClient
    ) -> None:
        _, game = await _setup(client)
        from croupier.games.engine import compute_math, get_game_definition

        exact = compute_math(get_game_definition("pharaoh-gold")).rtp
        assert abs(float(game["rtp"]) - float(exact)) < 1e-6
        assert game["volatility"] == "medium"
        assert game["paytable"]["lines"] == 20
        assert game["gameKey"] == "pharaoh-gold"

    async def test_create_update_delete_and_seed_aliases(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        admin, game = await _setup(client)
        external = await client.post(
            "/api/v1/games",  # seed 001's path, same handler
            json={
                "slug": "jaqpot-slots-1",
                "name": "Jaqpot Slots",
                "category": "slots",
                "provider": "jaqpot",
                "rtp": "0.955",
                "volatility": "high",
                "minBet": 1000,
                "maxBet": 100000,
            },
            headers=admin.headers,
        )
        assert external.status_code == 201, external.text
        updated = await client.put(
            f"/api/v1/games/{game['id']}",
            json={"name": "Pharaoh's Gold", "category": "table-games"},
            headers=admin.headers,
        )
        assert updated.status_code == 200 and updated.json()["category"] == "table-games"
        deleted = await client.delete(f"/api/v1/admin/games/{game['id']}", headers=admin.headers)
        assert deleted.status_code == 204
        listed = (await client.get("/api/v1/games")).json()
        assert [g["slug"] for g in listed] == ["jaqpot-slots-1"]
        assert await pool.fetchval(
            "SELECT deleted_at IS NOT NULL FROM games WHERE id = $1", game["id"]
        )

    async def test_only_platform_admins_manage_games(self, client: httpx.AsyncClient) -> None:
        admin, game = await _setup(client)
        operator = await factories.create_operator(client, admin, "alpha")
        boss = await factories.create_operator_admin(
            client, admin, operator["id"], "boss@example.com"
        )
        player = await factories.register_player(client, "alpha", "gamer")
        for session in (boss, player):
            for method, path in (
                ("POST", "/api/v1/admin/games"),
                ("POST", "/api/v1/games"),
                ("PUT", f"/api/v1/games/{game['id']}"),
                ("DELETE", f"/api/v1/games/{game['id']}"),
                ("POST", "/api/v1/admin/categories"),
            ):
                response = await client.request(
                    method, path, json={"name": "x"}, headers=session.headers
                )
                assert response.status_code in (403, 422), (method, path, response.status_code)
                if response.status_code == 422:  # validation ran first; auth must still refuse
                    valid = {
                        "slug": "zz",
                        "name": "Z",
                        "category": "slots",
                        "engineKey": "neon-fruits",
                    }
                    again = await client.request(method, path, json=valid, headers=session.headers)
                    assert again.status_code == 403

    async def test_bad_game_bodies_are_422_and_change_nothing(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        admin, _ = await _setup(client)
        base = {"slug": "new-game", "name": "New", "category": "slots", "engineKey": "neon-fruits"}
        for body in (
            {**base, "engineKey": "no-such-engine"},
            {**base, "category": "no-such-category"},
            {**base, "provider": "jaqpot", "engineKey": None},  # external without maths
            {**base, "minBet": 7},  # not a multiple of the lines
            {**base, "minBet": 0},
            {**base, "rtp": 2},
            {**base, "thumbnailUrl": "javascript:alert(1)"},
            {**base, "slug": "bad slug"},
            {**base, "id": 5},
            {**base, "maxBet": 1.5},
        ):
            response = await client.post("/api/v1/admin/games", json=body, headers=admin.headers)
            assert response.status_code == 422, body
        assert await pool.fetchval("SELECT count(*) FROM games") == 1


class TestListingAndOperatorToggles:
    async def test_category_filter_and_per_operator_toggle(self, client: httpx.AsyncClient) -> None:
        admin, game = await _setup(client)
        await factories.create_builtin_game(
            client, admin, engine_key="neon-fruits", category="table-games"
        )
        slots = (await client.get("/api/v1/games", params={"category": "slots"})).json()
        assert [g["slug"] for g in slots] == ["pharaoh-gold"]
        alpha = await factories.create_operator(client, admin, "alpha")
        await factories.create_operator(client, admin, "beta")
        boss = await factories.create_operator_admin(client, admin, alpha["id"], "boss@example.com")
        off = await client.put(
            f"/api/v1/operator/games/{game['id']}", json={"enabled": False}, headers=boss.headers
        )
        assert off.status_code == 200 and off.json()["enabledForOperator"] is False
        alpha_list = (await client.get("/api/v1/games", headers={"X-Operator": "alpha"})).json()
        beta_list = (await client.get("/api/v1/games", headers={"X-Operator": "beta"})).json()
        assert "pharaoh-gold" not in [g["slug"] for g in alpha_list]
        assert "pharaoh-gold" in [g["slug"] for g in beta_list]

    async def test_operator_admin_cannot_toggle_for_another_operator(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        admin, game = await _setup(client)
        alpha = await factories.create_operator(client, admin, "alpha")
        beta = await factories.create_operator(client, admin, "beta")
        boss = await factories.create_operator_admin(client, admin, alpha["id"], "boss@example.com")
        response = await client.put(
            f"/api/v1/operator/games/{game['id']}",
            params={"operatorId": beta["id"]},
            json={"enabled": False},
            headers=boss.headers,
        )
        assert response.status_code == 404
        assert (
            await pool.fetchval(
                "SELECT count(*) FROM operator_games WHERE operator_id = $1", beta["id"]
            )
            == 0
        )

    async def test_unknown_game_is_404(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/api/v1/games/424242")).status_code == 404
        assert (await client.get("/api/v1/games/not-a-number")).status_code == 422
