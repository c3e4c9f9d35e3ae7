"""The platform as the pipeline's data source: one operator's data as the four seed-004 CSVs.

What each file holds (columns as in :mod:`croupier.engagement.pipeline.schema`):

* ``confirmed_purchases.csv`` (the gateway side): every posted ledger transfer of type
  ``deposit`` into a player's cash, as a captured payment (``psp_txn_id`` = ``order_id`` =
  the transfer id, ``authorized_at`` = ``captured_at`` = its time); and each reversal of one
  (a ``deposit_reversal`` with the deposit's reference, or a ledger reversal of it) as a
  ``chargeback`` (payments' status CHARGED_BACK) or a ``refund``. Read from the ledger, not
  the payments tables, so any way money came in counts and the payments domain may change.
* ``purchases_raw.csv`` (the attribution side): the same deposits, as our attribution would
  report them, for players linked to a click, made at or after that link. The player's
  earliest linked click is their campaign and the link time their install time. Deposits
  of unattributed players, or before the link, are gateway-only: PG_ONLY, organic, as B4.2
  defines unattributed revenue.
* ``sessions.csv``: activity (bets, player logins, custom events) split into sessions at
  30 minutes of inactivity (analytics.md B1), with the player's campaign when attributed.
* ``costs_daily.csv``: the ``ad_costs`` rows.

All four are read in one REPEATABLE READ snapshot, so a deposit cannot appear on one side
and not the other. Only ``since`` onwards is exported (clicks excepted: an install may be
older than the window). Money and times are exported as minor units and UTC ISO-8601.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import asyncpg

from croupier.engagement.pipeline import schema


def _utc(column: str) -> str:
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


# The player's campaign: their earliest linked click.
_ATTRIBUTION = """
attribution AS (
    SELECT DISTINCT ON (player_id) player_id, click_id, media_source, campaign, adset, linked_at
    FROM engagement_clicks WHERE operator_id = $1 AND player_id IS NOT NULL
    ORDER BY player_id, linked_at, id
)"""

_DEPOSITS = """
deposits AS (
    SELECT t.id, t.created_at, t.reference, a.owner_id AS player_id, e.amount, e.currency
    FROM ledger_transfers t
    JOIN ledger_entries e ON e.transfer_id = t.id AND e.amount > 0
    JOIN ledger_accounts a ON a.id = e.account_id AND a.kind = 'player_cash'
    WHERE t.operator_id = $1 AND t.type = 'deposit' AND t.status = 'posted'
      AND t.created_at >= $2
)"""

PURCHASES_SQL = f"""
WITH {_ATTRIBUTION}, {_DEPOSITS}
SELECT 'dep-' || d.id AS event_id, at.click_id AS appsflyer_id, d.player_id AS customer_user_id,
       {_utc("d.created_at")} AS event_time, d.amount AS revenue_minor, d.currency,
       d.id AS order_id, at.media_source, at.campaign, at.adset,
       {_utc("at.linked_at")} AS install_time
FROM deposits d JOIN attribution at ON at.player_id = d.player_id AND at.linked_at <= d.created_at
ORDER BY d.id"""

GATEWAY_SQL = f"""
WITH {_DEPOSITS}
SELECT d.id AS psp_txn_id, 'payment' AS kind, NULL AS original_psp_txn_id, d.id AS order_id,
       d.player_id, d.amount AS amount_minor, d.currency, 'captured' AS status,
       {_utc("d.created_at")} AS authorized_at, {_utc("d.created_at")} AS captured_at
FROM deposits d
UNION ALL
SELECT r.id, CASE WHEN r.metadata->>'status' = 'CHARGED_BACK' THEN 'chargeback' ELSE 'refund' END,
       d.id, NULL, d.player_id, d.amount, d.currency, 'succeeded',
       {_utc("r.created_at")}, {_utc("r.created_at")}
FROM ledger_transfers r
JOIN deposits d ON r.reverses_id = d.id
                OR (r.type = 'deposit_reversal' AND r.reference = d.reference)
WHERE r.operator_id = $1 AND r.status = 'posted' AND r.created_at >= $2
  AND (r.reverses_id IS NOT NULL OR r.type = 'deposit_reversal')
ORDER BY 1"""

SESSIONS_SQL = f"""
WITH {_ATTRIBUTION},
activity AS (
    SELECT player_id, created_at AS ts FROM bets WHERE operator_id = $1 AND created_at >= $2
    UNION ALL
    SELECT subject_id, created_at FROM auth_sessions
    WHERE subject_type = 'player' AND operator_id = $1 AND created_at >= $2
    UNION ALL
    SELECT player_id, server_ts FROM engagement_events WHERE operator_id = $1 AND server_ts >= $2
),
marked AS (
    SELECT player_id, ts,
           CASE WHEN ts - lag(ts) OVER w <= interval '30 minutes' THEN 0 ELSE 1 END AS opens
    FROM activity WINDOW w AS (PARTITION BY player_id ORDER BY ts)
),
numbered AS (
    SELECT player_id, ts,
           sum(opens) OVER (PARTITION BY player_id ORDER BY ts ROWS UNBOUNDED PRECEDING) AS n
    FROM marked
)
SELECT s.player_id, {_utc("min(s.ts)")} AS session_start, {_utc("max(s.ts)")} AS session_end,
       at.media_source, at.campaign, at.adset
FROM numbered s LEFT JOIN attribution at ON at.player_id = s.player_id
GROUP BY s.player_id, s.n, at.media_source, at.campaign, at.adset
ORDER BY min(s.ts), s.player_id"""

COSTS_SQL = """
SELECT day AS date, media_source, campaign, adset, spend_minor, currency
FROM ad_costs WHERE operator_id = $1 AND day >= ($2::timestamptz AT TIME ZONE 'UTC')::date
ORDER BY day, media_source, campaign, adset"""

_FILES = {
    schema.PURCHASES_FILE: PURCHASES_SQL,
    schema.GATEWAY_FILE: GATEWAY_SQL,
    schema.SESSIONS_FILE: SESSIONS_SQL,
    schema.COSTS_FILE: COSTS_SQL,
}


@dataclass(frozen=True, slots=True)
class Export:
    data_dir: Path
    rows: dict[str, int]  # file name -> data rows written


async def export(pool: asyncpg.Pool, *, operator_id: int, since: datetime, into: Path) -> Export:
    """Write the operator's four input files into ``into`` (which must exist)."""
    rows: dict[str, int] = {}
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        for name, sql in _FILES.items():
            status = await conn.copy_from_query(
                sql, operator_id, since, output=into / name, format="csv", header=True
            )
            rows[name] = int(status.rsplit(" ", 1)[-1])
    return Export(into, rows)
