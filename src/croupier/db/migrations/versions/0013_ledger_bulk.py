"""Bulk posting: many balanced transfers in one call, set-wise (``ledger_post_many``).

The history backfill plays a million rounds; one ``ledger_post`` per transfer costs a dozen
statements inside the server for each. Here a whole batch is checked, claimed and applied with
a handful of set-based statements, under exactly the rules of ``ledger_post``:

* every transfer has two or more legs on distinct accounts of its operator, non-zero amounts,
  one currency, summing to zero; its idempotency key must be new (a bulk batch is never a
  retry: a taken key fails the whole batch, so nothing is posted twice);
* cached accounts are locked in ascending id order, then every entry's running balance and
  version are computed in batch order; if any no-overdraft account would dip below its
  reservation at any point, the whole batch fails (the caller planned it from locked balances,
  so this is a bug, never a rejection to store);
* derived accounts are appended to only; debits of guarded derived accounts (jackpot payouts)
  are refused here: they stay on ``ledger_post``, serialised per pool;
* the entries carry the transfer's ``created_at``, so the deferred whole-transfer trigger of
  migration 0002 checks them like any other.

Revision ID: 0013_ledger_bulk
Revises: 0012_rtp_monitoring
Create Date: 2026-11-21
"""

from croupier.db.migration_sql import execute_script

revision = "0013_ledger_bulk"
down_revision = "0012_rtp_monitoring"
branch_labels = None
depends_on = None

