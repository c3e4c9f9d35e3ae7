"""Benchmark: the analytics routes over 10 million bets (90 days, 3 operators), and how fresh
the figures are under a spin load.

    .venv/bin/python -m bench.analytics_bench [--bets 10000000] [--days 90] [--runs 40]
                                              [--rate 500] [--load-seconds 30] [--url URL]
                                              [--fill-rate 150]

Without --url an embedded server is started in a scratch folder (a throwaway database on the
server otherwise). Phases:

1. seed: 3 operators with an admin each (through the API), 5,000 bot players per operator spread
   over agents, cashiers and regions, 20 games (the 3 builtin slots and 17 provider games).
2. history: the bets are generated at the EVENT level (``ledger_events`` rows, one local day per
   chunk: sessions of 50-300 spins on one game, ~6 s apart, a 1-2-5 stake ladder, 5% bonus-funded
   sessions, one deposit per 3 sessions), not through the ledger: the ledger's posting functions
   run at ~600 bets/s per connection here, so 10M bets that way would take hours. Each chunk is
   then folded by ``rollups.fold_events``, the tailer's own fold, and its rate is reported.
3. queries: p50/p95 of every analytics route for an operator admin over a 30-day range, through
   the ASGI app in-process (session check, validation, SQL, JSON).
4. freshness: real spins (``croupier.bets.spin.spin``, the whole unit of work) at --rate per
   second for --load-seconds, with the tailer loop in its own process, as deployed; for sampled
   spins, the delay from the spin's commit until its bet is in ``ledger_events`` (and so in every
   rollup: one fold transaction writes both). One Python process drives the spins, and tops out
   below 500/s on this box; ``--fill-rate`` adds rounds written by ``bets.bulk`` in a process of
   its own (units of a tenth of a second, other players), so the tailer folds the full load while
   the freshness is still measured on the real spins.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import uvloop
from pydantic import SecretStr

from croupier.analytics import rollups, worker
from croupier.analytics.endpoints import routers
from croupier.app import create_app
from croupier.bets import bulk
from croupier.bets.spin import SpinRequest, spin
from croupier.config import Settings
from croupier.db.embedded import EmbeddedPostgres, scratch_data_dir
from croupier.db.migrate import upgrade
from croupier.db.pool import asyncpg_dsn, create_pool, unit_of_work
from croupier.ledger import service as ledger
from croupier.wallets import service as wallets

ADMIN_EMAIL, ADMIN_PASSWORD = "bench@platform.test", "bench-platform-pass-1"
PLAYERS_PER_OPERATOR = 5_000
ROUTES = (
    "/api/v1/admin/analytics/overview",
    "/api/v1/admin/analytics/revenue",
    "/api/v1/admin/analytics/players",
    "/api/v1/admin/analytics/games",
    "/api/v1/admin/analytics/ops",
    "/api/v1/admin/analytics/funnel",
    "/api/v1/admin/analytics/ltv",
    "/api/v1/admin/analytics/attribution?metric=ngr",
    "/api/v1/admin/analytics/revenue?bucket=hour",
    "/api/v1/admin/analytics/revenue?timezone=Asia/Kolkata",
    "/api/v1/admin/analytics/overview?agentId={agent}&gameKey=neon-fruits",
    "/api/v1/operator/analytics/games",
    "/api/v1/operator/analytics/rtp-summary",
    "/api/v1/admin/financials",
    "/api/v1/operator/transactions?limit=50",
)

# One day of one operator's play, as sessions of consecutive spins (see the module docstring).
_DAY = """
WITH pick AS (
    SELECT g, $5::bigint + floor(random() ^ 1.5 * $6::int)::bigint AS player_id
    FROM generate_series(1, $4::int) g
), s AS (
    SELECT pick.g AS sid, $1::int AS operator_id, p.id AS player_id, p.agent_id, p.cashier_id,
           p.region, $2::timestamptz + random() * interval '1 day' AS started,
           ($3::int[])[1 + floor(random() * cardinality($3::int[]))::int] AS game_id,
           (ARRAY[10, 20, 50, 100, 200, 500, 1000])[1 + floor(random() ^ 2 * 7)::int] AS stake,
           50 + floor(random() * 251)::int AS spins, random() < 0.05 AS bonus,
           random() < 0.33 AS deposits
    FROM pick JOIN players p ON p.id = pick.player_id
), spins AS (
    SELECT s.*, k, s.started + k * interval '6 seconds' AS at,
           CASE WHEN random() < 0.3
                THEN floor(s.stake * 3.2 * -ln(1 - random()))::bigint ELSE 0 END AS win
    FROM s CROSS JOIN LATERAL generate_series(1, s.spins) k
)
INSERT INTO ledger_events (operator_id, type, occurred_at, fact_at, player_id, game_id,
                           cash_delta, bonus_delta, rounds, stake, stake_cash, stake_bonus, win,
                           stake_level, agent_id, cashier_id, region, is_seeded)
