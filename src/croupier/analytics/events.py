"""The normalised event stream: committed ledger transfers -> ``ledger_events``.

The tailer reads transfers by ``created_xid`` window ``[cursor, horizon)`` where the horizon is
the snapshot's xmin: every transaction below it has finished, so a transfer of a transaction
still in flight can never be skipped (its xid is >= the horizon and it is read next time).

Figures come from the most precise source for each kind of transfer:

* a builtin round (its transfers' reference is a ``bets.round_id``): the bet row, on the round's
  ``bet`` transfer; the round's other transfers (win, jackpot win, free-spin win) are display-only,
  so nothing is counted twice;
* a provider round: ``bet`` stakes the player's debit, ``win`` / ``jackpot_win`` /
  ``free_spin_win`` pay the credit, ``rollback`` reverses its bet at the bet's time and slice;
* everything else (deposits, withdrawals, bonuses, adjustments, vouchers) keeps the player's
  balance changes; the rollups read their meaning from ``type``.

RTP monitoring slices every round by game version and channel and needs, per round, the win
capped at C x stake and whether the win reached C x stake (jackpots excluded, like the observed
RTP). A builtin round has its stake and win on one bet row. A provider round may pay in several
transfers: each win adds min(prior + w, cap) - min(prior, cap) of capped win, where prior is the
round's earlier wins (folded before, or earlier in this batch) and cap is C x the round's stake,
and counts the large win on the transfer that reaches the cap, so the sums are exact per round.
"""

from __future__ import annotations

import asyncpg

from croupier.games.engine import CAP_MULTIPLE

_UUID = "'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'"
PLAYER_KINDS = ("player_cash", "player_bonus", "player_coins", "bonus_held")
PROVIDER_WIN_TYPES = ("win", "jackpot_win", "free_spin_win")
CAPPED_WIN_TYPES = ("win", "free_spin_win")  # the round's win; jackpots are monitored apart
# Internal book moves with no player side: nothing for the back office or the KPIs.
SKIPPED_TYPES = ("jackpot_contribution", "jackpot_settlement", "agent_float_fund")


def _player_side(kinds: str) -> str:
    """Per transfer ``t``: the player whose account it touches (``kinds``, a text[] parameter)
    and its cash, bonus and coins deltas, summed over its entries."""
    return f"""(
        SELECT min(a.owner_id) FILTER (WHERE a.kind = ANY({kinds}::text[])) AS player_id,
               coalesce(sum(e.amount) FILTER (WHERE a.kind = 'player_cash'), 0)::bigint AS cash,
               coalesce(sum(e.amount) FILTER (WHERE a.kind = 'player_bonus'), 0)::bigint
                   AS bonus,
               coalesce(sum(e.amount) FILTER (WHERE a.kind = 'player_coins'), 0)::bigint
                   AS coins
        FROM ledger_entries e
        -- Each entry's account by its key. As a plain join, the planner merge-joined the
        -- transfer's two entries with the accounts' key index read from its start, for every
        -- transfer: ≈ 33 accounts read a transfer among 200 (more with more accounts), a third
        -- of the normalising statement. OFFSET 0 keeps the subquery a look-up per entry.
        CROSS JOIN LATERAL (SELECT a.kind, a.owner_id FROM ledger_accounts a
                            WHERE a.id = e.account_id OFFSET 0) a
        WHERE e.transfer_id = t.id)"""


