"""Game performance and RTP: per game and stake level, observed against expected RTP with the
monitoring status of rtp_monitor, per provider, per player, and the seed 001/002 RTP views."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg

from croupier.analytics import kpis, queries, rtp_monitor
from croupier.analytics.buckets import Ranges, split
from croupier.analytics.kpis import Sums
from croupier.analytics.reports import Request, bucket_sums
from croupier.kit.errors import NotFoundError


def stake_band(level: int) -> str:
    """The label of an an_stake_level band (1-2-5 series, minor units)."""
    if level <= 0:
        return "none"
    lower = (1, 2, 5)[(level - 1) % 3] * 10 ** ((level - 1) // 3)
    upper = (2, 5, 10)[(level - 1) % 3] * 10 ** ((level - 1) // 3) - 1
    return f"{lower}-{upper}"


def _monitor_ranges(request: Request) -> Ranges:
    """Trailing 30-day windows ending at the report's end, 1 and 2 days earlier (index 0-2)."""
    ranges = Ranges([], [], [], [])
    for days_back in range(rtp_monitor.CONSECUTIVE_WARN_DAYS):
        end = request.window.end - timedelta(days=days_back)
        for grain, lo, hi in split(end - timedelta(days=rtp_monitor.WINDOW_DAYS), end):
            ranges.grains.append(grain)
            ranges.los.append(lo)
            ranges.his.append(hi)
            ranges.buckets.append(days_back)
    return ranges


def _stats(sums: Sums) -> rtp_monitor.SliceStats:
    return rtp_monitor.SliceStats(sums.rounds, sums.stake, sums.stake_sq, sums.win)


def _assessment(a: rtp_monitor.Assessment) -> dict[str, Any]:
    return {
        "status": a.status,
        "z": round(a.z, 4) if a.z is not None else None,
        "n_eff": round(a.n_eff, 1),
        "required_n_eff": a.required_n_eff,
        "observed_rtp": kpis.ratio(a.observed_rtp, 1) if a.observed_rtp is not None else None,
    }


async def _monitor(
    conn: asyncpg.Connection, request: Request, catalogue: dict[int, Any]
) -> tuple[dict[int, dict[str, Any]], dict[tuple[int, int], dict[str, Any]]]:
    rows = await queries.rollup_sums(
        conn,
        request.target,
        request.filters,
        _monitor_ranges(request),
        sets=(("r.b", "x.game_id", "x.stake_level"), ("r.b", "x.game_id")),
        extra_where="x.game_id <> 0",
    )
    windows: dict[tuple[int, int], list[Sums]] = {}
    per_game: dict[int, list[Sums]] = {}
    for row in rows:
        if row["g_stake_level"]:
            days = per_game.setdefault(row["game_id"], [Sums(), Sums(), Sums()])
        else:
            days = windows.setdefault(
                (row["game_id"], row["stake_level"]), [Sums(), Sums(), Sums()]
            )
        days[row["b"]] = Sums.from_row(row)
    slices = len(windows) + len(per_game)

    def judge(game_id: int, days: list[Sums]) -> dict[str, Any]:
        config = catalogue.get(game_id)
        assessment = rtp_monitor.assess(
            _stats(days[0]),
            expected_rtp=config["expected_rtp"] if config else None,
            sigma=config["sigma"] if config else None,
            p_top=config["p_top"] if config else None,
            slices=slices,
            previous_days=[_stats(day) for day in days[1:]],
        )
        return _assessment(assessment)

    return (
        {game_id: judge(game_id, days) for game_id, days in per_game.items()},
        {key: judge(key[0], days) for key, days in windows.items()},
    )


