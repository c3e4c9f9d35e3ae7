"""Row types for the bulk statements: a batch's rows are sent as one array of rows.

A spin batch writes its bets, its transfers and its players' safety state with one statement
each. Until now each column travelled as an array of its own (``unnest($1::bigint[], $2::text[],
…)``). asyncpg checks every element of an array parameter with Python-level ``isinstance``
calls against ``collections.abc`` classes, so those statements cost the worker ≈ 0.7 µs of CPU a
value, ≈ 100 values a spin; an array of rows is checked once a row, and its values are encoded
in C: a 24-column row costs 4.5 µs instead of 17 (bench/RESULTS.md, "Session 17"). PostgreSQL
unpacks one array of rows faster than 24 arrays too.

JSON values travel as text and are cast in the statement: asyncpg encodes a row in binary, and
the json types' codec (``db.pool``) is a text one. The bets' and the safety rows' columns are
named by the code that sends them (``bets.queries.BULK_COLUMNS``, ``safety.queries``); a test
checks that these types still match them.

Revision ID: 0016_bulk_row_types
Revises: 0015_json_documents
Create Date: 2026-11-22
"""

from croupier.db.migration_sql import execute_script

revision = "0016_bulk_row_types"
down_revision = "0015_json_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script("""
    CREATE TYPE bet_bulk_row AS (
        operator_id integer, player_id bigint, game_id integer, round_id uuid,
        idempotency_key text, request_hash bytea, currency text, stake bigint,
        stake_cash bigint, win bigint, win_cash bigint, jackpot_contribution bigint,
        jackpot_win bigint, ggr bigint, xp_gained bigint, outcome text, cash_after bigint,
        bonus_after bigint, debit_transfer_id text, settle_transfer_id text,
        is_seeded boolean, game_version integer, created_at timestamptz, channel text
    );
    CREATE TYPE safety_save_row AS (
        operator_id integer, player_id bigint, state text, limits text, band text,
        score integer, reasons text, cooldown_until timestamptz, stop_until timestamptz,
        stop_code text, marketing_until timestamptz, at timestamptz, session_key text,
        session_state text, started_at timestamptz, net_loss bigint, loss_limit bigint,
        ended_code text
    );
    CREATE TYPE ledger_transfer_row AS (
        operator_id integer, type text, idempotency_key text, request_hash bytea,
        reference text, created_at timestamptz, metadata text
    );
    CREATE TYPE ledger_leg_row AS (transfer integer, account_id bigint, amount bigint);
    """)


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
