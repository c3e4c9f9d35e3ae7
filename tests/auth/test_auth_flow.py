"""Register, login, me, logout; sessions, CSRF, throttling and bad input."""

from __future__ import annotations

import asyncpg
import httpx

from tests import factories
from tests.factories import PASSWORD


async def _operator(client: httpx.AsyncClient, slug: str = "alpha") -> dict[str, object]:
    admin = await factories.platform_admin(client)
    return await factories.create_operator(client, admin, slug)


class TestRoundTrip:
    async def test_register_login_me_logout(self, client: httpx.AsyncClient) -> None:
        operator = await _operator(client)
        player = await factories.register_player(client, "alpha", "alice")
        me = await client.get("/api/v1/auth/me", headers=player.headers)
        assert me.status_code == 200
        assert me.json()["username"] == "alice"
        assert me.json()["operatorId"] == operator["id"]
        assert me.json()["role"] == "player"
        alias = await client.get("/api/v1/auth/user", headers=player.headers)
        assert alias.json() == me.json()

        out = await client.post("/api/v1/auth/logout", headers=player.headers)
        assert out.status_code == 204
        after = await client.get("/api/v1/auth/me", headers=player.headers)
        assert after.status_code == 401
        assert after.json()["code"] == "SESSION_INVALID"

    async def test_register_via_operator_header(self, client: httpx.AsyncClient) -> None:
        await _operator(client, "beta")
        response = await client.post(
            "/api/v1/auth/register",
            json={"email": "bob@example.com", "username": "bob", "password": PASSWORD},
            headers={"X-Operator": "beta"},
        )
        assert response.status_code == 201

    async def test_same_email_in_two_operators_is_two_players(
        self, client: httpx.AsyncClient
    ) -> None:
        await _operator(client, "alpha")
        await _operator(client, "beta")
        a = await factories.register_player(client, "alpha", "carol")
        b = await factories.register_player(client, "beta", "carol")
        assert a.subject_id != b.subject_id
        duplicate = await client.post(
            "/api/v1/auth/register",
            json={
                "email": "CAROL@example.com",
                "username": "carol2",
                "password": PASSWORD,
                "operatorSlug": "alpha",
            },
        )
        assert duplicate.status_code == 409
        assert duplicate.json()["code"] == "ACCOUNT_EXISTS"

    async def test_staff_log_in_through_the_same_endpoint(self, client: httpx.AsyncClient) -> None:
        admin = await factories.platform_admin(client)
        me = await client.get("/api/v1/auth/me", headers=admin.headers)
        assert me.json()["role"] == "platform_admin"
        assert me.json()["operatorId"] is None


