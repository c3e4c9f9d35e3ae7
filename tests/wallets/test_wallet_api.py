"""GET /wallet, GET /wallet/transactions and POST /operator/players/{id}/adjustments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import httpx

from croupier.kit.pagination import encode_cursor
from croupier.wallets import service as wallets
from tests import factories
from tests.ledger.helpers import assert_audit_ok, open_books


@dataclass
class World:
    admin: factories.Session
    alpha: dict
    beta: dict
    boss_alpha: factories.Session
    boss_beta: factories.Session
    player: factories.Session


async def _world(client: httpx.AsyncClient) -> World:
    admin = await factories.platform_admin(client)
    alpha = await factories.create_operator(client, admin, "alpha")
    beta = await factories.create_operator(client, admin, "beta", currency="EUR")
    return World(
        admin=admin,
        alpha=alpha,
        beta=beta,
        boss_alpha=await factories.create_operator_admin(client, admin, alpha["id"], "a@x.io"),
        boss_beta=await factories.create_operator_admin(client, admin, beta["id"], "b@x.io"),
        player=await factories.register_player(client, "alpha", "pla"),
    )


async def _adjust(
    client: httpx.AsyncClient, staff: factories.Session, player_id: int, **body: object
) -> httpx.Response:
    payload = {"amount": 100, "account": "cash", "reason": "goodwill", "idempotencyKey": "k1"}
    return await client.post(
        f"/api/v1/operator/players/{player_id}/adjustments",
        json={**payload, **body},
        headers=staff.headers,
    )


async def _ledger_counts(pool: asyncpg.Pool) -> tuple[int, int, int]:
    row = await pool.fetchrow(
        """SELECT (SELECT count(*) FROM ledger_transfers), (SELECT count(*) FROM ledger_entries),
                  (SELECT coalesce(sum(balance), 0) FROM ledger_accounts)"""
    )
    return tuple(row)


class TestWallet:
    async def test_balances(self, client: httpx.AsyncClient, pool: asyncpg.Pool) -> None:
        world = await _world(client)
        empty = await client.get("/api/v1/wallet", headers=world.player.headers)
        assert empty.status_code == 200
        assert empty.json() == {
            "currency": "USD",
            "cash": 0,
            "bonus": 0,
            "coins": 0,
            "reserved": 0,
            "withdrawable": 0,
        }
        player_id = world.player.subject_id
        for account, amount in (("cash", 500), ("bonus", 100), ("coins", 50)):
            await factories.fund_player(client, world.boss_alpha, player_id, amount, account)
        async with pool.acquire() as conn:
            await wallets.hold_cash(
                conn,
                operator_id=world.alpha["id"],
                player_id=player_id,
                currency="USD",
                amount=120,
                idempotency_key="withdrawal",
                request={},
            )
        wallet = (await client.get("/api/v1/wallet", headers=world.player.headers)).json()
        assert wallet == {
            "currency": "USD",
            "cash": 500,
            "bonus": 100,
            "coins": 50,
            "reserved": 120,
            "withdrawable": 380,
        }
        await assert_audit_ok(pool)

    async def test_only_players_have_a_wallet(self, client: httpx.AsyncClient) -> None:
        world = await _world(client)
        client.cookies.clear()  # the logins above left the last session's cookie
        assert (await client.get("/api/v1/wallet")).status_code == 401
        staff = await client.get("/api/v1/wallet", headers=world.boss_alpha.headers)
        assert staff.status_code == 403


class TestTransactions:
    async def test_history_pages_and_filters(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        world = await _world(client)
        player_id = world.player.subject_id
        for i, (account, amount) in enumerate(
            [("cash", 300), ("bonus", 50), ("cash", -20), ("coins", 7)]
        ):
            response = await _adjust(
                client,
                world.boss_alpha,
                player_id,
                account=account,
                amount=amount,
                idempotencyKey=f"adj-{i}",
            )
            assert response.status_code == 201, response.text
        async with pool.acquire() as conn:
            books = await open_books(conn, operator_id=world.alpha["id"])
            await wallets.debit(
                conn,
                operator_id=books.operator_id,
                player_id=player_id,
                amount=290,
                to_account_id=books.house,
                type="bet",
                idempotency_key="bet",
                request={},
            )

        async def page(**params: object) -> httpx.Response:
            return await client.get(
                "/api/v1/wallet/transactions", params=params, headers=world.player.headers
            )

        seen, cursor = [], None
        while True:
            body = (await page(limit=2, **({"cursor": cursor} if cursor else {}))).json()
            seen += body["items"]
            cursor = body["nextCursor"]
            if cursor is None:
                break
        # The bet took 280 cash and 10 bonus: two entries of one transfer.
        assert [(i["type"], i["account"], i["amount"], i["balanceAfter"]) for i in seen] == [
            ("bet", "player_bonus", -10, 40),
            ("bet", "player_cash", -280, 0),
            ("adjustment", "player_coins", 7, 7),
            ("adjustment", "player_cash", -20, 280),
            ("adjustment", "player_bonus", 50, 50),
            ("adjustment", "player_cash", 300, 300),
        ]
        assert seen[-1]["reference"] == f"player:{player_id}"
        assert {"transferId", "entryNo", "createdAt"} <= set(seen[0])
        bets = (await page(type="bet")).json()["items"]
        assert {i["type"] for i in bets} == {"bet"} and len(bets) == 2
        both = (await page(type="bet,adjustment")).json()["items"]
        assert len(both) == 6
        first_at = seen[-1]["createdAt"]
        assert (await page(**{"from": "2999-01-01T00:00:00Z"})).json()["items"] == []
        assert (await page(to=first_at)).json()["items"] == []
        assert len((await page(**{"from": first_at})).json()["items"]) == 6

    async def test_bad_queries_are_422(self, client: httpx.AsyncClient) -> None:
        world = await _world(client)
        for params in (
            {"limit": 0},
            {"limit": 201},
            {"type": "Bet!"},
            {"from": "yesterday"},
            {"cursor": "not-a-cursor"},
            {"cursor": encode_cursor(datetime.now(UTC), "99999999999999999999.1")},
            {"cursor": encode_cursor(datetime.now(UTC), "1.99999")},
            {"cursor": encode_cursor(datetime.now(UTC), "1")},
            {"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
        ):
            response = await client.get(
                "/api/v1/wallet/transactions", params=params, headers=world.player.headers
            )
            assert response.status_code == 422, params


class TestAdjustments:
    async def test_an_adjustment_records_staff_and_reason(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        world = await _world(client)
        player_id = world.player.subject_id
        response = await _adjust(client, world.boss_alpha, player_id, amount=250)
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["amount"] == 250 and body["balanceAfter"] == 250 and not body["replayed"]
        assert (body["playerId"], body["operatorId"], body["account"]) == (
            player_id,
            world.alpha["id"],
            "cash",
        )
        transfer = await pool.fetchrow(
            "SELECT type, created_by_staff, metadata FROM ledger_transfers WHERE id = $1",
            body["transferId"],
        )
        assert transfer["type"] == "adjustment"
        assert transfer["created_by_staff"] == world.boss_alpha.subject_id
        assert transfer["metadata"]["reason"] == "goodwill"
        again = await _adjust(client, world.boss_alpha, player_id, amount=250)
        assert again.status_code == 201
        assert again.json()["transferId"] == body["transferId"] and again.json()["replayed"]
        reused = await _adjust(client, world.boss_alpha, player_id, amount=251)
        assert reused.status_code == 409 and reused.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
        await assert_audit_ok(pool)

    async def test_a_debit_beyond_the_balance_is_402_and_moves_nothing(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        world = await _world(client)
        player_id = world.player.subject_id
        await _adjust(client, world.boss_alpha, player_id, amount=100, idempotencyKey="fund")
        transfers, entries, balances = await _ledger_counts(pool)
        for _ in range(2):  # the stored rejection is replayed
            refused = await _adjust(
                client, world.boss_alpha, player_id, amount=-101, idempotencyKey="take"
            )
            assert refused.status_code == 402
            assert refused.json()["code"] == "INSUFFICIENT_FUNDS"
            assert refused.json()["details"]["balance"] == 100
        assert await _ledger_counts(pool) == (transfers + 1, entries, balances)
        wallet = (await client.get("/api/v1/wallet", headers=world.player.headers)).json()
        assert wallet["cash"] == 100
        await assert_audit_ok(pool)

    async def test_bad_bodies_are_422_and_change_nothing(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        world = await _world(client)
        good = {"amount": 100, "account": "cash", "reason": "goodwill", "idempotencyKey": "k"}
        for body in (
            {**good, "amount": 0},
            {**good, "amount": "100"},
            {**good, "amount": 1.5},
            {**good, "amount": 10**13},
            {**good, "account": "gold"},
            {**good, "reason": "ab"},
            {**good, "reason": "   "},
            {**good, "reason": "r" * 501},
            {**good, "idempotencyKey": "has spaces"},
            {**good, "idempotencyKey": ""},
            {**good, "extra": 1},
            {k: v for k, v in good.items() if k != "reason"},
            {k: v for k, v in good.items() if k != "idempotencyKey"},
        ):
            response = await client.post(
                f"/api/v1/operator/players/{world.player.subject_id}/adjustments",
                json=body,
                headers=world.boss_alpha.headers,
            )
            assert response.status_code == 422, body
        bad_path = await client.post(
            "/api/v1/operator/players/abc/adjustments", json=good, headers=world.boss_alpha.headers
        )
        assert bad_path.status_code == 422
        assert await _ledger_counts(pool) == (0, 0, 0)

    async def test_only_the_players_operator_may_adjust(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        world = await _world(client)
        player_id = world.player.subject_id
        foreign = await _adjust(client, world.boss_beta, player_id)
        assert foreign.status_code == 404
        assert (await _adjust(client, world.boss_alpha, 999_999)).status_code == 404
        assert (await _adjust(client, world.player, player_id)).status_code == 403
        assert await _ledger_counts(pool) == (0, 0, 0)
        by_platform = await _adjust(client, world.admin, player_id, idempotencyKey="platform")
        assert by_platform.status_code == 201
        assert by_platform.json()["operatorId"] == world.alpha["id"]
        await assert_audit_ok(pool)
