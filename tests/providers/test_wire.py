"""Signatures, strict bodies, tokens, currency, games, players and safety on the callbacks."""

from __future__ import annotations

import json
import time

import asyncpg
import httpx
import pytest

from croupier.providers.signature import sign, sign_v1, verify
from croupier.safety import tools
from tests.providers.conftest import Demo, money, new_id


async def _nothing_stored(pool: asyncpg.Pool) -> bool:
    return await pool.fetchval("SELECT count(*) FROM casino_transactions") == 0


class TestSignatures:
    async def test_bad_missing_or_foreign_signatures_are_refused_and_not_stored(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token = await demo.launch(client)
        bet = money(token, demo.user, new_id(), new_id(), amount=1000)
        raw = json.dumps(bet).encode()
        for headers in (
            {},
            {"x-casino-signature": "00" * 32},
            {"x-casino-signature": sign("another-secret", raw)},
            {"x-casino-signature": sign(demo.settings.provider_secret.get_secret_value(), raw)},
        ):
            response = await client.post("/casino/debit", content=raw, headers=headers)
            assert response.status_code == 401
            assert response.json() == {"error": "Invalid signature", "code": "INVALID_SIGNATURE"}
        assert await _nothing_stored(pool)
        assert (await demo.call(client, "debit", bet)).status_code == 200  # the id is still free

    async def test_one_altered_byte_breaks_the_signature(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token = await demo.launch(client)
        raw = json.dumps(money(token, demo.user, new_id(), new_id(), amount=1000)).encode()
        signature = sign(demo.settings.casino_secret.get_secret_value(), raw)
        altered = raw.replace(b'"amount": 1000', b'"amount": 9000')
        assert len(altered) == len(raw) and altered != raw
        for body in (altered, raw + b" "):
            response = await client.post(
                "/casino/debit", content=body, headers={"x-casino-signature": signature}
            )
            assert response.status_code == 401
        assert await demo.balance(pool) == 1_000_000
        assert await _nothing_stored(pool)

    async def test_the_timestamped_scheme_and_its_window(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token = await demo.launch(client)
        raw = json.dumps({"sessionToken": token, "userId": demo.user}).encode()
        secret = demo.settings.casino_secret.get_secret_value()
        now = int(time.time())
        # 30 s past the 300 s window each way: a guest clock stepped by a second or two
        # between here and the server must not flip the answer (the edges are tested below).
        for stamp, status in ((now, 200), (now - 330, 401), (now + 330, 401)):
            headers = {
                "x-casino-timestamp": str(stamp),
                "x-casino-signature": sign_v1(secret, raw, stamp),
            }
            response = await client.post("/casino/getBalance", content=raw, headers=headers)
            assert response.status_code == status
        headers = {
            "x-casino-timestamp": str(now + 1),
            "x-casino-signature": sign_v1(secret, raw, now),
        }
        assert (
            await client.post("/casino/getBalance", content=raw, headers=headers)
        ).status_code == 401

    def test_the_window_edges_are_inclusive(self) -> None:
        body, now = b'{"x": 1}', 1_800_000_000
        for stamp, accepted in (
            (now - 300, True),
            (now + 300, True),
            (now - 301, False),
            (now + 301, False),
        ):
            signature = sign_v1("s3cret", body, stamp)
            assert verify(["s3cret"], body, signature, timestamp=str(stamp), now=now) is accepted

    async def test_providers_have_their_own_secrets_rotation_and_id_space(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        old, new = "jaqpot-old-secret-0001", "jaqpot-new-secret-0002"
        response = await client.patch(
            "/api/v1/admin/providers/jaqpot",
            json={"callbackSecrets": [new, old]},
            headers=demo.admin.headers,
        )
        assert response.status_code == 200, response.text
        assert response.json()["callbackSecretCount"] == 2
        token = await demo.launch(client)
        read = {"sessionToken": token, "userId": demo.user}
        for secret, status in (
            (old, 200),
            (new, 200),
            (demo.settings.casino_secret.get_secret_value(), 401),
        ):
            assert (
                await demo.call(client, "getBalance", read, secret=secret)
            ).status_code == status

        other = await client.post(
            "/api/v1/admin/providers",
            headers=demo.admin.headers,
            json={
                "code": "acme",
                "name": "Acme Slots",
                "casinoCode": "JAQPOT",
                "callbackSecrets": ["acme-callback-secret-1"],
            },
        )
        assert other.status_code == 201, other.text
        game = await pool.fetchval("UPDATE games SET provider = 'acme' WHERE id = 2 RETURNING id")
        acme_token = await demo.launch(client, game=game)
        tx = new_id()
        jaq = await demo.call(
            client, "debit", money(token, demo.user, tx, new_id(), amount=1000), secret=new
        )
        acme = await demo.call(
            client,
            "debit",
            money(acme_token, demo.user, tx, new_id(), amount=1000),
            secret="acme-callback-secret-1",
            headers={"x-provider-code": "acme"},
        )
        assert jaq.status_code == acme.status_code == 200  # one id, two providers, two stakes
        assert acme.json()["balance"] == "998000"
        wrong = await demo.call(
            client,
            "getBalance",
            {"sessionToken": acme_token, "userId": demo.user},
            secret=new,
            headers={"x-provider-code": "jaqpot"},
        )
        assert (wrong.status_code, wrong.json()["code"]) == (401, "TOKEN_INVALID")


class TestStrictBodies:
    @pytest.mark.parametrize(
        "amount",
        [1000.0, "1000", -1000, 2**53, True, None, 1e3, [1000]],
        ids=["float", "string", "negative", "beyond-2^53", "bool", "null", "exponent", "list"],
    )
    async def test_amounts_must_be_json_integers_in_range(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo, amount: object
    ) -> None:
        token = await demo.launch(client)
        bet = money(token, demo.user, new_id(), new_id(), amount=amount)
        for endpoint in ("debit", "credit"):
            response = await demo.call(client, endpoint, bet)
            assert response.status_code == 400, response.text
            assert response.json()["code"] == "INVALID_REQUEST"
            assert response.json()["error"].startswith("Invalid request: amount")
        assert await _nothing_stored(pool)
        # The largest amount passes validation (and then meets the game's maximum).
        largest = await demo.call(client, "debit", bet | {"amount": 2**53 - 1})
        assert largest.json()["code"] == "LIMIT_EXCEEDED"

    async def test_missing_unknown_or_mistyped_fields(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token = await demo.launch(client)
        bet = money(token, demo.user, new_id(), new_id(), amount=1000)
        for body in (
            {k: v for k, v in bet.items() if k != "roundId"},
            bet | {"extra": 1},
            bet | {"userId": "1"},
            bet | {"transactionId": 42},
            bet | {"transactionId": ""},
            bet | {"amount": 0},
        ):
            response = await demo.call(client, "debit", body)
            assert (response.status_code, response.json()["code"]) == (400, "INVALID_REQUEST")
        for raw in (b"not json", b"[1, 2]"):
            response = await demo.call(client, "debit", raw)
            assert (response.status_code, response.json()["code"]) == (400, "INVALID_REQUEST")
        assert await _nothing_stored(pool)


class TestTokens:
    async def test_stakes_and_balance_reads_need_a_live_token_payouts_do_not(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        old = await demo.launch(client)
        round_id = new_id()
        bet = money(old, demo.user, new_id(), round_id, amount=1000)
        await demo.call(client, "debit", bet)
        other_round = new_id()
        refunded = money(old, demo.user, new_id(), other_round, amount=500)
        await demo.call(client, "debit", refunded)
        await demo.launch(client)  # supersedes `old`
        stake = await demo.call(
            client, "debit", money(old, demo.user, new_id(), new_id(), amount=1)
        )
        read = await demo.call(client, "getBalance", {"sessionToken": old, "userId": demo.user})
        for response in (stake, read):
            assert (response.status_code, response.json()["code"]) == (401, "TOKEN_EXPIRED")
        await pool.execute("UPDATE casino_sessions SET expires_at = now() - interval '1 second'")
        second = await demo.call(
            client, "debit", money(old, demo.user, new_id(), round_id, amount=1000)
        )
        assert second.json()["code"] == "TOKEN_EXPIRED"
        win = await demo.call(
            client,
            "credit",
            money(
                old,
                demo.user,
                new_id(),
                round_id,
                amount=3000,
                relatedTransactionId=bet["transactionId"],
            ),
        )
        assert win.status_code == 200 and win.json()["balance"] == "1001500"
        undo = money(
            old, demo.user, new_id(), other_round, originalTransactionId=refunded["transactionId"]
        )
        response = await demo.call(client, "rollback", undo)
        assert response.status_code == 200 and response.json()["balance"] == "1002000"

    async def test_unknown_tokens_and_other_players_tokens(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        mine = await demo.launch(client, demo.users[0])
        for token, user in ((new_id(), demo.users[0]), (mine, demo.users[1])):
            for endpoint, body in (
                ("getBalance", {"sessionToken": token, "userId": user}),
                ("debit", money(token, user, new_id(), new_id(), amount=1000)),
                ("credit", money(token, user, new_id(), new_id(), amount=1000)),
            ):
                response = await demo.call(client, endpoint, body)
                assert (response.status_code, response.json()["code"]) == (401, "TOKEN_INVALID")
        assert await demo.balance(pool, demo.users[1]) == 1_000_000

    async def test_unknown_player(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token = await demo.launch(client)
        response = await demo.call(client, "debit", money(token, 999, new_id(), new_id(), amount=1))
        assert response.json() == {"error": "Player not found", "code": "PLAYER_NOT_FOUND"}
        assert response.status_code == 404
        assert await _nothing_stored(pool)


class TestWalletRules:
    async def test_currency_must_match_on_every_money_call(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token, round_id = await demo.launch(client), new_id()
        bet = money(token, demo.user, new_id(), round_id, amount=1000, currency="USD")
        assert (await demo.call(client, "debit", bet)).status_code == 200
        for endpoint, body in (
            ("debit", money(token, demo.user, new_id(), round_id, amount=1000, currency="EUR")),
            ("credit", money(token, demo.user, new_id(), round_id, amount=1000, currency="EUR")),
            (
                "rollback",
                money(
                    token,
                    demo.user,
                    new_id(),
                    round_id,
                    currency="EUR",
                    originalTransactionId=bet["transactionId"],
                ),
            ),
        ):
            response = await demo.call(client, endpoint, body)
            assert response.status_code == 400
            assert response.json() == {
                "error": "Currency does not match the player's wallet",
                "code": "WRONG_CURRENCY",
                "balance": "999000",
            }
        response = await client.post(
            "/casino/launchGame", json={"userId": demo.user, "gameId": 1, "currency": "EUR"}
        )
        assert response.json()["code"] == "WRONG_CURRENCY"

    async def test_unknown_or_disabled_games(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token = await demo.launch(client)
        other = await demo.call(
            client,
            "debit",
            money(token, demo.user, new_id(), new_id(), amount=1000, gameId="SLOTS_002"),
        )
        assert (other.status_code, other.json()["code"]) == (400, "INVALID_GAME")
        await pool.execute("UPDATE games SET is_active = false WHERE id = 1")
        off = await demo.call(
            client, "debit", money(token, demo.user, new_id(), new_id(), amount=1000)
        )
        assert (off.status_code, off.json()["code"]) == (400, "INVALID_GAME")
        launch = await client.post("/casino/launchGame", json={"userId": demo.user, "gameId": 1})
        assert launch.json()["code"] == "INVALID_GAME"
        assert await demo.balance(pool) == 1_000_000

    async def test_max_bet(self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo) -> None:
        token = await demo.launch(client)
        response = await demo.call(
            client, "debit", money(token, demo.user, new_id(), new_id(), amount=100_001)
        )
        assert (response.status_code, response.json()["code"]) == (403, "LIMIT_EXCEEDED")

    async def test_blocked_players_cannot_stake_but_are_paid_and_refunded(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token, round_id = await demo.launch(client), new_id()
        first = money(token, demo.user, new_id(), round_id, amount=1000)
        await demo.call(client, "debit", first)
        await demo.call(client, "debit", money(token, demo.user, new_id(), round_id, amount=1000))
        await pool.execute("UPDATE players SET status = 'blocked' WHERE id = $1", demo.user)
        stake = await demo.call(
            client, "debit", money(token, demo.user, new_id(), round_id, amount=1)
        )
        assert (stake.status_code, stake.json()["code"]) == (403, "PLAYER_BLOCKED")
        undo = money(
            token, demo.user, new_id(), round_id, originalTransactionId=first["transactionId"]
        )
        assert (await demo.call(client, "rollback", undo)).status_code == 200
        win = money(token, demo.user, new_id(), round_id, amount=5000)
        assert (await demo.call(client, "credit", win)).json()["balance"] == "1004000"


class TestSafety:
    async def test_self_excluded_and_timed_out_players_are_blocked(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        one, two = demo.users
        tokens = {user: await demo.launch(client, user) for user in (one, two)}
        async with pool.acquire() as conn:
            await tools.self_exclude(conn, operator_id=demo.operator_id, player_id=one, months=6)
            await tools.start_time_out(conn, operator_id=demo.operator_id, player_id=two, days=1)
        for user, reason in ((one, "SELF_EXCLUDED"), (two, "TIME_OUT_ACTIVE")):
            response = await demo.call(
                client, "debit", money(tokens[user], user, new_id(), new_id(), amount=1000)
            )
            assert response.status_code == 403
            assert response.json()["code"] == "PLAYER_BLOCKED"
            assert response.json()["reason"] == reason
            payout = money(tokens[user], user, new_id(), new_id(), amount=10)
            assert (await demo.call(client, "credit", payout)).status_code == 200
        launch = await client.post("/casino/launchGame", json={"userId": one, "gameId": 1})
        assert launch.json()["code"] == "PLAYER_BLOCKED"

    async def test_a_wager_limit_is_a_limit(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, demo: Demo
    ) -> None:
        token = await demo.launch(client)
        async with pool.acquire() as conn:
            await tools.change_limit(
                conn,
                operator_id=demo.operator_id,
                player_id=demo.user,
                kind="wager",
                period="24h",
                amount=1500,
            )
        round_id = new_id()
        ok = await demo.call(
            client, "debit", money(token, demo.user, new_id(), round_id, amount=1000)
        )
        assert ok.status_code == 200
        # Provider rounds count towards the limits once settled (here by a losing payout).
        lost = await demo.call(
            client, "credit", money(token, demo.user, new_id(), round_id, amount=0)
        )
        assert lost.status_code == 200
        over = await demo.call(
            client, "debit", money(token, demo.user, new_id(), new_id(), amount=1000)
        )
        assert (over.status_code, over.json()["code"]) == (403, "LIMIT_EXCEEDED")
        assert over.json()["reason"] == "WAGER_LIMIT_REACHED"
