"""The audit: clean books pass; each kind of corruption is reported with its offenders."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import asyncpg
import httpx
import pytest
import typer
from typer.testing import CliRunner

from croupier.db.pool import create_pool
from croupier.kit.tenancy import Scope
from croupier.ledger import service as ledger
from croupier.ledger.audit import CHECKS, run_audit
from croupier.ledger.cli import audit
from croupier.ledger.service import Leg
from tests import factories
from tests.ledger.helpers import Books, assert_audit_ok, open_books


async def _busy_books(conn: asyncpg.Connection, books: Books) -> dict[str, int]:
    """Deposits, a bet, a held withdrawal, a jackpot and a rollup: something of everything."""
    player = await books.player(conn)
    await books.fund(conn, player.cash_id, 1_000)
    bet = await ledger.post(
        conn,
        operator_id=books.operator_id,
        type="bet",
        idempotency_key="bet",
        request={},
        legs=[Leg(player.cash_id, -100), Leg(books.house, 100)],
    )
    hold = await ledger.hold(
        conn,
        operator_id=books.operator_id,
        idempotency_key="withdrawal",
        request={},
        account_id=player.cash_id,
        amount=300,
    )
    jackpot = await ledger.ensure_account(
        conn, operator_id=books.operator_id, kind="jackpot_pool", currency="USD", owner_id=1
    )
    await books.fund(conn, jackpot, 50)
    await ledger.rollup_derived(conn)
    return {
        "cash": player.cash_id,
        "bet": bet.transfer_id,
        "hold": hold.transfer_id,
        "jackpot": jackpot,
        "house": books.house,
    }


async def _raw(conn: asyncpg.Connection, sql: str, *args: object) -> None:
    """Write behind the ledger's back: triggers off, as only a superuser could."""
    async with conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute(sql, *args)


_ENTRY = """INSERT INTO ledger_entries (transfer_id, entry_no, operator_id, account_id, currency,
                amount) VALUES ($1, $2, $3, $4, 'USD', $5)"""

Corruption = Callable[[asyncpg.Connection, Books, dict[str, int]], Awaitable[str]]


async def _cash_tampered(conn: asyncpg.Connection, books: Books, ids: dict[str, int]) -> str:
    await _raw(conn, "UPDATE ledger_accounts SET balance = balance + 5 WHERE id = $1", ids["cash"])
    return str(ids["cash"])


async def _extra_entry(conn: asyncpg.Connection, books: Books, ids: dict[str, int]) -> str:
    await _raw(conn, _ENTRY, ids["bet"], 9, books.operator_id, ids["house"], 7)
    return str(ids["bet"])


async def _broken_chain(conn: asyncpg.Connection, books: Books, ids: dict[str, int]) -> str:
    await _raw(
        conn,
        "UPDATE ledger_entries SET balance_after = balance_after + 1 WHERE account_id = $1",
        ids["cash"],
    )
    return str(ids["cash"])


async def _reserved_off(conn: asyncpg.Connection, books: Books, ids: dict[str, int]) -> str:
    await _raw(conn, "UPDATE ledger_accounts SET reserved = 1 WHERE id = $1", ids["cash"])
    return str(ids["cash"])


async def _empty_posted(conn: asyncpg.Connection, books: Books, ids: dict[str, int]) -> str:
    await _raw(
        conn,
        """UPDATE ledger_transfers SET status = 'posted', hold_account_id = NULL,
                  hold_amount = NULL WHERE id = $1""",
        ids["hold"],
    )
    await _raw(conn, "UPDATE ledger_accounts SET reserved = 0 WHERE id = $1", ids["cash"])
    return str(ids["hold"])


async def _negative_pool(conn: asyncpg.Connection, books: Books, ids: dict[str, int]) -> str:
    await _raw(conn, _ENTRY, ids["bet"], 9, books.operator_id, ids["jackpot"], -60)
    return str(ids["jackpot"])


async def _snapshot_off(conn: asyncpg.Connection, books: Books, ids: dict[str, int]) -> str:
    await _raw(
        conn, "UPDATE ledger_derived_snapshots SET balance = 1 WHERE account_id = $1", ids["house"]
    )
    return str(ids["house"])


async def _foreign_entry(conn: asyncpg.Connection, books: Books, ids: dict[str, int]) -> str:
    other = await open_books(conn)
    await _raw(conn, _ENTRY, ids["bet"], 9, books.operator_id, other.house, 1)
    await _raw(conn, _ENTRY, ids["bet"], 10, books.operator_id, ids["house"], -1)
    return str(ids["bet"])


async def _unbalanced_books(conn: asyncpg.Connection, books: Books, ids: dict[str, int]) -> str:
    await _raw(conn, "UPDATE ledger_accounts SET balance = balance + 1 WHERE id = $1", ids["cash"])
    return f"{books.operator_id}:USD"


