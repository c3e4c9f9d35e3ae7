"""Benchmark: POST /api/v1/game/spin with 64 concurrent players against `croupier serve`,
and pgbench TPC-B-like tps on the same PostgreSQL in the same run as the reference.

pgbench runs for half the load's time just before the measured load and again just after it;
the ratio is taken against the mean of the two. This box's speed drifts by 20-30 % over
minutes (other tenants), and a reference measured only after the load drifted with it.

``--rounds N`` alternates N loads with N + 1 pgbench runs on the same server, each load
against the two runs beside it, and reports the median: one run's ratio has swung from 0.34
to 0.83 on this box with the code unchanged, as the hypervisor stole CPU from one phase and
not the other. Each round also gives a ratio of costs that the stolen time does not move:
the CPU a pgbench transaction costs (PostgreSQL and pgbench) ÷ the CPU a spin costs (the
server, PostgreSQL and the load generator), i.e. spins per CPU-second against transactions per
CPU-second.

    .venv/bin/python -m bench.spin_bench [--seconds 20] [--clients 64] [--workers 2]
        [--pgbench-scale 10] [--rounds 1]
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass

import httpx

from bench.loadgen import LoadResult, Requester, encode_request, load
from bench.server import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    PgbenchPhase,
    Stack,
    StolenTime,
    analytics_backlog,
    croupier_stack,
    load_arguments,
    pgbench_init,
    pgbench_phase,
    postgres_cpu_seconds,
    print_statement_stats,
    process_tree_cpu_seconds,
    reset_statement_stats,
    wal_counters,
    warm_up,
)


def _setup_players(base: str, count: int) -> tuple[list[str], int]:
    """An operator, a funded player per client and one builtin game; returns tokens, game id."""
    with httpx.Client(base_url=base, timeout=60) as http:
        token = http.post(
            "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        ).json()["token"]
        admin = {"Authorization": f"Bearer {token}"}
        operator = http.post(
            "/api/v1/platform/operators",
            headers=admin,
            json={"slug": "bench", "name": "Bench", "currency": "USD", "timezone": "UTC"},
        ).json()
        http.post(
            f"/api/v1/platform/operators/{operator['id']}/admins",
            headers=admin,
            json={"email": "boss@example.com", "password": "bench-password-123"},
        )
        boss_token = http.post(
            "/api/v1/auth/login",
            json={"email": "boss@example.com", "password": "bench-password-123"},
        ).json()["token"]
        boss = {"Authorization": f"Bearer {boss_token}"}
        http.post(
            "/api/v1/admin/categories", headers=admin, json={"slug": "slots", "name": "Slots"}
        )
        http.post(
            "/api/v1/admin/jackpots",
            headers=admin,
            json={
                "slug": "mega-usd",
                "group": "mega",
                "name": "Mega",
                "currency": "USD",
                "seedAmount": 100_000,
                "contributionBp": 50,
                "triggerPpt": 200,
            },
        )
        game = http.post(
            "/api/v1/admin/games",
            headers=admin,
            json={
                "slug": "neon-fruits",
                "name": "Neon Fruits",
                "category": "slots",
                "engineKey": "neon-fruits",
                "jackpotGroup": "mega",
            },
        ).json()
        tokens = []
        for i in range(count):
            body = {
                "email": f"p{i}@example.com",
                "username": f"player{i}",
                "password": "bench-password-123",
                "operatorSlug": "bench",
            }
            player = http.post("/api/v1/auth/register", json=body).json()
            http.post(
                f"/api/v1/operator/players/{player['id']}/adjustments",
                headers=boss,
                json={
                    "amount": 10**10,
                    "account": "cash",
                    "reason": "bench funding",
                    "idempotencyKey": f"fund-{i}",
                },
            )
            login = {"email": body["email"], "password": body["password"], "operatorSlug": "bench"}
            tokens.append(http.post("/api/v1/auth/login", json=login).json()["token"])
        return tokens, game["id"]


class _CpuMeter:
    """CPU used from now on by the server's processes, PostgreSQL's and this load generator."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.start = self._now()

    def _now(self) -> dict[str, float]:
        return {
            "croupier": process_tree_cpu_seconds(self.stack.server_pid),
            "postgres": postgres_cpu_seconds(self.stack),
            "load generator": time.process_time(),
        }

    def per_operation(self, operations: int) -> dict[str, float]:
        used = {k: v - self.start[k] for k, v in self._now().items()}
        return {k: v * 1000 / max(operations, 1) for k, v in used.items()}