SELECT operator_id, 'deposit', started - interval '1 minute', started - interval '1 minute',
       player_id, NULL, stake * 100, 0, 0, 0, 0, 0, 0, 0, coalesce(agent_id, 0),
       coalesce(cashier_id, 0), coalesce(region, ''), true
FROM s WHERE deposits
UNION ALL
SELECT operator_id, 'bet', at, at, player_id, game_id,
       CASE WHEN bonus THEN 0 ELSE win - stake END, CASE WHEN bonus THEN win - stake ELSE 0 END,
       1, stake, CASE WHEN bonus THEN 0 ELSE stake END, CASE WHEN bonus THEN stake ELSE 0 END,
       win, an_stake_level(stake), coalesce(agent_id, 0), coalesce(cashier_id, 0),
       coalesce(region, ''), true
FROM spins
RETURNING id
"""


@contextmanager
def database(url: str | None, keep: bool = False) -> Iterator[str]:
    with ExitStack() as stack:
        if url is None:
            data_dir = stack.enter_context(scratch_data_dir())
            url = stack.enter_context(EmbeddedPostgres(data_dir).running())
        name = f"analytics_bench_{int(time.time())}"
        asyncio.run(_admin(url, f'CREATE DATABASE "{name}"'))
        target = url.rpartition("/")[0] + f"/{name}"
        upgrade(target)
        try:
            yield target
        finally:
            if keep:  # left for profiling with EXPLAIN; drop it by hand
                print(f"kept the database: {target}", flush=True)
            else:
                asyncio.run(_admin(url, f'DROP DATABASE "{name}" WITH (FORCE)'))


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _post(client: httpx.AsyncClient, path: str, body: dict, token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def seed(client: httpx.AsyncClient, pool: asyncpg.Pool) -> list[tuple[int, str, int]]:
    """Operators with their admin token and first player id."""
    root = (
        await _post(
            client, "/api/v1/auth/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
    )["token"]
    await _post(client, "/api/v1/admin/categories", {"slug": "slots", "name": "Slots"}, root)
    for key in ("neon-fruits", "pharaoh-gold", "dragon-vault"):
        body = {
            "slug": key,
            "name": key,
            "category": "slots",
            "provider": "builtin",
            "engineKey": key,
        }
        await _post(client, "/api/v1/admin/games", body, root)
    for n in range(17):
        body = {
            "slug": f"prov-{n}",
            "name": f"Provider game {n}",
            "category": "slots",
            "provider": ("acme", "jaqpot", "nova")[n % 3],
            "rtp": "0.960000",
            "volatility": ("low", "medium", "high")[n % 3],
            "minBet": 10,
            "maxBet": 100000,
        }
        await _post(client, "/api/v1/admin/games", body, root)
    operators = []
    for n in range(3):
        operator = await _post(
            client,
            "/api/v1/platform/operators",
            {
                "slug": f"op-{n}",
                "name": f"Op {n}",
                "currency": "USD",
                "timezone": "America/Los_Angeles",
            },
            root,
        )
        email = f"boss{n}@bench-casino.com"
        await _post(
            client,
            f"/api/v1/platform/operators/{operator['id']}/admins",
            {"email": email, "password": ADMIN_PASSWORD},
            root,
        )
        token = (
            await _post(client, "/api/v1/auth/login", {"email": email, "password": ADMIN_PASSWORD})
        )["token"]
        async with pool.acquire() as conn:
            await conn.execute(
                """INSERT INTO agents (operator_id, code, name, region)
                   SELECT $1, 'agent-' || a, 'Agent ' || a, 'region-' || (a % 4)
                   FROM generate_series(1, 8) a""",
                operator["id"],
            )
            first = await conn.fetchval(
                """INSERT INTO players (operator_id, kind, username, is_bot, agent_id, cashier_id,
                                        region, created_at)
                   SELECT $1, 'registered', 'bot-' || $1 || '-' || g, true, a.id, 0,
                          a.region, now() - interval '120 days' + g * interval '1 minute'
                   FROM generate_series(1, $2) g
                   JOIN agents a ON a.operator_id = $1 AND a.code = 'agent-' || (1 + g % 8)
                   ORDER BY g RETURNING id""",
                operator["id"],
                PLAYERS_PER_OPERATOR,
            )
        operators.append((operator["id"], token, first))
    return operators


async def history(
    pool: asyncpg.Pool, operators: list[tuple[int, str, int]], bets: int, days: int
) -> dict:
    async with pool.acquire() as conn:
        games = [r["id"] for r in await conn.fetch("SELECT id FROM games ORDER BY id")]
        await worker.rtp_monitor.sync_game_configs(conn)
    sessions_per_day = max(1, round(bets / 175 / days / len(operators)))
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
        days=days
    )
    generated = folded = 0
    gen_seconds = fold_seconds = 0.0
    for day in range(days):
        for operator_id, _, first in operators:
            async with pool.acquire() as conn, conn.transaction():
                t0 = time.perf_counter()
                ids = await conn.fetch(
                    _DAY,
                    operator_id,
                    start + timedelta(days=day),
                    games,
                    sessions_per_day,
                    first,
                    PLAYERS_PER_OPERATOR,
                )
                t1 = time.perf_counter()
                await rollups.fold_events(
                    conn, min(r["id"] for r in ids), max(r["id"] for r in ids)
                )
                t2 = time.perf_counter()
            generated += len(ids)
            gen_seconds += t1 - t0
            fold_seconds += t2 - t1
            folded += len(ids)
        if day % 10 == 9:
            print(
                f"  day {day + 1}/{days}: {folded:,} events, fold {folded / fold_seconds:,.0f}/s",
                flush=True,
            )
    async with pool.acquire() as conn:
        await conn.execute("VACUUM ANALYZE")
        counts = await conn.fetchrow(
            """SELECT (SELECT sum(rounds) FROM ledger_events) AS bets,
                      (SELECT count(*) FROM an_rollups) AS rollups,
                      (SELECT count(*) FROM an_player_activity) AS activity,
                      (SELECT count(*) FROM session_snapshots) AS sessions"""
        )
    return {
        "events": generated,
        "bets": int(counts["bets"]),
        "generate_seconds": gen_seconds,
        "fold_seconds": fold_seconds,
        "fold_events_per_second": folded / fold_seconds,
        "rollup_rows": counts["rollups"],
        "activity_rows": counts["activity"],
        "sessions": counts["sessions"],
    }


async def queries(
    client: httpx.AsyncClient, pool: asyncpg.Pool, token: str, runs: int
) -> dict[str, tuple[float, float]]:
    async with pool.acquire() as conn:
        agent = await conn.fetchval("SELECT min(id) FROM agents")
    headers = {"Authorization": f"Bearer {token}"}
    results = {}
    for route in ROUTES:
        path = route.format(agent=agent)
        timings = []
        for n in range(runs + 3):
            t0 = time.perf_counter()
            response = await client.get(path, headers=headers)
            elapsed = (time.perf_counter() - t0) * 1000
            assert response.status_code == 200, (path, response.text[:300])
            if n >= 3:  # the first calls warm caches and prepared statements
                timings.append(elapsed)
        timings.sort()
        results[path] = (statistics.median(timings), timings[int(len(timings) * 0.95) - 1])
        print(
            f"  {path:<75} p50 {results[path][0]:7.1f} ms  p95 {results[path][1]:7.1f} ms",
            flush=True,
        )
    return results


def _tail(url: str, stop: multiprocessing.synchronize.Event) -> None:
    async def main() -> None:
        # As the app folds: on connections at the background priority (db.priority).
        nice = Settings().analytics_fold_nice
        pool = await create_pool(url, min_size=1, max_size=3, background_nice=nice)
        halt = asyncio.Event()

        async def watch() -> None:  # a process event cannot be awaited: poll it
            await asyncio.to_thread(stop.wait)
            halt.set()

        watcher = asyncio.create_task(watch())
        await worker.run_forever(pool, halt)
        await watcher
        await pool.close()

    uvloop.run(main())


class _FillRound:
    """A player of the filler: one round now, then done (bets.bulk's Player)."""

    def __init__(self, operator_id: int, player_id: int, game: int, key: str) -> None:
        self.operator_id, self.player_id, self.game, self.key = operator_id, player_id, game, key
        self.asked = False

    def next_round(self, last: bulk.PlayedRound | None) -> bulk.PlannedRound | None:
        if self.asked:
            return None
        self.asked = True
        return bulk.PlannedRound(self.game, 100, self.key, datetime.now(UTC))


def _fill(
    url: str, operator_id: int, players: list[int], game: int, rate: int, seconds: int, out: Any
) -> None:
    """Extra load in a process of its own: ``rate`` rounds a second written by bets.bulk, in
    units of a tenth of a second, each of distinct players."""

    async def main() -> None:
        pool = await create_pool(url, min_size=1, max_size=2)
        per_unit, played, t0 = max(1, rate // 10), 0, time.perf_counter()
        for unit in range(seconds * 10):
            delay = t0 + unit / 10 - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            chosen = [players[(unit * per_unit + i) % len(players)] for i in range(per_unit)]
            async with unit_of_work(pool) as uow:
                reports = await bulk.play(
                    uow.conn,
                    [_FillRound(operator_id, p, game, f"fill-{unit}-{p}") for p in chosen],
                    is_seeded=False,
                )
            played += sum(len(r.rounds) for r in reports)
        out.value = played / (time.perf_counter() - t0)
        await pool.close()

    uvloop.run(main())


async def _provider_round(
    pool: asyncpg.Pool, operator_id: int, player: int, game: int, index: int
) -> int:
    """A provider round as croupier.providers books it (bet, then win), in one unit of work."""
    async with unit_of_work(pool) as uow:
        clearing = await ledger.ensure_account(
            uow.conn, operator_id=operator_id, kind="provider_clearing", currency="USD", owner_id=1
        )
        meta = {"provider": "acme", "game_id": game, "round": f"b{index}"}
        debit = await wallets.debit(
            uow.conn,
            operator_id=operator_id,
            player_id=player,
            amount=100,
            to_account_id=clearing,
            type="bet",
            idempotency_key=f"bench:{index}:bet",
            request={},
            reference=f"prov:acme:b{index}",
            metadata=meta,
            use_bonus=False,
        )
        await wallets.credit(
            uow.conn,
            operator_id=operator_id,
            player_id=player,
            amount=90,
            from_account_id=clearing,
            type="win",
            idempotency_key=f"bench:{index}:win",
            request={},
            reference=f"prov:acme:b{index}",
            metadata=meta,
        )
    return debit.result.transfer_id


async def freshness(
    url: str,
    pool: asyncpg.Pool,
    operator_id: int,
    rate: int,
    seconds: int,
    kind: str,
    fill_rate: int = 0,
) -> dict:
    async with pool.acquire() as conn:
        game = await conn.fetchval(
            "SELECT id FROM games WHERE slug = $1", "neon-fruits" if kind == "spin" else "prov-0"
        )
        players = [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM players WHERE operator_id = $1 ORDER BY id LIMIT 400", operator_id
            )
        ]
        # The filler's players: others, so its units never wait for a spinner's wallet lock.
        fillers = [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM players WHERE operator_id = $1 ORDER BY id OFFSET 400 LIMIT 400",
                operator_id,
            )
        ]
    async with unit_of_work(pool) as uow:
        marketing = await ledger.ensure_account(
            uow.conn, operator_id=operator_id, kind="marketing", currency="USD"
        )
        for player in players + (fillers if fill_rate else []):
            await wallets.credit(
                uow.conn,
                operator_id=operator_id,
                player_id=player,
                amount=10**9,
                from_account_id=marketing,
                type="adjustment",
                idempotency_key=f"bench-fund-{kind}-{player}",
                request={},
            )
    stop = multiprocessing.get_context("spawn").Event()
    tailer = multiprocessing.get_context("spawn").Process(target=_tail, args=(url, stop))
    tailer.start()
    while True:  # until the tailer (started, imported, caught up) has folded the funding
        async with pool.acquire() as conn:
            if await conn.fetchval(
                "SELECT count(*) FROM ledger_events WHERE type = 'adjustment' AND operator_id = $1",
                operator_id,
            ) >= len(players):
                break
        await asyncio.sleep(0.2)

    filled = multiprocessing.get_context("spawn").Value("d", 0.0)
    filler = None
    if fill_rate:
        filler = multiprocessing.get_context("spawn").Process(
            target=_fill, args=(url, operator_id, fillers, game, fill_rate, seconds, filled)
        )
        filler.start()
    total = rate * seconds
    committed: dict[int, float] = {}
    seen: dict[int, float] = {}
    errors = 0
    next_index = 0
    t0 = time.perf_counter()

    async def spinner() -> None:
        nonlocal next_index, errors
        while next_index < total:
            index = next_index
            next_index += 1
            delay = t0 + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            player = players[index % len(players)]
            try:
                if kind == "spin":
                    async with unit_of_work(pool) as uow:
                        bet = await spin(
                            uow.conn, SpinRequest(operator_id, player, game, 100, f"bench-{index}")
                        )
                    transfer = int(bet.bet["debit_transfer_id"])
                else:
                    transfer = await _provider_round(pool, operator_id, player, game, index)
                if index % 10 == 0:
                    committed[transfer] = time.perf_counter()
            except Exception as exc:  # counted and reported; the first one is shown
                if not errors:
                    print(f"  first error: {exc!r}", flush=True)
                errors += 1

    spinners_done = asyncio.Event()
    done_at = [0.0]

    async def spinners() -> None:
        await asyncio.gather(*(spinner() for _ in range(48)))
        done_at[0] = time.perf_counter()
        spinners_done.set()

    async def prober() -> None:
        while not spinners_done.is_set() or len(seen) < len(committed):
            pending = [t for t in committed if t not in seen]
            if pending:
                async with pool.acquire() as conn:
                    rows = await conn.fetch(
                        "SELECT transfer_id FROM ledger_events"
                        " WHERE transfer_id = ANY($1::bigint[])",
                        pending,
                    )
                now = time.perf_counter()
                for row in rows:
                    seen[row["transfer_id"]] = now
            await asyncio.sleep(0.05)
            if spinners_done.is_set() and time.perf_counter() - done_at[0] > 60:
                break

    await asyncio.gather(spinners(), prober())
    elapsed = time.perf_counter() - t0
    if filler is not None:
        filler.join(60)
    stop.set()
    tailer.join(30)
    delays = sorted(seen[t] - committed[t] for t in seen) or [float("nan")]
    return {
        "load": kind,
        "rounds": total - errors,
        "errors": errors,
        "achieved_rate": (total - errors) / elapsed,
        "bulk_fill_rate": round(filled.value, 1),
        "samples": len(delays),
        "unseen": len(committed) - len(seen),
        "p50": statistics.median(delays),
        "p95": delays[int(len(delays) * 0.95) - 1],
        "max": delays[-1],
    }


