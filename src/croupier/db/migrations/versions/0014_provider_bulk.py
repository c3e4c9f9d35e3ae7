"""Provider callbacks in bulk: claims of many transaction ids, and metadata on bulk transfers.

* ``casino_claim_many`` is ``casino_claim`` for a batch of calls: it takes every id's advisory
  lock (ascending, like every claim, so batches and lone calls never deadlock on them), then
  reads what is already stored under any of the ids, in a statement of its own so that it sees
  what a call that held a lock before committed.
* ``ledger_post_many`` takes each transfer's metadata, as ``ledger_post`` does: a provider's
  transfers carry their game, round and transaction there (the analytics fold reads the game
  from it). The function is 0013's, with the one more column; it replaces it.

Revision ID: 0014_provider_bulk
Revises: 0013_ledger_bulk
Create Date: 2026-11-21
"""

import importlib

from croupier.db.migration_sql import execute_script

revision = "0014_provider_bulk"
down_revision = "0013_ledger_bulk"
branch_labels = None
depends_on = None

CLAIM_MANY = """
CREATE FUNCTION casino_claim_many(p_keys bigint[], p_provider_ids integer[], p_tx_refs text[])
RETURNS SETOF casino_transactions LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(k) FROM (SELECT DISTINCT unnest(p_keys) AS k) u ORDER BY k;
    RETURN QUERY SELECT t.* FROM casino_transactions t
                  JOIN unnest(p_provider_ids, p_tx_refs) AS c(provider_id, tx_ref)
                    ON t.provider_id = c.provider_id AND t.tx_ref = c.tx_ref;
END $$;
"""


def _post_many_with_metadata() -> str:
    """0013's function with a ``p_metadata jsonb[]`` argument stored in each transfer."""
    edits = [
        (
            "p_references text[], p_created_at timestamptz[],",
            "p_references text[], p_created_at timestamptz[], p_metadata jsonb[],",
        ),
        (
            "       OR cardinality(p_created_at) IS DISTINCT FROM n\n",
            "       OR cardinality(p_created_at) IS DISTINCT FROM n\n"
            "       OR cardinality(p_metadata) IS DISTINCT FROM n\n",
        ),
        (
            "request_hash, status,\n                                  reference, created_at)",
            "request_hash, status,\n                                  reference, created_at,"
            " metadata)",
        ),
        (
            "coalesce(u.created_at, croupier_now())\n",
            "coalesce(u.created_at, croupier_now()),\n           coalesce(u.metadata, '{}')\n",
        ),
        (
            "p_references, p_created_at)\n"
            "           WITH ORDINALITY AS u(operator_id, type, key, hash, reference, created_at,"
            " ord)",
            "p_references, p_created_at,\n"
            "                  p_metadata)\n"
            "           WITH ORDINALITY AS u(operator_id, type, key, hash, reference, created_at,"
            " metadata, ord)",
        ),
    ]
    text = importlib.import_module("croupier.db.migrations.versions.0013_ledger_bulk").POST_MANY
    for old, new in edits:
        if text.count(old) != 1:
            raise RuntimeError(f"0014: 0013's ledger_post_many changed near {old!r}")
        text = text.replace(old, new)
    return text


def upgrade() -> None:
    execute_script(
        "DROP FUNCTION ledger_post_many(integer[], text[], text[], bytea[], text[],"
        " timestamptz[], integer[], bigint[], bigint[]);"
    )
    execute_script(_post_many_with_metadata())
    execute_script(CLAIM_MANY)


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
