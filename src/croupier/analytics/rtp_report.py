"""RTP monitoring in the responses: the games report's monitor fields and flags, and one game's
slices (GET /admin/analytics/games/{gameId}/rtp)."""

from __future__ import annotations

from typing import Any

import asyncpg

from croupier.analytics import kpis, queries, rtp_monitor, rtp_slices, rtp_tests
from croupier.analytics.reports import Request
from croupier.analytics.rtp_slices import Monitor, SliceReport
from croupier.kit.errors import NotFoundError


def _round(value: float | None, places: int = 4) -> float | None:
    return round(value, places) if value is not None else None


def full_json(a: rtp_monitor.Assessment) -> dict[str, Any]:
    return {
        "status": a.status,
        "z": _round(a.z),
        "n_eff": round(a.n_eff, 1),
        "required_n_eff": a.required_n_eff,
        "observed_rtp": kpis.ratio(a.observed_rtp, 1) if a.observed_rtp is not None else None,
    }


def capped_json(r: rtp_tests.CappedResult) -> dict[str, Any]:
    return {
        "status": r.status,
        "z": _round(r.z),
        "n_eff": round(r.n_eff, 1),
        "required_n_eff": round(r.required_n_eff, 1),
        "observed_rtp": kpis.ratio(r.observed, 1) if r.observed is not None else None,
        "expected_rtp": kpis.ratio(r.expected, 1) if r.expected is not None else None,
    }


def large_wins_json(r: rtp_tests.LargeWinResult) -> dict[str, Any]:
    return {
        "status": r.status,
        "observed": r.observed,
        "expected": _round(r.expected),
        "p_value": r.p_value,
    }


def drift_json(r: rtp_tests.DriftResult, monitor: Monitor, *, series: bool) -> dict[str, Any]:
    return {
        "status": r.status,
        "cusum": round(r.cusum, 4),
        "max_cusum": round(r.max_cusum, 4),
        "alarm_day": monitor.day_starts[r.alarm_day] if r.alarm_day is not None else None,
        "days_tested": r.days_tested,
        "series": [
            {"day": day, "z": _round(z), "s": round(s, 4)}
            for day, z, s in zip(monitor.day_starts, r.z, r.s, strict=True)
        ]
        if series and r.z
        else None,
    }


def monitor_json(report: SliceReport | None, monitor: Monitor) -> dict[str, Any]:
    """A row's ``monitor`` in the games report: the full test's fields as before, plus the
    capped, large-win and drift tests and the worst status of them all."""
    if report is None:
        return {"status": "INSUFFICIENT_VOLUME", "overall_status": "INSUFFICIENT_VOLUME"}
    return {
        **full_json(report.full),
        "overall_status": report.status,
        "game_version": report.game_version,
        "capped": capped_json(report.capped),
        "large_wins": large_wins_json(report.large_wins),
        "drift": drift_json(report.drift, monitor, series=False),
    }


def slice_json(report: SliceReport, monitor: Monitor) -> dict[str, Any]:
    window = report.window
    return {
        "game_version": report.game_version,
        "stake_level": report.stake_level,
        "band": stake_band(report.stake_level) if report.stake_level is not None else None,
        "channel": report.channel,
        "rounds": window.rounds,
        "handle": window.stake,
        "wins": window.win,
        "capped_wins": window.capped_win,
        "large_win_count": window.large_wins,
        "status": report.status,
        "full": full_json(report.full),
        "capped": capped_json(report.capped),
        "large_wins": large_wins_json(report.large_wins),
        "drift": drift_json(report.drift, monitor, series=True),
    }


def stake_band(level: int) -> str:
    """The label of an an_stake_level band (1-2-5 series, minor units)."""
    if level <= 0:
        return "none"
    lower = (1, 2, 5)[(level - 1) % 3] * 10 ** ((level - 1) // 3)
    upper = (2, 5, 10)[(level - 1) % 3] * 10 ** ((level - 1) // 3) - 1
    return f"{lower}-{upper}"


def flags(monitor: Monitor, game_ids: list[int]) -> list[dict[str, Any]]:
    """Games with a WARN or ALERT in any test of any of their slices, worst status."""
    out = []
    for game_id in game_ids:
        status = monitor.game_status(game_id)
        if status in ("WARN", "ALERT"):
            out.append({"game_id": game_id, "status": status})
    return out


def thresholds(monitor: Monitor) -> dict[str, Any]:
    z_crit = rtp_monitor.z_critical(monitor.slices_tested)
    return {
        "alpha": rtp_monitor.ALPHA,
        "slices_tested": monitor.slices_tested,
        "z_warn": rtp_monitor.Z_WARN,
        "z_critical": round(z_crit, 4),
        "p_warn": rtp_tests.p_threshold(rtp_monitor.Z_WARN),
        "p_alert": rtp_tests.p_threshold(z_crit),
        "consecutive_warn_days": rtp_monitor.CONSECUTIVE_WARN_DAYS,
        "min_n_eff": rtp_monitor.MIN_N_EFF,
        "min_capped_n_eff": rtp_tests.MIN_CAPPED_N_EFF,
        "daily_min_n_eff": rtp_tests.DAILY_MIN_N_EFF,
        "cusum_k": rtp_tests.CUSUM_K,
        "cusum_h": rtp_tests.CUSUM_H,
    }


def _config(game: Any) -> dict[str, Any]:
    def ratio(value: Any) -> Any:
        return kpis.ratio(value, 1) if value is not None else None

    return {
        "source": game["source"],
        "engine_version": game["version"],
        "config_version": game["config_version"],
        "expected_rtp": ratio(game["expected_rtp"]),
        "sigma": game["sigma"],
        "p_top": game["p_top"],
        "cap_multiple": game["cap_multiple"],
        "expected_capped_rtp": ratio(game["capped_rtp"]),
        "capped_sigma": game["capped_sigma"],
        "p_large": float(game["p_large"]) if game["p_large"] is not None else None,
        "p_top_capped": game["p_top_capped"],
    }


async def game_rtp(conn: asyncpg.Connection, request: Request, game_id: int) -> dict[str, Any]:
    """One game's monitoring, slice by slice, for the request's operators. K (the slices
    tested) counts every game's slices in scope, as in the games report."""
    catalogue = await queries.game_catalogue(conn, [game_id])
    if game_id not in catalogue:
        raise NotFoundError("Game not found.")
    game = catalogue[game_id]
    monitor = await rtp_slices.monitor(conn, request)
    aggregate = monitor.game(game_id)
    return {
        **request.header(),
        "monitor_window_days": rtp_monitor.WINDOW_DAYS,
        "game_id": game_id,
        "game_key": game["slug"],
        "name": game["name"],
        "provider": game["provider"],
        "game_version": game["game_version"],
        "status": monitor.game_status(game_id) or "INSUFFICIENT_VOLUME",
        "config": _config(game),
        "thresholds": thresholds(monitor),
        "aggregate": slice_json(aggregate, monitor) if aggregate else None,
        "stake_levels": [slice_json(r, monitor) for r in monitor.levels(game_id)],
        "slices": [slice_json(r, monitor) for r in monitor.fine(game_id)],
    }
