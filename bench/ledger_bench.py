"""Benchmark: ledger transfers/s with 64 concurrent clients, against pgbench TPC-B-like on the
same server in the same run.

    .venv/bin/python -m bench.ledger_bench [--seconds 20] [--clients 64] [--wallets 10000]
                                           [--url postgresql://user@host:port/db]

Without --url an embedded server is started in a scratch folder. With --url, throwaway
databases are created on that server and dropped afterwards. Every client calls
``croupier.ledger.service.post`` on its own connection, outside any explicit transaction: one
round trip and one commit per transfer, as a unit of work of one transfer would do.

Scenarios: (a) transfers between two random wallets of 10,000 (two cached rows each);
(b) every client debiting the same player wallet (one hot cached row, serialised by design);
(c) every transfer crediting the house from a random wallet (the hot derived account).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import uvloop

from croupier.db.embedded import EmbeddedPostgres, bin_path, scratch_data_dir
from croupier.db.migrate import upgrade
from croupier.db.pool import create_pool
from croupier.kit.tenancy import Scope
from croupier.ledger import service as ledger
from croupier.ledger.audit import run_audit
from croupier.ledger.service import Leg

FUNDS = 10**12  # per wallet: no transfer of the run is ever short of funds


@dataclass
class Books:
    operator_id: int
    house: int
    wallets: list[int]


@dataclass
class ScenarioResult:
    name: str
    transfers: int
    seconds: float
    latencies_ms: list[float] = field(repr=False)
    errors: int
    client_cpu: float  # seconds of this process's CPU: the Python client's share of the box

    @property
    def rate(self) -> float:
        return self.transfers / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextmanager
def _server(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    with scratch_data_dir() as data_dir, EmbeddedPostgres(data_dir).running() as embedded:
        yield embedded


@contextmanager
def _throwaway_database(server_url: str, prefix: str) -> Iterator[str]:
    name = f"{prefix}_{secrets.token_hex(4)}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield _with_database(server_url, name)
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE "{name}" WITH (FORCE)'))


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _open_books(pool: asyncpg.Pool, wallets: int) -> Books:
    async with pool.acquire() as conn:
        operator_id = await conn.fetchval(
            """INSERT INTO operators (slug, name, currency, timezone, mode)
               VALUES ('bench', 'Bench', 'USD', 'UTC', 'real') RETURNING id"""
        )
        world = await ledger.ensure_account(
            conn, operator_id=operator_id, kind="world", currency="USD"
        )
        house = await ledger.ensure_account(
            conn, operator_id=operator_id, kind="house", currency="USD"
        )
        ids = await conn.fetch(
            """SELECT ledger_ensure_account($1, 'USD', 'player_cash', g, 0::smallint) AS id
               FROM generate_series(1, $2::bigint) AS g""",
            operator_id,
            wallets,
        )
    accounts = [row["id"] for row in ids]

    # One deposit per wallet, like real traffic: a single huge funding transfer would skew the
    # planner's statistics on entries per transfer.
    async def deposit(chunk: list[int]) -> None:
        async with pool.acquire() as conn:
            for account in chunk:
                await ledger.post(
                    conn,
                    operator_id=operator_id,
                    type="deposit",
                    idempotency_key=f"funding-{account}",
                    request={},
                    legs=[Leg(world, -FUNDS), Leg(account, FUNDS)],
                )

    workers = pool.get_max_size()
    await asyncio.gather(*(deposit(accounts[i::workers]) for i in range(workers)))
    async with pool.acquire() as conn:
        await conn.execute("VACUUM ANALYZE")
    return Books(operator_id, house, accounts)


async def _scenario(
    pool: asyncpg.Pool,
    books: Books,
    name: str,
    legs: Callable[[random.Random], list[Leg]],
    clients: int,
    seconds: float,
) -> ScenarioResult:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client(number: int) -> int:
        nonlocal errors
        rng = random.Random(number)
        done = 0
        async with pool.acquire() as conn:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    result = await ledger.post(
                        conn,
                        operator_id=books.operator_id,
                        type="bench",
                        idempotency_key=f"{name}-{number}-{done}",
                        request={},
                        legs=legs(rng),
                    )
                except asyncpg.PostgresError:
                    errors += 1
                    continue
                latencies.append((time.perf_counter() - started) * 1000)
                if result.posted:
                    done += 1
                else:
                    errors += 1
        return done

    started, cpu = time.perf_counter(), time.process_time()
    counts = await asyncio.gather(*(client(i) for i in range(clients)))
    return ScenarioResult(
        name,
        sum(counts),
        time.perf_counter() - started,
        latencies,
        errors,
        time.process_time() - cpu,
    )


async def run_ledger(url: str, clients: int, seconds: float, wallets: int) -> list[ScenarioResult]:
    pool = await create_pool(url, min_size=clients, max_size=clients)
    try:
        books = await _open_books(pool, wallets)
        hot = books.wallets[0]

        def pair(rng: random.Random) -> list[Leg]:
            payer, payee = rng.sample(books.wallets, 2)
            amount = rng.randint(1, 100)
            return [Leg(payer, -amount), Leg(payee, amount)]

        def one_wallet(rng: random.Random) -> list[Leg]:
            return [Leg(hot, -1), Leg(books.house, 1)]

        def to_house(rng: random.Random) -> list[Leg]:
            amount = rng.randint(1, 100)
            return [Leg(rng.choice(books.wallets), -amount), Leg(books.house, amount)]

        results = []
        for name, legs in (
            ("(a) random wallet pairs", pair),
            ("(b) one player wallet", one_wallet),
            ("(c) random wallets -> house", to_house),
        ):
            results.append(await _scenario(pool, books, name, legs, clients, seconds))
            async with pool.acquire() as conn:
                await conn.execute("CHECKPOINT")  # each scenario starts with clean buffers
        async with pool.acquire() as conn:
            started = time.perf_counter()
            report = await run_audit(conn, Scope(operator_id=None))
            took = time.perf_counter() - started
        print(
            f"audit after the run: ok={report.ok}, {report.transfers:,} transfers, "
            f"{report.entries:,} entries, {took:.1f} s"
        )
        return results
    finally:
        await pool.close()


def run_pgbench(url: str, clients: int, seconds: float, scale: int) -> float:
    """TPC-B-like tps of pgbench on the same server, in a database of its own."""
    parts = urlsplit(url)
    env = {**os.environ}
    if parts.password:  # through the environment, not argv (ps would show it)
        env["PGPASSWORD"] = parts.password
    netloc = parts.netloc.rpartition("@")[2]
    user = f"{parts.username}@" if parts.username else ""
    target = urlunsplit(parts._replace(netloc=f"{user}{netloc}"))
    pgbench = str(bin_path("pgbench"))
    subprocess.run(
        [pgbench, "-i", "-q", "-s", str(scale), target], env=env, check=True, capture_output=True
    )
    run = subprocess.run(
        [pgbench, "-c", str(clients), "-j", "2", "-T", str(int(seconds)), "-M", "prepared", target],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", run.stdout)
    if match is None:
        raise RuntimeError(f"unexpected pgbench output:\n{run.stdout}")
    return float(match.group(1))


def _table(results: list[ScenarioResult], pgbench_tps: float, clients: int) -> str:
    lines = [
        f"| scenario ({clients} clients) | transfers/s | p50 ms | p99 ms | errors | client CPU "
        "| vs pgbench |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.rate:,.0f} | {r.percentile(0.5):.1f} | {r.percentile(0.99):.1f} "
            f"| {r.errors} | {r.client_cpu / r.seconds:.0%} | {r.rate / pgbench_tps:.2f}x |"
        )
    lines.append(f"| pgbench TPC-B-like, -M prepared | {pgbench_tps:,.0f} | | | | | 1.00x |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--wallets", type=int, default=10_000)
    parser.add_argument("--pgbench-scale", type=int, default=10)
    parser.add_argument("--url", help="an existing PostgreSQL server (default: embedded)")
    args = parser.parse_args()
    print("load average before the run: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))

    with ExitStack() as stack:
        server = stack.enter_context(_server(args.url))
        ledger_db = stack.enter_context(_throwaway_database(server, "ledger_bench"))
        upgrade(ledger_db)
        # uvloop: the Python client must not be what limits the rate.
        results = uvloop.run(run_ledger(ledger_db, args.clients, args.seconds, args.wallets))
        pgbench_db = stack.enter_context(_throwaway_database(server, "pgbench_bench"))
        pgbench_tps = run_pgbench(pgbench_db, args.clients, args.seconds, args.pgbench_scale)

    print(_table(results, pgbench_tps, args.clients))
    a, c = results[0].rate, results[2].rate
    print(
        f"\n(a) / pgbench = {a / pgbench_tps:.2f} (goal >= 0.5); "
        f"(c) / (a) = {c / a:.2f} (goal >= 0.75)"
    )


if __name__ == "__main__":
    main()