class TestSessions:
    async def test_expired_session_is_refused(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        await _operator(client)
        player = await factories.register_player(client, "alpha", "dave")
        await pool.execute("UPDATE auth_sessions SET expires_at = now() - interval '1 second'")
        response = await client.get("/api/v1/auth/me", headers=player.headers)
        assert response.status_code == 401

    async def test_session_expiry_slides_forward(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        await _operator(client)
        player = await factories.register_player(client, "alpha", "erin")
        await pool.execute(
            "UPDATE auth_sessions SET last_seen_at = now() - interval '2 hours',"
            " expires_at = now() + interval '1 minute'"
        )
        assert (await client.get("/api/v1/auth/me", headers=player.headers)).status_code == 200
        remaining = await pool.fetchval(
            "SELECT extract(epoch FROM expires_at - now()) FROM auth_sessions"
            " WHERE subject_type = 'player'"
        )
        assert remaining > 3600

    async def test_token_is_stored_only_as_a_hash(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        await _operator(client)
        player = await factories.register_player(client, "alpha", "fay")
        rows = await pool.fetch("SELECT token_hash FROM auth_sessions")
        assert all(player.token.encode() not in bytes(r["token_hash"]) for r in rows)
        dump = await pool.fetchval("SELECT string_agg(t::text, '') FROM auth_sessions t")
        assert player.token not in dump


class TestCredentials:
    async def test_wrong_password_and_unknown_user_answer_alike(
        self, client: httpx.AsyncClient
    ) -> None:
        await _operator(client)
        await factories.register_player(client, "alpha", "gus")
        wrong = await client.post(
            "/api/v1/auth/login",
            json={
                "email": "gus@example.com",
                "password": "not-the-password",
                "operatorSlug": "alpha",
            },
        )
        unknown = await client.post(
            "/api/v1/auth/login",
            json={
                "email": "nobody@example.com",
                "password": "not-the-password",
                "operatorSlug": "alpha",
            },
        )
        assert wrong.status_code == unknown.status_code == 401
        strip = lambda body: {k: v for k, v in body.items() if k != "requestId"}  # noqa: E731
        assert strip(wrong.json()) == strip(unknown.json())

    async def test_player_cannot_log_in_to_another_operator(
        self, client: httpx.AsyncClient
    ) -> None:
        await _operator(client, "alpha")
        await _operator(client, "beta")
        await factories.register_player(client, "alpha", "hank")
        response = await client.post(
            "/api/v1/auth/login",
            json={"email": "hank@example.com", "password": PASSWORD, "operatorSlug": "beta"},
        )
        assert response.status_code == 401

    async def test_weak_password_is_refused(self, client: httpx.AsyncClient) -> None:
        await _operator(client)
        response = await client.post(
            "/api/v1/auth/register",
            json={
                "email": "ivy@example.com",
                "username": "ivy",
                "password": "short",
                "operatorSlug": "alpha",
            },
        )
        assert response.status_code == 422
        assert response.json()["details"]["field"] == "password"

    async def test_passwords_are_argon2id(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        await _operator(client)
        await factories.register_player(client, "alpha", "jack")
        stored = await pool.fetchval("SELECT password_hash FROM players")
        assert stored.startswith("$argon2id$")


class TestThrottling:
    async def test_account_lockout_answers_429_with_retry_after(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        await _operator(client)
        await factories.register_player(client, "alpha", "kim")
        body = {"email": "kim@example.com", "password": "wrong-password-x", "operatorSlug": "alpha"}
        statuses = [
            (await client.post("/api/v1/auth/login", json=body)).status_code for _ in range(5)
        ]
        assert statuses == [401] * 5
        locked = await client.post("/api/v1/auth/login", json={**body, "password": PASSWORD})
        assert locked.status_code == 429
        assert int(locked.headers["Retry-After"]) > 0
        events = await pool.fetchval(
            "SELECT count(*) FROM security_events WHERE kind = 'login_failed'"
        )
        assert events == 5

    async def test_ip_lockout_across_accounts(self, client: httpx.AsyncClient) -> None:
        await _operator(client)
        for i in range(20):
            body = {
                "email": f"ghost{i}@example.com",
                "password": "wrong-password-x",
                "operatorSlug": "alpha",
            }
            assert (await client.post("/api/v1/auth/login", json=body)).status_code == 401
        blocked = await client.post(
            "/api/v1/auth/login",
            json={"email": "another@example.com", "password": "x" * 12, "operatorSlug": "alpha"},
        )
        assert blocked.status_code == 429


class TestCookiesAndCsrf:
    async def test_cookie_write_without_csrf_is_refused(self, client: httpx.AsyncClient) -> None:
        await _operator(client)
        player = await factories.register_player(client, "alpha", "lea")
        client.cookies.clear()
        client.cookies.set("croupier_session", player.token)
        read = await client.get("/api/v1/auth/me")
        assert read.status_code == 200
        refused = await client.post("/api/v1/auth/logout")
        assert refused.status_code == 403
        assert refused.json()["code"] == "CSRF_TOKEN_INVALID"
        forged = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": "guess"})
        assert forged.status_code == 403
        still_in = await client.get("/api/v1/auth/me")
        assert still_in.status_code == 200
        accepted = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": player.csrf})
        assert accepted.status_code == 204

    async def test_login_sets_httponly_secure_cookie(self, client: httpx.AsyncClient) -> None:
        await _operator(client)
        await factories.register_player(client, "alpha", "max")
        response = await client.post(
            "/api/v1/auth/login",
            json={"email": "max@example.com", "password": PASSWORD, "operatorSlug": "alpha"},
        )
        cookies = response.headers.get_list("set-cookie")
        session_cookie = next(c for c in cookies if c.startswith("croupier_session="))
        assert "HttpOnly" in session_cookie
        assert "Secure" in session_cookie
        assert "SameSite=lax" in session_cookie
        csrf_cookie = next(c for c in cookies if c.startswith("croupier_csrf="))
        assert "HttpOnly" not in csrf_cookie


class TestBadInput:
    async def test_bad_register_bodies_answer_422_and_change_nothing(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        await _operator(client)
        good = {
            "email": "ned@example.com",
            "username": "ned",
            "password": PASSWORD,
            "operatorSlug": "alpha",
        }
        bad_bodies = [
            {k: v for k, v in good.items() if k != "email"},
            {**good, "email": 12345},
            {**good, "email": "not-an-email"},
            {**good, "username": "x" * 10_000},
            {**good, "password": "p" * 100_000},
            {**good, "username": ["ned"]},
            {**good, "role": "platform_admin"},
            {**good, "operatorId": 1, "isBot": True},
        ]
        for body in bad_bodies:
            response = await client.post("/api/v1/auth/register", json=body)
            assert response.status_code == 422, body
            assert response.json()["code"] == "VALIDATION_ERROR"
            assert response.json()["details"]["fields"][0]["field"]
        not_json = await client.post(
            "/api/v1/auth/register",
            content=b"{not json",
            headers={"content-type": "application/json"},
        )
        assert not_json.status_code == 422
        assert await pool.fetchval("SELECT count(*) FROM players") == 0

    async def test_bad_login_bodies_answer_422(self, client: httpx.AsyncClient) -> None:
        for body in [
            {},
            {"password": "x"},
            {"email": "a@b.c"},
            {"email": "a@b.c", "password": 5},
            {"email": "a@b.c", "password": "y" * 129},
        ]:
            response = await client.post("/api/v1/auth/login", json=body)
            assert response.status_code == 422, body
