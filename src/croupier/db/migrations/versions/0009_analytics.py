"""Analytics: the normalised event stream, incremental rollups, sessions, RTP configs, API errors.

``ledger_events`` is filled by the analytics tailer (croupier.analytics.worker) from committed
ledger transfers, never by the money paths, so a spin pays nothing for analytics. Every other
table here is derived from it, incrementally, in the same transaction that appends the events.

Rollups hold three grains (0 = 15 minutes, 1 = hour, 2 = day, all UTC). A query decomposes each
local-time bucket into the coarsest whole UTC intervals it contains, so day and week buckets in
any zone (DST, +05:30, +05:45) are exact and still read few rows.

Revision ID: 0009_analytics
Revises: 0008_vouchers
Create Date: 2026-11-23
"""

from croupier.db.migration_sql import execute_script

revision = "0009_analytics"
down_revision = "0008_vouchers"
branch_labels = None
depends_on = None

FUNCTIONS = """
-- The start of the grain interval holding ts (UTC).
CREATE FUNCTION an_trunc(p_grain smallint, p_ts timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE p_grain
        WHEN 0 THEN date_bin('15 minutes', p_ts, timestamptz '2000-01-01 00:00:00+00')
        WHEN 1 THEN date_trunc('hour', p_ts, 'UTC')
        ELSE date_trunc('day', p_ts, 'UTC')
    END
$$;

-- Stake levels for RTP monitoring: a 1-2-5 series of bands (1 = [1, 2), 2 = [2, 5), 3 = [5, 10),
-- 4 = [10, 20) ...); 0 = not a stake.
CREATE FUNCTION an_stake_level(p_stake bigint) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_stake IS NULL OR p_stake <= 0 THEN 0 ELSE (
        3 * (length(p_stake::text) - 1)
        + CASE WHEN left(p_stake::text, 1)::int >= 5 THEN 3
               WHEN left(p_stake::text, 1)::int >= 2 THEN 2 ELSE 1 END
    ) END::smallint
$$;
"""

