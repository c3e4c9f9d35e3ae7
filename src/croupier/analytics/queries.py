"""SQL over the rollups: sums per bucket (and slice), distinct players, registrations.

Every query joins the bucket decomposition (``buckets.Ranges``) to a table keyed by
(operator_id, grain, ts, ...), so it reads whole pre-summed intervals through the primary key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import asyncpg

from croupier.analytics.buckets import Ranges
from croupier.analytics.kpis import Sums
from croupier.analytics.params import Filters
from croupier.kit.errors import InvalidInputError, NotFoundError
from croupier.kit.tenancy import Scope


def _sums_sql(names: Sequence[str]) -> str:
    return ", ".join(
        f"sum(x.{name}){'' if name in ('stake_sq', 'theo') else '::bigint'} AS {name}"
        for name in names
    )


_SUMS = _sums_sql(list(Sums.__dataclass_fields__))


@dataclass
class Args:
    """Positional parameters for asyncpg: ``add`` returns the placeholder."""

    values: list[Any] = field(default_factory=list)

    def add(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


@dataclass(frozen=True, slots=True)
class Target:
    """The operators a request reads (its scope) and their one currency."""

    operator_ids: list[int]
    currency: str | None
    game_ids: list[int] | None  # None: no game filter


async def resolve(conn: asyncpg.Connection, scope: Scope, filters: Filters) -> Target:
    rows = await conn.fetch(
        "SELECT id, currency FROM operators WHERE $1::int IS NULL OR id = $1 ORDER BY id",
        scope.operator_id,
    )
    if scope.operator_id is not None and not rows:
        raise NotFoundError("Operator not found.")
    currencies = {row["currency"] for row in rows}
    if len(currencies) > 1:
        raise InvalidInputError(
            "These operators keep books in different currencies; choose one with operatorId.",
            field="operatorId",
        )
    game_ids = None
    if filters.by_game:
        game_ids = [
            row["id"]
            for row in await conn.fetch(
                """SELECT id FROM games WHERE ($1::text IS NULL OR slug = $1)
                   AND ($2::text IS NULL OR provider = $2)""",
                filters.game_key,
                filters.provider,
            )
        ]
    return Target([row["id"] for row in rows], currencies.pop() if currencies else None, game_ids)


def _scan(table: str, operators: str, run: str) -> str:
    """One primary-key range scan per run. OFFSET 0 keeps the planner from flattening it into a
    hash join over the whole table, which it prefers when it cannot tell how narrow runs are."""
    return (
        f"SELECT * FROM {table} WHERE operator_id = ANY({operators}::int[])"
        f" AND grain = {run}.grain AND ts >= {run}.lo AND ts < {run}.hi OFFSET 0"
    )


def _ranges_join(args: Args, ranges: Ranges, table: str, target: Target) -> str:
    """FROM clause yielding rows of ``table`` as ``x`` with their bucket index as ``r.b``.

    Disjoint ranges (every bucket series) are merged per grain into contiguous runs, read with
    one index range scan each, and each row finds its range by binary search (width_bucket)
    among its grain's sorted range starts: a handful of scans however many buckets. Overlapping
    ranges (trailing windows) are joined range by range."""
    operators = args.add(target.operator_ids)
    by_grain: dict[int, list[tuple[Any, Any, int]]] = {}
    for grain, lo, hi, b in zip(ranges.grains, ranges.los, ranges.his, ranges.buckets, strict=True):
        by_grain.setdefault(grain, []).append((lo, hi, b))
    for items in by_grain.values():
        items.sort(key=lambda item: item[0])
    disjoint = all(a[1] <= b[0] for items in by_grain.values() for a, b in pairwise(items))
    if not disjoint:
        return (
            f"unnest({args.add(ranges.grains)}::smallint[], {args.add(ranges.los)}::timestamptz[],"
            f" {args.add(ranges.his)}::timestamptz[], {args.add(ranges.buckets)}::int[])"
            f" AS r(grain, lo, hi, b) CROSS JOIN LATERAL ({_scan(table, operators, 'r')}) x"
        )
    runs: list[tuple[int, Any, Any]] = []
    for grain, items in sorted(by_grain.items()):
        for lo, hi, _ in items:
            if runs and runs[-1][0] == grain and runs[-1][2] == lo:
                runs[-1] = (grain, runs[-1][1], hi)
            else:
                runs.append((grain, lo, hi))
    cases = " ".join(
        f"WHEN {grain} THEN ({args.add([b for _, _, b in items])}::int[])"
        f"[width_bucket(x.ts, {args.add([lo for lo, _, _ in items])}::timestamptz[])]"
        for grain, items in sorted(by_grain.items())
    )
    return (
        f"unnest({args.add([g for g, _, _ in runs])}::smallint[],"
        f" {args.add([lo for _, lo, _ in runs])}::timestamptz[],"
        f" {args.add([hi for _, _, hi in runs])}::timestamptz[]) AS run(grain, lo, hi)"
        f" CROSS JOIN LATERAL ({_scan(table, operators, 'run')}) x"
        f" CROSS JOIN LATERAL (SELECT CASE x.grain {cases} END AS b) r"
    )


def _filters(args: Args, filters: Filters, target: Target, *, games: bool = True) -> str:
    clauses = ["true"]
    if filters.agent_id is not None:
        clauses.append(f"x.agent_id = {args.add(filters.agent_id)}")
    if filters.cashier_id is not None:
        clauses.append(f"x.cashier_id = {args.add(filters.cashier_id)}")
    if filters.region is not None:
        clauses.append(f"x.region = {args.add(filters.region)}")
    if filters.exclude_seeded:
        clauses.append("NOT x.is_seeded")
    if games and target.game_ids is not None:
        clauses.append(f"x.game_id = ANY({args.add(target.game_ids)}::int[])")
    return " AND ".join(clauses)


async def rollup_sums(
    conn: asyncpg.Connection,
    target: Target,
    filters: Filters,
    ranges: Ranges,
    *,
    sets: tuple[tuple[str, ...], ...] = (("r.b",),),
    extra_where: str = "true",
    sums: Sequence[str] | None = None,
) -> list[asyncpg.Record]:
    """Sums of an_rollups per grouping set; each set names columns among r.b (the bucket) and
    x.<column>. Every named column comes back under its bare name, with ``g_<name>`` = 1 in
    the rows of sets that do not group by it (PostgreSQL's GROUPING). ``sums``: only these of
    the Sums fields (all by default)."""
    args = Args()
    columns = list(dict.fromkeys(column for group in sets for column in group))
    names = [column.split(".")[-1] for column in columns]
    keys = "".join(
        f"{column} AS {name}, GROUPING({column}) AS g_{name}, "
        for column, name in zip(columns, names, strict=True)
    )
    groups = ", ".join(f"({', '.join(group)})" for group in sets)
    sql = (
        f"SELECT {keys}{_sums_sql(sums) if sums else _SUMS}"
        f" FROM {_ranges_join(args, ranges, 'an_rollups', target)}"
        f" WHERE {_filters(args, filters, target)} AND {extra_where}"
        f" GROUP BY GROUPING SETS ({groups})"
    )
    return await conn.fetch(sql, *args.values)


async def distinct_players(
    conn: asyncpg.Connection, target: Target, filters: Filters, ranges: Ranges
) -> tuple[dict[int, tuple[int, int]], tuple[int, int]]:
    """Active and depositing players per bucket, and over all buckets (distinct, not summed)."""
    args = Args()
    sql = (
        "SELECT r.b, GROUPING(r.b) AS total,"
        " count(DISTINCT x.player_id) FILTER (WHERE x.rounds > 0) AS active,"
        " count(DISTINCT x.player_id) FILTER (WHERE x.deposits > 0) AS depositors"
        f" FROM {_ranges_join(args, ranges, 'an_player_activity', target)}"
        f" WHERE {_filters(args, filters, target)}"
        " GROUP BY GROUPING SETS ((r.b), ())"
    )
    per_bucket: dict[int, tuple[int, int]] = {}
    overall = (0, 0)
    for row in await conn.fetch(sql, *args.values):
        if row["total"]:
            overall = (row["active"], row["depositors"])
        else:
            per_bucket[row["b"]] = (row["active"], row["depositors"])
    return per_bucket, overall


async def player_sums(
    conn: asyncpg.Connection,
    target: Target,
    filters: Filters,
    ranges: Ranges,
    *,
    limit: int,
    player_id: int | None = None,
) -> list[asyncpg.Record]:
    """Per player over the whole window: stake, payout, rounds; biggest handle first."""
    args = Args()
    player = f" AND x.player_id = {args.add(player_id)}" if player_id is not None else ""
    sql = (
        "SELECT x.player_id, max(p.username) AS username, sum(x.rounds)::bigint AS rounds,"
        " sum(x.stake)::bigint AS stake, sum(x.win + x.jackpot_win)::bigint AS payout"
        f" FROM {_ranges_join(args, ranges, 'an_player_activity', target)}"
        " JOIN players p ON p.id = x.player_id"
        f" WHERE {_filters(args, filters, target)}{player} AND x.game_id <> 0"
        f" GROUP BY x.player_id ORDER BY sum(x.stake) DESC, x.player_id LIMIT {args.add(limit)}"
    )
    return await conn.fetch(sql, *args.values)


async def registrations(
    conn: asyncpg.Connection, target: Target, filters: Filters, starts: list[Any], ends: list[Any]
) -> list[asyncpg.Record]:
    """Per bucket: players registered, and how many of that cohort have made a first deposit
    (Reg->FTD by registration cohort)."""
    args = Args()
    clauses = [f"p.operator_id = ANY({args.add(target.operator_ids)}::int[])"]
    if filters.agent_id is not None:
        clauses.append(f"p.agent_id = {args.add(filters.agent_id)}")
    if filters.cashier_id is not None:
        clauses.append(f"p.cashier_id = {args.add(filters.cashier_id)}")
    if filters.region is not None:
        clauses.append(f"p.region = {args.add(filters.region)}")
    if filters.exclude_seeded:
        clauses.append("NOT p.is_bot")
    sql = (
        "SELECT (r.n - 1)::int AS b, count(p.id) AS registered,"
        " count(a.first_deposit_at) AS converted"
        f" FROM unnest({args.add(starts)}::timestamptz[], {args.add(ends)}::timestamptz[])"
        " WITH ORDINALITY AS r(lo, hi, n)"
        " JOIN players p ON p.created_at >= r.lo AND p.created_at < r.hi"
        " LEFT JOIN an_players a ON a.player_id = p.id"
        f" WHERE {' AND '.join(clauses)} GROUP BY r.n"
    )
    return await conn.fetch(sql, *args.values)


async def game_catalogue(conn: asyncpg.Connection, game_ids: list[int]) -> dict[int, Any]:
    rows = await conn.fetch(
        """SELECT g.id, g.slug, g.name, g.provider, g.volatility, g.rtp, g.version AS game_version,
                  c.expected_rtp, c.sigma, c.p_top, c.source, c.version,
                  c.game_version AS config_version, c.cap_multiple, c.capped_rtp, c.capped_sigma,
                  c.p_large, c.p_top_capped
           FROM games g LEFT JOIN game_configs c ON c.game_id = g.id WHERE g.id = ANY($1::int[])""",
        game_ids,
    )
    return {row["id"]: row for row in rows}


async def player_bucket_sums(
    conn: asyncpg.Connection, target: Target, filters: Filters, ranges: Ranges, player_id: int
) -> list[asyncpg.Record]:
    args = Args()
    sql = (
        "SELECT r.b, sum(x.rounds)::bigint AS rounds, sum(x.stake)::bigint AS stake,"
        " sum(x.win + x.jackpot_win)::bigint AS payout"
        f" FROM {_ranges_join(args, ranges, 'an_player_activity', target)}"
        f" WHERE {_filters(args, filters, target)} AND x.player_id = {args.add(player_id)}"
        " AND x.game_id <> 0 GROUP BY r.b"
    )
    return await conn.fetch(sql, *args.values)


async def affiliate_shares(
    conn: asyncpg.Connection, target: Target, ranges: Ranges
) -> list[asyncpg.Record]:
    """Revenue share owed per affiliate (each bet's share, as the bet recorded it)."""
    args = Args()
    sql = (
        "SELECT f.id AS affiliate_id, f.code, f.name, sum(x.affiliate_share)::bigint AS share"
        f" FROM {_ranges_join(args, ranges, 'an_player_activity', target)}"
        " JOIN players p ON p.id = x.player_id JOIN affiliates f ON f.id = p.affiliate_id"
        " GROUP BY f.id, f.code, f.name HAVING sum(x.affiliate_share) <> 0 ORDER BY f.id"
    )
    return await conn.fetch(sql, *args.values)
