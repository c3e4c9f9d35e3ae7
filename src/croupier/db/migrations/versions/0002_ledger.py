"""Ledger: accounts, transfers, append-only entries and the posting functions.

Every movement of money is one call to a ``ledger_*`` function below: one round trip that claims
the idempotency key, applies the legs with conditional updates in ascending account-id order
(READ COMMITTED) and appends the entries. Hot shared accounts (house, clearing, jackpot pools...)
are ``derived``: no row is updated per transfer, their balance is a snapshot plus the entries since.

Revision ID: 0002_ledger
Revises: 0001_platform
Create Date: 2026-11-22
"""

from croupier.db.migration_sql import execute_script

revision = "0002_ledger"
down_revision = "0001_platform"
branch_labels = None
depends_on = None

# Custom SQLSTATEs, mapped to domain errors by croupier.ledger.errors:
#   LD001 idempotency key reused with another request, LD002 invalid transfer (a caller bug),
#   LD003 no open hold with that id, LD004 append-only ledger rows changed.
#
# ledger_apply and ledger_ensure_accounts pin their queries to generic plans. Those queries take
# arrays and find rows by primary or unique key, so the generic plan is always right; left to
# choose, PostgreSQL sees that a custom plan (which knows each array's length) looks cheaper
# and re-plans on every call, which costs more than running the queries.

KINDS = """
-- The account kinds and their flags: 1 = no overdraft (balance - reserved never below zero),
-- 2 = derived (insert-only: no cached balance, never row-locked); NULL for an unknown kind.
-- A constraint rather than reference rows, so no data clean-up can lose a kind. A later
-- migration adds a kind by replacing this function with one more branch, never removing one
-- (existing rows were checked against it).
CREATE FUNCTION ledger_kind_flags(p_kind text) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (CASE p_kind
        WHEN 'player_cash' THEN 1
        WHEN 'player_bonus' THEN 1
        WHEN 'player_coins' THEN 1
        WHEN 'bonus_held' THEN 1
        WHEN 'agent_float' THEN 1
        WHEN 'house' THEN 2
        WHEN 'jackpot_pool' THEN 3  -- payouts are serialised per pool, see ledger_apply
        WHEN 'voucher_liability' THEN 3
        WHEN 'payment_clearing' THEN 2
        WHEN 'provider_clearing' THEN 2
        WHEN 'marketing' THEN 2
        WHEN 'world' THEN 2
        WHEN 'jackpot_settlement' THEN 2
    END)::smallint
$$;
"""

