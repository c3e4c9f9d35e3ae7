"""The spin: money to the unit, splits, idempotency, concurrency and failure cases."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from croupier.bets.schemas import BetOut
from tests import factories
from tests.bets.conftest import World, build_world
from tests.ledger.helpers import assert_audit_ok


async def _player_balances(client: httpx.AsyncClient, world: World) -> dict:
    return (await client.get("/api/v1/wallet", headers=world.player.headers)).json()


async def _derived_balance(pool: asyncpg.Pool, operator_id: int, kind: str, owner: int = 0) -> int:
    return await pool.fetchval(
        """SELECT COALESCE(sum(e.amount), 0) FROM ledger_entries e
           JOIN ledger_accounts a ON a.id = e.account_id
           WHERE a.operator_id = $1 AND a.kind = $2 AND a.owner_id = $3""",
        operator_id,
        kind,
        owner,
    )


class TestSpinMoney:
    async def test_spin_debits_contributes_credits_and_logs(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        await factories.fund_player(client, world.operator_admin, world.player.subject_id, 10_000)
        response = await world.spin(client, stake=100)
        assert response.status_code == 200, response.text
        bet = response.json()
        win = bet["win"]
        assert bet["stake"] == 100 and bet["stakeCash"] == 100 and bet["stakeBonus"] == 0
        assert bet["jackpotContribution"] == 1  # 1% of 100
        assert bet["outcome"]["totalWin"] == win
        assert bet["balances"] == {"cash": 10_000 - 100 + win, "bonus": 0}
        assert bet["xpGained"] == 100
        wallet = await _player_balances(client, world)
        assert wallet["cash"] == 10_000 - 100 + win
        operator_id = world.operator["id"]
        pool_id = await pool.fetchval("SELECT id FROM jackpot_pools WHERE slug = 'mega-usd'")
        assert await _derived_balance(pool, operator_id, "jackpot_pool", pool_id) == 1
        assert await _derived_balance(pool, operator_id, "house") == 100 - win - 1 - 10_000
        row = await pool.fetchrow("SELECT * FROM bets")
        assert (row["stake"], row["win"], row["ggr"]) == (100, win, 100 - win)
        assert row["cash_after"] == 10_000 - 100 + win
        assert await pool.fetchval("SELECT vip_experience FROM players") == 100
        await assert_audit_ok(pool)

    async def test_cash_first_then_bonus_and_wins_split_in_proportion(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        await factories.fund_player(client, world.operator_admin, world.player.subject_id, 130)
        await factories.fund_player(
            client, world.operator_admin, world.player.subject_id, 50_000, account="bonus"
        )
        first = (await world.spin(client, stake=100)).json()
        assert (first["stakeCash"], first["stakeBonus"]) == (100, 0)
        cash = first["balances"]["cash"]
        if cash == 0:  # the first spin lost exactly all the cash: give the split some to take
            await factories.fund_player(client, world.operator_admin, world.player.subject_id, 30)
            cash = 30
        # The smallest valid stake (a multiple of the game's 5 lines) above the cash left.
        split = (await world.spin(client, stake=(cash // 5 + 1) * 5)).json()
        assert (split["stakeCash"], split["stakeBonus"]) == (cash, split["stake"] - cash)
        assert split["winCash"] == split["win"] * cash // split["stake"]
        for _ in range(40):
            response = await world.spin(client, stake=100)
            assert response.status_code == 200
            bet = response.json()
            assert bet["stakeCash"] + bet["stakeBonus"] == 100
            assert bet["winCash"] == bet["win"] * bet["stakeCash"] // 100
            assert bet["winCash"] + bet["winBonus"] == bet["win"]
        bets = await pool.fetch("SELECT * FROM bets ORDER BY id")
        mixed = [b for b in bets if b["stake_cash"] and b["stake_bonus"]]
        assert mixed, "cash ran out part-way through a stake at least once"
        wallet = await _player_balances(client, world)
        assert wallet["cash"] == 130 + sum(b["win_cash"] - b["stake_cash"] for b in bets)
        assert wallet["bonus"] == 50_000 + sum(b["win_bonus"] - b["stake_bonus"] for b in bets)
        await assert_audit_ok(pool)

    async def test_insufficient_funds_is_402_and_writes_nothing(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        await factories.fund_player(client, world.operator_admin, world.player.subject_id, 40)
        transfers_before = await pool.fetchval("SELECT count(*) FROM ledger_transfers")
        response = await world.spin(client, stake=100)
        assert response.status_code == 402
        assert response.json()["code"] == "INSUFFICIENT_FUNDS"
        assert response.json()["details"]["balance"] == 40
        assert await pool.fetchval("SELECT count(*) FROM bets") == 0
        assert await pool.fetchval("SELECT count(*) FROM ledger_transfers") == transfers_before
        assert await pool.fetchval("SELECT count(*) FROM outbox") == 0
        await assert_audit_ok(pool)


class TestSpinValidation:
    async def test_disabled_game_and_bad_stakes(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        await factories.fund_player(client, world.operator_admin, world.player.subject_id, 100_000)
        game_id = world.games["pharaoh-gold"]["id"]
        toggled = await client.put(
            f"/api/v1/operator/games/{game_id}",
            json={"enabled": False},
            headers=world.operator_admin.headers,
        )
        assert toggled.status_code == 200
        disabled = await world.spin(client, game="pharaoh-gold", stake=100)
        assert disabled.status_code == 409 and disabled.json()["code"] == "GAME_UNAVAILABLE"
        for stake in (3, 99, 10**9):  # below min, not a multiple of the lines, above max
            response = await world.spin(client, stake=stake)
            assert response.status_code == 422, stake
        for body in (
            {"gameId": 1},
            {"stake": 100},
            {"gameId": "1", "stake": 100},
            {"gameId": 1, "stake": 1.5},
            {"gameId": 1, "stake": "100"},
            {"gameId": 1, "stake": -100},
            {"gameId": 1, "stake": 100, "win": 1_000},
        ):
            response = await client.post(
                "/api/v1/game/spin", json=body, headers=world.player.headers
            )
            assert response.status_code == 422, body
        # The body is read by web.fast_route, on the canonical path and on both aliases.
        for path in ("/api/v1/game/spin", "/api/v1/bets", "/api/v1/bet/spin"):
            for content, content_type in (
                (b"", "application/json"),
                (b'{"gameId": 1, "stake": 100', "application/json"),
                (b'{"gameId": 1, "stake": 100}', "text/plain"),
            ):
                headers = {**world.player.headers, "content-type": content_type}
                response = await client.post(path, content=content, headers=headers)
                assert response.status_code == 422, (path, content, response.text)
                assert response.json()["details"]["fields"][0]["in"] == "body"
        missing = await client.post(
            "/api/v1/game/spin",
            json={"gameId": 999_999, "stake": 100},
            headers=world.player.headers,
        )
        assert missing.status_code == 404
        assert await pool.fetchval("SELECT count(*) FROM bets") == 0

    async def test_bad_headers_are_refused_by_name_and_write_nothing(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        await factories.fund_player(client, world.operator_admin, world.player.subject_id, 10_000)
        transfers = await pool.fetchval("SELECT count(*) FROM ledger_transfers")
        body = {"gameId": world.games["neon-fruits"]["id"], "stake": 100}
        for path in ("/api/v1/game/spin", "/api/v1/bets", "/api/v1/bet/spin"):
            for bad, field in (
                ({"Idempotency-Key": "no spaces"}, "Idempotency-Key"),
                ({"Idempotency-Key": "k" * 101}, "Idempotency-Key"),
                ({"X-Session-Id": "s" * 101}, "x-session-id"),
                ({"X-Channel": "tv"}, "x-channel"),
            ):
                headers = {**world.player.headers, **bad}
                response = await client.post(path, json=body, headers=headers)
                assert response.status_code == 422, (path, bad)
                fields = response.json()["details"]["fields"]
                assert [(f["field"], f["in"]) for f in fields] == [(field, "header")], fields
        assert await pool.fetchval("SELECT count(*) FROM bets") == 0
        assert await pool.fetchval("SELECT count(*) FROM ledger_transfers") == transfers

    async def test_header_names_match_whatever_their_case(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        await factories.fund_player(client, world.operator_admin, world.player.subject_id, 10_000)
        body = {"gameId": world.games["neon-fruits"]["id"], "stake": 100}
        rounds = set()
        for name in ("Idempotency-Key", "idempotency-key", "IDEMPOTENCY-KEY"):
            headers = {**world.player.headers, name: "one-round", "X-CHANNEL": "mobile"}
            response = await client.post("/api/v1/game/spin", json=body, headers=headers)
            assert response.status_code == 200, response.text
            rounds.add(response.json()["roundId"])
        assert len(rounds) == 1
        assert await pool.fetchval("SELECT channel FROM bets") == "mobile"

    async def test_the_spin_headers_are_documented_on_every_spin_path(
        self, client: httpx.AsyncClient
    ) -> None:
        spec = (await client.get("/openapi.json")).json()
        for path in ("/api/v1/game/spin", "/api/v1/bets", "/api/v1/bet/spin"):
            parameters = {p["name"]: p for p in spec["paths"][path]["post"]["parameters"]}
            assert set(parameters) == {"Idempotency-Key", "x-session-id", "x-channel"}, path
            assert all(p["in"] == "header" and not p["required"] for p in parameters.values())
            assert parameters["x-channel"]["schema"]["enum"] == ["web", "mobile", "desktop"]
            assert parameters["Idempotency-Key"]["schema"]["anyOf"][0]["pattern"]

    async def test_the_response_is_the_documented_model(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        """The spin serialises its BetOut itself (FastAPI would validate it a second time):
        the body is still exactly the model, and the docs still name it on every path."""
        await factories.fund_player(client, world.operator_admin, world.player.subject_id, 1_000)
        response = await world.spin(client, stake=100)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert BetOut.model_validate(body).model_dump(mode="json", by_alias=True) == body
        assert body["balances"]["cash"] == 1_000 - 100 + body["win"] + body["jackpotWin"]
        spec = (await client.get("/openapi.json")).json()
        for path in ("/api/v1/game/spin", "/api/v1/bets", "/api/v1/bet/spin"):
            ok = spec["paths"][path]["post"]["responses"]["200"]["content"]["application/json"]
            assert ok["schema"] == {"$ref": "#/components/schemas/BetOut"}, path
            request_body = spec["paths"][path]["post"]["requestBody"]
            assert request_body["required"] is True
            schema = request_body["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/SpinIn"}, path

    async def test_staff_cannot_spin(self, client: httpx.AsyncClient, world: World) -> None:
        response = await world.spin(client, session=world.operator_admin)
        assert response.status_code == 403

    async def test_aliases_play_the_same_spin(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        await factories.fund_player(client, world.operator_admin, world.player.subject_id, 10_000)
        for path, body in (
            ("/api/v1/bets", {"gameId": world.games["neon-fruits"]["id"], "stake": 50}),
            ("/api/v1/bet/spin", {"gameKey": "neon-fruits", "betCents": 50}),
        ):
            response = await client.post(path, json=body, headers=world.player.headers)
            assert response.status_code == 200, response.text
        assert await pool.fetchval("SELECT count(*) FROM bets") == 2


class TestIdempotency:
    async def test_retry_returns_the_same_round(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        await factories.fund_player(client, world.operator_admin, world.player.subject_id, 10_000)
        first = await world.spin(client, key="round-1")
        again = await world.spin(client, key="round-1")
        assert again.status_code == 200
        assert again.json()["roundId"] == first.json()["roundId"]
        assert await pool.fetchval("SELECT count(*) FROM bets") == 1
        changed = await world.spin(client, key="round-1", stake=200)
        assert changed.status_code == 409 and changed.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
        wallet = await _player_balances(client, world)
        assert wallet["cash"] == first.json()["balances"]["cash"]

    async def test_parallel_retries_make_one_round(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        await factories.fund_player(client, world.operator_admin, world.player.subject_id, 10_000)
        responses = await asyncio.gather(*(world.spin(client, key="same") for _ in range(20)))
        assert {r.status_code for r in responses} == {200}
        assert len({r.json()["roundId"] for r in responses}) == 1
        assert await pool.fetchval("SELECT count(*) FROM bets") == 1
        await assert_audit_ok(pool)


class TestConcurrency:
    async def test_200_concurrent_spins_never_overdraw(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        await factories.fund_player(client, world.operator_admin, world.player.subject_id, 1_000)
        responses = await asyncio.gather(*(world.spin(client, stake=100) for _ in range(200)))
        statuses = {r.status_code for r in responses}
        assert statuses <= {200, 402}, statuses
        bets = await pool.fetch("SELECT stake, win, cash_after FROM bets")
        assert len(bets) == sum(r.status_code == 200 for r in responses)
        assert all(b["cash_after"] >= 0 for b in bets)
        wallet = await _player_balances(client, world)
        assert wallet["cash"] == 1_000 + sum(b["win"] - b["stake"] for b in bets) >= 0
        await assert_audit_ok(pool)


async def _until_waiting_on_locks(pool: asyncpg.Pool, count: int) -> None:
    for _ in range(500):
        waiting = await pool.fetchval("SELECT count(*) FROM pg_locks WHERE NOT granted")
        if waiting >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("no spin reached the jackpot payout")


class TestJackpot:
    async def test_two_triggering_spins_win_the_pool_once(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        world = await build_world(
            client, jackpot={"seedAmount": 5_000, "contributionBp": 100, "triggerPpt": 10**12}
        )
        second = await factories.register_player(client, "alpha", "rival")
        for player in (world.player, second):
            await factories.fund_player(client, world.operator_admin, player.subject_id, 10_000)
        # Both spins must see the pool before either pays it out: hold the pool's row lock (the
        # payout takes it) until the first spin waits on it and the other has caught up.
        async with pool.acquire() as holder, holder.transaction():
            await holder.execute("SELECT FROM jackpot_pools FOR UPDATE")
            spins = asyncio.gather(
                world.spin(client, stake=100), world.spin(client, stake=100, session=second)
            )
            await _until_waiting_on_locks(pool, 1)
            await asyncio.sleep(0.5)
        responses = await spins
        assert [r.status_code for r in responses] == [200, 200]
        wins = await pool.fetch("SELECT * FROM jackpot_wins")
        assert len(wins) == 1 and wins[0]["win_seq"] == 1
        jackpot_bets = [r.json() for r in responses if r.json()["jackpotWin"]]
        assert len(jackpot_bets) == 1
        assert jackpot_bets[0]["jackpotWin"] == wins[0]["amount"] >= 5_000
        await assert_audit_ok(pool)

    async def test_pool_value_and_cross_operator_payout(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        other = await factories.create_operator(client, world.admin, "beta")
        other_admin = await factories.create_operator_admin(
            client, world.admin, other["id"], "boss-beta@example.com"
        )
        other_player = await factories.register_player(client, "beta", "betaplayer")
        await factories.fund_player(client, other_admin, other_player.subject_id, 10_000)
        await factories.fund_player(client, world.operator_admin, world.player.subject_id, 10_000)
        await world.spin(client, stake=1_000, session=other_player)
        await world.spin(client, stake=500)
        listed = (await client.get("/api/v1/jackpots")).json()
        assert listed[0]["value"] == 10 + 5  # 1% of each stake, seed 0
        assert_pool = await pool.fetchval(
            "SELECT count(*) FROM ledger_accounts WHERE kind = 'jackpot_pool'"
        )
        assert assert_pool == 2
        await assert_audit_ok(pool)


class TestHistoryAndFairness:
    async def test_history_and_provably_fair_verification(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        await factories.fund_player(client, world.operator_admin, world.player.subject_id, 10_000)
        seed = (await client.get("/api/v1/fair/seed", headers=world.player.headers)).json()
        fair = await world.spin(client, provablyFair=True)
        assert fair.status_code == 200
        bet_id = fair.json()["id"]
        detail = (await client.get(f"/api/v1/bets/{bet_id}", headers=world.player.headers)).json()
        assert detail["verification"]["serverSeedHash"] == seed["serverSeedHash"]
        assert detail["verification"]["serverSeed"] is None  # not revealed while active
        rotated = (
            await client.post(
                "/api/v1/fair/rotate", json={"clientSeed": "lucky"}, headers=world.player.headers
            )
        ).json()
        assert rotated["revealed"]["serverSeedHash"] == seed["serverSeedHash"]
        detail = (await client.get(f"/api/v1/bets/{bet_id}", headers=world.player.headers)).json()
        assert detail["verification"]["verified"] is True
        history = (await client.get("/api/v1/bets", headers=world.player.headers)).json()
        assert [b["id"] for b in history["items"]] == [bet_id]

    async def test_players_see_only_their_own_bets(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        await factories.fund_player(client, world.operator_admin, world.player.subject_id, 10_000)
        bet_id = (await world.spin(client)).json()["id"]
        other = await factories.register_player(client, "alpha", "snoop")
        response = await client.get(f"/api/v1/bets/{bet_id}", headers=other.headers)
        assert response.status_code == 404
