"""The voucher funnel per voucher, folded from the event stream.

Names from croupier.vouchers.money: ``voucher_issue`` (one transfer per issued batch, so the
vouchers are read from the batch it paid for), ``voucher_redeem`` and ``voucher_bonus_grant``
(reference ``voucher:<id>``). The first bet is the redeeming player's first round after the
redemption. Attribution is the issuer's (agent, cashier, region of the voucher: first touch).
"""

from __future__ import annotations

import asyncpg

ISSUE, REDEEM, BONUS = "voucher_issue", "voucher_redeem", "voucher_bonus_grant"
_VOUCHER_REF = r"'^voucher:[0-9]{1,18}$'"

_ISSUED = f"""
INSERT INTO an_vouchers (voucher_id, operator_id, agent_id, cashier_id, region, issued_at)
SELECT v.id, v.operator_id, v.agent_id, coalesce(v.cashier_id, 0), coalesce(v.region, ''),
       e.occurred_at
FROM ledger_events e
JOIN voucher_batches b ON b.transfer_id = e.transfer_id AND b.operator_id = e.operator_id
JOIN vouchers v ON v.batch_id = b.id
WHERE e.id BETWEEN $1 AND $2 AND e.type = '{ISSUE}'
ON CONFLICT (voucher_id) DO NOTHING
"""

_REDEEMED = f"""
UPDATE an_vouchers a SET player_id = e.player_id, redeemed_at = e.occurred_at
FROM ledger_events e
WHERE e.id BETWEEN $1 AND $2 AND e.type = '{REDEEM}' AND a.operator_id = e.operator_id
  AND a.voucher_id = CASE WHEN e.reference ~ {_VOUCHER_REF}
                          THEN substr(e.reference, 9)::bigint END
"""

_BONUSED = f"""
UPDATE an_vouchers a SET bonus_at = e.occurred_at
FROM ledger_events e
WHERE e.id BETWEEN $1 AND $2 AND e.type = '{BONUS}' AND a.operator_id = e.operator_id
  AND a.voucher_id = CASE WHEN e.reference ~ {_VOUCHER_REF}
                          THEN substr(e.reference, 9)::bigint END
"""

_FIRST_BETS = """
UPDATE an_vouchers a SET first_bet_at = f.first_at
FROM (SELECT e.player_id, min(e.fact_at) AS first_at FROM ledger_events e
      WHERE e.id BETWEEN $1 AND $2 AND e.rounds > 0 AND e.player_id IS NOT NULL
      GROUP BY e.player_id) f
WHERE a.player_id = f.player_id AND a.first_bet_at IS NULL AND f.first_at >= a.redeemed_at
"""


async def fold(conn: asyncpg.Connection, first_id: int, last_id: int) -> None:
    await conn.execute(_ISSUED, first_id, last_id)
    await conn.execute(_REDEEMED, first_id, last_id)
    await conn.execute(_BONUSED, first_id, last_id)
    await conn.execute(_FIRST_BETS, first_id, last_id)
