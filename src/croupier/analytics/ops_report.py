"""Operations, funnels and cohorts: sessions, API error rates, provider rollbacks and tailer lag;
the voucher and acquisition funnels; realised LTV by registration cohort."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from croupier.analytics import kpis, queries
from croupier.analytics.kpis import Sums
from croupier.analytics.reports import Request
from croupier.analytics.rollups import LTV_DAYS
from croupier.kit.errors import InvalidInputError

FUNNEL_WINDOW_DAYS = 30


def _player_clauses(args: queries.Args, request: Request, alias: str) -> str:
    f = request.filters
    clauses = [f"{alias}.operator_id = ANY({args.add(request.target.operator_ids)}::int[])"]
    if f.agent_id is not None:
        clauses.append(f"{alias}.agent_id = {args.add(f.agent_id)}")
    if f.cashier_id is not None:
        clauses.append(f"{alias}.cashier_id = {args.add(f.cashier_id)}")
    if f.region is not None:
        clauses.append(f"{alias}.region = {args.add(f.region)}")
    return " AND ".join(clauses)


def _bucket_arrays(args: queries.Args, request: Request) -> str:
    buckets = request.window.buckets
    return (
        f"unnest({args.add([b.start for b in buckets])}::timestamptz[],"
        f" {args.add([b.end for b in buckets])}::timestamptz[]) WITH ORDINALITY AS r(lo, hi, n)"
    )


async def _sessions(conn: asyncpg.Connection, request: Request) -> dict[str, Any]:
    args = queries.Args()
    seeded = " AND NOT s.is_seeded" if request.filters.exclude_seeded else ""
    sql = (
        "SELECT (r.n - 1)::int AS b, GROUPING(r.n) AS total, count(s.id) AS sessions,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s.last_at - s.started_at))"
        " AS median_seconds, sum(s.rounds)::bigint AS rounds, sum(s.stake)::bigint AS stake,"
        " sum(s.payout)::bigint AS payout"
        f" FROM {_bucket_arrays(args, request)}"
        " JOIN session_snapshots s ON s.started_at >= r.lo AND s.started_at < r.hi"
        f" WHERE {_player_clauses(args, request, 's')}{seeded}"
        " GROUP BY GROUPING SETS ((r.n), ())"
    )
    per_bucket, total = {}, None
    for row in await conn.fetch(sql, *args.values):
        item = {
            "sessions": row["sessions"],
            "median_duration_seconds": round(row["median_seconds"] or 0, 1),
            "rounds_per_session": kpis.per_head(row["rounds"] or 0, row["sessions"]),
            "average_stake": kpis.per_head(row["stake"] or 0, row["rounds"] or 0),
            "net_per_session": kpis.per_head(
                (row["stake"] or 0) - (row["payout"] or 0), row["sessions"]
            ),
        }
        if row["total"]:
            total = item
        else:
            per_bucket[row["b"]] = item
    empty = {
        "sessions": 0,
        "median_duration_seconds": 0.0,
        "rounds_per_session": None,
        "average_stake": None,
        "net_per_session": None,
    }
    return {
        "totals": total or empty,
        "series": [
            {**request.bucket_json(i), **per_bucket.get(i, empty)}
            for i in range(len(request.window.buckets))
        ],
    }


async def _api(conn: asyncpg.Connection, request: Request, platform: bool) -> dict[str, Any]:
    operators = request.target.operator_ids + ([0] if platform else [])
    rows = await conn.fetch(
        """SELECT method, route, sum(requests)::bigint AS requests,
                  sum(errors_4xx)::bigint AS errors_4xx, sum(errors_5xx)::bigint AS errors_5xx
           FROM api_request_counts
           WHERE minute >= $1 AND minute < $2 AND operator_id = ANY($3::int[])
           GROUP BY method, route ORDER BY sum(errors_5xx) DESC, sum(requests) DESC, route""",
        request.window.start,
        request.window.end,
        operators,
    )
    routes = [
        {
            "method": row["method"],
            "route": row["route"],
            "requests": row["requests"],
            "errors_4xx": row["errors_4xx"],
            "errors_5xx": row["errors_5xx"],
            "error_rate": kpis.ratio(row["errors_5xx"], row["requests"]),
            "client_error_rate": kpis.ratio(row["errors_4xx"], row["requests"]),
        }
        for row in rows
    ]
    requests = sum(r["requests"] for r in routes)
    errors = sum(r["errors_5xx"] for r in routes)
    return {
        "requests": requests,
        "errors_5xx": errors,
        "error_rate": kpis.ratio(errors, requests),
        "routes": routes,
        "provider_callback_failures": sum(
            r["errors_4xx"] + r["errors_5xx"] for r in routes if r["route"].startswith("/casino")
        ),
    }


async def ops(conn: asyncpg.Connection, request: Request, *, platform: bool) -> dict[str, Any]:
    rows = await queries.rollup_sums(
        conn,
        request.target,
        request.filters,
        request.whole(),
        sets=(("x.game_id",),),
        extra_where="x.rollbacks <> 0",
    )
    catalogue = await queries.game_catalogue(conn, [row["game_id"] for row in rows])
    providers: dict[str, list[int]] = {}
    for row in rows:
        sums = Sums.from_row(row)
        game = catalogue.get(row["game_id"])
        totals = providers.setdefault(game["provider"] if game else "unknown", [0, 0])
        totals[0] += sums.rollbacks
        totals[1] += sums.rollback_amount
    state = await conn.fetchrow(
        """SELECT s.folded_at, s.last_event_at,
                  (SELECT min(t.created_at) FROM ledger_transfers t
                   WHERE t.created_xid >= s.xid_cursor) AS oldest_pending
           FROM an_state s WHERE s.id = 1"""
    )
    now = datetime.now(UTC)
    oldest = state["oldest_pending"] if state else None
    return {
        **request.header(),
        "sessions": None if request.filters.by_game else await _sessions(conn, request),
        "api": await _api(conn, request, platform),
        "providers": [
            {"provider": name, "rollbacks": count, "rollback_amount": amount}
            for name, (count, amount) in sorted(providers.items())
        ],
        "tailer": {
            "folded_at": state["folded_at"] if state else None,
            "lag_seconds": round((now - oldest).total_seconds(), 3) if oldest else 0.0,
        },
    }


async def funnel(conn: asyncpg.Connection, request: Request) -> dict[str, Any]:
    """Voucher funnel by issue-date cohort, every step within 30 days of the issue, attributed
    to the issuer; and the acquisition funnel (registrations -> FTD by registration cohort)."""
    if request.filters.by_game:
        raise InvalidInputError("Funnels span every game: drop gameKey/provider.", field="gameKey")
    args = queries.Args()
    cap = f"interval '{FUNNEL_WINDOW_DAYS} days'"
    sql = (
        "WITH v AS (SELECT v.issued_at,"
        f" CASE WHEN v.redeemed_at < v.issued_at + {cap} THEN v.redeemed_at END AS redeemed,"
        f" CASE WHEN v.first_bet_at < v.issued_at + {cap} THEN v.first_bet_at END AS bet,"
        f" CASE WHEN v.bonus_at < v.issued_at + {cap} THEN v.bonus_at END AS bonus"
        f" FROM an_vouchers v WHERE {_player_clauses(args, request, 'v')}"
        f" AND v.issued_at >= {args.add(request.window.start)}"
        f" AND v.issued_at < {args.add(request.window.end)})"
        " SELECT count(*) AS issued, count(redeemed) AS redeemed,"
        " count(bet) FILTER (WHERE redeemed IS NOT NULL) AS first_bet,"
        " count(bonus) FILTER (WHERE redeemed IS NOT NULL) AS bonus,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM redeemed - issued_at))"
        " AS to_redeemed,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM bet - redeemed))"
        " AS to_first_bet,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM bonus - bet))"
        " AS to_bonus FROM v"
    )
    row = await conn.fetchrow(sql, *args.values)
    counts = [row["issued"], row["redeemed"], row["first_bet"], row["bonus"]]
    medians = [None, row["to_redeemed"], row["to_first_bet"], row["to_bonus"]]
    steps = [
        {
            "step": name,
            "count": counts[i],
            "conversion_from_previous": kpis.ratio(counts[i], counts[i - 1]) if i else None,
            "median_seconds_from_previous": round(medians[i], 1)
            if medians[i] is not None
            else None,
        }
        for i, name in enumerate(("issued", "redeemed", "first_bet", "bonus_granted"))
    ]
    registered = await queries.registrations(
        conn,
        request.target,
        request.filters,
        [request.window.start],
        [request.window.end],
    )
    new = registered[0]["registered"] if registered else 0
    converted = registered[0]["converted"] if registered else 0
    return {
        **request.header(),
        "window_days": FUNNEL_WINDOW_DAYS,
        "voucher": {"steps": steps, "overall": kpis.ratio(counts[3], counts[0])},
        "acquisition": {
            "registrations": new,
            "ftd": converted,
            "reg_to_ftd": kpis.ratio(converted, new),
        },
    }


async def ltv(conn: asyncpg.Connection, request: Request) -> dict[str, Any]:
    """Realised LTV_d = Σ cohort revenue in [registration, registration + d) / cohort size,
    for cohorts by registration bucket; a figure is ``mature`` once every member has had d
    days."""
    if request.filters.by_game:
        raise InvalidInputError("LTV spans every game: drop gameKey/provider.", field="gameKey")
    args = queries.Args()
    sums = ", ".join(
        f"coalesce(sum(a.{m}_d{d}), 0)::bigint AS {m}_d{d}"
        for m in ("ngr", "ggr")
        for d in LTV_DAYS
    )
    seeded = " AND NOT p.is_bot" if request.filters.exclude_seeded else ""
    sql = (
        f"SELECT (r.n - 1)::int AS b, count(p.id) AS size, {sums}"
        f" FROM {_bucket_arrays(args, request)}"
        " JOIN players p ON p.created_at >= r.lo AND p.created_at < r.hi"
        " LEFT JOIN an_players a ON a.player_id = p.id"
        f" WHERE {_player_clauses(args, request, 'p')}{seeded} GROUP BY r.n"
    )
    rows = {row["b"]: row for row in await conn.fetch(sql, *args.values)}
    now = datetime.now(UTC)
    cohorts = []
    for index, bucket in enumerate(request.window.buckets):
        row = rows.get(index)
        size = row["size"] if row else 0
        cohorts.append(
            {
                **request.bucket_json(index),
                "size": size,
                "ltv": [
                    {
                        "days": d,
                        "ngr": kpis.per_head(row[f"ngr_d{d}"], size) if row else None,
                        "ggr": kpis.per_head(row[f"ggr_d{d}"], size) if row else None,
                        "mature": bucket.end + timedelta(days=d) <= now,
                    }
                    for d in LTV_DAYS
                ],
            }
        )
    return {**request.header(), "cohorts": cohorts}
