"""Typed helpers that create test data through the real API (or, where noted, the services)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

PASSWORD = "correct-horse-battery-9"


@dataclass
class Session:
    token: str
    csrf: str
    subject_id: int
    operator_id: int | None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def login(
    client: httpx.AsyncClient, login_name: str, password: str, operator_slug: str | None = None
) -> Session:
    body: dict[str, str] = {"email": login_name, "password": password}
    if operator_slug:
        body["operatorSlug"] = operator_slug
    response = await client.post("/api/v1/auth/login", json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    return Session(data["token"], data["csrfToken"], data["subjectId"], data["operatorId"])


async def platform_admin(client: httpx.AsyncClient) -> Session:
    return await login(client, ADMIN_EMAIL, ADMIN_PASSWORD)


def daytime_zone() -> str:
    """A fixed-offset zone where it is about noon now: a test that plays in it stays at least
    six hours from the safety engine's night window (local 00:00-06:00), so NIGHT_PLAY cannot
    fire, or stop firing, while it runs."""
    offset = (12 - datetime.now(UTC).hour + 12) % 24 - 12  # hours east of UTC, -12..11
    return "Etc/GMT" + (f"{-offset:+d}" if offset else "")


async def create_operator(
    client: httpx.AsyncClient, admin: Session, slug: str, **fields: object
) -> dict[str, object]:
    body = {"slug": slug, "name": slug.title(), "currency": "USD", "timezone": "UTC", **fields}
    response = await client.post("/api/v1/platform/operators", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def create_operator_admin(
    client: httpx.AsyncClient, admin: Session, operator_id: int, email: str
) -> Session:
    response = await client.post(
        f"/api/v1/platform/operators/{operator_id}/admins",
        json={"email": email, "password": PASSWORD},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    return await login(client, email, PASSWORD)


async def register_player(client: httpx.AsyncClient, operator_slug: str, username: str) -> Session:
    response = await client.post(
        "/api/v1/auth/register",
        json={
            "email": f"{username}@example.com",
            "username": username,
            "password": PASSWORD,
            "operatorSlug": operator_slug,
        },
    )
    assert response.status_code == 201, response.text
    return await login(client, f"{username}@example.com", PASSWORD, operator_slug)


async def create_category(client: httpx.AsyncClient, admin: Session, slug: str = "slots") -> dict:
    response = await client.post(
        "/api/v1/admin/categories", json={"slug": slug, "name": slug.title()}, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def create_builtin_game(
    client: httpx.AsyncClient,
    admin: Session,
    *,
    engine_key: str,
    slug: str | None = None,
    category: str = "slots",
    jackpot_group: str | None = None,
    **fields: object,
) -> dict:
    body = {
        "slug": slug or engine_key,
        "name": (slug or engine_key).title(),
        "category": category,
        "provider": "builtin",
        "engineKey": engine_key,
        **fields,
    }
    if jackpot_group:
        body["jackpotGroup"] = jackpot_group
    response = await client.post("/api/v1/admin/games", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def fund_player(
    client: httpx.AsyncClient,
    operator_admin: Session,
    player_id: int,
    amount: int,
    account: str = "cash",
    key: str | None = None,
) -> dict:
    response = await client.post(
        f"/api/v1/operator/players/{player_id}/adjustments",
        json={
            "amount": amount,
            "account": account,
            "reason": "test funding",
            "idempotencyKey": key or f"fund-{player_id}-{account}-{amount}",
        },
        headers=operator_admin.headers,
    )
    assert response.status_code in (200, 201), response.text
    return response.json()