TABLES = """
-- Amounts are credit-normal: a positive balance is what we owe the owner.
CREATE TABLE ledger_accounts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operator_id   integer NOT NULL REFERENCES operators(id),
    currency      char(3) NOT NULL,
    kind          text NOT NULL,
    owner_id      bigint NOT NULL DEFAULT 0,
    shard         smallint NOT NULL DEFAULT 0,
    balance       bigint NOT NULL DEFAULT 0,
    reserved      bigint NOT NULL DEFAULT 0,
    version       bigint NOT NULL DEFAULT 0,
    no_overdraft  boolean NOT NULL,
    derived       boolean NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- Owner first: a player's accounts are found without knowing the currency.
    UNIQUE (operator_id, owner_id, kind, currency, shard),
    -- Checked on every balance update. One expression, not three: PostgreSQL re-reads and
    -- prepares each CHECK for every statement. Reservations are never negative, no-overdraft
    -- accounts never dip below their reservations, derived accounts hold no cached balance.
    CONSTRAINT ledger_accounts_balance_rules CHECK (
        reserved >= 0
        AND (NOT no_overdraft OR balance - reserved >= 0)
        AND (NOT derived OR (balance = 0 AND reserved = 0 AND version = 0)))
) WITH (fillfactor = 80);  -- room for HOT updates of the balance columns

-- What an account is: a known kind with its flags, a currency code, owner and shard. A trigger
-- rather than CHECKs, so balance updates (which never touch these columns) do not pay for it.
CREATE FUNCTION ledger_accounts_check_identity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (ledger_kind_flags(NEW.kind) = NEW.no_overdraft::integer + 2 * NEW.derived::integer
        AND NEW.currency ~ '^[A-Z]{3}$' AND NEW.owner_id >= 0 AND NEW.shard >= 0) IS NOT TRUE
    THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation',
            MESSAGE = format('invalid account: kind %L (flags must match it), currency %L',
                             NEW.kind, NEW.currency);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER ledger_accounts_identity
    BEFORE INSERT OR UPDATE OF kind, no_overdraft, derived, currency, owner_id, shard
    ON ledger_accounts FOR EACH ROW EXECUTE FUNCTION ledger_accounts_check_identity();

-- Single-column rules of transfers are domains: a domain's check is cached per session, while a
-- table CHECK is read back and prepared again for every statement.
CREATE DOMAIN ledger_transfer_type AS text CHECK (VALUE ~ '^[a-z][a-z0-9_.:-]{0,63}$');
CREATE DOMAIN ledger_idempotency_key AS text CHECK (length(VALUE) BETWEEN 1 AND 255);
CREATE DOMAIN ledger_request_hash AS bytea CHECK (length(VALUE) = 32);  -- sha256
CREATE DOMAIN ledger_transfer_status AS text
    CHECK (VALUE IN ('posted', 'rejected', 'pending', 'voided'));
CREATE DOMAIN ledger_reference AS text CHECK (length(VALUE) <= 255);

-- One row per movement and the idempotency record. No foreign key on operator_id: its check
-- would share-lock the operator's row in every transfer; the accounts' own keys cover it.
CREATE TABLE ledger_transfers (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operator_id       integer NOT NULL,
    type              ledger_transfer_type NOT NULL,
    idempotency_key   ledger_idempotency_key NOT NULL,
    request_hash      ledger_request_hash NOT NULL,
    status            ledger_transfer_status NOT NULL,
    reject_code       text,
    pending_id        bigint REFERENCES ledger_transfers(id),  -- the hold this post/void resolves
    reverses_id       bigint REFERENCES ledger_transfers(id),
    hold_account_id   bigint,  -- what a hold reserves (kept if it was rejected)
    hold_amount       bigint,
    reference         ledger_reference,
    metadata          jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_by_staff  bigint REFERENCES staff_users(id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    created_xid       xid8 NOT NULL DEFAULT pg_current_xact_id(),
    UNIQUE (operator_id, idempotency_key),
    -- One CHECK rather than five, for the reason given on ledger_accounts.
    CONSTRAINT ledger_transfers_states CHECK (
        (status = 'rejected') = (reject_code IS NOT NULL)
        AND (hold_account_id IS NULL) = (hold_amount IS NULL)
        AND (hold_amount IS NULL OR hold_amount > 0)
        AND (status <> 'pending' OR hold_account_id IS NOT NULL)
        AND (status <> 'voided' OR pending_id IS NOT NULL))
);
CREATE UNIQUE INDEX ledger_transfers_one_resolution_per_hold ON ledger_transfers (pending_id)
    WHERE pending_id IS NOT NULL;
CREATE UNIQUE INDEX ledger_transfers_one_reversal ON ledger_transfers (reverses_id)
    WHERE reverses_id IS NOT NULL;
CREATE INDEX ledger_transfers_holds ON ledger_transfers (hold_account_id)
    WHERE status = 'pending';

-- Append-only postings. No foreign keys: each check would share-lock the referenced row, and
-- the house account is referenced by every bet. A trigger checks them at commit instead.
CREATE TABLE ledger_entries (
    transfer_id      bigint NOT NULL,
    entry_no         smallint NOT NULL,
    operator_id      integer NOT NULL,
    account_id       bigint NOT NULL,
    currency         char(3) NOT NULL,
    amount           bigint NOT NULL,
    balance_after    bigint,  -- cached accounts only; derived accounts have no running balance
    account_version  bigint,
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_xid      xid8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (transfer_id, entry_no),
    CONSTRAINT ledger_entries_shape CHECK (
        amount <> 0 AND (balance_after IS NULL) = (account_version IS NULL))
);
CREATE INDEX ledger_entries_statement
    ON ledger_entries (account_id, created_at, transfer_id, entry_no)
    WHERE account_version IS NOT NULL;
CREATE INDEX ledger_entries_derived ON ledger_entries (account_id, created_xid) INCLUDE (amount)
    WHERE account_version IS NULL;

-- balance = the sum of the account's entries whose created_xid < upto_xid (ledger.md §3.3 b).
CREATE TABLE ledger_derived_snapshots (
    account_id  bigint PRIMARY KEY REFERENCES ledger_accounts(id),
    balance     bigint NOT NULL,
    upto_xid    xid8 NOT NULL,
    taken_at    timestamptz NOT NULL DEFAULT now()
);
"""

