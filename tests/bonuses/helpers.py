"""Helpers for the bonus suites: rules through the operator API, the spin hooks on the DB."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from croupier.bonuses import service as bonuses
from croupier.db.pool import unit_of_work
from tests.factories import Session


async def create_rule(client: httpx.AsyncClient, staff: Session, **fields: Any) -> dict:
    body = {
        "code": "WELCOME",
        "name": "Welcome",
        "kind": "deposit_match",
        "matchBp": 10_000,
        "maxBonus": 2_000,
        "wageringMultiplier": 2,
        **fields,
    }
    response = await client.post("/api/v1/operator/bonus-rules", json=body, headers=staff.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def my_bonuses(
    client: httpx.AsyncClient, player: Session, status: str | None = None
) -> list[dict]:
    params = {"status": status} if status else {}
    response = await client.get("/api/v1/bonuses", params=params, headers=player.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def by_kind(grants: list[dict], kind: str) -> dict:
    (grant,) = [g for g in grants if g["kind"] == kind]
    return grant


async def wager(
    pool: asyncpg.Pool,
    *,
    operator_id: int,
    player_id: int,
    stake_cash: int,
    stake_bonus: int = 0,
    game_key: str = "neon-fruits",
    round_ref: str = "round",
) -> None:
    """What the spin calls after settling a round."""
    async with unit_of_work(pool) as uow:
        await bonuses.record_wager(
            uow.conn,
            operator_id=operator_id,
            player_id=player_id,
            game_id=1,
            game_key=game_key,
            stake_cash=stake_cash,
            stake_bonus=stake_bonus,
            round_ref=round_ref,
        )
