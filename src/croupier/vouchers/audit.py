"""The voucher invariants the ledger audit cannot see on its own (reference/ledger.md §7.8):
each agent's voucher liability equals the value of its active vouchers, and each player's held
bonus equals the player's vouchers' bonuses still held."""

from __future__ import annotations

import asyncpg

from croupier.vouchers import money, player_queries, queries


async def voucher_mismatches(conn: asyncpg.Connection, operator_id: int | None = None) -> list[str]:
    """Offenders as ``agent:<id>`` / ``player:<id>``; empty when the books agree."""
    offenders = []
    for row in await queries.liability_by_agent(conn, operator_id):
        _, owed = await money.agent_balances(
            conn, operator_id=row["operator_id"], agent_id=row["agent_id"], currency=row["currency"]
        )
        if owed != row["expected"]:
            offenders.append(f"agent:{row['agent_id']}")
    for row in await player_queries.held_bonus_totals(conn, operator_id):
        held = await money.held_bonus_balance(
            conn,
            operator_id=row["operator_id"],
            player_id=row["player_id"],
            currency=row["currency"],
        )
        if held != (row["expected"] or 0):
            offenders.append(f"player:{row['player_id']}")
    return offenders
