"""The documents a spin rewrites are stored as ``json``, not ``jsonb``.

A spin writes the player's and the session's safety state, its bet's outcome and its push's
outbox payload, and reads the safety state back on the next spin; nothing queries inside them.
As jsonb, each write parsed the text into jsonb's binary form (every number a numeric) and the
session state, larger in that form, was then compressed (TOAST); each read printed it back to
text. json keeps the text as sent (checked to be valid JSON): reading and rewriting 32 players'
safety rows took 3.4 ms as jsonb and 1.4 ms as json. Python reads both types alike
(``db.pool``'s codec).

Revision ID: 0015_json_documents
Revises: 0014_provider_bulk
Create Date: 2026-11-22
"""

from croupier.db.migration_sql import execute_script

revision = "0015_json_documents"
down_revision = "0014_provider_bulk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script("""
    ALTER TABLE safety_players
        ALTER COLUMN state DROP DEFAULT,
        ALTER COLUMN state TYPE json USING state::json,
        ALTER COLUMN state SET DEFAULT '{}'::json,
        ALTER COLUMN limits DROP DEFAULT,
        ALTER COLUMN limits TYPE json USING limits::json,
        ALTER COLUMN limits SET DEFAULT '[]'::json;
    ALTER TABLE safety_sessions
        ALTER COLUMN state DROP DEFAULT,
        ALTER COLUMN state TYPE json USING state::json,
        ALTER COLUMN state SET DEFAULT '{}'::json;
    ALTER TABLE bets ALTER COLUMN outcome TYPE json USING outcome::json;
    ALTER TABLE outbox ALTER COLUMN payload TYPE json USING payload::json;
    """)


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
