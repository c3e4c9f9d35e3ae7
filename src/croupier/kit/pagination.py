"""Keyset (cursor) pagination: opaque cursors over (created_at, id)."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from croupier.kit.errors import InvalidInputError


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