GUARDS = """
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'LD004',
        MESSAGE = format('%s is append-only: %s refused', TG_TABLE_NAME, TG_OP);
END $$;

CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_transfers_no_delete BEFORE DELETE ON ledger_transfers
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_accounts_no_delete BEFORE DELETE ON ledger_accounts
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- The one change a transfer ever sees: the posting function marking the transfer it has just
-- claimed, in the same transaction and before any entry, as rejected for want of funds.
CREATE FUNCTION ledger_transfers_guard_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.created_xid = pg_current_xact_id()
       AND OLD.status IN ('posted', 'pending') AND NEW.status = 'rejected'
       AND (NEW.id, NEW.operator_id, NEW.type, NEW.idempotency_key, NEW.request_hash,
            NEW.pending_id, NEW.reverses_id, NEW.hold_account_id, NEW.hold_amount, NEW.reference,
            NEW.metadata, NEW.created_by_staff, NEW.created_at, NEW.created_xid)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.operator_id, OLD.type, OLD.idempotency_key, OLD.request_hash,
            OLD.pending_id, OLD.reverses_id, OLD.hold_account_id, OLD.hold_amount, OLD.reference,
            OLD.metadata, OLD.created_by_staff, OLD.created_at, OLD.created_xid)
       AND NOT EXISTS (SELECT 1 FROM ledger_entries WHERE transfer_id = OLD.id)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'LD004',
        MESSAGE = format('ledger_transfers row %s is immutable', OLD.id);
END $$;
CREATE TRIGGER ledger_transfers_immutable BEFORE UPDATE ON ledger_transfers
    FOR EACH ROW EXECUTE FUNCTION ledger_transfers_guard_update();

-- Whoever inserts entries: a transfer's entries are all written by one transaction, number
-- 1..n (n >= 2), balance per currency, and sit on accounts of the posted transfer's operator.
-- Checked at commit, once per transfer (on its entry 1); any other entry only has to belong
-- to the transaction that wrote entry 1, so nothing can be added to a transfer afterwards.
CREATE FUNCTION ledger_entries_check_transfer() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_ok boolean;
    v_one_currency boolean;
BEGIN
    IF NEW.entry_no <> 1 THEN
        SELECT EXISTS (SELECT 1 FROM ledger_entries
                        WHERE transfer_id = NEW.transfer_id AND entry_no = 1
                          AND created_xid = NEW.created_xid)
          INTO v_ok;
    ELSE
        SELECT count(*) >= 2 AND count(*) = max(e.entry_no) AND bool_and(
                   t.status = 'posted' AND t.operator_id = e.operator_id
                   AND e.created_xid = NEW.created_xid AND a.id IS NOT NULL
                   AND a.operator_id = e.operator_id AND a.currency = e.currency
                   AND a.derived = (e.account_version IS NULL))
               AND (min(e.currency) <> max(e.currency) OR sum(e.amount) = 0),
               min(e.currency) = max(e.currency)
          INTO v_ok, v_one_currency
          FROM ledger_entries e
          JOIN ledger_transfers t ON t.id = e.transfer_id
          LEFT JOIN ledger_accounts a ON a.id = e.account_id
         WHERE e.transfer_id = NEW.transfer_id;
        IF v_ok AND NOT v_one_currency THEN
            SELECT NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transfer_id = NEW.transfer_id
                                GROUP BY e.currency HAVING sum(e.amount) <> 0)
              INTO v_ok;
        END IF;
    END IF;
    IF v_ok IS NOT TRUE THEN
        RAISE EXCEPTION USING ERRCODE = 'LD002',
            MESSAGE = format('entries of transfer %s are unbalanced or inconsistent',
                             NEW.transfer_id);
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_entries_whole_transfers AFTER INSERT ON ledger_entries
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_check_transfer();
"""

