"""Fold a range of ``ledger_events`` into the derived tables, set-based and additive.

Each statement reads the range by primary key and upserts sums, so folding N events costs a few
statements whatever N is, and the tables stay exact however the events are batched. The same
code folds the live tail and the benchmark's bulk history.
"""

from __future__ import annotations

import asyncpg

from croupier.analytics import funnel_fold, sessions
from croupier.analytics.kpis import Sums

# What each event type means for the cash-flow figures (amounts from the player's side).
DEPOSIT_TYPES = ("deposit",)
WITHDRAWAL_TYPES = ("withdrawal_post",)
WITHDRAWAL_RETURN_TYPES = ("withdrawal_return",)
BONUS_GRANT_TYPES = ("bonus_grant", "voucher_bonus_grant")
BONUS_CONVERT_TYPES = ("bonus_convert",)
CASHBACK_TYPES = ("vip_cashback",)
ADJUSTMENT_TYPES = ("adjustment",)

_MEASURES = list(Sums.__dataclass_fields__)  # the rollup columns, in Sums order

_ROLLUPS = f"""
INSERT INTO an_rollups (operator_id, grain, ts, game_id, stake_level, agent_id, cashier_id,
                        region, is_seeded, game_version, channel, {", ".join(_MEASURES)})
SELECT e.operator_id, g.grain, an_trunc(g.grain, e.fact_at), coalesce(e.game_id, 0),
       e.stake_level, e.agent_id, e.cashier_id, e.region, e.is_seeded, e.game_version, e.channel,
       sum(e.rounds), sum(e.stake), sum(e.stake_cash), sum(e.stake_bonus),
       sum(e.rounds * e.stake::float8 * e.stake),
       sum(e.win), sum(e.jackpot_win), sum(e.jackpot_contribution),
       sum(e.stake * (1 - coalesce(c.expected_rtp, gm.rtp, 1))),
       sum(e.affiliate_share),
       count(*) FILTER (WHERE e.rounds < 0),
       coalesce(-sum(e.stake) FILTER (WHERE e.rounds < 0), 0),
       count(*) FILTER (WHERE e.type = ANY($3::text[])),
       coalesce(sum(e.cash_delta) FILTER (WHERE e.type = ANY($3::text[])), 0),
       count(f.player_id), coalesce(sum(f.first_deposit_amount), 0),
       count(*) FILTER (WHERE e.type = ANY($4::text[]))
           - count(*) FILTER (WHERE e.type = ANY($5::text[])),
       coalesce(-sum(e.cash_delta)
                FILTER (WHERE e.type = ANY($4::text[]) OR e.type = ANY($5::text[])), 0),
       coalesce(sum(e.bonus_delta + e.cash_delta) FILTER (WHERE e.type = ANY($6::text[])), 0),
       coalesce(sum(e.cash_delta) FILTER (WHERE e.type = ANY($7::text[])), 0),
       coalesce(sum(e.cash_delta) FILTER (WHERE e.type = ANY($8::text[])), 0),
       coalesce(sum(e.cash_delta + e.bonus_delta + e.coins_delta)
                FILTER (WHERE e.type = ANY($9::text[])), 0),
       sum(e.capped_win), sum(e.large_wins)
FROM ledger_events e
CROSS JOIN (VALUES (0::smallint), (1::smallint), (2::smallint)) g(grain)
LEFT JOIN game_configs c ON c.game_id = e.game_id
LEFT JOIN games gm ON gm.id = e.game_id
LEFT JOIN an_players f ON f.first_deposit_event = e.id
WHERE e.id BETWEEN $1 AND $2
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
ON CONFLICT (operator_id, grain, ts, game_id, stake_level, agent_id, cashier_id, region, is_seeded,
             game_version, channel)
DO UPDATE SET {", ".join(f"{m} = an_rollups.{m} + excluded.{m}" for m in _MEASURES)}
"""

_ACTIVITY = """
INSERT INTO an_player_activity (operator_id, grain, ts, player_id, game_id, agent_id,
                                cashier_id, region, is_seeded, rounds, stake, stake_bonus, win,
                                jackpot_win, affiliate_share, deposits)
SELECT e.operator_id, g.grain, an_trunc(g.grain, e.fact_at), e.player_id, coalesce(e.game_id, 0),
       max(e.agent_id), max(e.cashier_id), max(e.region), bool_or(e.is_seeded),
       sum(e.rounds), sum(e.stake), sum(e.stake_bonus), sum(e.win), sum(e.jackpot_win),
       sum(e.affiliate_share), count(*) FILTER (WHERE e.type = ANY($3::text[]))
FROM ledger_events e
CROSS JOIN (VALUES (0::smallint), (1::smallint), (2::smallint)) g(grain)
WHERE e.id BETWEEN $1 AND $2 AND e.player_id IS NOT NULL
  AND (e.rounds <> 0 OR e.win <> 0 OR e.jackpot_win <> 0 OR e.type = ANY($3::text[]))
GROUP BY 1, 2, 3, 4, 5
ON CONFLICT (operator_id, grain, ts, player_id, game_id) DO UPDATE SET
    rounds = an_player_activity.rounds + excluded.rounds,
    stake = an_player_activity.stake + excluded.stake,
    stake_bonus = an_player_activity.stake_bonus + excluded.stake_bonus,
    win = an_player_activity.win + excluded.win,
    jackpot_win = an_player_activity.jackpot_win + excluded.jackpot_win,
    affiliate_share = an_player_activity.affiliate_share + excluded.affiliate_share,
    deposits = an_player_activity.deposits + excluded.deposits
"""

