"""Game performance and RTP: per game and stake level, observed against expected RTP with the
monitoring status (rtp_slices), per provider, per player, and the seed 001/002 RTP views."""

from __future__ import annotations

from typing import Any

import asyncpg

from croupier.analytics import kpis, queries, rtp_monitor, rtp_report, rtp_slices
from croupier.analytics.kpis import Sums
from croupier.analytics.reports import Request, bucket_sums
from croupier.kit.errors import NotFoundError


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
    monitor = await rtp_slices.monitor(conn, request)
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
                "game_version": game["game_version"] if game else None,
                "monitor": rtp_report.monitor_json(monitor.game(game_id), monitor),
                "stake_levels": [
                    {
                        "stake_level": level,
                        "band": rtp_report.stake_band(level),
                        **kpis.money(level_sums),
                        "monitor": rtp_report.monitor_json(monitor.level(game_id, level), monitor),
                    }
                    for level, level_sums in sorted(per_level[game_id])
                ],
            }
        )
    flagged = rtp_report.flags(monitor, [i["game_id"] for i in items])
    return {
        **request.header(),
        "monitor_window_days": rtp_monitor.WINDOW_DAYS,
        "monitor_thresholds": rtp_report.thresholds(monitor),
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
