"""Test harness: one real PostgreSQL per run (the embedded one unless CROUPIER_TEST_DATABASE_URL
names a server to use), migrated once, with every table emptied before each test."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack

import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from croupier.app import create_app
from croupier.config import Settings
from croupier.db.embedded import EmbeddedPostgres, scratch_data_dir
from croupier.db.migrate import upgrade
from croupier.db.pool import asyncpg_dsn, create_pool

ADMIN_EMAIL = "root@platform.test"
ADMIN_PASSWORD = "platform-root-pass-1"


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with ExitStack() as stack:
        server_url = os.environ.get("CROUPIER_TEST_DATABASE_URL")
        if not server_url:
            # pytest's own temp tree is private (0700) when run as root, and the server runs
            # as an unprivileged user, so it gets a scratch folder of its own; entering the
            # folder first means the server stops before the folder is removed.
            data_dir = stack.enter_context(scratch_data_dir())
            server_url = stack.enter_context(EmbeddedPostgres(data_dir).running())
        name = f"croupier_test_{secrets.token_hex(4)}"
        asyncio.run(_admin_sql(server_url, f'CREATE DATABASE "{name}"'))
        url = _with_database(server_url, name)
        upgrade(url)
        yield url
        asyncio.run(_admin_sql(server_url, f'DROP DATABASE "{name}" WITH (FORCE)'))


async def _admin_sql(url: str, sql: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        env="test",
        admin_email=ADMIN_EMAIL,
        admin_password=SecretStr(ADMIN_PASSWORD),
        cookie_secure=True,
        login_max_failures_per_account=5,
        login_max_failures_per_ip=20,
        db_pool_max=40,
        # Production-strength argon2 would dominate the suite's run time; the code path is the
        # same, only the cost differs (tests/auth checks the hashes are argon2id).
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
    )


@pytest.fixture(scope="session")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, min_size=2, max_size=120)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[object]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


_KEEP = ("alembic_version",)


@pytest.fixture(autouse=True)
async def clean_database(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Empty every table, then restore the bootstrap platform admin, before each test."""
    if "pool" not in request.fixturenames and "client" not in request.fixturenames:
        yield
        return
    pool: asyncpg.Pool = request.getfixturevalue("pool")
    settings: Settings = request.getfixturevalue("settings")
    async with pool.acquire() as conn:
        await _empty_every_table(conn)
        from croupier.ledger import service as ledger
        from croupier.operators import service as operators

        # Ids restart with the tables, so operator 1 may have another currency in this test,
        # and account 1 may belong to someone else.
        operators.forget_cached_currencies()
        ledger.forget_cached_accounts()
        await operators.ensure_platform_admin(conn, settings.admin_email, ADMIN_PASSWORD)
    yield


async def _empty_every_table(conn: asyncpg.Connection) -> None:
    """DELETE every row and restart every sequence, in one transaction.

    Not TRUNCATE: it gives every table and index a new file, 0.25 s a test here and a third of
    the suite's run time, while a test leaves only a few hundred rows for DELETE. The SHARE ROW
    EXCLUSIVE locks wait for the app's background workers' writes in flight (payouts, the
    analytics fold, expiry sweeps), so none commits a row after the delete; the replica role
    skips the foreign-key checks (any order will do) and the ledger's append-only triggers, as
    only a superuser can.
    """
    tables = [
        row["t"]
        for row in await conn.fetch(
            """SELECT quote_ident(tablename) AS t FROM pg_tables
               WHERE schemaname = 'public' AND tablename <> ALL($1::text[])""",
            list(_KEEP),
        )
    ]
    if not tables:
        return
    sequences = await conn.fetch(
        "SELECT quote_ident(sequencename) AS s FROM pg_sequences WHERE schemaname = 'public'"
    )
    statements = [
        "SET LOCAL session_replication_role = replica",
        f"LOCK TABLE {', '.join(tables)} IN SHARE ROW EXCLUSIVE MODE",
        *(f"DELETE FROM {table}" for table in tables),
        *(f"SELECT setval('{row['s']}', 1, false)" for row in sequences),
    ]
    for attempt in range(5):
        try:
            async with conn.transaction():
                await conn.execute("; ".join(statements))
            return
        except asyncpg.DeadlockDetectedError:
            # A background worker took its locks in another order; it has been rolled back
            # or has finished by now.
            if attempt == 4:
                raise
            await asyncio.sleep(0.2)


@pytest.fixture
async def client(app: object, pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    # Like a real server: an exception escaping the app becomes a 500, not a client-side raise.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        yield http
