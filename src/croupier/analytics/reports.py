"""The time-series reports: overview, revenue, players, attribution. Each reads rollups for the
window's buckets, fills empty buckets with zeros and computes KPIs from sums."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from croupier.analytics import kpis, queries
from croupier.analytics.buckets import Ranges, decompose, split
from croupier.analytics.kpis import Sums
from croupier.analytics.params import Filters, Window
from croupier.kit.errors import InvalidInputError
from croupier.kit.tenancy import Scope


@dataclass(frozen=True, slots=True)
class Request:
    target: queries.Target
    filters: Filters
    window: Window
    ranges: Ranges

    def header(self) -> dict[str, Any]:
        return {
            "range": {
                "from": self.window.start,
                "to": self.window.end,
                "timezone": self.window.timezone,
                "bucket": self.window.unit,
            },
            "currency": self.target.currency,
            "filters": self.filters.as_json(),
            "definitions": {
                "ngr_formula": kpis.NGR_FORMULA,
                "bonus_cost": kpis.BONUS_COST_DEFINITION,
                "active_players": kpis.ACTIVE_DEFINITION,
            },
        }

    def whole(self) -> Ranges:
        """The window as one bucket (index 0), cut afresh so whole UTC days read day rows."""
        runs = split(self.window.start, self.window.end)
        return Ranges(
            [grain for grain, _, _ in runs],
            [lo for _, lo, _ in runs],
            [hi for _, _, hi in runs],
            [0] * len(runs),
        )

    def bucket_json(self, index: int) -> dict[str, Any]:
        bucket = self.window.buckets[index]
        return {"bucket": bucket.label, "start": bucket.start, "end": bucket.end}


async def prepare(
    conn: asyncpg.Connection, scope: Scope, filters: Filters, window: Window
) -> Request:
    target = await queries.resolve(conn, scope, filters)
    return Request(target, filters, window, decompose(window.buckets))


async def bucket_sums(conn: asyncpg.Connection, request: Request) -> tuple[list[Sums], Sums]:
    """Sums per bucket (zeros where nothing happened) and over the window."""
    series = [Sums() for _ in request.window.buckets]
    total = Sums()
    for row in await queries.rollup_sums(
        conn, request.target, request.filters, request.ranges, sets=(("r.b",), ())
    ):
        if row["g_b"]:
            total = Sums.from_row(row)
        else:
            series[row["b"]] = Sums.from_row(row)
    return series, total


async def _players(
    conn: asyncpg.Connection, request: Request, series: list[Sums], total: Sums
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    per_bucket, overall = await queries.distinct_players(
        conn, request.target, request.filters, request.ranges
    )
    registered = {
        row["b"]: (row["registered"], row["converted"])
        for row in await queries.registrations(
            conn,
            request.target,
            request.filters,
            [b.start for b in request.window.buckets],
            [b.end for b in request.window.buckets],
        )
    }
    cash = not request.filters.by_game
    points = []
    for index, sums in enumerate(series):
        active, depositors = per_bucket.get(index, (0, 0))
        new, converted = registered.get(index, (0, 0))
        points.append(
            {
                **kpis.per_player(sums, active, depositors if cash else None),
                "new_players": new,
                "reg_to_ftd": kpis.ratio(converted, new),
                "ftd": sums.ftd if cash else None,
            }
        )
    new_total = sum(r for r, _ in registered.values())
    converted_total = sum(c for _, c in registered.values())
    totals = {
        **kpis.per_player(total, overall[0], overall[1] if cash else None),
        "new_players": new_total,
        "reg_to_ftd": kpis.ratio(converted_total, new_total),
        "ftd": total.ftd if cash else None,
    }
    return points, totals


async def overview(conn: asyncpg.Connection, request: Request) -> dict[str, Any]:
    series, total = await bucket_sums(conn, request)
    player_points, player_totals = await _players(conn, request, series, total)
    cash = not request.filters.by_game
    points = []
    for index, sums in enumerate(series):
        flows = kpis.cash_flows(sums, cash)
        points.append(
            {
                **request.bucket_json(index),
                "handle": sums.stake,
                "payout": kpis.payout(sums),
                "ggr": kpis.ggr(sums),
                "ngr": kpis.ngr(sums),
                "active_players": player_points[index]["active_players"],
                "deposits": flows["deposits"],
                "ftd": flows["ftd"],
            }
        )
    return {
        **request.header(),
        "totals": {**kpis.money(total), **kpis.cash_flows(total, cash), **player_totals},
        "series": points,
    }


async def revenue(conn: asyncpg.Connection, request: Request) -> dict[str, Any]:
    series, total = await bucket_sums(conn, request)
    cash = not request.filters.by_game
    return {
        **request.header(),
        "totals": {**kpis.money(total), **kpis.cash_flows(total, cash)},
        "series": [
            {**request.bucket_json(i), **kpis.money(s), **kpis.cash_flows(s, cash)}
            for i, s in enumerate(series)
        ],
    }


async def players(conn: asyncpg.Connection, request: Request) -> dict[str, Any]:
    series, total = await bucket_sums(conn, request)
    points, totals = await _players(conn, request, series, total)
    return {
        **request.header(),
        "totals": totals,
        "series": [{**request.bucket_json(i), **p} for i, p in enumerate(points)],
    }


ATTRIBUTION_METRICS = ("ngr", "ggr", "handle", "payout", "deposits", "ftd", "bonus_cost")
ATTRIBUTION_DIMENSIONS = {"agent": "agent_id", "cashier": "cashier_id", "region": "region"}


def _metric(sums: Sums, metric: str) -> int:
    return {
        "ngr": kpis.ngr,
        "ggr": kpis.ggr,
        "handle": lambda s: s.stake,
        "payout": kpis.payout,
        "deposits": lambda s: s.deposit_amount,
        "ftd": lambda s: s.ftd,
        "bonus_cost": kpis.bonus_cost,
    }[metric](sums)


async def attribution(
    conn: asyncpg.Connection, request: Request, metric: str, by: str
) -> dict[str, Any]:
    """One metric per agent, cashier or region, from the player's attribution at the time of
    each transaction; the shares are of the total over every key."""
    if metric not in ATTRIBUTION_METRICS:
        raise InvalidInputError(
            f"metric must be one of {', '.join(ATTRIBUTION_METRICS)}.", field="metric"
        )
    if by not in ATTRIBUTION_DIMENSIONS:
        raise InvalidInputError("by must be agent, cashier or region.", field="by")
    if request.filters.by_game and metric in ("deposits", "ftd"):
        raise InvalidInputError(
            "Deposits belong to no game: drop gameKey/provider.", field="metric"
        )
    column = ATTRIBUTION_DIMENSIONS[by]
    rows = await queries.rollup_sums(
        conn, request.target, request.filters, request.whole(), sets=((f"x.{column}",),)
    )
    values = [(row[column], _metric(Sums.from_row(row), metric)) for row in rows]
    names = await _names(conn, by, [key for key, _ in values])
    total = sum(value for _, value in values)
    items = [
        {
            "key": str(key) if key not in (0, "") else None,
            "name": names.get(key),
            "value": value,
            "share": kpis.ratio(value, total),
        }
        for key, value in sorted(values, key=lambda kv: (-kv[1], str(kv[0])))
    ]
    return {**request.header(), "metric": metric, "by": by, "total": total, "items": items}


async def _names(conn: asyncpg.Connection, by: str, keys: list[Any]) -> dict[Any, str]:
    ids = [key for key in keys if isinstance(key, int) and key]
    if by == "agent" and ids:
        rows = await conn.fetch("SELECT id, name FROM agents WHERE id = ANY($1::bigint[])", ids)
    elif by == "cashier" and ids:
        rows = await conn.fetch(
            """SELECT id, coalesce(display_name, email) AS name FROM staff_users
               WHERE id = ANY($1::bigint[])""",
            ids,
        )
    else:
        return {}
    return {row["id"]: row["name"] for row in rows}
