"""Start a throwaway Croupier stack for a benchmark: embedded PostgreSQL + `croupier serve`."""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

import croupier
from bench.loadgen import Requester, load
from croupier import native
from croupier.db.embedded import EmbeddedPostgres, bin_path, scratch_data_dir
from croupier.db.migrate import upgrade

ADMIN_EMAIL = "bench-admin@example.com"
ADMIN_PASSWORD = "bench-admin-password-1"


@dataclass
class Stack:
    url: str
    base: str
    port: int
    pg_port: int
    data_dir: Path
    server_pid: int  # the server process, whose worker processes are its children


def postgres_cpu_seconds(stack: Stack) -> float:
    """CPU time the database server has used so far: the postmaster, its exited children
    (backends of closed connections) and its live ones."""
    postmaster = int((stack.data_dir / "pgdata" / "postmaster.pid").read_text().split()[0])
    return process_tree_cpu_seconds(postmaster)


def process_tree_cpu_seconds(root: int) -> float:
    """CPU time used so far by process ``root``, its exited children and its live descendants
    (Linux ``/proc``)."""
    parents: dict[int, int] = {}
    times: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it has just exited
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        times[pid] = [int(value) for value in fields[11:15]]  # utime stime cutime cstime
    total = 0
    for pid, (utime, stime, cutime, cstime) in times.items():
        ancestor = pid
        while ancestor not in (root, 0, 1) and ancestor in parents:
            ancestor = parents[ancestor]
        if pid == root:
            total += utime + stime + cutime + cstime
        elif ancestor == root:
            total += utime + stime
    return total / os.sysconf("SC_CLK_TCK")