CORRUPTIONS: list[tuple[Corruption, str]] = [
    (_cash_tampered, "cached_balance_equals_entries"),
    (_extra_entry, "transfers_zero_sum"),
    (_broken_chain, "balance_after_chain"),
    (_reserved_off, "reserved_equals_open_holds"),
    (_empty_posted, "entry_count_min_two"),
    (_negative_pool, "no_forbidden_negative"),
    (_snapshot_off, "derived_snapshots_consistent"),
    (_foreign_entry, "entries_consistent"),
    (_unbalanced_books, "books_balance_per_operator_currency"),
]


class TestAudit:
    async def test_clean_books_pass_every_check(self, pool: asyncpg.Pool, books: Books) -> None:
        async with pool.acquire() as conn:
            await _busy_books(conn, books)
        report = await assert_audit_ok(pool)
        assert [c.name for c in report.checks] == list(CHECKS)
        assert (report.accounts, report.transfers, report.entries) == (7, 4, 6)

    @pytest.mark.parametrize(("corrupt", "check"), CORRUPTIONS, ids=[c for _, c in CORRUPTIONS])
    async def test_each_corruption_is_reported(
        self, pool: asyncpg.Pool, books: Books, corrupt: Corruption, check: str
    ) -> None:
        async with pool.acquire() as conn:
            ids = await _busy_books(conn, books)
            offender = await corrupt(conn, books, ids)
            report = await run_audit(conn, Scope(operator_id=books.operator_id))
        failed = {c.name: c for c in report.checks if not c.ok}
        assert not report.ok
        assert check in failed, failed
        assert offender in failed[check].sample_ids
        assert failed[check].count >= 1

    async def test_the_audit_is_scoped_to_an_operator(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        async with pool.acquire() as conn:
            other = await open_books(conn)
            await _busy_books(conn, books)
            await _cash_tampered(conn, other, await _busy_books(conn, other))
            assert (await run_audit(conn, Scope(operator_id=books.operator_id))).ok
            assert not (await run_audit(conn, Scope(operator_id=other.operator_id))).ok
            assert not (await run_audit(conn, Scope(operator_id=None))).ok


class TestAuditEndpoint:
    async def test_who_sees_what(self, client: httpx.AsyncClient, pool: asyncpg.Pool) -> None:
        admin = await factories.platform_admin(client)
        alpha = await factories.create_operator(client, admin, "alpha")
        beta = await factories.create_operator(client, admin, "beta")
        boss_alpha = await factories.create_operator_admin(client, admin, alpha["id"], "a@x.io")
        boss_beta = await factories.create_operator_admin(client, admin, beta["id"], "b@x.io")
        player = await factories.register_player(client, "alpha", "pla")
        async with pool.acquire() as conn:
            beta_books = await open_books(conn, operator_id=beta["id"])
            ids = await _busy_books(conn, beta_books)
            await _cash_tampered(conn, beta_books, ids)

        async def run(session: factories.Session, **params: object) -> httpx.Response:
            return await client.get(
                "/api/v1/admin/audit/run", params=params, headers=session.headers
            )

        everything = await run(admin)
        assert everything.status_code == 200
        assert everything.json()["ok"] is False and everything.json()["operatorId"] is None
        failed = {c["name"]: c for c in everything.json()["checks"] if not c["ok"]}
        assert str(ids["cash"]) in failed["cached_balance_equals_entries"]["sampleIds"]
        only_alpha = await run(admin, operatorId=alpha["id"])
        assert only_alpha.json()["ok"] is True and only_alpha.json()["operatorId"] == alpha["id"]
        own = await run(boss_alpha)
        assert own.json()["ok"] is True and own.json()["operatorId"] == alpha["id"]
        assert (await run(boss_alpha, operatorId=beta["id"])).status_code == 404
        assert (await run(boss_beta)).json()["operatorId"] == beta["id"]
        assert (await run(player)).status_code == 403
        assert (await run(admin, operatorId="x")).status_code == 422


def test_the_cli_audit_exits_non_zero_on_failure(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def prepare(corrupt: bool) -> int:
        pool = await create_pool(database_url, min_size=1, max_size=1)
        try:
            async with pool.acquire() as conn:
                books = await open_books(conn)
                ids = await _busy_books(conn, books)
                if corrupt:
                    await _cash_tampered(conn, books, ids)
                return books.operator_id
        finally:
            await pool.close()

    monkeypatch.setenv("DATABASE_URL", database_url)
    app = typer.Typer()
    app.command()(audit)
    runner = CliRunner()
    clean = asyncio.run(prepare(corrupt=False))
    result = runner.invoke(app, ["--operator-id", str(clean)])
    assert result.exit_code == 0, result.output
    assert "The books balance" in result.output
    broken = asyncio.run(prepare(corrupt=True))
    result = runner.invoke(app, ["--operator-id", str(broken), "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["ok"] is False and report["operator_id"] == broken
