"""Bulk posting with less work inside PostgreSQL, and whole transfers checked per statement.

Profiled on a batch of 20 live spins (40 transfers, 91 legs; bench/RESULTS.md, "Session 20"):

* ``ledger_post_many`` took its transfers and legs as ten column arrays, which the caller
  (``ledger.queries``) built by unpacking two arrays of rows (migration 0016) and aggregating
  them again. It now takes the two arrays of rows themselves.
* Its entries found their transfer by joining every leg to every claimed transfer: the planner
  expects ten rows from an ``unnest`` and chose a nested loop, 40 x 91 comparisons, about half
  of the statement. The claimed ids are now an array indexed by the leg's transfer number.
* The whole-transfer rule of migration 0002 was a deferred constraint trigger, so each entry
  queued an event and ran a PL/pgSQL call and a query at commit: about a seventh of the spin
  batch's time in PostgreSQL. It is now an ``AFTER INSERT ... FOR EACH STATEMENT`` trigger with
  the statement's new rows as a transition table: one set-wise query per insert. The rule is
  checked when the insert ends rather than at commit, and it is a little stricter: one
  statement writes a transfer whole. Every transfer the statement wrote to gets entries 1..n
  (n >= 2) from it, balanced per currency, on accounts of the posted transfer's operator. Both
  writers (``ledger_apply`` and ``ledger_post_many``) already write a transfer's entries in
  one statement. An entry added to a transfer later, by any statement or transaction, is refused:
  it cannot be entry 1 (the primary key holds that one), so its statement does not write that
  transfer whole. The check reads only the statement's own rows, their transfers and accounts.
* A bet's foreign key to its operator is dropped: its key to the player, (operator_id,
  player_id), already proves the operator (players.operator_id references operators), and
  each check share-locked the operator's row, which every spin of the operator's players locks.

Revision ID: 0017_lean_bulk_posting
Revises: 0016_bulk_row_types
Create Date: 2026-11-22
"""

from croupier.db.migration_sql import execute_script

revision = "0017_lean_bulk_posting"
down_revision = "0016_bulk_row_types"
branch_labels = None
depends_on = None

WHOLE_TRANSFERS = """
DROP TRIGGER ledger_entries_whole_transfers ON ledger_entries;
DROP FUNCTION ledger_entries_check_transfer();

CREATE FUNCTION ledger_entries_check_transfers() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_bad bigint;
BEGIN
    -- A statement writes each of its transfers whole: entries 1..n, none of them there before
    -- (the primary key refuses a second entry 1, so a later statement can never add to it).
    SELECT g.transfer_id INTO v_bad
      FROM (SELECT e.transfer_id,
                   min(e.entry_no) = 1 AND count(*) >= 2 AND count(*) = max(e.entry_no)
                   AND bool_and(t.status = 'posted' AND t.operator_id = e.operator_id
                                AND e.created_xid = pg_current_xact_id() AND a.id IS NOT NULL
                                AND a.operator_id = e.operator_id AND a.currency = e.currency
                                AND a.derived = (e.account_version IS NULL)) AS ok,
                   min(e.currency) = max(e.currency) AS one_currency,
                   sum(e.amount) AS total
              FROM added_entries e
              LEFT JOIN ledger_transfers t ON t.id = e.transfer_id
              LEFT JOIN ledger_accounts a ON a.id = e.account_id
             GROUP BY e.transfer_id) g
     WHERE g.ok IS NOT TRUE
        OR (g.one_currency AND g.total <> 0)
        OR (NOT g.one_currency
            AND EXISTS (SELECT 1 FROM added_entries e WHERE e.transfer_id = g.transfer_id
                         GROUP BY e.currency HAVING sum(e.amount) <> 0))
     LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'LD002',
            MESSAGE = format('entries of transfer %s are unbalanced or inconsistent', v_bad);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER ledger_entries_whole_transfers AFTER INSERT ON ledger_entries
    REFERENCING NEW TABLE AS added_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_check_transfers();
"""