ACCOUNTS = """
CREATE FUNCTION ledger_ensure_account(
    p_operator_id integer, p_currency char(3), p_kind text, p_owner_id bigint, p_shard smallint
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    SELECT id INTO v_id FROM ledger_accounts
     WHERE operator_id = p_operator_id AND owner_id = p_owner_id AND kind = p_kind
       AND currency = p_currency AND shard = p_shard;
    IF v_id IS NOT NULL THEN
        RETURN v_id;
    END IF;
    IF p_currency IS NULL OR ledger_kind_flags(p_kind) IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'LD002',
            MESSAGE = format('unknown account kind %L or missing currency', p_kind);
    END IF;
    INSERT INTO ledger_accounts
           (operator_id, currency, kind, owner_id, shard, no_overdraft, derived)
    VALUES (p_operator_id, p_currency, p_kind, p_owner_id, p_shard,
            ledger_kind_flags(p_kind) & 1 = 1, ledger_kind_flags(p_kind) & 2 = 2)
    ON CONFLICT (operator_id, owner_id, kind, currency, shard) DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN  -- a concurrent caller created it first; its commit made it visible
        SELECT id INTO v_id FROM ledger_accounts
         WHERE operator_id = p_operator_id AND owner_id = p_owner_id AND kind = p_kind
           AND currency = p_currency AND shard = p_shard;
    END IF;
    RETURN v_id;
END $$;

-- Several kinds of one owner at once, in the order asked; created only if one is missing.
CREATE FUNCTION ledger_ensure_accounts(
    p_operator_id integer, p_currency char(3), p_kinds text[], p_owner_id bigint
) RETURNS TABLE (id bigint, kind text, currency text, balance bigint, reserved bigint)
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    IF (SELECT count(*) FROM ledger_accounts a
         WHERE a.operator_id = p_operator_id AND a.owner_id = p_owner_id
           AND a.kind = ANY (p_kinds) AND a.currency = p_currency AND a.shard = 0)
       < cardinality(p_kinds)
    THEN
        PERFORM ledger_ensure_account(p_operator_id, p_currency, k.kind, p_owner_id, 0::smallint)
           FROM unnest(p_kinds) AS k(kind);
    END IF;
    RETURN QUERY
        SELECT a.id, a.kind, a.currency::text, a.balance, a.reserved
          FROM unnest(p_kinds) WITH ORDINALITY AS k(kind, ord)
          JOIN ledger_accounts a
            ON a.operator_id = p_operator_id AND a.owner_id = p_owner_id AND a.kind = k.kind
               AND a.currency = p_currency AND a.shard = 0
         ORDER BY k.ord;
END $$;

-- A derived account's balance is its snapshot plus its entries since; a cached one's is the row.
CREATE FUNCTION ledger_account_balance(p_account_id bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN NOT a.derived THEN a.balance ELSE
               coalesce(s.balance, 0) + coalesce((
                   SELECT sum(e.amount) FROM ledger_entries e
                    WHERE e.account_id = a.id AND e.account_version IS NULL
                      AND e.created_xid >= coalesce(s.upto_xid, '0'::xid8)), 0)::bigint
           END
      FROM ledger_accounts a LEFT JOIN ledger_derived_snapshots s ON s.account_id = a.id
     WHERE a.id = p_account_id
$$;

-- Transaction-scoped lock on one account without a row lock: the two-key form keeps the ledger's
-- keys apart from other domains' advisory locks.
CREATE FUNCTION ledger_lock_account(p_account_id bigint) RETURNS void LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(1279607879 + (p_account_id >> 31)::integer,
                                 (p_account_id & 2147483647)::integer)
$$;

-- Fold derived accounts' entries into their snapshots, up to the oldest transaction still
-- running: an entry of a transaction that has not committed yet is never skipped.
CREATE FUNCTION ledger_rollup_derived() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_horizon xid8;
    v_count integer;
BEGIN
    PERFORM ledger_lock_account(0);  -- one rollup at a time (account ids start at 1)
    v_horizon := pg_snapshot_xmin(pg_current_snapshot());
    WITH folded AS (
        SELECT a.id, coalesce(s.balance, 0) + coalesce(d.delta, 0) AS balance
          FROM ledger_accounts a
          LEFT JOIN ledger_derived_snapshots s ON s.account_id = a.id
          CROSS JOIN LATERAL (
              SELECT sum(e.amount)::bigint AS delta FROM ledger_entries e
               WHERE e.account_id = a.id AND e.account_version IS NULL
                 AND e.created_xid >= coalesce(s.upto_xid, '0'::xid8)
                 AND e.created_xid < v_horizon) d
         WHERE a.derived AND (s.upto_xid IS NULL OR s.upto_xid < v_horizon)
    )
    INSERT INTO ledger_derived_snapshots AS s (account_id, balance, upto_xid, taken_at)
    SELECT id, balance, v_horizon, now() FROM folded
    ON CONFLICT (account_id) DO UPDATE
        SET balance = EXCLUDED.balance, upto_xid = EXCLUDED.upto_xid, taken_at = EXCLUDED.taken_at;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END $$;
"""

