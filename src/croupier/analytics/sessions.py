"""Play sessions from the event stream: a player's rounds split at 30 minutes of inactivity.

The fold groups a batch's rounds per player at the gaps, then the player's first group either
extends their latest session (it started within 30 minutes of that session's edges) or opens a
new one, like every later group. One statement, so a batch is folded whole or not at all.
"""

from __future__ import annotations

import asyncpg

GAP = "30 minutes"

_FOLD = f"""
WITH ev AS (
    SELECT e.operator_id, e.player_id, e.fact_at, greatest(e.rounds, 0) AS rounds, e.stake,
           e.win + e.jackpot_win AS payout, e.agent_id, e.cashier_id, e.region, e.is_seeded
    FROM ledger_events e
    WHERE e.id BETWEEN $1 AND $2 AND e.player_id IS NOT NULL
      AND (e.rounds > 0 OR e.win <> 0 OR e.jackpot_win <> 0)
), marked AS (
    SELECT ev.*, CASE WHEN fact_at - lag(fact_at) OVER w > interval '{GAP}' THEN 1 ELSE 0 END
               AS gap_before
    FROM ev WINDOW w AS (PARTITION BY player_id ORDER BY fact_at)
), grouped AS (
    SELECT marked.*, sum(gap_before) OVER (PARTITION BY player_id ORDER BY fact_at
                                           ROWS UNBOUNDED PRECEDING) AS grp
    FROM marked
), groups AS (
    SELECT operator_id, player_id, grp, min(fact_at) AS started_at, max(fact_at) AS last_at,
           sum(rounds) AS rounds, sum(stake) AS stake, sum(payout) AS payout,
           max(agent_id) AS agent_id, max(cashier_id) AS cashier_id, max(region) AS region,
           bool_or(is_seeded) AS is_seeded
    FROM grouped GROUP BY operator_id, player_id, grp
), latest AS (
    SELECT DISTINCT ON (s.player_id) s.id, s.player_id, s.started_at, s.last_at
    FROM session_snapshots s
    WHERE s.player_id IN (SELECT player_id FROM groups)
    ORDER BY s.player_id, s.last_at DESC
), merged AS (
    UPDATE session_snapshots s
       SET started_at = least(s.started_at, g.started_at),
           last_at = greatest(s.last_at, g.last_at),
           rounds = s.rounds + g.rounds, stake = s.stake + g.stake, payout = s.payout + g.payout
    FROM groups g JOIN latest l ON l.player_id = g.player_id
    WHERE s.id = l.id AND g.grp = 0
      AND g.started_at <= l.last_at + interval '{GAP}'
      AND g.last_at >= l.started_at - interval '{GAP}'
    RETURNING g.player_id
)
INSERT INTO session_snapshots (operator_id, player_id, started_at, last_at, rounds, stake, payout,
                               agent_id, cashier_id, region, is_seeded)
SELECT operator_id, player_id, started_at, last_at, rounds, stake, payout, agent_id, cashier_id,
       region, is_seeded
FROM groups g
WHERE NOT (g.grp = 0 AND g.player_id IN (SELECT player_id FROM merged))
"""


async def fold(conn: asyncpg.Connection, first_id: int, last_id: int) -> None:
    await conn.execute(_FOLD, first_id, last_id)
