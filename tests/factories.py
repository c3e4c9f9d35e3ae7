"""Typed helpers that create test data through the real API (or, where noted, the services)."""

from __future__ import annotations

from dataclasses import dataclass

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


async def register_player(
    client: httpx.AsyncClient, operator_slug: str, username: str
) -> Session:
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