POST_MANY = """
DROP FUNCTION ledger_post_many(integer[], text[], text[], bytea[], text[], timestamptz[],
                               jsonb[], integer[], bigint[], bigint[]);

CREATE FUNCTION ledger_post_many(p_transfers ledger_transfer_row[], p_legs ledger_leg_row[])
RETURNS TABLE (
    ord integer, transfer_id bigint, created_at timestamptz, account_ids bigint[], balances bigint[]
)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    n integer := coalesce(cardinality(p_transfers), 0);
    v_valid boolean;
    v_overdrawn bigint;
    v_ids bigint[];
    v_created timestamptz[];
BEGIN
    IF n = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'LD002', MESSAGE = 'bulk posting: no transfers';
    END IF;

    -- Lock the cached accounts first, in ascending id order like every posting function.
    PERFORM 1 FROM ledger_accounts
     WHERE id IN (SELECT DISTINCT l.account_id FROM unnest(p_legs) AS l) AND NOT derived
     ORDER BY id FOR UPDATE;

    -- Shape: every transfer 1..n has 2+ legs on distinct accounts of its operator, non-zero
    -- amounts in one currency summing to zero, and no payout from a guarded derived account.
    SELECT count(*) = n AND bool_and(t.ok) INTO v_valid
      FROM (SELECT l.transfer BETWEEN 1 AND n
                   AND count(*) >= 2 AND count(a.id) = count(*)
                   AND count(DISTINCT l.account_id) = count(*)
                   AND bool_and(a.operator_id = (p_transfers[l.transfer]).operator_id)
                   AND bool_and(l.amount <> 0)
                   AND bool_and(NOT (a.derived AND a.no_overdraft AND l.amount < 0))
                   AND min(a.currency) = max(a.currency) AND sum(l.amount) = 0 AS ok
              FROM unnest(p_legs) AS l
              LEFT JOIN ledger_accounts a ON a.id = l.account_id
             GROUP BY l.transfer) t;
    IF v_valid IS NOT TRUE THEN
        RAISE EXCEPTION USING ERRCODE = 'LD002',
            MESSAGE = 'bulk posting: every transfer needs two or more legs on distinct accounts '
                      'of its operator, with non-zero amounts in one currency summing to zero '
                      '(and no payout from a jackpot pool)';
    END IF;

    -- Running balances in batch order; the first overdraft fails the batch.
    SELECT l.account_id INTO v_overdrawn
      FROM (SELECT u.account_id,
                   sum(u.amount) OVER (PARTITION BY u.account_id ORDER BY u.transfer, u.pos)::bigint
                       AS moved
              FROM unnest(p_legs) WITH ORDINALITY AS u(transfer, account_id, amount, pos)) l
      JOIN ledger_accounts a ON a.id = l.account_id
     WHERE a.no_overdraft AND NOT a.derived AND a.balance + l.moved - a.reserved < 0
     LIMIT 1;
    IF v_overdrawn IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'LD005',
            MESSAGE = format('bulk posting would overdraw account %s', v_overdrawn);
    END IF;

    -- Claim the keys. Any taken key (or a key twice in the batch) fails the whole batch on the
    -- keys' unique index (ledger.errors reads that violation as a reused key). A plain insert:
    -- ON CONFLICT DO NOTHING inserted each row speculatively, a third of the statement's time.
    INSERT INTO ledger_transfers (operator_id, type, idempotency_key, request_hash, status,
                                  reference, created_at, metadata)
    SELECT u.operator_id, u.type, u.idempotency_key, u.request_hash, 'posted', u.reference,
           coalesce(u.created_at, croupier_now()), coalesce(u.metadata::jsonb, '{}')
      FROM unnest(p_transfers) WITH ORDINALITY AS u
     ORDER BY u.ordinality;
    -- The claimed ids by transfer number: each leg then finds its transfer by subscript.
    SELECT array_agg(t.id ORDER BY u.ordinality), array_agg(t.created_at ORDER BY u.ordinality)
      INTO v_ids, v_created
      FROM unnest(p_transfers) WITH ORDINALITY AS u
      JOIN ledger_transfers t
        ON t.operator_id = u.operator_id AND t.idempotency_key = u.idempotency_key;

    RETURN QUERY
    WITH legs AS (
        SELECT u.transfer, u.account_id, u.amount, u.pos,
               row_number() OVER (PARTITION BY u.transfer ORDER BY u.pos) AS entry_no,
               sum(u.amount) OVER (PARTITION BY u.account_id ORDER BY u.transfer, u.pos)::bigint
                   AS moved,
               row_number() OVER (PARTITION BY u.account_id ORDER BY u.transfer, u.pos) AS moves
          FROM unnest(p_legs) WITH ORDINALITY AS u(transfer, account_id, amount, pos)
    ), entries AS (
        SELECT l.transfer AS ord, v_ids[l.transfer] AS transfer_id, l.entry_no,
               (p_transfers[l.transfer]).operator_id, l.account_id, a.currency, l.amount,
               CASE WHEN NOT a.derived THEN a.balance + l.moved END AS balance_after,
               CASE WHEN NOT a.derived THEN a.version + l.moves END AS account_version,
               v_created[l.transfer] AS created_at, l.pos
          FROM legs l
          JOIN ledger_accounts a ON a.id = l.account_id
    ), written AS (
        INSERT INTO ledger_entries (transfer_id, entry_no, operator_id, account_id, currency,
                                    amount, balance_after, account_version, created_at)
        SELECT e.transfer_id, e.entry_no, e.operator_id, e.account_id, e.currency, e.amount,
               e.balance_after, e.account_version, e.created_at
          FROM entries e
    ), updated AS (
        UPDATE ledger_accounts a
           SET balance = a.balance + d.moved, version = a.version + d.moves
          FROM (SELECT l.account_id, sum(l.amount)::bigint AS moved, count(*) AS moves
                  FROM legs l GROUP BY l.account_id) d
         WHERE a.id = d.account_id AND NOT a.derived
    )
    SELECT e.ord::integer, e.transfer_id, e.created_at,
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
    execute_script("ALTER TABLE bets DROP CONSTRAINT bets_operator_id_fkey;")
    execute_script(WHOLE_TRANSFERS)
    execute_script(POST_MANY)


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
