"""The database itself refuses what the ledger must never contain, whoever writes the SQL."""

from __future__ import annotations

import asyncpg
import pytest

from tests.ledger.helpers import Books


async def _posted(pool: asyncpg.Pool, books: Books) -> tuple[int, int]:
    async with pool.acquire() as conn:
        player = await books.player(conn)
        result = await books.fund(conn, player.cash_id, 100)
        return result.transfer_id, player.cash_id


class TestDatabaseGuards:
    async def test_entries_are_append_only(self, pool: asyncpg.Pool, books: Books) -> None:
        transfer_id, _ = await _posted(pool, books)
        for sql in (
            "UPDATE ledger_entries SET amount = amount * 2 WHERE transfer_id = $1",
            "DELETE FROM ledger_entries WHERE transfer_id = $1",
        ):
            with pytest.raises(asyncpg.PostgresError, match="append-only"):
                await pool.execute(sql, transfer_id)

    async def test_transfers_are_immutable(self, pool: asyncpg.Pool, books: Books) -> None:
        transfer_id, _ = await _posted(pool, books)
        with pytest.raises(asyncpg.PostgresError, match="immutable"):
            await pool.execute(
                "UPDATE ledger_transfers SET status = 'rejected', reject_code = 'X' WHERE id = $1",
                transfer_id,
            )
        with pytest.raises(asyncpg.PostgresError, match="immutable"):
            await pool.execute(
                "UPDATE ledger_transfers SET reference = 'x' WHERE id = $1", transfer_id
            )
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await pool.execute("DELETE FROM ledger_transfers WHERE id = $1", transfer_id)
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await pool.execute("DELETE FROM ledger_accounts")

    async def test_unbalanced_or_late_entries_are_refused(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        transfer_id, cash = await _posted(pool, books)
        insert = """INSERT INTO ledger_entries (transfer_id, entry_no, operator_id, account_id,
                        currency, amount, balance_after, account_version)
                    VALUES ($1, $2, $3, $4, 'USD', $5, $6, $7)"""
        # More entries on a transfer already posted, even balanced ones.
        async with pool.acquire() as conn:
            with pytest.raises(asyncpg.PostgresError, match="unbalanced or inconsistent"):
                async with conn.transaction():
                    await conn.executemany(
                        insert,
                        [
                            (transfer_id, 9, books.operator_id, cash, 5, 105, 2),
                            (transfer_id, 10, books.operator_id, books.world, -5, None, None),
                        ],
                    )
        # A new transfer whose entries do not sum to zero.
        new_transfer = await pool.fetchval(
            """INSERT INTO ledger_transfers
                   (operator_id, type, idempotency_key, request_hash, status)
               VALUES ($1, 'raw', 'raw-1', sha256('x'), 'posted') RETURNING id""",
            books.operator_id,
        )
        with pytest.raises(asyncpg.PostgresError, match="unbalanced or inconsistent"):
            await pool.execute(
                insert, new_transfer, 1, books.operator_id, books.world, -5, None, None
            )
        assert (
            await pool.fetchval(
                "SELECT count(*) FROM ledger_entries WHERE transfer_id = $1", new_transfer
            )
            == 0
        )

    async def test_a_transfer_is_written_whole_by_one_statement(
        self, pool: asyncpg.Pool, books: Books
    ) -> None:
        """Entries 1..n of a transfer come from one insert: split over two statements of one
        transaction, or without entry 1, they are refused, and a statement that writes one bad
        transfer among good ones writes none of them."""

        async def new_transfer(conn: asyncpg.Connection, key: str) -> int:
            return await conn.fetchval(
                """INSERT INTO ledger_transfers
                       (operator_id, type, idempotency_key, request_hash, status)
                   VALUES ($1, 'raw', $2::text, sha256(convert_to($2::text, 'UTF8')), 'posted')
                   RETURNING id""",
                books.operator_id,
                key,
            )

        async def write(conn: asyncpg.Connection, legs: list[tuple[int, int, int, int]]) -> None:
            """One insert of (transfer, entry number, account, amount) entries, on derived
            accounts only (the world and the house carry no running balance)."""
            transfers, numbers, accounts, amounts = (
                list(column) for column in zip(*legs, strict=True)
            )
            await conn.execute(
                """INSERT INTO ledger_entries (transfer_id, entry_no, operator_id, account_id,
                       currency, amount)
                   SELECT u.transfer_id, u.entry_no, $5, u.account_id, 'USD', u.amount
                   FROM unnest($1::bigint[], $2::smallint[], $3::bigint[], $4::bigint[])
                        AS u(transfer_id, entry_no, account_id, amount)""",
                transfers,
                numbers,
                accounts,
                amounts,
                books.operator_id,
            )

        async with pool.acquire() as conn:
            with pytest.raises(asyncpg.PostgresError, match="unbalanced or inconsistent"):
                async with conn.transaction():
                    split = await new_transfer(conn, "split-1")
                    await write(conn, [(split, 1, books.world, -5)])
                    await write(conn, [(split, 2, books.house, 5)])
            with pytest.raises(asyncpg.PostgresError, match="unbalanced or inconsistent"):
                async with conn.transaction():
                    headless = await new_transfer(conn, "headless-1")
                    await write(
                        conn, [(headless, 2, books.world, -5), (headless, 3, books.house, 5)]
                    )
            with pytest.raises(asyncpg.PostgresError, match="unbalanced or inconsistent"):
                async with conn.transaction():
                    good = await new_transfer(conn, "good-1")
                    bad = await new_transfer(conn, "bad-1")
                    await write(
                        conn,
                        [
                            (good, 1, books.world, -5),
                            (good, 2, books.house, 5),
                            (bad, 1, books.world, -5),
                            (bad, 2, books.house, 4),
                        ],
                    )
            async with conn.transaction():
                whole = await new_transfer(conn, "whole-1")
                await write(conn, [(whole, 1, books.world, -5), (whole, 2, books.house, 5)])
            counted = await conn.fetch(
                """SELECT t.idempotency_key, count(e.*) AS entries FROM ledger_transfers t
                   LEFT JOIN ledger_entries e ON e.transfer_id = t.id
                   WHERE t.operator_id = $1 AND t.type = 'raw' GROUP BY 1""",
                books.operator_id,
            )
        assert {row["idempotency_key"]: row["entries"] for row in counted} == {"whole-1": 2}

    async def test_balances_respect_their_kind(self, pool: asyncpg.Pool, books: Books) -> None:
        _, cash = await _posted(pool, books)
        refused = [
            ("UPDATE ledger_accounts SET balance = -1 WHERE id = $1", cash),
            ("UPDATE ledger_accounts SET reserved = 101 WHERE id = $1", cash),
            ("UPDATE ledger_accounts SET reserved = -1 WHERE id = $1", cash),
            ("UPDATE ledger_accounts SET balance = 5 WHERE id = $1", books.house),
            ("UPDATE ledger_accounts SET derived = true WHERE id = $1", cash),
            ("UPDATE ledger_accounts SET kind = 'casino_float' WHERE id = $1", cash),
        ]
        for sql, account in refused:
            with pytest.raises(asyncpg.CheckViolationError):
                await pool.execute(sql, account)
