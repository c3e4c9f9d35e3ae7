"""Helpers for the payments, bonuses and VIP suites: a two-operator world, signed webhooks,
and short calls for the flows under test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import httpx

from croupier.config import Settings
from croupier.payments.adapters.demo import DemoProvider, demo_event
from tests import factories
from tests.factories import Session


@dataclass
class Casino:
    operator: dict[str, Any]
    operator_admin: Session
    player: Session

    @property
    def operator_id(self) -> int:
        return int(self.operator["id"])  # type: ignore[arg-type]

    @property
    def player_id(self) -> int:
        return self.player.subject_id


@dataclass
class World:
    admin: Session
    alpha: Casino
    second: Casino | None = None

    @property
    def beta(self) -> Casino:
        """The other operator, for tenancy tests (the ``world2`` fixture)."""
        assert self.second is not None, "use the world2 fixture for two operators"
        return self.second


async def open_casino(
    client: httpx.AsyncClient, pool: asyncpg.Pool, admin: Session, slug: str
) -> Casino:
    """An operator, its admin, and one KYC-verified player."""
    operator = await factories.create_operator(client, admin, slug)
    boss = await factories.create_operator_admin(
        client, admin, operator["id"], f"boss-{slug}@example.com"
    )
    player = await factories.register_player(client, slug, f"payer-{slug}")
    await verify_kyc(pool, player.subject_id)
    return Casino(operator, boss, player)


async def build_world(
    client: httpx.AsyncClient, pool: asyncpg.Pool, *, operators: int = 1
) -> World:
    admin = await factories.platform_admin(client)
    alpha = await open_casino(client, pool, admin, "alpha")
    beta = await open_casino(client, pool, admin, "beta") if operators > 1 else None
    return World(admin, alpha, beta)


async def verify_kyc(pool: asyncpg.Pool, player_id: int) -> None:
    """There is no KYC API yet (identity checks are an external vendor's); set the flag."""
    await pool.execute("UPDATE players SET kyc_status = 'verified' WHERE id = $1", player_id)


async def set_operator_settings(
    client: httpx.AsyncClient, admin: Session, operator_id: int, settings: dict[str, Any]
) -> None:
    response = await client.patch(
        f"/api/v1/platform/operators/{operator_id}",
        json={"settings": settings},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text


async def wallet(client: httpx.AsyncClient, player: Session) -> dict[str, int]:
    response = await client.get("/api/v1/wallet", headers=player.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def deposit(
    client: httpx.AsyncClient,
    player: Session,
    amount: int,
    *,
    method: str = "cashapp",
    key: str | None = None,
    **extra: Any,
) -> httpx.Response:
    body = {"amount": amount, "method": method, "idempotencyKey": key or f"dep-{amount}", **extra}
    return await client.post("/api/v1/deposits", json=body, headers=player.headers)


def signed_webhook(
    settings: Settings, event: dict[str, Any], *, at: datetime | None = None
) -> tuple[bytes, dict[str, str]]:
    return DemoProvider.from_settings(settings).signed_webhook(event, at=at)


async def send_event(
    client: httpx.AsyncClient,
    settings: Settings,
    type: str,
    deposit_row: dict[str, Any],
    *,
    event_id: str | None = None,
    at: datetime | None = None,
    amount: int | None = None,
) -> httpx.Response:
    event = demo_event(
        type,
        reference=deposit_row["reference"],
        amount=amount or deposit_row["amount"],
        currency=deposit_row["currency"],
        event_id=event_id,
    )
    body, headers = signed_webhook(settings, event, at=at)
    return await client.post("/api/v1/webhooks/demo", content=body, headers=headers)


async def completed_deposit(
    client: httpx.AsyncClient, settings: Settings, player: Session, amount: int, **extra: Any
) -> dict[str, Any]:
    created = await deposit(client, player, amount, **extra)
    assert created.status_code == 201, created.text
    response = await send_event(client, settings, "deposit.completed", created.json())
    assert response.json()["outcome"] == "applied", response.text
    return created.json()


async def withdraw(
    client: httpx.AsyncClient,
    player: Session,
    amount: int,
    *,
    key: str | None = None,
    **extra: Any,
) -> httpx.Response:
    body = {
        "amount": amount,
        "method": "cashapp",
        "destination": "$payer",
        "idempotencyKey": key or f"wd-{amount}",
        **extra,
    }
    return await client.post("/api/v1/withdrawals", json=body, headers=player.headers)


async def review(
    client: httpx.AsyncClient,
    staff: Session,
    withdrawal_id: int,
    status: str,
    reason: str | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"status": status}
    if reason:
        body["reason"] = reason
    return await client.put(
        f"/api/v1/admin/withdrawals/{withdrawal_id}", json=body, headers=staff.headers
    )


async def count(pool: asyncpg.Pool, sql: str, *args: Any) -> int:
    return await pool.fetchval(sql, *args)
