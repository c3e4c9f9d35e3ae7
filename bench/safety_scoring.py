"""Micro-benchmark: what player-safety scoring adds to one spin.

    .venv/bin/python -m bench.safety_scoring [--spins 5000] [--players 200] [--clients 1 16]

Measures, against an embedded PostgreSQL with the real migrations:

* the pure per-spin scoring (``engine.assess_spin``) on a warmed-up state;
* ``check_spin`` (before money moves) and ``record_spin`` (after the outcome), each timed
  inside an open transaction, as the spin's unit of work calls them; BEGIN/COMMIT belong to
  the spin and are not counted;

with one client (latency) and with several concurrent clients (a loaded database).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg

from croupier.db.embedded import EmbeddedPostgres, scratch_data_dir
from croupier.db.migrate import upgrade
from croupier.db.pool import create_pool
from croupier.safety import engine, service
from croupier.safety.config import DEFAULT_CONFIG
from croupier.safety.engine import Restrictions, SpinInput
from croupier.safety.errors import SafetyRefusal
from croupier.safety.state import PlayerState, to_ms


def percentiles(samples_ns: list[int]) -> str:
    ordered = sorted(samples_ns)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6

    return f"p50 {at(0.50):.3f} ms  p99 {at(0.99):.3f} ms  max {ordered[-1] / 1e6:.3f} ms"


def bench_pure(spins: int) -> list[int]:
    cfg, zone = DEFAULT_CONFIG, ZoneInfo("Europe/London")
    player, limits, restrictions = PlayerState(), [], Restrictions()
    t = to_ms(datetime(2026, 3, 2, 12, tzinfo=UTC))
    session = engine.start_session(player, limits, t, cfg)
    rng = random.Random(7)
    samples = []
    for i in range(spins + 200):
        t += rng.randint(2500, 9000)
        stake = rng.choice([100, 100, 200, 500])  # erratic on purpose: every signal evaluates
        spin = SpinInput(t, t, stake, rng.choice([0, 0, 0, stake * 2]), 50_000, 0.72, 2500, True)
        started = time.perf_counter_ns()
        engine.assess_spin(cfg, zone, player, limits, session, restrictions, spin)
        if i >= 200:  # the ring and history are full from here on
            samples.append(time.perf_counter_ns() - started)
        restrictions.cooldown_until_ms = restrictions.stop_until_ms = 0
    return samples


async def seed_players(pool: asyncpg.Pool, count: int) -> tuple[int, list[int]]:
    async with pool.acquire() as conn:
        operator_id = await conn.fetchval(
            """INSERT INTO operators (slug, name, currency, timezone, mode)
               VALUES ('bench', 'Bench', 'USD', 'Europe/London', 'real') RETURNING id"""
        )
        players = await conn.fetch(
            """INSERT INTO players (operator_id, username)
               SELECT $1, 'p' || g FROM generate_series(1, $2) g RETURNING id""",
            operator_id,
            count,
        )
    return operator_id, [p["id"] for p in players]


async def client_loop(
    pool: asyncpg.Pool,
    operator_id: int,
    players: list[int],
    spins: int,
    seed: int,
    out: dict[str, list[int]],
) -> None:
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(hours=2)
    clocks = dict.fromkeys(players, start)
    stakes = {player_id: rng.choice([100, 200, 500]) for player_id in players}
    for _ in range(spins):
        player_id = rng.choice(players)
        clocks[player_id] += timedelta(milliseconds=rng.randint(2500, 9000))
        if rng.random() < 0.03:  # now and then a player changes stake
            stakes[player_id] = rng.choice([100, 200, 500, 1000])
        stake = stakes[player_id]
        async with pool.acquire() as conn, conn.transaction():
            t0 = time.perf_counter_ns()
            try:
                await service.check_spin(
                    conn,
                    operator_id=operator_id,
                    player_id=player_id,
                    stake=stake,
                    session_key=None,
                    at=clocks[player_id],
                )
            except SafetyRefusal:
                out["refused"].append(time.perf_counter_ns() - t0)
                continue
            t1 = time.perf_counter_ns()
            await service.record_spin(
                conn,
                operator_id=operator_id,
                player_id=player_id,
                game_key="neon-fruits",
                stake=stake,
                win=rng.choice([0, 0, 0, stake * 2]),
                balance_after=50_000,
                session_key=None,
                p_loss=0.72,
                at=clocks[player_id],
            )
            t2 = time.perf_counter_ns()
        out["check_spin"].append(t1 - t0)
        out["record_spin"].append(t2 - t1)
        out["both"].append(t2 - t0)


async def bench_db(url: str, spins: int, players: int, clients: list[int]) -> None:
    pool = await create_pool(url, min_size=2, max_size=max(clients) + 2)
    try:
        operator_id, ids = await seed_players(pool, players)
        warm: dict[str, list[int]] = {
            "check_spin": [],
            "record_spin": [],
            "both": [],
            "refused": [],
        }
        await client_loop(pool, operator_id, ids, players * 50, 0, warm)  # full spin rings
        for count in clients:
            out: dict[str, list[int]] = {
                "check_spin": [],
                "record_spin": [],
                "both": [],
                "refused": [],
            }
            per_client = spins // count
            began = time.perf_counter()
            # each client plays its own players, as each player plays one spin at a time
            await asyncio.gather(
                *(
                    client_loop(pool, operator_id, ids[n::count], per_client, n + 1, out)
                    for n in range(count)
                )
            )
            elapsed = time.perf_counter() - began
            print(
                f"\n{count} client(s), {per_client * count} spins, {players} players "
                f"({per_client * count / elapsed:.0f} spins/s through the hooks alone)"
            )
            print(f"  refused      {len(out.pop('refused'))} spins (cooldowns, stops)")
            for name, samples in out.items():
                print(f"  {name:<12} {percentiles(samples)}")
    finally:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spins", type=int, default=5000)
    parser.add_argument("--players", type=int, default=200)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--revision", default="heads", help="migrate up to this revision")
    args = parser.parse_args()

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"pure scoring (engine.assess_spin), {args.spins} spins: "
        f"{percentiles(bench_pure(args.spins))}"
    )
    with scratch_data_dir() as data_dir, EmbeddedPostgres(data_dir).running() as url:
        upgrade(url, args.revision)
        asyncio.run(bench_db(url, args.spins, args.players, args.clients))


if __name__ == "__main__":
    main()
