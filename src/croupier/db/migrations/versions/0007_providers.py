"""Game providers (seed 003): the casino's seamless-wallet tables and the Jaqpot demo provider's.

The two sides share a database but not tables: ``casino_*`` belong to the casino and ``provider_*``
to the demo provider, which reach each other only over signed HTTP.

Revision ID: 0007_providers
Revises: 0006_payments
Create Date: 2026-11-21
"""

from croupier.db.migration_sql import execute_script

revision = "0007_providers"
down_revision = "0006_payments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script("""
    -- One row per integrated provider; games.provider holds its code. Every provider has its own
    -- transaction-id and round-id namespace. NULL/empty secrets mean seed 003's CASINO_SECRET /
    -- PROVIDER_SECRET from the environment; two callback secrets may be live during a rotation.
    CREATE TABLE casino_providers (
        id                      integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        code                    text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_-]{1,62}$'),
        name                    text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        casino_code             text NOT NULL CHECK (length(casino_code) BETWEEN 1 AND 100),
        api_base_url            text CHECK (api_base_url ~ '^https?://'),
        callback_secrets        text[] NOT NULL DEFAULT '{}'
                                CHECK (cardinality(callback_secrets) <= 2),
        outbound_secret         text,
        is_default              boolean NOT NULL DEFAULT false,
        token_ttl_seconds       integer NOT NULL DEFAULT 86400 CHECK (token_ttl_seconds > 0),
        signature_skew_seconds  integer NOT NULL DEFAULT 300 CHECK (signature_skew_seconds > 0),
        status                  text NOT NULL DEFAULT 'active'
                                CHECK (status IN ('active', 'disabled')),
        created_at              timestamptz NOT NULL DEFAULT now(),
        updated_at              timestamptz NOT NULL DEFAULT now()
    );
    -- The provider that signs callbacks naming no provider (seed 003's single-provider wire).
    CREATE UNIQUE INDEX casino_providers_one_default ON casino_providers (is_default)
        WHERE is_default;

    -- A launch: the token (stored hashed) is bound to player, game and currency. A newer launch
    -- of the same game supersedes it for bets; wins and rollbacks still accept it.
    CREATE TABLE casino_sessions (
        id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        operator_id          integer NOT NULL REFERENCES operators(id),
        provider_id          integer NOT NULL REFERENCES casino_providers(id),
        player_id            bigint NOT NULL,
        game_id              integer NOT NULL REFERENCES games(id),
        game_code            text NOT NULL,
        currency             char(3) NOT NULL,
        token_hash           bytea NOT NULL UNIQUE,
        provider_session_id  text,
        expires_at           timestamptz NOT NULL,
        superseded_at        timestamptz,
        created_at           timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, id)
    );
    CREATE INDEX casino_sessions_live ON casino_sessions (provider_id, player_id, game_id)
        WHERE superseded_at IS NULL;
    CREATE INDEX casino_sessions_operator ON casino_sessions (operator_id, created_at DESC, id DESC);

    CREATE TABLE casino_rounds (
        id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        provider_id   integer NOT NULL REFERENCES casino_providers(id),
        round_ref     text NOT NULL CHECK (length(round_ref) BETWEEN 1 AND 128),
        operator_id   integer NOT NULL,
        player_id     bigint NOT NULL,
        game_id       integer NOT NULL REFERENCES games(id),
        game_code     text NOT NULL,
        session_id    bigint NOT NULL REFERENCES casino_sessions(id),
        currency      char(3) NOT NULL,
        status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'settled', 'voided')),
        has_credit    boolean NOT NULL DEFAULT false,
        -- Applied debits not rolled back: when the last one is rolled back the round is void.
        live_debits   integer NOT NULL DEFAULT 0 CHECK (live_debits >= 0),
        debit_total   bigint NOT NULL DEFAULT 0 CHECK (debit_total >= 0),
        credit_total  bigint NOT NULL DEFAULT 0 CHECK (credit_total >= 0),
        refund_total  bigint NOT NULL DEFAULT 0 CHECK (refund_total >= 0),
        created_at    timestamptz NOT NULL DEFAULT now(),
        closed_at     timestamptz,
        UNIQUE (provider_id, round_ref),
        FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, id)
    );
    CREATE INDEX casino_rounds_operator ON casino_rounds (operator_id, created_at DESC, id DESC);

    -- Every money call's outcome (applied or rejected) under the provider's transaction id, with
    -- the hash of its essential fields and the exact response bytes a retry gets back. A
    -- tombstone takes the id of a rollback's unknown original, so a late debit with it collides.
    CREATE TABLE casino_transactions (
        id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        provider_id     integer NOT NULL REFERENCES casino_providers(id),
        tx_ref          text NOT NULL CHECK (length(tx_ref) BETWEEN 1 AND 128),
        kind            text NOT NULL CHECK (kind IN ('debit', 'credit', 'rollback', 'tombstone')),
        state           text NOT NULL CHECK (state IN ('applied', 'rejected', 'rolled_back')),
        operator_id     integer NOT NULL,
        player_id       bigint NOT NULL,
        session_id      bigint REFERENCES casino_sessions(id),
        round_id        bigint REFERENCES casino_rounds(id),
        round_ref       text,
        game_id         integer REFERENCES games(id),
        currency        char(3) NOT NULL,
        amount          bigint NOT NULL DEFAULT 0 CHECK (amount >= 0),
        -- rollback: its original; credit: its related debit; tombstone: the rollback behind it.
        reference_ref   text,
        rolled_back_by  text,
        essential_hash  bytea,
        http_status     smallint,
        response_body   bytea,
        error_code      text,
        transfer_id     bigint,
        created_at      timestamptz NOT NULL DEFAULT now(),
        UNIQUE (provider_id, tx_ref),
        FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, id),
        CHECK ((kind = 'tombstone') = (response_body IS NULL)),
        CHECK ((kind = 'tombstone') = (essential_hash IS NULL))
    );
    CREATE INDEX casino_transactions_operator
        ON casino_transactions (operator_id, created_at DESC, id DESC);
    CREATE INDEX casino_transactions_round ON casino_transactions (round_id);
    CREATE INDEX casino_transactions_tombstones
        ON casino_transactions (operator_id, created_at DESC, id DESC) WHERE kind = 'tombstone';

    -- Claim transaction ids (advisory locks, ascending, so two calls never deadlock) and read
    -- the outcome already stored under the first, in one round trip. The read is a statement
    -- of its own, so it sees what a call that held the lock before us committed.
    CREATE FUNCTION casino_claim(p_keys bigint[], p_provider_id integer, p_tx_ref text)
    RETURNS SETOF casino_transactions LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock(k) FROM unnest(p_keys) AS k ORDER BY k;
        RETURN QUERY SELECT * FROM casino_transactions
                      WHERE provider_id = p_provider_id AND tx_ref = p_tx_ref;
    END $$;

    -- Seed 003's demo users: the only players POST /casino/simulateRound may reset and play.
    CREATE TABLE casino_demo_players (
        player_id      bigint PRIMARY KEY,
        operator_id    integer NOT NULL,
        reset_balance  bigint NOT NULL DEFAULT 1000000 CHECK (reset_balance >= 0),
        created_at     timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, id)
    );

    -- The demo provider's side ("Jaqpot Games"). It knows casinos by casinoCode and players only
    -- by the casino's userId; it never reads casino tables.
    CREATE TABLE provider_casinos (
        id                 integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        casino_code        text NOT NULL UNIQUE CHECK (length(casino_code) BETWEEN 1 AND 100),
        name               text NOT NULL,
        -- How the casino knows us (sent as x-provider-code); NULL sends none.
        provider_code      text,
        callback_base_url  text CHECK (callback_base_url ~ '^https?://'),
        casino_secret      text,
        provider_secret    text,
        created_at         timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE provider_games (
        code        text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9_-]{1,64}$'),
        name        text NOT NULL,
        min_bet     bigint NOT NULL CHECK (min_bet > 0),
        max_bet     bigint NOT NULL,
        is_active   boolean NOT NULL DEFAULT true,
        created_at  timestamptz NOT NULL DEFAULT now(),
        CHECK (max_bet >= min_bet)
    );

    CREATE TABLE provider_players (
        id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        casino_id         integer NOT NULL REFERENCES provider_casinos(id),
        external_user_id  bigint NOT NULL,
        currency          char(3) NOT NULL,
        created_at        timestamptz NOT NULL DEFAULT now(),
        UNIQUE (casino_id, external_user_id)
    );

    CREATE TABLE provider_sessions (
        id                 uuid PRIMARY KEY,
        casino_id          integer NOT NULL REFERENCES provider_casinos(id),
        player_id          bigint NOT NULL REFERENCES provider_players(id),
        game_code          text NOT NULL REFERENCES provider_games(code),
        currency           char(3) NOT NULL,
        -- The casino's token: we present it on every callback, so it is kept as given.
        session_token      text NOT NULL,
        casino_session_id  bigint NOT NULL,
        created_at         timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE provider_rounds (
        id           uuid PRIMARY KEY,
        session_id   uuid NOT NULL REFERENCES provider_sessions(id),
        status       text NOT NULL DEFAULT 'running'
                     CHECK (status IN ('running', 'completed', 'failed')),
        created_at   timestamptz NOT NULL DEFAULT now(),
        finished_at  timestamptz
    );

    -- Every callback the provider made, with what the casino answered.
    CREATE TABLE provider_callbacks (
        id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        round_id         uuid NOT NULL REFERENCES provider_rounds(id),
        step             smallint NOT NULL,
        endpoint         text NOT NULL,
        transaction_id   text,
        request          jsonb NOT NULL,
        http_status      smallint,
        response         jsonb,
        created_at       timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX provider_callbacks_round ON provider_callbacks (round_id, id);
    """)


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
