"""The ledger audit: every invariant of reference/ledger.md §7 that the data can show, checked
with one set-based statement each (no per-row Python), for one operator or all of them.

Each check lists its offenders (transfer, account or "operator:currency" ids); a statement
sees one snapshot, so a check is never fooled by transfers committing while it runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from croupier.kit.tenancy import Scope

SAMPLE_SIZE = 10


def _in_scope(alias: str) -> str:
    return f"($1::int IS NULL OR {alias}.operator_id = $1)"


CHECKS: dict[str, str] = {
    # Double entry: each transfer's entries sum to zero in every currency.
    "transfers_zero_sum": f"""
        SELECT DISTINCT e.transfer_id::text AS id FROM (
            SELECT transfer_id FROM ledger_entries e WHERE {_in_scope("e")}
            GROUP BY transfer_id, currency HAVING sum(amount) <> 0) e""",
    # Posted transfers have two or more entries; rejected, pending and voided ones have none.
    "entry_count_min_two": f"""
        SELECT t.id::text AS id FROM ledger_transfers t
        LEFT JOIN (SELECT transfer_id, count(*) AS n FROM ledger_entries e
                   WHERE {_in_scope("e")} GROUP BY transfer_id) e ON e.transfer_id = t.id
        WHERE {_in_scope("t")}
          AND CASE WHEN t.status = 'posted' THEN coalesce(e.n, 0) < 2 ELSE e.n IS NOT NULL END""",
    # Every entry belongs to an existing transfer and account of its own operator and currency.
    "entries_consistent": f"""
        SELECT DISTINCT e.transfer_id::text AS id FROM ledger_entries e
        LEFT JOIN ledger_transfers t ON t.id = e.transfer_id
        LEFT JOIN ledger_accounts a ON a.id = e.account_id
        WHERE {_in_scope("e")}
          AND (t.id IS NULL OR a.id IS NULL OR t.operator_id <> e.operator_id
               OR a.operator_id <> e.operator_id OR a.currency <> e.currency
               OR a.derived <> (e.account_version IS NULL))""",
    # Cache = journal: a cached balance is the sum of the account's entries.
    "cached_balance_equals_entries": f"""
        SELECT a.id::text AS id FROM ledger_accounts a
        LEFT JOIN (SELECT account_id, sum(amount) AS total FROM ledger_entries e
                   WHERE {_in_scope("e")} GROUP BY account_id) e ON e.account_id = a.id
        WHERE {_in_scope("a")} AND NOT a.derived AND a.balance <> coalesce(e.total, 0)""",
    # Versions run 1..n, each balance_after is the previous one plus the amount, and the last
    # one is the account's balance and version.
    "balance_after_chain": f"""
        WITH chain AS (
            SELECT account_id, account_version, amount, balance_after,
                   row_number() OVER w AS position,
                   lag(balance_after, 1, 0::bigint) OVER w AS previous
            FROM ledger_entries e WHERE e.account_version IS NOT NULL AND {_in_scope("e")}
            WINDOW w AS (PARTITION BY account_id ORDER BY account_version)
        ), last AS (
            SELECT DISTINCT ON (account_id) account_id, position, balance_after
            FROM chain ORDER BY account_id, position DESC
        )
        SELECT account_id::text AS id FROM chain
        WHERE account_version <> position OR balance_after <> previous + amount
        UNION
        SELECT a.id::text FROM ledger_accounts a LEFT JOIN last l ON l.account_id = a.id
        WHERE {_in_scope("a")} AND NOT a.derived
          AND (a.version <> coalesce(l.position, 0)
               OR a.balance <> coalesce(l.balance_after, 0))""",
    "no_forbidden_negative": f"""
        SELECT a.id::text AS id FROM ledger_accounts a
        WHERE {_in_scope("a")}
          AND (a.reserved < 0 OR (a.no_overdraft AND CASE WHEN a.derived
                   THEN ledger_account_balance(a.id) ELSE a.balance - a.reserved END < 0))""",
    # Conservation: each operator's accounts in one currency sum to zero, derived ones included.
    "books_balance_per_operator_currency": f"""
        SELECT a.operator_id || ':' || a.currency AS id FROM ledger_accounts a
        WHERE {_in_scope("a")}
        GROUP BY a.operator_id, a.currency
        HAVING sum(CASE WHEN a.derived THEN ledger_account_balance(a.id)
                        ELSE a.balance END) <> 0""",
    "reserved_equals_open_holds": f"""
        SELECT a.id::text AS id FROM ledger_accounts a
        LEFT JOIN (
            SELECT h.hold_account_id, sum(h.hold_amount) AS held FROM ledger_transfers h
            WHERE h.status = 'pending' AND {_in_scope("h")}
              AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = h.id)
            GROUP BY h.hold_account_id) o ON o.hold_account_id = a.id
        WHERE {_in_scope("a")} AND a.reserved <> coalesce(o.held, 0)""",
    # A resolution resolves a pending hold of its operator; a post moves exactly the held amount.
    "hold_resolutions_match": f"""
        SELECT r.id::text AS id FROM ledger_transfers r
        JOIN ledger_transfers h ON h.id = r.pending_id
        WHERE {_in_scope("r")} AND r.pending_id IS NOT NULL
          AND (h.status <> 'pending' OR h.operator_id <> r.operator_id
               OR r.status NOT IN ('posted', 'voided')
               OR (r.status = 'posted' AND NOT EXISTS (
                   SELECT 1 FROM ledger_entries e
                   WHERE e.transfer_id = r.id AND e.account_id = h.hold_account_id
                     AND e.amount = -h.hold_amount)))""",
    # A derived account's snapshot is the sum of its entries below the snapshot's horizon.
    "derived_snapshots_consistent": f"""
        SELECT s.account_id::text AS id FROM ledger_derived_snapshots s
        JOIN ledger_accounts a ON a.id = s.account_id
        CROSS JOIN LATERAL (
            SELECT sum(e.amount) AS total FROM ledger_entries e
            WHERE e.account_id = s.account_id AND e.created_xid < s.upto_xid) f
        WHERE {_in_scope("a")} AND (NOT a.derived OR s.balance <> coalesce(f.total, 0))""",
}

_TOTALS = f"""
    SELECT (SELECT count(*) FROM ledger_accounts a WHERE {_in_scope("a")}) AS accounts,
           (SELECT count(*) FROM ledger_transfers t WHERE {_in_scope("t")}) AS transfers,
           (SELECT count(*) FROM ledger_entries e WHERE {_in_scope("e")}) AS entries"""


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    ok: bool
    count: int  # offenders
    sample_ids: list[str]


@dataclass(frozen=True, slots=True)
class AuditReport:
    ok: bool
    operator_id: int | None  # None: every operator
    checked_at: datetime
    duration_ms: int
    accounts: int
    transfers: int
    entries: int
    checks: list[CheckResult]


async def run_audit(conn: asyncpg.Connection, scope: Scope) -> AuditReport:
    """Run every check within the caller's scope (a platform admin's may span all operators)."""
    started = time.perf_counter()
    checked_at = datetime.now(UTC)
    operator_id = scope.operator_id
    results = []
    for name, sql in CHECKS.items():
        row = await conn.fetchrow(
            f"""SELECT count(*) AS offenders,
                       (array_agg(id ORDER BY length(id), id))[1:{SAMPLE_SIZE}] AS sample
                FROM ({sql}) offenders""",
            operator_id,
        )
        results.append(
            CheckResult(name, row["offenders"] == 0, row["offenders"], row["sample"] or [])
        )
    totals = await conn.fetchrow(_TOTALS, operator_id)
    return AuditReport(
        ok=all(result.ok for result in results),
        operator_id=operator_id,
        checked_at=checked_at,
        duration_ms=round((time.perf_counter() - started) * 1000),
        accounts=totals["accounts"],
        transfers=totals["transfers"],
        entries=totals["entries"],
        checks=results,
    )