def _wal_per(start: tuple[int, ...], end: tuple[int, ...], operations: int) -> str:
    """WAL written between two ``wal_counters`` readings, per operation (the spins' figure also
    holds the analytics fold's and autovacuum's WAL meanwhile)."""
    records, fpi, size = ((b - a) / max(operations, 1) for a, b in zip(start, end, strict=True))
    return f"{records:.1f} records, {fpi:.2f} full pages, {size / 1024:.2f} kB"


def _print_server_timing(label: str, result: LoadResult) -> None:
    """The server's own Server-Timing figures: the spin service and the safety engine in it."""
    for name in ("spin", "safety"):
        print(
            f"  server-timing {name:<6} ({label}): p50 {result.server_timing(name, 0.5):.2f} ms,"
            f" p99 {result.server_timing(name, 0.99):.2f} ms"
        )


@dataclass(frozen=True)
class _Round:
    """One measured load between two pgbench runs."""

    result: LoadResult
    cpu_per_spin: dict[str, float]
    stolen: float
    before: PgbenchPhase
    after: PgbenchPhase

    @property
    def reference(self) -> float:
        return (self.before.tps + self.after.tps) / 2

    @property
    def ratio(self) -> float:
        return self.result.rate / self.reference

    @property
    def pgbench_cpu(self) -> tuple[float, float]:
        """The CPU a transaction cost (PostgreSQL's, pgbench's) in the two runs beside the
        load, as their mean, like the reference's rate."""
        runs = (self.before, self.after)
        return sum(r.postgres_ms for r in runs) / 2, sum(r.client_ms for r in runs) / 2

    @property
    def cpu_ratio(self) -> float:
        """pgbench's CPU a transaction ÷ a spin's: spins per CPU-second ÷ transactions per
        CPU-second, which no stolen time or idle core moves."""
        return sum(self.pgbench_cpu) / sum(self.cpu_per_spin.values())


def _print_round(number: int, measured: _Round) -> None:
    result, before, after = measured.result, measured.before, measured.after
    print(
        f"round {number}: {result.rate:,.0f} spins/s, p50 {result.percentile(0.5):.1f} ms,"
        f" p99 {result.percentile(0.99):.1f} ms; pgbench {measured.reference:,.0f} tps"
        f" ({before.tps:,.0f} / {after.tps:,.0f}); ratio {measured.ratio:.2f};"
        f" CPU ratio {measured.cpu_ratio:.2f}; stolen {before.stolen:.0%} / {measured.stolen:.0%}"
        f" / {after.stolen:.0%}"
    )


def _spread(values: list[float], unit: str = "") -> str:
    return f"{statistics.median(values):.2f}{unit} ({min(values):.2f}-{max(values):.2f}{unit})"


