"""Bets: the bet log, provably-fair seeds, shared jackpot pools and affiliates.

Revision ID: 0004_bets
Revises: 0003_games
Create Date: 2026-11-21
"""

from croupier.db.migration_sql import execute_script

revision = "0004_bets"
down_revision = "0003_games"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script("""
    CREATE TABLE affiliates (
        id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        operator_id        integer NOT NULL REFERENCES operators(id),
        code               text NOT NULL,
        name               text NOT NULL,
        revenue_share_bp   integer NOT NULL CHECK (revenue_share_bp BETWEEN 0 AND 10000),
        created_at         timestamptz NOT NULL DEFAULT now(),
        UNIQUE (operator_id, code),
        UNIQUE (operator_id, id)
    );
    ALTER TABLE players ADD COLUMN affiliate_id bigint;
    ALTER TABLE players ADD CONSTRAINT players_affiliate_fk
        FOREIGN KEY (operator_id, affiliate_id) REFERENCES affiliates(operator_id, id);

    -- Progressive pools shared by every operator (seed 002 §5.1). The pool's value lives on the
    -- ledger (each operator's jackpot_pool account for the pool); this row holds the rules and
    -- the win sequence that makes a pool win at most once per trigger.
    CREATE TABLE jackpot_pools (
        id                   integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        slug                 text NOT NULL UNIQUE,
        jackpot_group        text NOT NULL,
        name                 text NOT NULL,
        currency             char(3) NOT NULL,
        seed_amount          bigint NOT NULL CHECK (seed_amount >= 0),
        contribution_bp      integer NOT NULL CHECK (contribution_bp BETWEEN 0 AND 2000),
        -- Probability of a win per minor unit staked, in parts per 10^12.
        trigger_ppt          bigint NOT NULL CHECK (trigger_ppt >= 0),
        win_seq              bigint NOT NULL DEFAULT 0,
        last_won_at          timestamptz,
        last_won_amount      bigint,
        created_at           timestamptz NOT NULL DEFAULT now(),
        -- A transfer never mixes currencies, so a group has one pool per currency.
        UNIQUE (jackpot_group, currency)
    );

    CREATE TABLE jackpot_wins (
        id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        pool_id       integer NOT NULL REFERENCES jackpot_pools(id),
        win_seq       bigint NOT NULL,
        operator_id   integer NOT NULL REFERENCES operators(id),
        player_id     bigint NOT NULL,
        bet_id        bigint,
        amount        bigint NOT NULL CHECK (amount >= 0),
        created_at    timestamptz NOT NULL DEFAULT now(),
        UNIQUE (pool_id, win_seq)
    );

    -- Provably fair: the hash of the server seed is shown before play, the seed itself only
    -- after rotation, so the player can recompute every round played with it.
    CREATE TABLE fair_seeds (
        id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        operator_id       integer NOT NULL REFERENCES operators(id),
        player_id         bigint NOT NULL,
        server_seed       text NOT NULL,
        server_seed_hash  text NOT NULL,
        client_seed       text NOT NULL,
        nonce             bigint NOT NULL DEFAULT 0,
        active            boolean NOT NULL DEFAULT true,
        created_at        timestamptz NOT NULL DEFAULT now(),
        revealed_at       timestamptz,
        FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, id)
    );
    CREATE UNIQUE INDEX fair_seeds_one_active ON fair_seeds (player_id) WHERE active;

    CREATE TABLE bets (
        id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        operator_id           integer NOT NULL REFERENCES operators(id),
        player_id             bigint NOT NULL,
        game_id               integer NOT NULL REFERENCES games(id),
        round_id              uuid NOT NULL UNIQUE,
        idempotency_key       text NOT NULL,
        request_hash          bytea NOT NULL,
        currency              char(3) NOT NULL,
        stake                 bigint NOT NULL CHECK (stake > 0),
        stake_cash            bigint NOT NULL CHECK (stake_cash >= 0),
        stake_bonus           bigint NOT NULL CHECK (stake_bonus >= 0),
        -- A free spin's stake is paid by the operator (marketing), not from the player's wallet.
        stake_free            bigint NOT NULL DEFAULT 0 CHECK (stake_free >= 0),
        free_spin_grant_id    bigint,
        win                   bigint NOT NULL CHECK (win >= 0),
        win_cash              bigint NOT NULL CHECK (win_cash >= 0),
        win_bonus             bigint NOT NULL CHECK (win_bonus >= 0),
        jackpot_contribution  bigint NOT NULL DEFAULT 0 CHECK (jackpot_contribution >= 0),
        jackpot_win           bigint NOT NULL DEFAULT 0 CHECK (jackpot_win >= 0),
        ggr                   bigint NOT NULL,
        affiliate_id          bigint,
        affiliate_share       bigint NOT NULL DEFAULT 0,
        xp_gained             bigint NOT NULL DEFAULT 0,
        outcome               jsonb NOT NULL,
        rng                   text NOT NULL CHECK (rng IN ('csprng', 'fair')),
        fair_seed_id          bigint REFERENCES fair_seeds(id),
        client_seed           text,
        nonce                 bigint,
        cash_after            bigint NOT NULL,
        bonus_after           bigint NOT NULL,
        debit_transfer_id     text NOT NULL,
        settle_transfer_id    text,
        is_seeded             boolean NOT NULL DEFAULT false,
        created_at            timestamptz NOT NULL DEFAULT now(),
        UNIQUE (operator_id, player_id, idempotency_key),
        FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, id),
        CHECK (stake = stake_cash + stake_bonus + stake_free),
        CHECK (win = win_cash + win_bonus),
        CHECK (ggr = stake - win - jackpot_win)
    );
    CREATE INDEX bets_player_created ON bets (player_id, created_at DESC, id DESC);
    CREATE INDEX bets_operator_created ON bets (operator_id, created_at DESC, id DESC);
    CREATE INDEX bets_game_created ON bets (game_id, created_at);
    """)


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