TABLES = """
-- The tailer's watermark: every ledger transfer with created_xid < xid_cursor is folded.
CREATE TABLE an_state (
    id              smallint PRIMARY KEY CHECK (id = 1),
    xid_cursor      xid8 NOT NULL,
    folded_at       timestamptz,
    last_event_at   timestamptz
);
INSERT INTO an_state (id, xid_cursor) VALUES (1, '1'::xid8);

-- The tailer reads transfers by xid window; without this it would scan the whole table.
CREATE INDEX ledger_transfers_created_xid ON ledger_transfers (created_xid);

-- One row per posted transfer that touches a player (or a voucher), with the player's
-- attribution at fold time and the figures it contributes (zero for display-only rows, e.g. the
-- win transfer of a builtin round whose bet row already carries the win).
CREATE TABLE ledger_events (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transfer_id           bigint UNIQUE,
    operator_id           integer NOT NULL,
    type                  text NOT NULL,
    occurred_at           timestamptz NOT NULL,
    fact_at               timestamptz NOT NULL,  -- a rollback counts at its bet's time
    player_id             bigint,
    game_id               integer,
    round_ref             text,  -- provider rounds only: finds the stake a win belongs to
    reference             text,
    cash_delta            bigint NOT NULL DEFAULT 0,
    bonus_delta           bigint NOT NULL DEFAULT 0,
    coins_delta           bigint NOT NULL DEFAULT 0,
    rounds                smallint NOT NULL DEFAULT 0,  -- +1 a bet, -1 a rollback
    stake                 bigint NOT NULL DEFAULT 0,
    stake_cash            bigint NOT NULL DEFAULT 0,
    stake_bonus           bigint NOT NULL DEFAULT 0,
    win                   bigint NOT NULL DEFAULT 0,
    jackpot_win           bigint NOT NULL DEFAULT 0,
    jackpot_contribution  bigint NOT NULL DEFAULT 0,
    affiliate_share       bigint NOT NULL DEFAULT 0,
    stake_level           smallint NOT NULL DEFAULT 0,
    agent_id              bigint NOT NULL DEFAULT 0,
    cashier_id            bigint NOT NULL DEFAULT 0,
    region                text NOT NULL DEFAULT '',
    is_seeded             boolean NOT NULL DEFAULT false
);
CREATE INDEX ledger_events_operator ON ledger_events (operator_id, occurred_at DESC, id DESC);
CREATE INDEX ledger_events_recent ON ledger_events (occurred_at DESC, id DESC);
CREATE INDEX ledger_events_player ON ledger_events (player_id, occurred_at DESC, id DESC)
    WHERE player_id IS NOT NULL;
CREATE INDEX ledger_events_type ON ledger_events (operator_id, type, occurred_at DESC, id DESC);
CREATE INDEX ledger_events_round ON ledger_events (operator_id, round_ref)
    WHERE round_ref IS NOT NULL;

-- Additive figures per grain interval and slice; 0 / '' stand for "none" in the key.
CREATE TABLE an_rollups (
    operator_id           integer NOT NULL,
    grain                 smallint NOT NULL,
    ts                    timestamptz NOT NULL,
    game_id               integer NOT NULL,
    stake_level           smallint NOT NULL,
    agent_id              bigint NOT NULL,
    cashier_id            bigint NOT NULL,
    region                text NOT NULL,
    is_seeded             boolean NOT NULL,
    rounds                bigint NOT NULL DEFAULT 0,
    stake                 bigint NOT NULL DEFAULT 0,
    stake_cash            bigint NOT NULL DEFAULT 0,
    stake_bonus           bigint NOT NULL DEFAULT 0,
    stake_sq              double precision NOT NULL DEFAULT 0,  -- for N_eff, not money
    win                   bigint NOT NULL DEFAULT 0,
    jackpot_win           bigint NOT NULL DEFAULT 0,
    jackpot_contribution  bigint NOT NULL DEFAULT 0,
    theo                  numeric NOT NULL DEFAULT 0,
    affiliate_share       bigint NOT NULL DEFAULT 0,
    rollbacks             bigint NOT NULL DEFAULT 0,
    rollback_amount       bigint NOT NULL DEFAULT 0,
    deposits              bigint NOT NULL DEFAULT 0,
    deposit_amount        bigint NOT NULL DEFAULT 0,
    ftd                   bigint NOT NULL DEFAULT 0,
    ftd_amount            bigint NOT NULL DEFAULT 0,
    withdrawals           bigint NOT NULL DEFAULT 0,
    withdrawal_amount     bigint NOT NULL DEFAULT 0,
    bonus_granted         bigint NOT NULL DEFAULT 0,
    bonus_converted       bigint NOT NULL DEFAULT 0,
    cashback              bigint NOT NULL DEFAULT 0,
    adjustments           bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (operator_id, grain, ts, game_id, stake_level, agent_id, cashier_id, region,
                 is_seeded)
);

-- Per player, for distinct counts (active players, depositors) and per-player RTP.
CREATE TABLE an_player_activity (
    operator_id      integer NOT NULL,
    grain            smallint NOT NULL,
    ts               timestamptz NOT NULL,
    player_id        bigint NOT NULL,
    game_id          integer NOT NULL,
    agent_id         bigint NOT NULL,
    cashier_id       bigint NOT NULL,
    region           text NOT NULL,
    is_seeded        boolean NOT NULL,
    rounds           bigint NOT NULL DEFAULT 0,
    stake            bigint NOT NULL DEFAULT 0,
    stake_bonus      bigint NOT NULL DEFAULT 0,
    win              bigint NOT NULL DEFAULT 0,
    jackpot_win      bigint NOT NULL DEFAULT 0,
    affiliate_share  bigint NOT NULL DEFAULT 0,
    deposits         bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (operator_id, grain, ts, player_id, game_id)
);

-- First deposit (FTD) and first bet per player, and realised revenue in windows after
-- registration (LTV_d = Σ cohort revenue in [registered, registered + d) / cohort size).
CREATE TABLE an_players (
    player_id             bigint PRIMARY KEY,
    operator_id           integer NOT NULL,
    registered_at         timestamptz NOT NULL,
    first_deposit_at      timestamptz,
    first_deposit_amount  bigint,
    first_deposit_event   bigint UNIQUE,
    first_bet_at          timestamptz,
    last_active_at        timestamptz,
    ngr_d7    bigint NOT NULL DEFAULT 0, ngr_d30   bigint NOT NULL DEFAULT 0,
    ngr_d90   bigint NOT NULL DEFAULT 0, ngr_d180  bigint NOT NULL DEFAULT 0,
    ngr_d365  bigint NOT NULL DEFAULT 0, ngr_all   bigint NOT NULL DEFAULT 0,
    ggr_d7    bigint NOT NULL DEFAULT 0, ggr_d30   bigint NOT NULL DEFAULT 0,
    ggr_d90   bigint NOT NULL DEFAULT 0, ggr_d180  bigint NOT NULL DEFAULT 0,
    ggr_d365  bigint NOT NULL DEFAULT 0, ggr_all   bigint NOT NULL DEFAULT 0
);
CREATE INDEX an_players_operator ON an_players (operator_id, registered_at);

-- Play sessions: a player's bets split at 30 minutes of inactivity (the safety engine's rule).
CREATE TABLE session_snapshots (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operator_id  integer NOT NULL,
    player_id    bigint NOT NULL,
    started_at   timestamptz NOT NULL,
    last_at      timestamptz NOT NULL,
    rounds       bigint NOT NULL,
    stake        bigint NOT NULL,
    payout       bigint NOT NULL,
    agent_id     bigint NOT NULL DEFAULT 0,
    cashier_id   bigint NOT NULL DEFAULT 0,
    region       text NOT NULL DEFAULT '',
    is_seeded    boolean NOT NULL DEFAULT false
);
CREATE INDEX session_snapshots_player ON session_snapshots (player_id, last_at DESC);
CREATE INDEX session_snapshots_operator ON session_snapshots (operator_id, started_at);

-- The voucher funnel per voucher: issued -> redeemed -> first bet -> bonus granted.
CREATE TABLE an_vouchers (
    voucher_id    bigint PRIMARY KEY,
    operator_id   integer NOT NULL,
    agent_id      bigint NOT NULL DEFAULT 0,
    cashier_id    bigint NOT NULL DEFAULT 0,
    region        text NOT NULL DEFAULT '',
    issued_at     timestamptz NOT NULL,
    player_id     bigint,
    redeemed_at   timestamptz,
    first_bet_at  timestamptz,
    bonus_at      timestamptz
);
CREATE INDEX an_vouchers_operator ON an_vouchers (operator_id, issued_at);
CREATE INDEX an_vouchers_player ON an_vouchers (player_id) WHERE player_id IS NOT NULL;

-- Expected RTP and volatility per game: the engine's exact maths for builtin games, the
-- catalogue's declared RTP (and a volatility-class sigma) for provider games.
CREATE TABLE game_configs (
    game_id             integer PRIMARY KEY,
    game_key            text NOT NULL,
    version             text NOT NULL DEFAULT '',
    expected_rtp        numeric(12, 10) NOT NULL,
    sigma               double precision NOT NULL,
    p_top               double precision,
    max_win_multiplier  numeric,
    source              text NOT NULL CHECK (source IN ('engine', 'catalogue')),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- 4xx/5xx responses, and requests per route and minute for the rate's denominator; written in
-- batches by each process's analytics loop, never on the request path.
CREATE TABLE api_error_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL,
    operator_id  integer,
    method       text NOT NULL,
    route        text NOT NULL,
    status       smallint NOT NULL,
    request_id   text
);
CREATE INDEX api_error_events_at ON api_error_events (at);

CREATE TABLE api_request_counts (
    minute       timestamptz NOT NULL,
    operator_id  integer NOT NULL,  -- 0: no operator known (anonymous or platform)
    method       text NOT NULL,
    route        text NOT NULL,
    requests     bigint NOT NULL DEFAULT 0,
    errors_4xx   bigint NOT NULL DEFAULT 0,
    errors_5xx   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (minute, operator_id, method, route)
);
"""


def upgrade() -> None:
    execute_script(FUNCTIONS + TABLES)


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
