"""POST /casino/getBalance: the authoritative balance; read-only and never cached (§2.3 rule 5)."""

from __future__ import annotations

import asyncpg

from croupier.providers.schemas import BalanceIn
from croupier.providers.service import money
from croupier.providers.service.context import Caller, resolve_player, session_for
from croupier.providers.service.outcomes import Outcome
from croupier.providers.wire import stringify


async def get_balance(conn: asyncpg.Connection, caller: Caller, body: BalanceIn) -> Outcome:
    player = await resolve_player(conn, caller, body.user_id, with_status=False)
    session = session_for(caller, player, staking=True)
    balance = await money.available_balance(conn, player.operator_id, player.id, session.currency)
    return Outcome(
        200,
        stringify({"userId": player.id, "balance": str(balance), "currency": session.currency}),
    )