def _box_cpu_ticks() -> tuple[int, int]:
    """(all, steal) CPU ticks of the whole machine so far (``/proc/stat``)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    # user nice system idle iowait irq softirq steal (guest time is already within user)
    return sum(fields[:8]), fields[7]


class StolenTime:
    """``with StolenTime() as stolen: ...``; then ``stolen.share`` is the share of the
    machine's CPU time the hypervisor gave to other tenants meanwhile. When it is high, every
    figure of the phase is slowed, and a reference measured in another phase by a different
    amount."""

    share = 0.0

    def __enter__(self) -> StolenTime:
        self._start = _box_cpu_ticks()
        return self

    def __exit__(self, *exc_info: object) -> None:
        (total, steal), (total0, steal0) = _box_cpu_ticks(), self._start
        self.share = (steal - steal0) / max(total - total0, 1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def statement_stats_settings(pg_stats: bool) -> dict[str, str]:
    """Server settings that load pg_stat_statements, so a benchmark can say where the server's
    time goes."""
    if not pg_stats:
        return {}
    return {"shared_preload_libraries": "pg_stat_statements", "pg_stat_statements.track": "all"}


def build_line() -> str:
    """Which build the server runs: it starts from this source tree, so the same guard holds."""
    compiled = native.loaded_compiled()
    if compiled:
        return f"server build: {len(compiled)} of {len(native.MODULES)} hot modules compiled"
    return f"server build: interpreted ({croupier.NATIVE_UNUSED or 'no build: croupier compile'})"


@contextmanager
def croupier_stack(workers: int = 2, pg_stats: bool = False) -> Iterator[Stack]:
    with scratch_data_dir() as data_dir:
        server = EmbeddedPostgres(data_dir, extra_settings=statement_stats_settings(pg_stats))
        with server.running() as url:
            upgrade(url)
            port = _free_port()
            env = {
                **os.environ,
                # As `croupier up` does: the app reaches its own server over the unix socket.
                "DATABASE_URL": server.local_url(),
                "CROUPIER_ADMIN_EMAIL": ADMIN_EMAIL,
                "CROUPIER_ADMIN_PASSWORD": ADMIN_PASSWORD,
                "CROUPIER_LOG_LEVEL": "warning",
                "CROUPIER_DB_POOL_MAX": "40",
            }
            cmd = [
                sys.executable,
                "-m",
                "croupier",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
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


def _wait_ready(base: str) -> None:
    deadline = time.time() + 240  # two workers warm the exact slot maths on start
    while time.time() < deadline:
        try:
            if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the server did not become ready")


def pgbench_tps(url: str, clients: int = 64, seconds: int = 20, scale: int = 10) -> float:
    """TPC-B-like pgbench on the same server, in its own database, as the reference figure."""
    pgbench_init(url, scale)
    return pgbench_run(url, clients, seconds)


def pgbench_init(url: str, scale: int = 10) -> None:
    """A fresh ``pgbench`` database on the same server, ``pgbench -i`` at ``scale``, written
    out."""
    subprocess.run(
        [str(bin_path("psql")), url, "-qc", "DROP DATABASE IF EXISTS pgbench"], check=True
    )
    subprocess.run([str(bin_path("psql")), url, "-qc", "CREATE DATABASE pgbench"], check=True)
    subprocess.run(
        [str(bin_path("pgbench")), "-i", "-q", "-s", str(scale), _pgbench_url(url)],
        check=True,
        capture_output=True,
    )
    # Its million rows are written out now, not by a checkpoint in whatever is measured next.
    _psql(url, "CHECKPOINT")


def pgbench_run(url: str, clients: int = 64, seconds: int = 20) -> float:
    """TPC-B-like tps over ``seconds`` on the database :func:`pgbench_init` made."""
    return _pgbench(url, clients, seconds)[0]


@dataclass(frozen=True)
class PgbenchPhase:
    """One measured pgbench run: its rate, the CPU a transaction cost (PostgreSQL's and
    pgbench's own), and the share of the machine's CPU stolen meanwhile."""

    tps: float
    transactions: int
    postgres_ms: float  # CPU a transaction, in the database server
    client_ms: float  # CPU a transaction, in pgbench itself
    stolen: float


def pgbench_phase(stack: Stack, clients: int = 64, seconds: int = 20) -> PgbenchPhase:
    """:func:`pgbench_run` with its CPU measured, for a reference that the box's speed does
    not move: what a transaction costs, as the load's CPU meter says what an operation does."""
    postgres = postgres_cpu_seconds(stack)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    with StolenTime() as stolen:
        tps, transactions = _pgbench(stack.url, clients, seconds)
    postgres = postgres_cpu_seconds(stack) - postgres
    ended = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = ended.ru_utime + ended.ru_stime - children.ru_utime - children.ru_stime
    per = 1000 / max(transactions, 1)
    return PgbenchPhase(tps, transactions, postgres * per, client * per, stolen.share)


def _pgbench(url: str, clients: int, seconds: int) -> tuple[float, int]:
    """(tps, transactions processed) of a TPC-B-like run."""
    out = subprocess.run(
        [
            str(bin_path("pgbench")),
            "-c",
            str(clients),
            "-j",
            "2",
            "-T",
            str(seconds),
            "-M",
            "prepared",
            _pgbench_url(url),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines = out.splitlines()
    tps = float(next(line for line in lines if line.startswith("tps =")).split()[2])
    processed = next(line for line in lines if "transactions actually processed" in line)
    return tps, int(processed.split(":")[1].split("/")[0])


def _pgbench_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/pgbench"))


def warm_up(url: str, port: int, clients: int, seconds: float, request: Requester) -> None:
    """Unmeasured load, then what ``pgbench -i`` does to its tables before the reference run
    (VACUUM ANALYZE). Without it a benchmark that starts on empty tables measures plans made for
    empty tables (autovacuum's first ANALYZE comes up to a minute later), e.g. an idempotency
    look-up scanning all of an operator's bets."""
    if seconds > 0:
        load("127.0.0.1", port, clients, seconds, request)
        _psql(url, "VACUUM ANALYZE")


def analytics_backlog(url: str) -> str:
    """The committed transfers the analytics fold has not folded yet, and the oldest one's age:
    how far the live figures trail the ledger under the load (the fold is the spins' p99 tail,
    bench/RESULTS.md "Session 14")."""
    count, age = _psql(
        url,
        "SELECT count(*), round(coalesce(extract(epoch FROM now() - min(created_at)), 0), 2)"
        " FROM ledger_transfers"
        " WHERE created_xid >= (SELECT xid_cursor FROM an_state WHERE id = 1)",
        "-At",
        "-F",
        " ",
    ).split()
    return f"{int(count):,} transfers not folded yet, the oldest {float(age):.2f} s old"


def wal_counters(url: str) -> tuple[int, int, int]:
    """(records, full-page images, bytes) of WAL the server has written so far
    (``pg_stat_wal``): a phase's share is the difference of two readings."""
    records, fpi, size = _psql(
        url, "SELECT wal_records, wal_fpi, wal_bytes FROM pg_stat_wal", "-At", "-F", " "
    ).split()
    return int(records), int(fpi), int(float(size))


def reset_statement_stats(url: str) -> None:
    _psql(
        url, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset()"
    )


def print_statement_stats(
    url: str, once_per_op: str, limit: int = 25, *, by_rows: tuple[str, ...] = ()
) -> None:
    """The server's busiest statements since the reset, per operation: an operation is counted
    by the calls of the statement that starts with ``once_per_op`` (it runs once per operation),
    or, with ``by_rows``, by the rows of the statements that start with any of them (a bulk
    insert writes many operations' rows in one call)."""
    prefixes = by_rows or (once_per_op,)
    # Compared with the query's whitespace collapsed and trimmed (a text may start with a newline).
    normalized = "btrim(regexp_replace(query, '\\s+', ' ', 'g'))"
    matched = " OR ".join(f"{normalized} LIKE '{prefix}%'" for prefix in prefixes)
    counted = "rows" if by_rows else "calls"
    per = int(
        _psql(url, f"SELECT sum({counted}) FROM pg_stat_statements WHERE {matched}", "-At").strip()
        or 0
    )
    if not per:
        print(f"no statement starting with {once_per_op!r} ran")
        return
    rows = _psql(
        url,
        "SELECT calls, round(total_exec_time::numeric, 1), round(mean_exec_time::numeric, 3),"
        " left(regexp_replace(query, '\\s+', ' ', 'g'), 90) FROM pg_stat_statements"
        " WHERE query NOT LIKE '%pg_stat_statements%'"
        f" ORDER BY total_exec_time DESC LIMIT {limit}",
        "-At",
        "-F",
        "\t",
    )
    print(f"per operation ({per:,} operations):")
    print(f"{'calls/op':>8} {'ms/op':>7} {'mean ms':>8}  statement (pg_stat_statements)")
    for line in rows.splitlines():
        calls, total, mean, query = line.split("\t", 3)
        print(f"{int(calls) / per:8.2f} {float(total) / per:7.3f} {float(mean):8.3f}  {query}")


def load_arguments(unit: str) -> argparse.ArgumentParser:
    """The options the HTTP load benchmarks share; ``unit`` names what one operation is."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--warmup",
        type=float,
        default=10,
        help="seconds of unmeasured load before VACUUM ANALYZE and the measured run",
    )
    parser.add_argument(
        "--pg-stats", action="store_true", help=f"print the server's time per statement per {unit}"
    )
    parser.add_argument(
        "--pgbench-scale",
        type=int,
        default=10,
        help="the reference's `pgbench -i -s`: 10 in every recorded run; pgbench's guide asks"
        " for at least the clients (64), below which it measures update contention on the"
        " branch rows (a higher, steadier reference: bench/RESULTS.md, Spins, Session 26)",
    )
    return parser


def _psql(url: str, sql: str, *flags: str) -> str:
    return subprocess.run(
        [str(bin_path("psql")), url, "-q", *flags, "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