POSTING = """
CREATE TYPE ledger_result AS (
    transfer_id  bigint,
    status       text,
    reject_code  text,
    created_at   timestamptz,
    replayed     boolean,
    account_ids  bigint[],  -- the cached accounts involved, with
    balances     bigint[],  -- their balance after the transfer (or now, if it moved nothing)
    amounts      bigint[]   -- and the amount each was moved (empty if nothing moved)
);

-- The stored outcome of a transfer. If it moved money: the balances its entries left; if not
-- (rejected, pending, voided): the current balances of the cached accounts it named.
CREATE FUNCTION ledger_outcome(p_transfer_id bigint, p_account_ids bigint[], p_replayed boolean)
RETURNS ledger_result LANGUAGE plpgsql AS $$
DECLARE
    r ledger_result;
BEGIN
    SELECT t.id, t.status, t.reject_code, t.created_at, p_replayed
      INTO r.transfer_id, r.status, r.reject_code, r.created_at, r.replayed
      FROM ledger_transfers t WHERE t.id = p_transfer_id;
    SELECT array_agg(e.account_id ORDER BY e.entry_no),
           array_agg(e.balance_after ORDER BY e.entry_no),
           array_agg(e.amount ORDER BY e.entry_no)
      INTO r.account_ids, r.balances, r.amounts
      FROM ledger_entries e WHERE e.transfer_id = p_transfer_id AND e.account_version IS NOT NULL;
    IF r.account_ids IS NULL THEN
        SELECT coalesce(array_agg(a.id ORDER BY a.id), '{}'),
               coalesce(array_agg(a.balance ORDER BY a.id), '{}')
          INTO r.account_ids, r.balances
          FROM ledger_accounts a WHERE a.id = ANY (p_account_ids) AND NOT a.derived;
        r.amounts := '{}';
    END IF;
    RETURN r;
END $$;

-- The key is taken: same request, the stored outcome; another request, refused.
CREATE FUNCTION ledger_replay(
    p_operator_id integer, p_key text, p_hash bytea, p_account_ids bigint[]
) RETURNS ledger_result LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
    v_hash bytea;
BEGIN
    SELECT id, request_hash INTO v_id, v_hash FROM ledger_transfers
     WHERE operator_id = p_operator_id AND idempotency_key = p_key;
    IF v_hash IS DISTINCT FROM p_hash THEN
        RAISE EXCEPTION USING ERRCODE = 'LD001',
            MESSAGE = 'idempotency key reused with a different request', DETAIL = v_id::text;
    END IF;
    RETURN ledger_outcome(v_id, p_account_ids, true);
END $$;

CREATE FUNCTION ledger_reject(p_transfer_id bigint, p_account_ids bigint[])
RETURNS ledger_result LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ledger_transfers SET status = 'rejected', reject_code = 'INSUFFICIENT_FUNDS'
     WHERE id = p_transfer_id;
    RETURN ledger_outcome(p_transfer_id, p_account_ids, false);
END $$;

-- Apply the legs of a claimed transfer and append its entries. Cached accounts are updated in
-- ascending id order with a conditional update (the re-checked WHERE is the funds check under
-- the row lock); derived accounts are not touched. Short of funds: the legs already applied are
-- undone and, if p_reject, the transfer is marked rejected; else status NULL comes back.
CREATE FUNCTION ledger_apply(
    p_transfer_id bigint, p_created_at timestamptz, p_operator_id integer,
    p_ids bigint[], p_amounts bigint[], p_releases bigint[], p_reject boolean
) RETURNS ledger_result LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    n integer := coalesce(cardinality(p_ids), 0);
    v_ids bigint[]; v_amounts bigint[]; v_releases bigint[]; v_currencies text[];
    v_derived boolean[]; v_guarded boolean[]; v_valid boolean; v_one_currency boolean;
    v_balances bigint[]; v_versions bigint[];
    v_balance bigint; v_version bigint;
    v_failed integer := 0;
    v_touched bigint[] := '{}';
    v_touched_balances bigint[] := '{}';
    v_touched_amounts bigint[] := '{}';
    r ledger_result;
BEGIN
    IF n < 2 OR cardinality(p_amounts) IS DISTINCT FROM n
       OR cardinality(p_releases) IS DISTINCT FROM n THEN
        RAISE EXCEPTION USING ERRCODE = 'LD002', MESSAGE = 'a transfer needs two or more legs';
    END IF;
    -- The legs in ascending account order (the order their rows are locked in), with their
    -- accounts; one sorted pass. The planner keeps a sorted subquery's order for array_agg.
    SELECT array_agg(l.id), array_agg(l.amount), array_agg(l.release), array_agg(l.currency),
           array_agg(l.derived), array_agg(l.derived AND l.no_overdraft AND l.amount < 0),
           count(l.matched) = n AND bool_and(l.operator_id = p_operator_id)
               AND bool_and(l.amount <> 0)
               AND bool_and(l.release >= 0 AND (l.release = 0 OR NOT l.derived))
               AND (min(l.currency) <> max(l.currency) OR sum(l.amount) = 0),
           min(l.currency) = max(l.currency)
      INTO v_ids, v_amounts, v_releases, v_currencies, v_derived, v_guarded, v_valid, v_one_currency
      FROM (SELECT u.id, u.amount, u.release, a.id AS matched, a.operator_id, a.currency,
                   a.derived, a.no_overdraft
              FROM unnest(p_ids, p_amounts, p_releases) AS u(id, amount, release)
              LEFT JOIN ledger_accounts a ON a.id = u.id
             ORDER BY u.id) l;
    FOR i IN 2..n LOOP
        v_valid := v_valid AND v_ids[i] <> v_ids[i - 1];
    END LOOP;
    IF v_valid AND NOT v_one_currency THEN
        SELECT NOT EXISTS (SELECT 1 FROM unnest(v_currencies, v_amounts) AS c(currency, amount)
                            GROUP BY c.currency HAVING sum(c.amount) <> 0)
          INTO v_valid;
    END IF;
    IF v_valid IS NOT TRUE THEN
        RAISE EXCEPTION USING ERRCODE = 'LD002',
            MESSAGE = 'legs must name distinct accounts of the operator, with non-zero amounts '
                      'summing to zero per currency';
    END IF;

    v_balances := array_fill(NULL::bigint, ARRAY[n]);
    v_versions := array_fill(NULL::bigint, ARRAY[n]);
    FOR i IN 1..n LOOP
        IF NOT v_derived[i] THEN
            UPDATE ledger_accounts
               SET balance = balance + v_amounts[i], reserved = reserved - v_releases[i],
                   version = version + 1
             WHERE id = v_ids[i]
               AND (NOT no_overdraft OR balance + v_amounts[i] - (reserved - v_releases[i]) >= 0)
            RETURNING balance, version INTO v_balance, v_version;
            IF NOT FOUND THEN
                v_failed := i;
                EXIT;
            END IF;
            v_balances[i] := v_balance;
            v_versions[i] := v_version;
            v_touched := v_touched || v_ids[i];
            v_touched_balances := v_touched_balances || v_balance;
            v_touched_amounts := v_touched_amounts || v_amounts[i];
        ELSIF v_guarded[i] THEN
            -- A debit of a derived account that must stay >= 0 (a jackpot payout): rare, so it
            -- is serialised per account, and the balance is read after the lock is held.
            PERFORM ledger_lock_account(v_ids[i]);
            SELECT ledger_account_balance(v_ids[i]) INTO v_balance;
            IF v_balance + v_amounts[i] < 0 THEN
                v_failed := i;
                EXIT;
            END IF;
        END IF;
    END LOOP;

    IF v_failed > 0 THEN
        -- Undo what was applied: those rows are still locked by us, so nobody saw it.
        FOR j IN 1..v_failed - 1 LOOP
            IF NOT v_derived[j] THEN
                UPDATE ledger_accounts
                   SET balance = balance - v_amounts[j], reserved = reserved + v_releases[j],
                       version = version - 1
                 WHERE id = v_ids[j];
            END IF;
        END LOOP;
        IF p_reject THEN
            RETURN ledger_reject(p_transfer_id, v_ids);
        END IF;
        RETURN r;  -- status NULL: the caller decides
    END IF;

    INSERT INTO ledger_entries (transfer_id, entry_no, operator_id, account_id, currency, amount,
                                balance_after, account_version, created_at)
    SELECT p_transfer_id, l.no, p_operator_id, l.id, l.currency, l.amount, l.balance, l.version,
           p_created_at
      FROM unnest(v_ids, v_currencies, v_amounts, v_balances, v_versions)
           WITH ORDINALITY AS l(id, currency, amount, balance, version, no);

    r := (p_transfer_id, 'posted', NULL, p_created_at, false, v_touched, v_touched_balances,
          v_touched_amounts);
    RETURN r;
END $$;
"""

