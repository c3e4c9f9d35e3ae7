"""Run a multi-statement SQL script inside Alembic's migration transaction.

SQLAlchemy's asyncpg dialect prepares every statement, and PostgreSQL refuses to prepare several
commands at once; the raw asyncpg connection runs a script with the simple query protocol.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text
from sqlalchemy.util import await_only


def execute_script(sql: str) -> None:
    bind = op.get_bind()
    # A statement through SQLAlchemy first opens the migration transaction on this connection,
    # so the script below runs inside it and rolls back with it.
    bind.execute(text("SELECT 1"))
    await_only(bind.connection.driver_connection.execute(sql))
