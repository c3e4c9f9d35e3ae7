"""Payments, bonuses and VIP: deposits, webhook events, withdrawals, velocity breaches,
bonus rules and grants (BonusTask), VIP levels, level-ups and cashback payouts.

Revision ID: 0006_payments
Revises: 0005_safety
Create Date: 2026-11-22
"""

from croupier.db.migration_sql import execute_script

revision = "0006_payments"
down_revision = "0005_safety"
branch_labels = None
depends_on = None

PAYMENTS = """
-- A chargeback can take back more than the player still has; the shortfall is a debt the player
-- owes the operator, kept on its own account (derived, may go negative) so a player balance
-- never goes negative. Added the way 0002_ledger prescribes: the same function, one more branch.
CREATE OR REPLACE FUNCTION ledger_kind_flags(p_kind text) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (CASE p_kind
        WHEN 'player_cash' THEN 1
        WHEN 'player_bonus' THEN 1
        WHEN 'player_coins' THEN 1
        WHEN 'bonus_held' THEN 1
        WHEN 'agent_float' THEN 1
        WHEN 'house' THEN 2
        WHEN 'jackpot_pool' THEN 3
        WHEN 'voucher_liability' THEN 3
        WHEN 'payment_clearing' THEN 2
        WHEN 'provider_clearing' THEN 2
        WHEN 'marketing' THEN 2
        WHEN 'world' THEN 2
        WHEN 'jackpot_settlement' THEN 2
        WHEN 'player_receivable' THEN 2
    END)::smallint
$$;

CREATE TABLE deposits (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operator_id          integer NOT NULL REFERENCES operators(id),
    player_id            bigint NOT NULL,
    -- Shown to the player (the note of a CashApp payment) and echoed by the provider's events.
    reference            text NOT NULL UNIQUE,
    provider             text NOT NULL,
    method               text NOT NULL,
    currency             char(3) NOT NULL,
    amount               bigint NOT NULL CHECK (amount > 0),
    status               text NOT NULL DEFAULT 'PENDING' CHECK (status IN (
                             'PENDING', 'COMPLETED', 'FAILED', 'EXPIRED', 'REFUNDED',
                             'CHARGED_BACK')),
    idempotency_key      text NOT NULL,
    request_hash         bytea NOT NULL,
    bonus_rule_id        bigint,
    instructions         jsonb NOT NULL DEFAULT '{}'::jsonb,
    provider_payment_id  text,
    failure_reason       text,
    credit_transfer_id   bigint,
    reversal_transfer_id bigint,
    reversal_shortfall   bigint NOT NULL DEFAULT 0 CHECK (reversal_shortfall >= 0),
    expires_at           timestamptz NOT NULL,
    completed_at         timestamptz,
    closed_at            timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (operator_id, player_id, idempotency_key),
    FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, id)
);
CREATE INDEX deposits_player_created ON deposits (player_id, created_at DESC, id DESC);
CREATE INDEX deposits_operator_created ON deposits (operator_id, created_at DESC, id DESC);
CREATE INDEX deposits_pending_expiry ON deposits (expires_at) WHERE status = 'PENDING';

-- Every webhook that passed its signature check, once per provider event id: the replay guard
-- and the log of what each event did (applied) or why it changed nothing (ignored).
CREATE TABLE payment_events (
    provider     text NOT NULL,
    event_id     text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 200),
    event_type   text NOT NULL,
    operator_id  integer,
    deposit_id   bigint REFERENCES deposits(id),
    outcome      text NOT NULL CHECK (outcome IN ('applied', 'ignored')),
    reason       text,
    payload      jsonb NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, event_id)
);
CREATE INDEX payment_events_deposit ON payment_events (deposit_id, received_at);

CREATE TABLE withdrawals (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operator_id         integer NOT NULL REFERENCES operators(id),
    player_id           bigint NOT NULL,
    reference           text NOT NULL UNIQUE,
    provider            text NOT NULL,
    method              text NOT NULL,
    destination         text NOT NULL,
    currency            char(3) NOT NULL,
    amount              bigint NOT NULL CHECK (amount > 0),
    -- APPROVED rows are the payout queue: the worker claims them with a lease, pays out
    -- outside any transaction, and records PAID or FAILED.
    status              text NOT NULL DEFAULT 'PENDING' CHECK (status IN (
                            'PENDING', 'APPROVED', 'REJECTED', 'PAID', 'FAILED')),
    idempotency_key     text NOT NULL,
    request_hash        bytea NOT NULL,
    hold_transfer_id    bigint NOT NULL,
    post_transfer_id    bigint,
    return_transfer_id  bigint,
    reason              text,
    reviewed_by         bigint,
    reviewed_at         timestamptz,
    payout_attempts     integer NOT NULL DEFAULT 0,
    payout_lease_until  timestamptz,
    provider_payout_id  text,
    failure_reason      text,
    closed_at           timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (operator_id, player_id, idempotency_key),
    FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, id),
    CHECK (status <> 'REJECTED' OR reason IS NOT NULL)
);
CREATE INDEX withdrawals_player_created ON withdrawals (player_id, created_at DESC, id DESC);
CREATE INDEX withdrawals_operator_created ON withdrawals (operator_id, created_at DESC, id DESC);
CREATE INDEX withdrawals_payout_queue ON withdrawals (reviewed_at) WHERE status = 'APPROVED';

-- Velocity breaches, kept for the safety/AML review even though the request was refused.
CREATE TABLE payment_risk_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operator_id  integer NOT NULL REFERENCES operators(id),
    player_id    bigint NOT NULL,
    code         text NOT NULL,
    details      jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, id)
);
CREATE INDEX payment_risk_events_operator ON payment_risk_events (operator_id, created_at DESC);
"""

