"""Benchmark: signed seamless-wallet callbacks, 64 concurrent provider rounds, against pgbench.

Each client plays rounds back to back: a signed POST /casino/debit, then a signed POST
/casino/credit paying it (alternately 0 and 2x the stake), over keep-alive HTTP/1.1 against
`croupier serve`-style workers on an embedded PostgreSQL. pgbench (TPC-B-like) runs on the same
server in the same run, for the ratio.

    .venv/bin/python -m bench.provider_bench [--seconds 20] [--clients 64] [--workers 2]
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

import httpx
from fastapi import FastAPI

from bench.loadgen import encode_request, load
from bench.server import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    Stack,
    _free_port,
    _wait_ready,
    build_line,
    load_arguments,
    pgbench_tps,
    print_statement_stats,
    reset_statement_stats,
    statement_stats_settings,
    warm_up,
)
from croupier.app import create_app
from croupier.config import load_settings
from croupier.db.embedded import EmbeddedPostgres, scratch_data_dir
from croupier.db.migrate import upgrade
from croupier.db.pool import create_pool, unit_of_work
from croupier.kit.tenancy import Scope
from croupier.ledger.audit import run_audit
from croupier.operators import service as operators
from croupier.providers import queries
from croupier.providers.demo_seed import seed_provider_demo
from croupier.providers.service.simulate import reset_demo_balance
from croupier.providers.signature import sign

STAKE = 1_000
# providers.queries.store_outcome: a call's row, alone or after its round's update; and
# providers.bulk_queries.store_applied: a batch's rows.
STORE_OUTCOME = (
    "INSERT INTO casino_transactions",
    "WITH r AS (UPDATE casino_rounds",
    "WITH applied_calls AS",
)
SECRET = "bench-casino-secret"


def app_factory() -> FastAPI:
    """The platform app (it serves /casino and /provider itself)."""
    return create_app()


@contextmanager
def provider_stack(workers: int, pg_stats: bool = False) -> Iterator[Stack]:
    """bench.server's stack, serving ``app_factory`` instead of ``croupier serve``."""
    with scratch_data_dir() as data_dir:
        server = EmbeddedPostgres(data_dir, extra_settings=statement_stats_settings(pg_stats))
        with server.running() as url:
            upgrade(url)
            port = _free_port()
            env = {
                **os.environ,
                "DATABASE_URL": server.local_url(),
                "CROUPIER_ADMIN_EMAIL": ADMIN_EMAIL,
                "CROUPIER_ADMIN_PASSWORD": ADMIN_PASSWORD,
                "CROUPIER_LOG_LEVEL": "warning",
                "CROUPIER_DB_POOL_MAX": "40",
                "CASINO_SECRET": SECRET,
            }
            cmd = [
                sys.executable,
                "-m",
                "uvicorn",
                "bench.provider_bench:app_factory",
                "--factory",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--no-access-log",
                "--log-level",
                "warning",
            ]
            print(build_line(), flush=True)
            proc = subprocess.Popen(cmd, env=env)
            try:
                base = f"http://127.0.0.1:{port}"
                _wait_ready(base)
                pg_port = server.status().port or 0
                yield Stack(server.local_url(), base, port, pg_port, data_dir, proc.pid)
            finally:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:  # a job in the middle of a long fold
                    proc.kill()
                    proc.wait()


async def _players(url: str, count: int) -> list[int]:
    """Seed 003's demo data, plus ``count`` demo players with plenty of cash."""
    pool = await create_pool(url, min_size=1, max_size=2)
    try:
        async with unit_of_work(pool) as uow:
            await operators.create_operator(
                uow.conn,
                slug="lucky-star",
                name="Lucky Star",
                currency="USD",
                timezone="UTC",
                mode="real",
                settings={},
            )
            await seed_provider_demo(uow.conn, load_settings(casino_secret=SECRET))
            operator_id = await uow.conn.fetchval(
                "SELECT id FROM operators WHERE slug = 'lucky-star'"
            )
            ids = []
            for _ in range(count):
                player_id = await uow.conn.fetchval(
                    "INSERT INTO players (operator_id, kind) VALUES ($1, 'guest') RETURNING id",
                    operator_id,
                )
                await queries.add_demo_player(uow.conn, operator_id, player_id, 10**12)
                await reset_demo_balance(uow.conn, player_id)
                ids.append(player_id)
            return ids
    finally:
        await pool.close()


async def _audit(url: str) -> bool:
    pool = await create_pool(url, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            return (await run_audit(conn, Scope(operator_id=None))).ok
    finally:
        await pool.close()


def _callback(endpoint: str, body: dict[str, object]) -> bytes:
    raw = json.dumps(body, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "x-casino-signature": sign(SECRET, raw)}
    return encode_request("POST", endpoint, headers, raw)


def main() -> None:
    parser = load_arguments("call")
    args = parser.parse_args()
    with provider_stack(args.workers, args.pg_stats) as stack:
        players = asyncio.run(_players(stack.url, args.clients))
        with httpx.Client(base_url=stack.base, timeout=30) as http:
            tokens = [
                http.post("/casino/launchGame", json={"userId": p, "gameId": 1}).json()[
                    "sessionToken"
                ]
                for p in players
            ]

        def make_request(phase: str, client: int, sequence: int) -> bytes:
            # Even calls stake in a new round; odd calls pay the stake just made.
            user, token = players[client], tokens[client]
            round_no = f"{client}-{sequence // 2}"
            round_id, bet = f"{phase}r-{round_no}", f"{phase}b-{round_no}"
            if sequence % 2 == 0:
                return _callback(
                    "/casino/debit",
                    {
                        "sessionToken": token,
                        "userId": user,
                        "transactionId": bet,
                        "roundId": round_id,
                        "amount": STAKE,
                    },
                )
            return _callback(
                "/casino/credit",
                {
                    "sessionToken": token,
                    "userId": user,
                    "transactionId": f"{phase}w-{client}-{sequence}",
                    "roundId": round_id,
                    "amount": STAKE * 2 * (sequence // 2 % 2),
                    "relatedTransactionId": bet,
                },
            )

        warm_up(stack.url, stack.port, args.clients, args.warmup, partial(make_request, "warm-"))
        if args.pg_stats:
            reset_statement_stats(stack.url)
        request = partial(make_request, "")
        result = load("127.0.0.1", stack.port, args.clients, args.seconds, request)
        if args.pg_stats:
            # Every callback stores its outcome: one row per call, whatever it did.
            print_statement_stats(stack.url, once_per_op="", by_rows=STORE_OUTCOME)
        audit_ok = asyncio.run(_audit(stack.url))
        tps = pgbench_tps(
            stack.url, clients=args.clients, seconds=int(args.seconds), scale=args.pgbench_scale
        )
    print(
        f"provider callbacks (debit+credit), {args.clients} rounds at once, "
        f"{args.workers} workers: {result.summary()}"
    )
    print(
        f"rounds/s {result.rate / 2:,.0f};"
        f" pgbench TPC-B (scale {args.pgbench_scale}) {tps:,.0f} tps; "
        f"callbacks/pgbench {result.rate / tps:.2f}x, rounds/pgbench {result.rate / 2 / tps:.2f}x;"
        f" ledger audit {'ok' if audit_ok else 'FAILED'}"
    )


if __name__ == "__main__":
    main()