_NORMALISE = f"""
WITH t AS (
    SELECT t.id, t.operator_id, t.type, t.created_at, t.reference, t.metadata, t.reverses_id
    FROM ledger_transfers t
    WHERE t.created_xid >= $1::text::xid8 AND t.created_xid < $2::text::xid8 AND t.status = 'posted'
      AND t.type <> ALL($3::text[])
), src0 AS (
    SELECT t.*, l.cash, l.bonus, l.coins, b.id AS bet_id,
           coalesce(b.player_id, l.player_id) AS player_id,
           b.game_id AS bet_game, b.stake AS bet_stake, b.stake_cash AS bet_stake_cash,
           b.stake_bonus + b.stake_free AS bet_stake_bonus, b.win AS bet_win,
           b.jackpot_win AS bet_jackpot,
           b.jackpot_contribution AS bet_contribution, b.affiliate_share AS bet_affiliate,
           b.is_seeded AS bet_seeded, b.game_version AS bet_version, b.channel AS bet_channel,
           CASE WHEN b.id IS NULL AND t.metadata->>'game_id' ~ '^[0-9]{{1,9}}$'
                THEN (t.metadata->>'game_id')::int END AS provider_game,
           -- A provider win belongs to its round's stake level: the round's bets folded
           -- before, plus those in this batch.
           sum(CASE WHEN t.type = 'bet' THEN -(l.cash + l.bonus) END)
               OVER (PARTITION BY t.operator_id, t.reference) AS batch_round_stake,
           sum(CASE WHEN t.type = ANY($6::text[]) THEN l.cash + l.bonus END)
               OVER (PARTITION BY t.operator_id, t.reference ORDER BY t.id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS batch_prior_win
    FROM t
    -- Per transfer, along the entries' primary key: the window's row estimate is often far
    -- off (its newest rows are not in the statistics yet), and a join to an aggregate of the
    -- whole window then became a nested loop re-aggregating it for every transfer.
    CROSS JOIN LATERAL {_player_side("$4")} l
    -- The round's bet by its key, per transfer (OFFSET 0 as above): as a join, the planner
    -- hashed the whole bets table on every fold, a cost that grew with the table.
    LEFT JOIN LATERAL (
        SELECT * FROM bets b
        WHERE b.round_id = CASE WHEN t.reference ~ {_UUID} THEN t.reference::uuid END OFFSET 0
    ) b ON true
    WHERE t.type <> 'rollback'
), src AS (
    -- The transfer that paid a builtin round's stake carries the round's figures: 'bet', or
    -- 'free_spin_bet' when the operator paid it (a free spin).
    SELECT x.*, x.bet_id IS NOT NULL AND x.type IN ('bet', 'free_spin_bet') AS round_stake
    FROM src0 x
), rounds AS (
    SELECT s.id, r.stake, $7::bigint * r.stake AS cap,
           coalesce(s.batch_prior_win, 0) + r.prior_win AS prior_win,
           CASE WHEN s.type = ANY($6::text[]) THEN s.cash + s.bonus ELSE 0 END AS win
    FROM src s CROSS JOIN LATERAL (
        SELECT coalesce(s.batch_round_stake, 0)
                   + coalesce(sum(e.stake) FILTER (WHERE e.type = 'bet'), 0) AS stake,
               coalesce(sum(e.win) FILTER (WHERE e.type = ANY($6::text[])), 0) AS prior_win
        FROM ledger_events e
        WHERE e.operator_id = s.operator_id AND e.round_ref = s.reference
          AND e.round_ref IS NOT NULL) r
    WHERE s.provider_game IS NOT NULL AND s.type = ANY($5::text[])
), wins AS (
    SELECT id, an_stake_level(stake::bigint) AS level,
           least(prior_win + win, cap) - least(prior_win, cap) AS capped_win,
           CASE WHEN cap > 0 AND prior_win < cap AND prior_win + win >= cap
                THEN 1 ELSE 0 END AS large_wins
    FROM rounds
)
INSERT INTO ledger_events (
    transfer_id, operator_id, type, occurred_at, fact_at, player_id, game_id, round_ref,
    reference, cash_delta, bonus_delta, coins_delta, rounds, stake, stake_cash, stake_bonus,
    win, jackpot_win, jackpot_contribution, affiliate_share, stake_level, agent_id, cashier_id,
    region, is_seeded, game_version, channel, capped_win, large_wins)
SELECT s.id, s.operator_id, s.type, s.created_at, s.created_at, s.player_id,
       coalesce(s.bet_game, s.provider_game),
       CASE WHEN s.provider_game IS NOT NULL THEN s.reference END,
       s.reference, coalesce(s.cash, 0), coalesce(s.bonus, 0), coalesce(s.coins, 0),
       CASE WHEN s.round_stake OR (s.type = 'bet' AND s.provider_game IS NOT NULL)
            THEN 1 ELSE 0 END,
       CASE WHEN s.bet_id IS NOT NULL THEN CASE WHEN s.round_stake THEN s.bet_stake ELSE 0 END
            WHEN s.type = 'bet' AND s.provider_game IS NOT NULL THEN -(s.cash + s.bonus)
            ELSE 0 END,
       CASE WHEN s.bet_id IS NOT NULL THEN CASE WHEN s.round_stake THEN s.bet_stake_cash ELSE 0 END
            WHEN s.type = 'bet' AND s.provider_game IS NOT NULL THEN -s.cash ELSE 0 END,
       CASE WHEN s.bet_id IS NOT NULL THEN CASE WHEN s.round_stake THEN s.bet_stake_bonus ELSE 0 END
            WHEN s.type = 'bet' AND s.provider_game IS NOT NULL THEN -s.bonus ELSE 0 END,
       CASE WHEN s.bet_id IS NOT NULL THEN CASE WHEN s.round_stake THEN s.bet_win ELSE 0 END
            WHEN s.type IN ('win', 'free_spin_win') AND s.provider_game IS NOT NULL
                THEN s.cash + s.bonus
            ELSE 0 END,
       CASE WHEN s.bet_id IS NOT NULL THEN CASE WHEN s.round_stake THEN s.bet_jackpot ELSE 0 END
            WHEN s.type = 'jackpot_win' AND s.provider_game IS NOT NULL THEN s.cash + s.bonus
            ELSE 0 END,
       CASE WHEN s.round_stake THEN s.bet_contribution ELSE 0 END,
       CASE WHEN s.round_stake THEN s.bet_affiliate ELSE 0 END,
       CASE WHEN s.bet_id IS NOT NULL THEN an_stake_level(s.bet_stake)
            WHEN s.type = 'bet' AND s.provider_game IS NOT NULL
                THEN an_stake_level(-(s.cash + s.bonus))
            ELSE coalesce(w.level, 0) END,
       coalesce(p.agent_id, 0), coalesce(p.cashier_id, 0), coalesce(p.region, ''),
       coalesce(s.bet_seeded, p.is_bot, false),
       -- Until the spin path records its bet's version, the catalogue's at fold time stands in.
       coalesce(s.bet_version, g.version, 0),
       CASE WHEN s.bet_id IS NOT NULL THEN s.bet_channel
            WHEN s.provider_game IS NOT NULL THEN 'provider' ELSE '' END,
       CASE WHEN s.round_stake THEN least(s.bet_win, $7::bigint * s.bet_stake)
            ELSE coalesce(w.capped_win, 0) END,
       CASE WHEN s.round_stake THEN (s.bet_win >= $7::bigint * s.bet_stake)::int
            ELSE coalesce(w.large_wins, 0) END
FROM src s
LEFT JOIN wins w ON w.id = s.id
LEFT JOIN games g ON g.id = coalesce(s.bet_game, s.provider_game)
LEFT JOIN players p ON p.id = s.player_id
WHERE s.player_id IS NOT NULL OR s.bet_id IS NOT NULL OR s.type LIKE 'voucher%'
ORDER BY s.id
"""