BONUSES = """
CREATE TABLE bonus_rules (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operator_id          integer NOT NULL REFERENCES operators(id),
    code                 text NOT NULL CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{1,39}$'),
    name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind                 text NOT NULL CHECK (kind IN ('deposit_match', 'free_spins', 'no_deposit')),
    active               boolean NOT NULL DEFAULT true,
    match_bp             integer CHECK (match_bp BETWEEN 1 AND 100000),
    max_bonus            bigint CHECK (max_bonus > 0),
    min_deposit          bigint NOT NULL DEFAULT 0 CHECK (min_deposit >= 0),
    bonus_amount         bigint CHECK (bonus_amount > 0),
    free_spins           integer CHECK (free_spins BETWEEN 1 AND 1000),
    free_spin_game_id    integer REFERENCES games(id),
    free_spin_value      bigint CHECK (free_spin_value > 0),
    wagering_multiplier  integer NOT NULL CHECK (wagering_multiplier BETWEEN 0 AND 200),
    max_bet              bigint CHECK (max_bet > 0),
    max_conversion       bigint CHECK (max_conversion >= 0),
    valid_days           integer NOT NULL CHECK (valid_days BETWEEN 1 AND 365),
    game_weights         jsonb NOT NULL DEFAULT '{}'::jsonb,
    default_weight_bp    integer NOT NULL DEFAULT 10000 CHECK (default_weight_bp BETWEEN 0 AND 10000),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (operator_id, code),
    CHECK (kind <> 'deposit_match' OR (match_bp IS NOT NULL AND max_bonus IS NOT NULL)),
    CHECK (kind <> 'no_deposit' OR bonus_amount IS NOT NULL),
    CHECK (kind <> 'free_spins' OR (free_spins IS NOT NULL AND free_spin_game_id IS NOT NULL
                                    AND free_spin_value IS NOT NULL))
);

-- BonusTask: one wagering requirement. 'deposit_wagering' tasks hold no money (the deposit's
-- own turnover, which gates withdrawals); every other kind is the player's bonus money. At most
-- one of those is active at a time, so the bonus balance always belongs to exactly one grant;
-- later ones wait as 'queued' and get their money when they become active.
CREATE TABLE bonus_grants (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operator_id          integer NOT NULL REFERENCES operators(id),
    player_id            bigint NOT NULL,
    rule_id              bigint REFERENCES bonus_rules(id),
    kind                 text NOT NULL CHECK (kind IN (
                             'deposit_wagering', 'deposit_match', 'free_spins', 'no_deposit',
                             'vip_reward', 'cashback')),
    source_key           text NOT NULL,
    status               text NOT NULL CHECK (status IN (
                             'queued', 'active', 'completed', 'forfeited', 'expired', 'lost',
                             'cancelled')),
    currency             char(3) NOT NULL,
    deposit_id           bigint REFERENCES deposits(id),
    bonus_amount         bigint NOT NULL DEFAULT 0 CHECK (bonus_amount >= 0),
    wagering_multiplier  integer NOT NULL CHECK (wagering_multiplier >= 0),
    wagering_required    bigint NOT NULL DEFAULT 0 CHECK (wagering_required >= 0),
    wagering_progress    bigint NOT NULL DEFAULT 0 CHECK (wagering_progress >= 0),
    game_weights         jsonb NOT NULL DEFAULT '{}'::jsonb,
    default_weight_bp    integer NOT NULL DEFAULT 10000,
    max_bet              bigint,
    max_conversion       bigint,
    free_spins_total     integer NOT NULL DEFAULT 0,
    free_spins_left      integer NOT NULL DEFAULT 0 CHECK (free_spins_left >= 0),
    free_spin_game_id    integer REFERENCES games(id),
    free_spin_value      bigint,
    free_spin_winnings   bigint NOT NULL DEFAULT 0,
    valid_days           integer NOT NULL,
    expires_at           timestamptz,
    converted_amount     bigint,
    forfeited_amount     bigint,
    end_reason           text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    activated_at         timestamptz,
    ended_at             timestamptz,
    UNIQUE (operator_id, player_id, source_key),
    FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, id),
    CHECK (status <> 'active' OR expires_at IS NOT NULL)
);
CREATE UNIQUE INDEX bonus_grants_one_active_money ON bonus_grants (player_id)
    WHERE status = 'active' AND kind <> 'deposit_wagering';
CREATE INDEX bonus_grants_open ON bonus_grants (player_id, created_at)
    WHERE status IN ('active', 'queued');
CREATE INDEX bonus_grants_expiry ON bonus_grants (expires_at) WHERE status = 'active';
CREATE INDEX bonus_grants_operator ON bonus_grants (operator_id, created_at DESC, id DESC);
"""

