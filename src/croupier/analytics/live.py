"""Live pushes to operator admins: the transactions a fold appended and the KPI deltas they
carry, on ``/ws/operator`` (audience ``operator:<id>``, so an operator only hears its own).

Published inside the fold's transaction through the outbox, so nothing is pushed for a fold
that rolled back, and each event is pushed exactly once.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from croupier.realtime import service as realtime

MAX_ITEMS = 50  # per operator and fold; the rest are counted and read with GET /transactions

_DELTAS = """
SELECT operator_id, count(*) AS events, sum(rounds)::bigint AS rounds, sum(stake)::bigint AS handle,
       sum(stake_bonus)::bigint AS bonus_cost, sum(win + jackpot_win)::bigint AS payout,
       sum(stake - win - jackpot_win)::bigint AS ggr,
       sum(stake_cash - win - jackpot_win)::bigint AS ngr,
       coalesce(sum(cash_delta) FILTER (WHERE type = 'deposit'), 0)::bigint AS deposits,
       coalesce(-sum(cash_delta) FILTER (WHERE type = 'withdrawal_post'), 0)::bigint
           AS withdrawals,
       max(occurred_at) AS latest
FROM ledger_events WHERE id BETWEEN $1 AND $2
GROUP BY operator_id
"""

_ITEMS = """
SELECT id, transfer_id, operator_id, type, occurred_at, player_id, game_id, reference,
       cash_delta, bonus_delta, coins_delta
FROM (SELECT e.*, row_number() OVER (PARTITION BY operator_id ORDER BY id DESC) AS n
      FROM ledger_events e WHERE id BETWEEN $1 AND $2) x
WHERE n <= $3 ORDER BY operator_id, id DESC
"""


def transaction_json(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "transferId": row["transfer_id"],
        "type": row["type"],
        "occurredAt": row["occurred_at"].isoformat(),
        "playerId": row["player_id"],
        "gameId": row["game_id"],
        "reference": row["reference"],
        "amount": row["cash_delta"] + row["bonus_delta"] + row["coins_delta"],
        "cash": row["cash_delta"],
        "bonus": row["bonus_delta"],
        "coins": row["coins_delta"],
    }


async def publish_fold(conn: asyncpg.Connection, first_id: int, last_id: int) -> None:
    items: dict[int, list[dict[str, Any]]] = {}
    for row in await conn.fetch(_ITEMS, first_id, last_id, MAX_ITEMS):
        items.setdefault(row["operator_id"], []).append(transaction_json(row))
    for delta in await conn.fetch(_DELTAS, first_id, last_id):
        operator_id = delta["operator_id"]
        audience = realtime.operator_audience(operator_id)
        shown = items.get(operator_id, [])
        await realtime.publish(
            conn,
            audience=audience,
            topic="analytics.transactions",
            payload={"items": shown, "more": delta["events"] - len(shown)},
            operator_id=operator_id,
        )
        await realtime.publish(
            conn,
            audience=audience,
            topic="analytics.kpis",
            payload={
                "delta": {
                    "rounds": delta["rounds"],
                    "handle": delta["handle"],
                    "payout": delta["payout"],
                    "ggr": delta["ggr"],
                    "bonusCost": delta["bonus_cost"],
                    "ngr": delta["ngr"],
                    "deposits": delta["deposits"],
                    "withdrawals": delta["withdrawals"],
                },
                "ngrFormula": "handle - payout - bonuses",
                "latest": delta["latest"].isoformat(),
            },
            operator_id=operator_id,
        )