# A rollback reverses its bet where the bet was counted: same time, game, level and slice.
_ROLLBACKS = f"""
INSERT INTO ledger_events (
    transfer_id, operator_id, type, occurred_at, fact_at, player_id, game_id, round_ref,
    reference, cash_delta, bonus_delta, coins_delta, rounds, stake, stake_cash, stake_bonus,
    stake_level, agent_id, cashier_id, region, is_seeded, game_version, channel)
SELECT t.id, t.operator_id, t.type, t.created_at, coalesce(b.fact_at, t.created_at),
       coalesce(b.player_id, l.player_id), b.game_id, b.round_ref, t.reference,
       coalesce(l.cash, 0), coalesce(l.bonus, 0), 0,
       CASE WHEN b.id IS NULL THEN 0 ELSE -1 END,
       CASE WHEN b.id IS NULL THEN 0 ELSE -(coalesce(l.cash, 0) + coalesce(l.bonus, 0)) END,
       CASE WHEN b.id IS NULL THEN 0 ELSE -coalesce(l.cash, 0) END,
       CASE WHEN b.id IS NULL THEN 0 ELSE -coalesce(l.bonus, 0) END,
       coalesce(b.stake_level, 0), coalesce(b.agent_id, 0), coalesce(b.cashier_id, 0),
       coalesce(b.region, ''), coalesce(b.is_seeded, false), coalesce(b.game_version, 0),
       coalesce(b.channel, '')
FROM ledger_transfers t
LEFT JOIN LATERAL {_player_side("$3")} l ON true
LEFT JOIN ledger_events b ON b.transfer_id = t.reverses_id AND b.type = 'bet'
WHERE t.created_xid >= $1::text::xid8 AND t.created_xid < $2::text::xid8 AND t.status = 'posted'
  AND t.type = 'rollback'
ORDER BY t.id
"""


def normalise_arguments(lo_xid: str, hi_xid: str) -> tuple[object, ...]:
    """The normalising statement's parameters for the window [lo, hi)."""
    return (
        lo_xid,
        hi_xid,
        list(SKIPPED_TYPES),
        list(PLAYER_KINDS),
        list(PROVIDER_WIN_TYPES),
        list(CAPPED_WIN_TYPES),
        CAP_MULTIPLE,
    )


async def normalise(conn: asyncpg.Connection, lo_xid: str, hi_xid: str) -> tuple[int, int] | None:
    """Append the events of transfers with created_xid in [lo, hi); returns the id range of the
    appended events, or None if there were none."""
    start = await conn.fetchval("SELECT coalesce(max(id), 0) + 1 FROM ledger_events")
    await conn.execute(_NORMALISE, *normalise_arguments(lo_xid, hi_xid))
    await conn.execute(_ROLLBACKS, lo_xid, hi_xid, list(PLAYER_KINDS))
    end = await conn.fetchval("SELECT max(id) FROM ledger_events WHERE id >= $1", start)
    return (start, end) if end is not None else None