async def run(url: str, args: argparse.Namespace) -> None:
    settings = Settings(
        database_url=url,
        env="test",
        admin_email=ADMIN_EMAIL,
        admin_password=SecretStr(ADMIN_PASSWORD),
        db_pool_max=60,
    )
    app = create_app(settings)
    for router in routers:
        app.include_router(router, prefix="/api/v1")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://bench") as client:
            pool = app.state.pool
            print("seed", flush=True)
            operators = await seed(client, pool)
            print(f"history: {args.bets:,} bets over {args.days} days", flush=True)
            t0 = time.perf_counter()
            built = await history(pool, operators, args.bets, args.days)
            print(f"  {built} in {time.perf_counter() - t0:.0f} s", flush=True)
            print("queries (operator 1, 30 days, America/Los_Angeles unless stated)", flush=True)
            await queries(client, pool, operators[0][1], args.runs)
            for kind, operator in (("spin", operators[0][0]), ("provider", operators[1][0])):
                if args.load_seconds:
                    fill = args.fill_rate if kind == "spin" else 0
                    print(
                        f"freshness: {kind} rounds at {args.rate}/s for {args.load_seconds} s"
                        + (f", plus {fill}/s of bulk rounds" if fill else "")
                    )
                    fresh = await freshness(
                        url, pool, operator, args.rate, args.load_seconds, kind, fill
                    )
                    print(f"  {fresh}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bets", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--load-seconds", type=int, default=30)
    parser.add_argument(
        "--fill-rate",
        type=int,
        default=0,
        help="extra rounds/s written by bets.bulk beside the spins (the box's spin service "
        "alone tops out below 500/s)",
    )
    parser.add_argument("--url", default=None)
    parser.add_argument(
        "--keep", action="store_true", help="keep the benchmark's database (with --url)"
    )
    args = parser.parse_args()
    with database(args.url, keep=args.keep) as url:
        uvloop.run(run(url, args))


if __name__ == "__main__":
    main()
