"""The bonuses domain's API for other domains: the spin's hooks, the payment and VIP events,
and the grant listings."""

from __future__ import annotations

from functools import partial

import asyncpg

from croupier.bonuses import queries as q
from croupier.bonuses.free_spins import FreeSpin, settle_free_spin
from croupier.bonuses.lifecycle import (
    deposit_rule_for_code,
    expire_due,
    forfeit_for_withdrawal,
    grant_cashback,
    grant_vip_free_spins,
    on_deposit_completed,
    on_deposit_reversed,
)
from croupier.bonuses.spin_entry import BulkEntry, SpinBonuses, open_spin, peek_spins
from croupier.bonuses.wagering import deposit_wagering_remaining, record_wager
from croupier.kit.pagination import fetch_page
from croupier.kit.tenancy import Scope

__all__ = [
    "BulkEntry",
    "FreeSpin",
    "SpinBonuses",
    "deposit_rule_for_code",
    "deposit_wagering_remaining",
    "expire_due",
    "forfeit_for_withdrawal",
    "grant_cashback",
    "grant_vip_free_spins",
    "list_grants",
    "on_deposit_completed",
    "on_deposit_reversed",
    "open_spin",
    "peek_spins",
    "record_wager",
    "settle_free_spin",
]

OPEN = ["active", "queued"]


async def list_grants(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    player_id: int | None = None,
    statuses: list[str] | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[asyncpg.Record], str | None]:
    return await fetch_page(
        partial(q.list_grants, conn, scope), cursor, limit, player_id=player_id, statuses=statuses
    )
