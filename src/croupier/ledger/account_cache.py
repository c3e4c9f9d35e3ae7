"""Account ids this process has already resolved.

An account is never deleted and its identity (operator, owner, kind, currency, shard) never
changes, so an id read from a committed row stays right for the life of the process: every
worker that learns it learns the same id. An account created by a transaction that is still
open is not remembered, because that transaction may yet roll back.
"""

from __future__ import annotations

# Bounded so a long-running worker that sees millions of players does not grow without end;
# dropping everything is cheap (the next look-up of each account is one query).
_MAX_ENTRIES = 200_000

AccountKey = tuple[int, int, str, str, int]  # operator, owner, kind, currency, shard

_ids: dict[AccountKey, int] = {}
_currencies: dict[int, str] = {}


def get(key: AccountKey) -> int | None:
    return _ids.get(key)


def currency_of(account_id: int) -> str | None:
    return _currencies.get(account_id)


def remember(key: AccountKey, account_id: int) -> None:
    if len(_ids) >= _MAX_ENTRIES:
        forget_all()
    _ids[key] = account_id
    _currencies[account_id] = key[3]


def forget_all() -> None:
    """For a database that was emptied under a running process (the test suite does)."""
    _ids.clear()
    _currencies.clear()
