"""POST /casino/simulateRound: seed 003's demo, end to end over HTTP.

For one of the seed's demo players: reset the cash balance to the seed's starting balance
(1,000,000), launch the game at the provider, then ask the provider (POST /provider/simulate) to
play its scripted round, which calls our /casino callbacks. Because the reset is a real ledger
transfer, running the simulation again, or after any other play, starts from the same balance
and gives the seed's table again.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from croupier.config import Settings
from croupier.db.pool import unit_of_work
from croupier.ledger import service as ledger
from croupier.ledger.service import PLAYER_CASH, Leg
from croupier.operators import service as operators
from croupier.providers import queries
from croupier.providers.errors import PlayerNotFoundError
from croupier.providers.service import money, sessions


async def simulate_round(
    pool: asyncpg.Pool,
    http: httpx.AsyncClient,
    settings: Settings,
    *,
    user_id: int,
    game_ref: int | str,
) -> dict[str, Any]:
    async with unit_of_work(pool) as uow:
        starting = await reset_demo_balance(uow.conn, user_id)
    launched = await sessions.launch(
        pool,
        http,
        settings,
        user_id=user_id,
        game_ref=game_ref,
        currency=None,
        caller_player_id=None,
    )
    opened = launched.session
    report = await sessions.call_provider(
        http,
        settings,
        opened.provider,
        "/provider/simulate",
        {
            "sessionToken": opened.token,
            "providerSessionId": launched.provider_session_id,
            "userId": opened.player_id,
            "gameId": opened.game_code,
            "currency": opened.currency,
            "casinoCode": opened.provider.casino_code,
        },
    )
    async with unit_of_work(pool) as uow:
        final = await money.available_balance(
            uow.conn, opened.operator_id, opened.player_id, opened.currency
        )
    return {
        "userId": opened.player_id,
        "gameId": opened.game_id,
        "gameCode": opened.game_code,
        "currency": opened.currency,
        "casinoSessionId": opened.id,
        "sessionToken": opened.token,
        "providerSessionId": launched.provider_session_id,
        "roundId": report.get("roundId"),
        "startingBalance": str(starting),
        "finalBalance": str(final),
        "steps": report.get("steps", []),
    }


async def reset_demo_balance(conn: asyncpg.Connection, player_id: int) -> int:
    """Bring a demo player's available cash to their reset balance with one ``adjustment``
    transfer against the operator's house account (reference ``demo_reset:player:<id>``), so
    the books stay balanced and the reset is visible in the player's history. Only players in
    ``casino_demo_players`` qualify: this is never a way to top up a real player."""
    demo = await queries.demo_player(conn, player_id)
    if demo is None:
        raise PlayerNotFoundError("Not a provider demo player: simulateRound plays only those")
    operator_id, target = demo["operator_id"], demo["reset_balance"]
    currency = await operators.operator_currency(conn, operator_id)
    (cash,) = await ledger.ensure_accounts(
        conn, operator_id=operator_id, owner_id=player_id, kinds=[PLAYER_CASH], currency=currency
    )
    delta = target - (cash.balance - cash.reserved)
    if delta:
        house = await ledger.ensure_account(
            conn, operator_id=operator_id, kind="house", currency=currency
        )
        await ledger.post(
            conn,
            operator_id=operator_id,
            type="adjustment",
            idempotency_key=f"demo_reset:{player_id}:{uuid.uuid4()}",
            request={"player": player_id, "target": target, "delta": delta},
            legs=[Leg(cash.id, delta), Leg(house, -delta)],
            reference=f"demo_reset:player:{player_id}",
            metadata={"reason": "demo_reset", "seed": "003", "target": target},
        )
    return target
