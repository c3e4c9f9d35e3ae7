"""The platform clock: ``croupier_now()``, the default time of the core money tables.

It is ``now()`` unless the transaction set ``croupier.clock`` (``SET LOCAL croupier.clock =
'<timestamptz>'``). The demo-history backfill sets it, so past activity goes through the very
same services (and ledger functions) as live play and simply carries a past timestamp.
Sessions and login attempts keep real time on purpose: they guard live access, not history.

Revision ID: 0010_clock
Revises: 0009_analytics
Create Date: 2026-11-23
"""

from croupier.db.migration_sql import execute_script

revision = "0010_clock"
down_revision = "0009_analytics"
branch_labels = None
depends_on = None

# The ledger's posting functions take the transfer row's created_at (its DEFAULT) and copy it
# onto the entries, so these defaults are all the ledger needs.
CLOCKED_TABLES = (
    "players",
    "ledger_transfers",
    "ledger_entries",
    "bets",
    "outbox",
    "jackpot_wins",
    "fair_seeds",
)


def upgrade() -> None:
    defaults = "\n".join(
        f"ALTER TABLE {table} ALTER COLUMN created_at SET DEFAULT croupier_now();"
        for table in CLOCKED_TABLES
    )
    execute_script(f"""
    -- STABLE, so it is read once per statement; an empty or unset setting means real time.
    CREATE FUNCTION croupier_now() RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT coalesce(nullif(current_setting('croupier.clock', true), '')::timestamptz, now())
    $$;
    {defaults}
    """)


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