# Every player seen gets a row (registration time from the players table); the first deposit
# and first bet are kept once; revenue goes into each window after registration it falls in.
# NGR = handle - payout - bonus stakes = cash stakes - payout.
_PLAYERS = """
WITH ev AS (
    SELECT e.operator_id, e.player_id, p.created_at AS registered_at,
           min(e.fact_at) FILTER (WHERE e.rounds > 0) AS first_bet_at,
           max(e.fact_at) FILTER (WHERE e.rounds > 0) AS last_bet_at,
           (array_agg(e.id ORDER BY e.fact_at, e.id)
                FILTER (WHERE e.type = ANY($3::text[]) AND e.cash_delta > 0))[1] AS dep_event,
           (array_agg(e.fact_at ORDER BY e.fact_at, e.id)
                FILTER (WHERE e.type = ANY($3::text[]) AND e.cash_delta > 0))[1] AS dep_at,
           (array_agg(e.cash_delta ORDER BY e.fact_at, e.id)
                FILTER (WHERE e.type = ANY($3::text[]) AND e.cash_delta > 0))[1] AS dep_amount,
           {windows}
    FROM ledger_events e JOIN players p ON p.id = e.player_id
    WHERE e.id BETWEEN $1 AND $2 AND e.player_id IS NOT NULL
    GROUP BY e.operator_id, e.player_id, p.created_at
)
INSERT INTO an_players AS a (player_id, operator_id, registered_at, first_deposit_at,
                             first_deposit_amount, first_deposit_event, first_bet_at,
                             last_active_at, {columns})
SELECT player_id, operator_id, registered_at, dep_at, dep_amount, dep_event, first_bet_at,
       last_bet_at, {columns}
FROM ev
ON CONFLICT (player_id) DO UPDATE SET
    first_deposit_at = coalesce(a.first_deposit_at, excluded.first_deposit_at),
    first_deposit_amount = coalesce(a.first_deposit_amount, excluded.first_deposit_amount),
    first_deposit_event = coalesce(a.first_deposit_event, excluded.first_deposit_event),
    first_bet_at = least(a.first_bet_at, excluded.first_bet_at),
    last_active_at = greatest(a.last_active_at, excluded.last_active_at),
    {updates}
"""
LTV_DAYS = (7, 30, 90, 180, 365)


def _players_sql() -> str:
    windows, columns = [], []
    for measure, expr in (
        ("ngr", "e.stake_cash - e.win - e.jackpot_win"),
        ("ggr", "e.stake - e.win - e.jackpot_win"),
    ):
        for days in LTV_DAYS:
            column = f"{measure}_d{days}"
            windows.append(
                f"coalesce(sum({expr}) FILTER (WHERE e.fact_at < p.created_at"
                f" + interval '{days} days'), 0) AS {column}"
            )
            columns.append(column)
        windows.append(f"sum({expr}) AS {measure}_all")
        columns.append(f"{measure}_all")
    updates = ", ".join(f"{c} = a.{c} + excluded.{c}" for c in columns)
    return _PLAYERS.format(
        windows=",\n           ".join(windows), columns=", ".join(columns), updates=updates
    )


_PLAYERS_SQL = _players_sql()


async def custom_plans(conn: asyncpg.Connection) -> None:
    """Plan each fold statement for its actual id range (a cached generic plan cannot see that
    ``id >= $1`` selects only the newest rows), and keep it on indexes: every fold statement is
    a key or range lookup by design, and a freshly loaded table's stale statistics (bets "empty")
    must not turn a lookup per transfer into a scan per transfer."""
    await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
    await conn.execute("SET LOCAL enable_seqscan = off")


async def fold_events(conn: asyncpg.Connection, first_id: int, last_id: int) -> None:
    """Fold events ``first_id..last_id`` (inclusive) into every derived table."""
    await custom_plans(conn)
    await conn.execute(_PLAYERS_SQL, first_id, last_id, list(DEPOSIT_TYPES))
    await conn.execute(
        _ROLLUPS,
        first_id,
        last_id,
        list(DEPOSIT_TYPES),
        list(WITHDRAWAL_TYPES),
        list(WITHDRAWAL_RETURN_TYPES),
        list(BONUS_GRANT_TYPES),
        list(BONUS_CONVERT_TYPES),
        list(CASHBACK_TYPES),
        list(ADJUSTMENT_TYPES),
    )
    await conn.execute(_ACTIVITY, first_id, last_id, list(DEPOSIT_TYPES))
    await sessions.fold(conn, first_id, last_id)
    await funnel_fold.fold(conn, first_id, last_id)
