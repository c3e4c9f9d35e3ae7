"""Database access: the asyncpg pool, the unit of work, the embedded server and migrations."""
