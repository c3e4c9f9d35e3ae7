"""Keyset (cursor) pagination: opaque cursors over (created_at, id)."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from croupier.kit.errors import InvalidInputError

Page = tuple[list[Any], str | None]


def encode_cursor(created_at: datetime, row_id: int | str) -> str:
    raw = json.dumps([created_at.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, row_id = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromisoformat(created), str(row_id)
    except (ValueError, TypeError) as exc:
        raise InvalidInputError("The cursor is not valid.", field="cursor") from exc


async def fetch_page(
    fetch: Callable[..., Awaitable[list[Any]]], cursor: str | None, limit: int, **filters: Any
) -> Page:
    """One page of a newest-first listing keyed on (created_at, id), and the next page's cursor.

    ``fetch`` takes ``after`` (the last row seen, or None) and ``limit``; one extra row is asked
    for to learn whether another page exists.
    """
    after = None
    if cursor:
        created_at, row_id = decode_cursor(cursor)
        if not row_id.isdigit():
            raise InvalidInputError("The cursor is not valid.", field="cursor")
        after = (created_at, int(row_id))
    rows = await fetch(after=after, limit=limit + 1, **filters)
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1]["created_at"], rows[-1]["id"])
