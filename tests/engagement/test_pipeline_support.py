"""Builders for small, hand-computed pipeline inputs (imported by the pipeline tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from croupier.engagement.pipeline import schema

AF_COLUMNS = (*schema.PURCHASES_REQUIRED, *schema.PURCHASES_OPTIONAL)
PG_COLUMNS = (*schema.GATEWAY_REQUIRED, *schema.GATEWAY_OPTIONAL)


def af(event_id: str, t: str, amount: str = "4.99", **extra: Any) -> dict[str, Any]:
    """An AppsFlyer purchase row; revenue as a decimal string unless overridden."""
    row = {
        "event_id": event_id,
        "appsflyer_id": "dev-1",
        "customer_user_id": "p1",
        "event_time": t,
        "currency": "USD",
        "revenue": amount,
        "media_source": "fb",
        "campaign": "c1",
        "adset": "s1",
        "install_time": "2024-03-01T08:00:00Z",
    }
    row.update(extra)
    return row


def pg(psp_txn_id: str, t: str, amount_minor: int = 499, **extra: Any) -> dict[str, Any]:
    """A captured gateway payment row."""
    row = {
        "psp_txn_id": psp_txn_id,
        "player_id": "p1",
        "amount_minor": str(amount_minor),
        "currency": "USD",
        "status": "captured",
        "authorized_at": t,
    }
    row.update(extra)
    return row


def write_csv(path: Path, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    """Write ``rows`` with exactly ``columns`` (missing keys are empty cells)."""
    data = {c: [None if r.get(c) is None else str(r[c]) for r in rows] for c in columns}
    pl.DataFrame(data, schema=dict.fromkeys(columns, pl.String)).write_csv(path)


def write_inputs(
    folder: Path,
    purchases: list[dict[str, Any]],
    gateway: list[dict[str, Any]],
    costs: list[dict[str, Any]] | None = None,
    sessions: list[dict[str, Any]] | None = None,
) -> Path:
    """Write the four input files into ``folder`` and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / schema.PURCHASES_FILE, purchases, AF_COLUMNS)
    write_csv(folder / schema.GATEWAY_FILE, gateway, PG_COLUMNS)
    write_csv(
        folder / schema.COSTS_FILE,
        costs or [],
        ("date", "media_source", "campaign", "adset", "spend", "spend_minor", "currency"),
    )
    write_csv(
        folder / schema.SESSIONS_FILE,
        sessions or [],
        ("player_id", "session_start", "date", "tz", "media_source", "campaign", "adset"),
    )
    return folder