OPERATIONS = """
CREATE FUNCTION ledger_post(
    p_operator_id integer, p_type text, p_key text, p_hash bytea,
    p_ids bigint[], p_amounts bigint[],
    p_reference text, p_metadata jsonb, p_staff_id bigint, p_reverses_id bigint
) RETURNS ledger_result LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
    v_created timestamptz;
BEGIN
    -- Claim the key first: a concurrent duplicate waits here until we commit, then replays.
    INSERT INTO ledger_transfers (operator_id, type, idempotency_key, request_hash, status,
                                  reverses_id, reference, metadata, created_by_staff)
    VALUES (p_operator_id, p_type, p_key, p_hash, 'posted', p_reverses_id, p_reference,
            coalesce(p_metadata, '{}'::jsonb), p_staff_id)
    ON CONFLICT (operator_id, idempotency_key) DO NOTHING
    RETURNING id, created_at INTO v_id, v_created;
    IF v_id IS NULL THEN
        RETURN ledger_replay(p_operator_id, p_key, p_hash, p_ids);
    END IF;
    IF p_reverses_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM ledger_transfers
         WHERE id = p_reverses_id AND operator_id = p_operator_id AND status = 'posted')
    THEN
        RAISE EXCEPTION USING ERRCODE = 'LD002',
            MESSAGE = 'the reversed transfer is not a posted transfer of this operator';
    END IF;
    RETURN ledger_apply(v_id, v_created, p_operator_id, p_ids, p_amounts,
                        array_fill(0::bigint, ARRAY[coalesce(cardinality(p_ids), 0)]), true);
END $$;

-- Debit a player, cash first and then bonus (p_bonus_id NULL: cash only), crediting
-- p_to_account_id. The split is decided under the rows' locks, so two concurrent debits can
-- never both spend the same cash.
CREATE FUNCTION ledger_debit(
    p_operator_id integer, p_type text, p_key text, p_hash bytea,
    p_cash_id bigint, p_bonus_id bigint, p_amount bigint, p_to_account_id bigint,
    p_reference text, p_metadata jsonb, p_staff_id bigint
) RETURNS ledger_result LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
    v_created timestamptz;
    v_sources bigint[] := array_remove(ARRAY[p_cash_id, p_bonus_id], NULL);
    v_to_cached boolean;
    v_row record;
    v_cash bigint := 0;
    v_bonus bigint := 0;
    v_cash_part bigint;
    v_ids bigint[];
    v_amounts bigint[];
    r ledger_result;
BEGIN
    IF p_amount IS NULL OR p_amount <= 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'LD002', MESSAGE = 'a debit needs a positive amount';
    END IF;
    INSERT INTO ledger_transfers (operator_id, type, idempotency_key, request_hash, status,
                                  reference, metadata, created_by_staff)
    VALUES (p_operator_id, p_type, p_key, p_hash, 'posted', p_reference,
            coalesce(p_metadata, '{}'::jsonb), p_staff_id)
    ON CONFLICT (operator_id, idempotency_key) DO NOTHING
    RETURNING id, created_at INTO v_id, v_created;
    IF v_id IS NULL THEN
        RETURN ledger_replay(p_operator_id, p_key, p_hash, v_sources);
    END IF;
    SELECT NOT derived INTO v_to_cached FROM ledger_accounts WHERE id = p_to_account_id;

    -- The usual bet: the cash alone covers it, one conditional update. Only when the cash row
    -- has the lowest id this debit may lock, so locks are never taken out of order.
    IF p_cash_id < least(coalesce(p_bonus_id, p_cash_id + 1),
                         CASE WHEN v_to_cached THEN p_to_account_id ELSE p_cash_id + 1 END) THEN
        r := ledger_apply(v_id, v_created, p_operator_id, ARRAY[p_cash_id, p_to_account_id],
                          ARRAY[-p_amount, p_amount], ARRAY[0, 0]::bigint[], p_bonus_id IS NULL);
        IF r.status IS NOT NULL THEN
            RETURN r;
        END IF;
    END IF;

    -- Lock the cached rows involved in ascending id order, then split under those locks.
    FOR v_row IN
        SELECT id, balance - reserved AS available FROM ledger_accounts
         WHERE id = ANY (v_sources || CASE WHEN v_to_cached THEN p_to_account_id END)
           AND NOT derived
         ORDER BY id FOR UPDATE
    LOOP
        IF v_row.id = p_cash_id THEN
            v_cash := v_row.available;
        ELSIF v_row.id = p_bonus_id THEN
            v_bonus := v_row.available;
        END IF;
    END LOOP;
    v_cash_part := least(v_cash, p_amount);
    IF p_amount - v_cash_part > v_bonus THEN
        RETURN ledger_reject(v_id, v_sources);
    END IF;
    v_ids := ARRAY[p_to_account_id];
    v_amounts := ARRAY[p_amount];
    IF v_cash_part > 0 THEN
        v_ids := v_ids || p_cash_id;
        v_amounts := v_amounts || -v_cash_part;
    END IF;
    IF p_amount > v_cash_part THEN
        v_ids := v_ids || p_bonus_id;
        v_amounts := v_amounts || (v_cash_part - p_amount);
    END IF;
    RETURN ledger_apply(v_id, v_created, p_operator_id, v_ids, v_amounts,
                        array_fill(0::bigint, ARRAY[cardinality(v_ids)]), true);
END $$;

-- Reserve p_amount of a cached account (balance - reserved must cover it): a pending transfer.
CREATE FUNCTION ledger_hold(
    p_operator_id integer, p_type text, p_key text, p_hash bytea,
    p_account_id bigint, p_amount bigint, p_reference text, p_metadata jsonb, p_staff_id bigint
) RETURNS ledger_result LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    IF p_amount IS NULL OR p_amount <= 0 OR NOT EXISTS (
        SELECT 1 FROM ledger_accounts
         WHERE id = p_account_id AND operator_id = p_operator_id AND NOT derived)
    THEN
        RAISE EXCEPTION USING ERRCODE = 'LD002',
            MESSAGE = 'a hold needs a positive amount on a cached account of the operator';
    END IF;
    INSERT INTO ledger_transfers (operator_id, type, idempotency_key, request_hash, status,
                                  hold_account_id, hold_amount, reference, metadata,
                                  created_by_staff)
    VALUES (p_operator_id, p_type, p_key, p_hash, 'pending', p_account_id, p_amount, p_reference,
            coalesce(p_metadata, '{}'::jsonb), p_staff_id)
    ON CONFLICT (operator_id, idempotency_key) DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        RETURN ledger_replay(p_operator_id, p_key, p_hash, ARRAY[p_account_id]);
    END IF;
    UPDATE ledger_accounts SET reserved = reserved + p_amount
     WHERE id = p_account_id AND balance - reserved >= p_amount;
    IF NOT FOUND THEN
        RETURN ledger_reject(v_id, ARRAY[p_account_id]);
    END IF;
    RETURN ledger_outcome(v_id, ARRAY[p_account_id], false);
END $$;

-- Resolve a hold once: post it (the reserved amount leaves the account for p_to_account_id) or
-- void it (the reservation is released). A second resolution under another key breaks the
-- unique index ledger_transfers_one_resolution_per_hold.
CREATE FUNCTION ledger_resolve_hold(
    p_operator_id integer, p_hold_id bigint, p_post boolean, p_type text, p_key text,
    p_hash bytea, p_to_account_id bigint, p_reference text, p_metadata jsonb, p_staff_id bigint
) RETURNS ledger_result LANGUAGE plpgsql AS $$
DECLARE
    v_account bigint;
    v_amount bigint;
    v_id bigint;
    v_created timestamptz;
BEGIN
    -- A retry is answered first, as by every operation, whatever the hold it names.
    SELECT h.hold_account_id INTO v_account
      FROM ledger_transfers t LEFT JOIN ledger_transfers h ON h.id = t.pending_id
     WHERE t.operator_id = p_operator_id AND t.idempotency_key = p_key;
    IF FOUND THEN
        RETURN ledger_replay(p_operator_id, p_key, p_hash, ARRAY[v_account]);
    END IF;
    SELECT hold_account_id, hold_amount INTO v_account, v_amount FROM ledger_transfers
     WHERE id = p_hold_id AND operator_id = p_operator_id AND status = 'pending';
    IF v_account IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'LD003', MESSAGE = format('no hold %s', p_hold_id);
    END IF;
    INSERT INTO ledger_transfers (operator_id, type, idempotency_key, request_hash, status,
                                  pending_id, reference, metadata, created_by_staff)
    VALUES (p_operator_id, p_type, p_key, p_hash, CASE WHEN p_post THEN 'posted' ELSE 'voided' END,
            p_hold_id, p_reference, coalesce(p_metadata, '{}'::jsonb), p_staff_id)
    ON CONFLICT (operator_id, idempotency_key) DO NOTHING
    RETURNING id, created_at INTO v_id, v_created;
    IF v_id IS NULL THEN
        RETURN ledger_replay(p_operator_id, p_key, p_hash, ARRAY[v_account]);
    END IF;
    IF p_post THEN
        RETURN ledger_apply(v_id, v_created, p_operator_id, ARRAY[v_account, p_to_account_id],
                            ARRAY[-v_amount, v_amount], ARRAY[v_amount, 0], true);
    END IF;
    UPDATE ledger_accounts SET reserved = reserved - v_amount WHERE id = v_account;
    RETURN ledger_outcome(v_id, ARRAY[v_account], false);
END $$;
"""


def upgrade() -> None:
    execute_script(KINDS + TABLES + GUARDS + ACCOUNTS + POSTING + OPERATIONS)


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