async def games(conn: asyncpg.Connection, request: Request) -> dict[str, Any]:
    rows = await queries.rollup_sums(
        conn,
        request.target,
        request.filters,
        request.whole(),
        sets=(("x.game_id", "x.stake_level"), ("x.game_id",)),
        extra_where="x.game_id <> 0",
    )
    per_game: dict[int, Sums] = {}
    per_level: dict[int, list[tuple[int, Sums]]] = {}
    for row in rows:
        if row["g_stake_level"]:
            per_game[row["game_id"]] = Sums.from_row(row)
        else:
            per_level.setdefault(row["game_id"], []).append(
                (row["stake_level"], Sums.from_row(row))
            )
    catalogue = await queries.game_catalogue(conn, list(per_game))
    game_status, level_status = await _monitor(conn, request, catalogue)
    items, providers = [], {}
    for game_id, sums in sorted(per_game.items(), key=lambda kv: -kv[1].stake):
        game = catalogue.get(game_id)
        providers.setdefault(game["provider"] if game else "unknown", Sums()).add(sums)
        items.append(
            {
                "game_id": game_id,
                "game_key": game["slug"] if game else None,
                "name": game["name"] if game else None,
                "provider": game["provider"] if game else None,
                **kpis.money(sums),
                "expected_rtp": kpis.ratio(game["expected_rtp"], 1)
                if game and game["expected_rtp"] is not None
                else None,
                "config_source": game["source"] if game else None,
                "monitor": game_status.get(game_id, {"status": "INSUFFICIENT_VOLUME"}),
                "stake_levels": [
                    {
                        "stake_level": level,
                        "band": stake_band(level),
                        **kpis.money(level_sums),
                        "monitor": level_status.get(
                            (game_id, level), {"status": "INSUFFICIENT_VOLUME"}
                        ),
                    }
                    for level, level_sums in sorted(per_level[game_id])
                ],
            }
        )
    flagged = [
        {"game_id": i["game_id"], "status": i["monitor"]["status"]}
        for i in items
        if i["monitor"]["status"] in ("WARN", "ALERT")
    ]
    return {
        **request.header(),
        "monitor_window_days": rtp_monitor.WINDOW_DAYS,
        "items": items,
        "providers": [
            {
                "provider": name,
                "handle": sums.stake,
                "payout": kpis.payout(sums),
                "rtp": kpis.ratio(kpis.payout(sums), sums.stake),
                "theoretical_rtp": kpis.ratio(sums.stake - sums.theo, sums.stake),
            }
            for name, sums in sorted(providers.items())
        ],
        "flags": flagged,
    }


async def game_totals(conn: asyncpg.Connection, request: Request) -> list[dict[str, Any]]:
    """Seed 002's game list: wagered, won, GGR and RTP per game."""
    rows = await queries.rollup_sums(
        conn,
        request.target,
        request.filters,
        request.whole(),
        sets=(("x.game_id",),),
        extra_where="x.game_id <> 0",
    )
    catalogue = await queries.game_catalogue(conn, [row["game_id"] for row in rows])
    items = []
    for row in rows:
        sums = Sums.from_row(row)
        game = catalogue.get(row["game_id"])
        items.append(
            {
                "game_id": row["game_id"],
                "game_name": game["name"] if game else None,
                "game_key": game["slug"] if game else None,
                "total_wagered": sums.stake,
                "total_won": kpis.payout(sums),
                "ggr": kpis.ggr(sums),
                "rtp": kpis.ratio(kpis.payout(sums), sums.stake),
                "rounds": sums.rounds,
            }
        )
    return sorted(items, key=lambda i: (-i["total_wagered"], i["game_id"]))


def _player_item(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "player_id": row["player_id"],
        "username": row["username"],
        "rounds": row["rounds"],
        "wagered": row["stake"],
        "won": row["payout"],
        "rtp": kpis.ratio(row["payout"], row["stake"]),
    }


async def rtp_summary(conn: asyncpg.Connection, request: Request, limit: int) -> dict[str, Any]:
    by_game = await game_totals(conn, request)
    by_player = await queries.player_sums(
        conn, request.target, request.filters, request.whole(), limit=limit
    )
    return {
        **request.header(),
        "by_game": [
            {
                "game_id": g["game_id"],
                "name": g["game_name"],
                "rtp": g["rtp"],
                "wagered": g["total_wagered"],
                "won": g["total_won"],
            }
            for g in by_game
        ],
        "by_player": [_player_item(row) for row in by_player],
    }


async def game_performance(
    conn: asyncpg.Connection, request: Request, game_id: int, limit: int
) -> dict[str, Any]:
    catalogue = await queries.game_catalogue(conn, [game_id])
    if game_id not in catalogue:
        raise NotFoundError("Game not found.")
    scoped = Request(
        queries.Target(request.target.operator_ids, request.target.currency, [game_id]),
        request.filters,
        request.window,
        request.ranges,
    )
    _, total = await bucket_sums(conn, scoped)
    players = await queries.player_sums(
        conn, scoped.target, scoped.filters, scoped.whole(), limit=limit
    )
    game = catalogue[game_id]
    return {
        **request.header(),
        "game_id": game_id,
        "name": game["name"],
        "game_key": game["slug"],
        "total_wagered": total.stake,
        "total_won": kpis.payout(total),
        "rounds": total.rounds,
        "ggr": kpis.ggr(total),
        "rtp": kpis.ratio(kpis.payout(total), total.stake),
        "expected_rtp": kpis.ratio(game["expected_rtp"], 1)
        if game["expected_rtp"] is not None
        else None,
        "by_player": [_player_item(row) for row in players],
    }
