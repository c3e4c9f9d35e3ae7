"""Benchmark: the bot simulator through HTTP against `croupier serve --workers 2`, and the
history backfill's rate, on one throwaway stack (embedded PostgreSQL).

    .venv/bin/python -m bench.simulator_bench [--bots 120] [--seconds 60] \
        [--backfill-bets 100000] [--processes 2] [--concurrency 4] [--backfill-only]

1. The static seed and ``--bots`` bot players; the operators' admins fund every bot over the
   admin API, so the measurement is spins rather than the payment routes (which may not be
   mounted on the app yet).
2. The simulator at ``--intensity high`` for ``--seconds``: at a person's pace (spin pauses of
   3 s and more), then back to back (``pace=0``, the server's ceiling through the same client).
   The rate is measured once every bot has logged in (argon2 makes logins slow).
3. The backfill of ``--backfill-bets`` seeded spins over 90 days, and the extrapolation to 1M.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

import httpx
from pydantic import SecretStr

from bench.server import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    croupier_stack,
    postgres_cpu_seconds,
    print_statement_stats,
    reset_statement_stats,
)
from croupier.config import Settings
from croupier.db.pool import create_pool, unit_of_work
from croupier.kit.tenancy import Scope
from croupier.ledger.audit import AuditReport, run_audit
from croupier.simulation.backfill import Batching
from croupier.simulation.backfill_parallel import backfill_in_processes
from croupier.simulation.bots import create_bots
from croupier.simulation.client import Tally
from croupier.simulation.demo_data import DEMO_PASSWORD
from croupier.simulation.runtime import Runtime
from croupier.simulation.simulator import SimulationConfig, simulate
from croupier.simulation.static_seed import load_static_demo, operator_admin_email

RAMP_LIMIT = 300.0  # the rate is measured once the bots are logged in, or after this long


async def _make_bots(url: str, settings: Settings, count: int) -> None:
    pool = await create_pool(url, min_size=1, max_size=2)
    try:
        async with unit_of_work(pool) as uow:
            await create_bots(uow.conn, settings, count)
    finally:
        await pool.close()


def _fund_bots(base: str, amount: int) -> None:
    with httpx.Client(base_url=base, timeout=60) as http:
        admin = http.post(
            "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        ).json()["token"]
        operators = http.get(
            "/api/v1/platform/operators", headers={"Authorization": f"Bearer {admin}"}
        ).json()
        for operator in operators:
            token = http.post(
                "/api/v1/auth/login",
                json={"email": operator_admin_email(operator["slug"]), "password": DEMO_PASSWORD},
            ).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            players = http.get(
                "/api/v1/operator/players", params={"isBot": "true", "limit": 200}, headers=headers
            ).json()["items"]
            for player in players:
                http.post(
                    f"/api/v1/operator/players/{player['id']}/adjustments",
                    json={
                        "amount": amount,
                        "account": "cash",
                        "reason": "benchmark funding",
                        "idempotencyKey": f"bench-{player['id']}",
                    },
                    headers=headers,
                ).raise_for_status()


def _measure(
    base: str, settings: Settings, seconds: float, pace: float, bots: int
) -> tuple[float, Tally]:
    window: dict[str, tuple[float, int]] = {}

    def on_tick(rt: Runtime) -> None:
        now, bets = rt.elapsed(), rt.tally.bets
        if "start" not in window and (rt.logged_in >= bots or now >= RAMP_LIMIT):
            window["start"] = (now, bets)
        elif "start" in window and now - window["start"][0] >= seconds:
            window.setdefault("end", (now, bets))
            rt.stop.set()

    config = SimulationConfig(
        base_url=base, duration=RAMP_LIMIT + seconds + 5, intensity="high", seed=1, pace=pace
    )
    tally = asyncio.run(simulate(config, settings, on_tick=on_tick))
    (t0, b0), (t1, b1) = window["start"], window.get("end", window["start"])
    return (b1 - b0) / max(t1 - t0, 0.001), tally


async def _audit(url: str) -> AuditReport:
    pool = await create_pool(url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            return await run_audit(conn, Scope(operator_id=None))
    finally:
        await pool.close()


def _children() -> float:
    """CPU time of this process's exited children (the backfill's worker processes)."""
    times = os.times()
    return times.children_user + times.children_system


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bots", type=int, default=120)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--backfill-bets", type=int, default=100_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--backfill-only", action="store_true", help="skip the simulator runs")
    parser.add_argument(
        "--pg-stats", action="store_true", help="the server's busiest statements in the backfill"
    )
    parser.add_argument(
        "--rounds-per-run",
        type=int,
        default=Batching().rounds_per_run,
        help="a bot's rounds per unit of work (1: as batched live spins would be)",
    )
    parser.add_argument("--bots-per-unit", type=int, default=Batching().bots_per_unit)
    args = parser.parse_args()

    with croupier_stack(workers=2, pg_stats=args.pg_stats) as stack:
        settings = Settings(
            database_url=stack.url,
            admin_email=ADMIN_EMAIL,
            admin_password=SecretStr(ADMIN_PASSWORD),
        )
        load_static_demo(stack.url, settings)
        asyncio.run(_make_bots(stack.url, settings, args.bots))
        _fund_bots(stack.base, 5_000_000)
        for pace in () if args.backfill_only else (1.0, 0.0):
            rate, tally = _measure(stack.base, settings, args.seconds, pace, args.bots)
            print(
                f"simulator pace={pace}: {rate:,.1f} bets/s over {args.seconds:.0f} s with "
                f"{args.bots} bots; 5xx={tally.server_errors} statuses={dict(tally.by_status())}"
            )
            refused = {f"{route} {status}": n for (route, status), n in tally.requests.items()}
            print(
                "  not 2xx:", {k: n for k, n in refused.items() if not k.endswith(("200", "201"))}
            )
        if args.pg_stats:
            reset_statement_stats(stack.url)
        started, db_cpu, app_cpu = time.perf_counter(), postgres_cpu_seconds(stack), _children()
        report = backfill_in_processes(
            stack.url,
            settings,
            days=90,
            bets=args.backfill_bets,
            concurrency=args.concurrency,
            processes=args.processes,
            seed=1,
            batching=Batching(args.rounds_per_run, args.bots_per_unit),
        )
        elapsed = time.perf_counter() - started
        db_cpu, app_cpu = postgres_cpu_seconds(stack) - db_cpu, _children() - app_cpu
        print(
            f"backfill: {report.bets:,} bets in {elapsed:,.1f} s = {report.bets / elapsed:,.0f} "
            f"bets/s ({args.processes} processes, {args.concurrency} units in flight of "
            f"{args.bots_per_unit} bots x {args.rounds_per_run} rounds); "
            f"1M bets would take {1_000_000 / (report.bets / elapsed) / 60:,.1f} min; "
            f"failed units {report.failed_units}; {report.safety_skipped:,} rounds handed on by "
            f"safety pauses, {report.shortfall:,} never played"
        )
        print(
            f"  CPU per bet: database {db_cpu / report.bets * 1000:.3f} ms, backfill processes "
            f"{app_cpu / report.bets * 1000:.3f} ms ({db_cpu / elapsed:.2f} + "
            f"{app_cpu / elapsed:.2f} cores)"
        )
        started = time.perf_counter()
        audit = asyncio.run(_audit(stack.url))
        print(
            f"  ledger audit after the backfill: {'ok' if audit.ok else 'FAILED'} "
            f"({time.perf_counter() - started:.0f} s)"
            + ("" if audit.ok else f" {[c.name for c in audit.checks if not c.ok]}")
        )
        if args.pg_stats:  # per unit of work: ledger_post_many runs once in each
            print_statement_stats(stack.url, once_per_op="SELECT ord, transfer_id")


if __name__ == "__main__":
    main()
