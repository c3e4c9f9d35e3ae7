"""Bonuses through the real spin endpoint: free spins are paid by the operator and win bonus
money; an active bonus's max bet refuses bigger stakes; wagering counts real spins."""

from __future__ import annotations

import asyncpg
import httpx

from tests import factories
from tests.bonuses.helpers import create_rule, my_bonuses
from tests.ledger.helpers import assert_audit_ok
from tests.payments.helpers import World, wallet


async def _free_spins_world(client: httpx.AsyncClient, world: World) -> dict:
    await factories.create_category(client, world.admin)
    game = await factories.create_builtin_game(client, world.admin, engine_key="neon-fruits")
    await create_rule(
        client,
        world.alpha.operator_admin,
        code="SPINS",
        kind="free_spins",
        freeSpins=3,
        freeSpinGameId=game["id"],
        freeSpinValue=100,
        wageringMultiplier=2,
    )
    claimed = await client.post(
        "/api/v1/bonuses/claim", json={"code": "SPINS"}, headers=world.alpha.player.headers
    )
    assert claimed.status_code == 201, claimed.text
    return game


class TestFreeSpinsThroughTheSpin:
    async def test_three_free_spins_cost_the_player_nothing_and_win_bonus_money(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        game = await _free_spins_world(client, world)
        before = await wallet(client, world.alpha.player)
        bets = []
        for i in range(4):
            response = await client.post(
                "/api/v1/game/spin",
                json={"gameId": game["id"], "stake": 100},
                headers={**world.alpha.player.headers, "Idempotency-Key": f"fs-{i}"},
            )
            bets.append(response)
        free = [b.json() for b in bets[:3]]
        assert all(b["stakeFree"] == 100 and b["stakeCash"] == b["stakeBonus"] == 0 for b in free)
        assert all(b["winCash"] == 0 and b["winBonus"] == b["win"] for b in free)
        fourth = bets[3].json() if bets[3].status_code == 200 else None
        after = await wallet(client, world.alpha.player)
        paid_by_player = fourth["stakeCash"] if fourth else 0
        won_cash = fourth["winCash"] if fourth else 0
        assert after["cash"] == before["cash"] - paid_by_player + won_cash
        # Read the grant whatever its status: with no winnings to wager it closes at once.
        grant = await pool.fetchrow(
            "SELECT free_spins_left, free_spin_winnings FROM bonus_grants WHERE kind = 'free_spins'"
        )
        assert grant["free_spins_left"] == 0
        assert grant["free_spin_winnings"] == sum(b["win"] for b in free)
        marketing_cost = await pool.fetchval(
            """SELECT -sum(e.amount) FROM ledger_entries e JOIN ledger_transfers t
               ON t.id = e.transfer_id JOIN ledger_accounts a ON a.id = e.account_id
               WHERE t.type = 'free_spin_bet' AND a.kind = 'marketing'"""
        )
        assert marketing_cost == 300
        await assert_audit_ok(pool)


class TestMaxBetAndWagering:
    async def test_max_bet_applies_while_a_bonus_is_active(
        self, client: httpx.AsyncClient, pool: asyncpg.Pool, world: World
    ) -> None:
        await factories.create_category(client, world.admin)
        game = await factories.create_builtin_game(client, world.admin, engine_key="neon-fruits")
        await create_rule(
            client,
            world.alpha.operator_admin,
            code="FREE10",
            kind="no_deposit",
            bonusAmount=1_000,
            wageringMultiplier=5,
            maxBet=100,
        )
        claimed = await client.post(
            "/api/v1/bonuses/claim", json={"code": "FREE10"}, headers=world.alpha.player.headers
        )
        assert claimed.status_code == 201, claimed.text
        too_big = await client.post(
            "/api/v1/game/spin",
            json={"gameId": game["id"], "stake": 500},
            headers=world.alpha.player.headers,
        )
        assert too_big.status_code == 422
        assert too_big.json()["code"] == "BONUS_MAX_BET_EXCEEDED"
        ok = await client.post(
            "/api/v1/game/spin",
            json={"gameId": game["id"], "stake": 100},
            headers=world.alpha.player.headers,
        )
        assert ok.status_code == 200, ok.text
        grant = (await my_bonuses(client, world.alpha.player))[0]
        assert grant["wageringProgress"] > 0
        await assert_audit_ok(pool)