VIP = """
-- VIP is global (seed 002 §5.1): levels are platform-wide; money amounts are minor units of the
-- player's operator currency.
CREATE TABLE vip_levels (
    id                      integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    level                   integer NOT NULL UNIQUE CHECK (level BETWEEN 0 AND 1000),
    name                    text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    xp_required             bigint NOT NULL UNIQUE CHECK (xp_required >= 0),
    cashback_bp             integer NOT NULL DEFAULT 0 CHECK (cashback_bp BETWEEN 0 AND 10000),
    cashback_as             text NOT NULL DEFAULT 'bonus' CHECK (cashback_as IN ('cash', 'bonus')),
    free_spins              integer NOT NULL DEFAULT 0 CHECK (free_spins BETWEEN 0 AND 1000),
    free_spin_game_id       integer REFERENCES games(id),
    free_spin_value         bigint CHECK (free_spin_value > 0),
    deposit_bonus_boost_bp  integer NOT NULL DEFAULT 0
                            CHECK (deposit_bonus_boost_bp BETWEEN 0 AND 10000),
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CHECK (free_spins = 0 OR (free_spin_game_id IS NOT NULL AND free_spin_value IS NOT NULL))
);

-- One row per player and level reached: the primary key is what makes a level's reward
-- granted at most once, however many concurrent spins cross the threshold.
CREATE TABLE vip_level_ups (
    player_id       bigint NOT NULL,
    level           integer NOT NULL,
    operator_id     integer NOT NULL,
    xp              bigint NOT NULL,
    reward_status   text NOT NULL CHECK (reward_status IN ('granted', 'none', 'suppressed')),
    reward_grant_id bigint REFERENCES bonus_grants(id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (player_id, level),
    FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, id)
);

CREATE TABLE vip_cashbacks (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operator_id    integer NOT NULL REFERENCES operators(id),
    player_id      bigint NOT NULL,
    period_start   timestamptz NOT NULL,
    period_end     timestamptz NOT NULL,
    level          integer NOT NULL,
    rate_bp        integer NOT NULL,
    net_loss       bigint NOT NULL,
    amount         bigint NOT NULL CHECK (amount >= 0),
    paid_as        text NOT NULL CHECK (paid_as IN ('cash', 'bonus')),
    status         text NOT NULL CHECK (status IN ('paid', 'suppressed')),
    transfer_id    bigint,
    grant_id       bigint REFERENCES bonus_grants(id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (operator_id, player_id, period_start),
    FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, id)
);
"""


def upgrade() -> None:
    execute_script(PAYMENTS + BONUSES + VIP)


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