POST_MANY = """
CREATE FUNCTION ledger_post_many(
    p_operator_ids integer[], p_types text[], p_keys text[], p_hashes bytea[],
    p_references text[], p_created_at timestamptz[],
    p_leg_transfers integer[], p_leg_accounts bigint[], p_leg_amounts bigint[]
) RETURNS TABLE (
    ord integer, transfer_id bigint, created_at timestamptz, account_ids bigint[], balances bigint[]
)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    n integer := coalesce(cardinality(p_keys), 0);
    m integer := coalesce(cardinality(p_leg_transfers), 0);
    v_valid boolean;
    v_claimed integer;
    v_overdrawn bigint;
BEGIN
    IF n = 0 OR cardinality(p_operator_ids) IS DISTINCT FROM n
       OR cardinality(p_types) IS DISTINCT FROM n OR cardinality(p_hashes) IS DISTINCT FROM n
       OR cardinality(p_references) IS DISTINCT FROM n
       OR cardinality(p_created_at) IS DISTINCT FROM n
       OR cardinality(p_leg_accounts) IS DISTINCT FROM m
       OR cardinality(p_leg_amounts) IS DISTINCT FROM m THEN
        RAISE EXCEPTION USING ERRCODE = 'LD002',
            MESSAGE = 'bulk posting: one value per transfer and per leg in every array';
    END IF;

    -- Lock the cached accounts first, in ascending id order like every posting function.
    PERFORM 1 FROM ledger_accounts
     WHERE id IN (SELECT DISTINCT u.id FROM unnest(p_leg_accounts) AS u(id)) AND NOT derived
     ORDER BY id FOR UPDATE;

    -- Shape: every transfer 1..n has 2+ legs on distinct accounts of its operator, non-zero
    -- amounts in one currency summing to zero, and no payout from a guarded derived account.
    SELECT count(*) = n AND bool_and(t.ok) INTO v_valid
      FROM (SELECT l.t BETWEEN 1 AND n
                   AND count(*) >= 2 AND count(a.id) = count(*)
                   AND count(DISTINCT l.id) = count(*)
                   AND bool_and(a.operator_id = p_operator_ids[l.t])
                   AND bool_and(l.amount <> 0)
                   AND bool_and(NOT (a.derived AND a.no_overdraft AND l.amount < 0))
                   AND min(a.currency) = max(a.currency) AND sum(l.amount) = 0 AS ok
              FROM unnest(p_leg_transfers, p_leg_accounts, p_leg_amounts) AS l(t, id, amount)
              LEFT JOIN ledger_accounts a ON a.id = l.id
             GROUP BY l.t) t;
    IF v_valid IS NOT TRUE THEN
        RAISE EXCEPTION USING ERRCODE = 'LD002',
            MESSAGE = 'bulk posting: every transfer needs two or more legs on distinct accounts '
                      'of its operator, with non-zero amounts in one currency summing to zero '
                      '(and no payout from a jackpot pool)';
    END IF;

    -- Running balances in batch order; the first overdraft fails the batch.
    SELECT l.id INTO v_overdrawn
      FROM (SELECT u.id, u.t, u.pos,
                   sum(u.amount) OVER (PARTITION BY u.id ORDER BY u.t, u.pos)::bigint AS moved
              FROM unnest(p_leg_transfers, p_leg_accounts, p_leg_amounts)
                   WITH ORDINALITY AS u(t, id, amount, pos)) l
      JOIN ledger_accounts a ON a.id = l.id
     WHERE a.no_overdraft AND NOT a.derived AND a.balance + l.moved - a.reserved < 0
     LIMIT 1;
    IF v_overdrawn IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'LD005',
            MESSAGE = format('bulk posting would overdraw account %s', v_overdrawn);
    END IF;

    -- Claim the keys. Any taken key (or a key twice in the batch) fails the whole batch.
    INSERT INTO ledger_transfers (operator_id, type, idempotency_key, request_hash, status,
                                  reference, created_at)
    SELECT u.operator_id, u.type, u.key, u.hash, 'posted', u.reference,
           coalesce(u.created_at, croupier_now())
      FROM unnest(p_operator_ids, p_types, p_keys, p_hashes, p_references, p_created_at)
           WITH ORDINALITY AS u(operator_id, type, key, hash, reference, created_at, ord)
     ORDER BY u.ord
    ON CONFLICT (operator_id, idempotency_key) DO NOTHING;
    GET DIAGNOSTICS v_claimed = ROW_COUNT;
    IF v_claimed <> n THEN
        RAISE EXCEPTION USING ERRCODE = 'LD001',
            MESSAGE = 'bulk posting needs new idempotency keys: a key is taken or repeated';
    END IF;

    RETURN QUERY
    WITH claimed AS (
        SELECT u.ord::integer AS ord, t.id, t.operator_id, t.created_at
          FROM unnest(p_operator_ids, p_keys) WITH ORDINALITY AS u(operator_id, key, ord)
          JOIN ledger_transfers t
            ON t.operator_id = u.operator_id AND t.idempotency_key = u.key
    ), legs AS (
        SELECT u.t, u.id, u.amount, u.pos,
               row_number() OVER (PARTITION BY u.t ORDER BY u.pos) AS entry_no,
               sum(u.amount) OVER (PARTITION BY u.id ORDER BY u.t, u.pos)::bigint AS moved,
               row_number() OVER (PARTITION BY u.id ORDER BY u.t, u.pos) AS moves
          FROM unnest(p_leg_transfers, p_leg_accounts, p_leg_amounts)
               WITH ORDINALITY AS u(t, id, amount, pos)
    ), entries AS (
        SELECT c.ord, c.id AS transfer_id, l.entry_no, c.operator_id, l.id AS account_id,
               a.currency, l.amount,
               CASE WHEN NOT a.derived THEN a.balance + l.moved END AS balance_after,
               CASE WHEN NOT a.derived THEN a.version + l.moves END AS account_version,
               c.created_at, l.pos
          FROM legs l
          JOIN claimed c ON c.ord = l.t
          JOIN ledger_accounts a ON a.id = l.id
    ), written AS (
        INSERT INTO ledger_entries (transfer_id, entry_no, operator_id, account_id, currency,
                                    amount, balance_after, account_version, created_at)
        SELECT e.transfer_id, e.entry_no, e.operator_id, e.account_id, e.currency, e.amount,
               e.balance_after, e.account_version, e.created_at
          FROM entries e
    ), updated AS (
        UPDATE ledger_accounts a
           SET balance = a.balance + d.moved, version = a.version + d.moves
          FROM (SELECT l.id, sum(l.amount)::bigint AS moved, count(*) AS moves FROM legs l
                 GROUP BY l.id) d
         WHERE a.id = d.id AND NOT a.derived
    )
    SELECT e.ord, e.transfer_id, e.created_at,
           coalesce(array_agg(e.account_id ORDER BY e.pos)
                    FILTER (WHERE e.balance_after IS NOT NULL), '{}'),
           coalesce(array_agg(e.balance_after ORDER BY e.pos)
                    FILTER (WHERE e.balance_after IS NOT NULL), '{}')
      FROM entries e
     GROUP BY e.ord, e.transfer_id, e.created_at
     ORDER BY e.ord;
END $$;
"""


def upgrade() -> None:
    execute_script(POST_MANY)


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
