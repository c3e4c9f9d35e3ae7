"""Game catalogue: categories, games, and per-operator enablement.

Revision ID: 0003_games
Revises: 0002_ledger
Create Date: 2026-11-21
"""

from croupier.db.migration_sql import execute_script

revision = "0003_games"
down_revision = "0002_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script("""
    CREATE TABLE game_categories (
        id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
        name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        sort_order  integer NOT NULL DEFAULT 0,
        created_at  timestamptz NOT NULL DEFAULT now()
    );

    -- Games are shared by the platform (seed 002 §5.1); operators switch them off per brand.
    CREATE TABLE games (
        id             integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        slug           text NOT NULL UNIQUE CHECK (slug ~ '^[A-Za-z0-9][A-Za-z0-9_-]{1,62}$'),
        name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        description    text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
        category_id    integer NOT NULL REFERENCES game_categories(id),
        provider       text NOT NULL DEFAULT 'builtin',
        engine_key     text,
        thumbnail_url  text CHECK (thumbnail_url IS NULL OR length(thumbnail_url) <= 2000),
        rtp            numeric(7, 6) NOT NULL CHECK (rtp > 0 AND rtp < 1.5),
        volatility     text NOT NULL CHECK (volatility IN ('low', 'medium', 'high', 'very_high')),
        min_bet        bigint NOT NULL CHECK (min_bet > 0),
        max_bet        bigint NOT NULL,
        paytable       jsonb NOT NULL DEFAULT '{}'::jsonb,
        jackpot_group  text,
        is_active      boolean NOT NULL DEFAULT true,
        deleted_at     timestamptz,
        created_at     timestamptz NOT NULL DEFAULT now(),
        updated_at     timestamptz NOT NULL DEFAULT now(),
        CHECK (max_bet >= min_bet),
        -- Builtin games are played by our engine and must name its definition.
        CHECK (provider <> 'builtin' OR engine_key IS NOT NULL)
    );
    CREATE INDEX games_category ON games (category_id) WHERE deleted_at IS NULL;

    CREATE TABLE operator_games (
        operator_id  integer NOT NULL REFERENCES operators(id),
        game_id      integer NOT NULL REFERENCES games(id),
        enabled      boolean NOT NULL,
        updated_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (operator_id, game_id)
    );
    """)


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
