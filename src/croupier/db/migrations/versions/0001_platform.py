"""Platform: operators, agents, players, staff, sessions, login attempts, outbox.

Revision ID: 0001_platform
Revises:
Create Date: 2026-11-21
"""

from croupier.db.migration_sql import execute_script

revision = "0001_platform"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script("""
    CREATE TABLE operators (
        id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
        name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        currency    char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        timezone    text NOT NULL,
        mode        text NOT NULL CHECK (mode IN ('real', 'sweepstakes')),
        status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
        settings    jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now()
    );

    -- Seed 000's hierarchy: DEV (the platform) -> OPERATOR -> AGENT (-> sub-agent); cashiers are
    -- staff users attached to an agent.
    CREATE TABLE agents (
        id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        operator_id      integer NOT NULL REFERENCES operators(id),
        parent_agent_id  bigint REFERENCES agents(id),
        code             text NOT NULL,
        name             text NOT NULL,
        region           text,
        status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
        created_at       timestamptz NOT NULL DEFAULT now(),
        UNIQUE (operator_id, code),
        UNIQUE (operator_id, id)
    );

    CREATE TABLE players (
        id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        operator_id      integer NOT NULL REFERENCES operators(id),
        kind             text NOT NULL DEFAULT 'registered'
                         CHECK (kind IN ('registered', 'ephemeral', 'guest')),
        email            text,
        username         text,
        password_hash    text,
        status           text NOT NULL DEFAULT 'active'
                         CHECK (status IN ('active', 'blocked', 'closed')),
        kyc_status       text NOT NULL DEFAULT 'none'
                         CHECK (kyc_status IN ('none', 'pending', 'verified', 'rejected')),
        timezone         text,
        region           text,
        agent_id         bigint,
        cashier_id       bigint,
        is_bot           boolean NOT NULL DEFAULT false,
        vip_experience   bigint NOT NULL DEFAULT 0 CHECK (vip_experience >= 0),
        created_at       timestamptz NOT NULL DEFAULT now(),
        last_login_at    timestamptz,
        UNIQUE (operator_id, id),
        FOREIGN KEY (operator_id, agent_id) REFERENCES agents(operator_id, id)
    );
    CREATE UNIQUE INDEX players_email_per_operator ON players (operator_id, lower(email))
        WHERE email IS NOT NULL;
    CREATE UNIQUE INDEX players_username_per_operator ON players (operator_id, lower(username))
        WHERE username IS NOT NULL;
    CREATE INDEX players_operator_created ON players (operator_id, created_at DESC, id DESC);

    CREATE TABLE staff_users (
        id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        email          text NOT NULL,
        display_name   text,
        password_hash  text NOT NULL,
        role           text NOT NULL
                       CHECK (role IN ('platform_admin', 'operator_admin', 'agent', 'cashier')),
        operator_id    integer REFERENCES operators(id),
        agent_id       bigint,
        status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
        created_at     timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (operator_id, agent_id) REFERENCES agents(operator_id, id),
        -- The scope a role implies is part of the row, so a bad combination cannot be stored.
        CHECK ((role = 'platform_admin') = (operator_id IS NULL)),
        CHECK ((role IN ('agent', 'cashier')) = (agent_id IS NOT NULL))
    );
    CREATE UNIQUE INDEX staff_users_email ON staff_users (lower(email));

    CREATE TABLE auth_sessions (
        id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        token_hash     bytea NOT NULL UNIQUE,
        csrf_hash      bytea NOT NULL,
        subject_type   text NOT NULL CHECK (subject_type IN ('player', 'staff')),
        subject_id     bigint NOT NULL,
        operator_id    integer REFERENCES operators(id),
        created_at     timestamptz NOT NULL DEFAULT now(),
        last_seen_at   timestamptz NOT NULL DEFAULT now(),
        expires_at     timestamptz NOT NULL,
        revoked_at     timestamptz,
        ip             inet,
        user_agent     text
    );
    CREATE INDEX auth_sessions_subject ON auth_sessions (subject_type, subject_id);

    CREATE TABLE login_attempts (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        account_key  text NOT NULL,
        ip           inet,
        succeeded    boolean NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX login_attempts_account ON login_attempts (account_key, created_at)
        WHERE NOT succeeded;
    CREATE INDEX login_attempts_ip ON login_attempts (ip, created_at) WHERE NOT succeeded;

    -- Transactional outbox: rows written in the same transaction as the change they describe;
    -- NOTIFY is delivered only on commit, so nothing is pushed for a rolled-back transaction.
    CREATE TABLE outbox (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        operator_id  integer,
        topic        text NOT NULL,
        audience     text NOT NULL,
        payload      jsonb NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX outbox_created ON outbox (created_at);

    CREATE TABLE security_events (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        operator_id  integer,
        kind         text NOT NULL,
        subject      text,
        ip           inet,
        details      jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at   timestamptz NOT NULL DEFAULT now()
    );
    """)


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