def main() -> None:
    parser = load_arguments("spin")
    parser.add_argument(
        "--light-clients",
        type=int,
        default=4,
        help="a second, unsaturated phase: what the safety engine adds without queueing",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="loads alternating with pgbench runs (N loads, N + 1 runs); the median is reported",
    )
    args = parser.parse_args()
    with croupier_stack(workers=args.workers, pg_stats=args.pg_stats) as stack:
        tokens, game_id = _setup_players(stack.base, args.clients)
        body = json.dumps({"gameId": game_id, "stake": 100}).encode()

        def requester(phase: str) -> Requester:
            def request(client: int, sequence: int) -> bytes:
                headers = {
                    "Authorization": f"Bearer {tokens[client]}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": f"{phase}{client}-s{sequence}",
                }
                return encode_request("POST", "/api/v1/game/spin", headers, body)

            return request

        warm_up(stack.url, stack.port, args.clients, args.warmup, requester("w"))
        pgbench_init(stack.url, scale=args.pgbench_scale)
        half = max(int(args.seconds) // 2, 1)
        before = pgbench_phase(stack, clients=args.clients, seconds=half)
        if args.pg_stats:
            reset_statement_stats(stack.url)
        rounds: list[_Round] = []
        for number in range(1, max(args.rounds, 1) + 1):
            cpu = _CpuMeter(stack)
            wal_start = wal_counters(stack.url)
            with StolenTime() as stolen_load:
                result = load(
                    "127.0.0.1", stack.port, args.clients, args.seconds, requester(f"c{number}-")
                )
            cpu_per_spin = cpu.per_operation(result.answered)
            backlog = analytics_backlog(stack.url)
            wal_spins = _wal_per(wal_start, wal_counters(stack.url), result.answered)
            wal_start = wal_counters(stack.url)
            after = pgbench_phase(stack, clients=args.clients, seconds=half)
            wal_pgbench = _wal_per(wal_start, wal_counters(stack.url), after.transactions)
            rounds.append(_Round(result, cpu_per_spin, stolen_load.share, before, after))
            before = after
        light = None
        if args.light_clients:
            light = load("127.0.0.1", stack.port, args.light_clients, 10, requester("l"))
        if args.pg_stats:
            # A spin is a bet row: written alone (insert_bet) or in a batch (insert_bets).
            print_statement_stats(
                stack.url,
                once_per_op="",
                by_rows=("WITH terms AS", "INSERT INTO bets", "WITH b AS ( INSERT INTO bets"),
            )
    last = rounds[-1]
    print(f"spin, {args.clients} players, {args.workers} workers: {last.result.summary()}")
    print("  CPU per spin: " + ", ".join(f"{k} {v:.3f} ms" for k, v in last.cpu_per_spin.items()))
    # Time the hypervisor gave this machine's CPUs to other tenants, in each phase: when it
    # differs between the load and the reference, so does the ratio.
    print(
        f"  CPU time stolen: pgbench before {last.before.stolen:.1%}, spins {last.stolen:.1%},"
        f" pgbench after {last.after.stolen:.1%}"
    )
    _print_server_timing(f"{args.clients} players", last.result)
    print(f"  WAL per spin: {wal_spins}; per pgbench transaction: {wal_pgbench}")
    print(f"  analytics at the end of the load: {backlog}")
    if light is not None:
        print(f"spin, {args.light_clients} players (unsaturated): {light.summary()}")
        _print_server_timing(f"{args.light_clients} players", light)
    print(
        f"pgbench TPC-B-like, {args.clients} clients, scale {args.pgbench_scale}:"
        f" {last.reference:,.0f} tps"
        f" ({last.before.tps:,.0f} just before the load, {last.after.tps:,.0f} just after);"
        f" CPU a transaction {sum(last.pgbench_cpu):.3f} ms"
        f" (postgres {last.pgbench_cpu[0]:.3f}, pgbench {last.pgbench_cpu[1]:.3f})"
    )
    print(f"ratio spins/s ÷ pgbench tps: {last.ratio:.2f}")
    print(f"CPU ratio (pgbench's CPU a transaction ÷ a spin's): {last.cpu_ratio:.2f}")
    if len(rounds) > 1:
        for number, measured in enumerate(rounds, 1):
            _print_round(number, measured)
        print(
            f"median of {len(rounds)} rounds: ratio {_spread([r.ratio for r in rounds])},"
            f" CPU ratio {_spread([r.cpu_ratio for r in rounds])},"
            f" p99 {_spread([r.result.percentile(0.99) for r in rounds], ' ms')}"
        )


if __name__ == "__main__":
    main()
