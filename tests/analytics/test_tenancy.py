"""Every route is scoped: another operator's admin sees none of alpha's data (404 for named
objects, zeros for aggregates), cannot ask for alpha by operatorId, and bad windows are 422."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from tests import factories
from tests.analytics.conftest import fold
from tests.analytics.world import make_history

ANALYTICS = ("overview", "revenue", "players", "games", "ops", "funnel", "ltv", "attribution")
AGGREGATES = (
    *(f"/api/v1/admin/analytics/{name}" for name in ANALYTICS),
    "/api/v1/operator/analytics/games",
    "/api/v1/operator/analytics/rtp-summary",
    "/api/v1/admin/rtp",
    "/api/v1/admin/financials",
    "/api/v1/operator/transactions",
    "/api/v1/admin/transactions",
)


def _has_money(body: object) -> bool:
    """Whether any money-like number in the body is non-zero."""
    if isinstance(body, dict):
        return any(
            (
                k in ("handle", "payout", "totalWagered", "wagered", "cash", "deposits", "value")
                and isinstance(v, int)
                and v != 0
            )
            or _has_money(v)
            for k, v in body.items()
        )
    if isinstance(body, list):
        return any(_has_money(item) for item in body)
    return False


async def test_cross_operator_access_is_denied(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    h = await make_history(client, pool)
    await fold(pool)
    beta = await factories.create_operator(client, h.world.admin, "beta")
    beta_admin = await factories.create_operator_admin(
        client, h.world.admin, beta["id"], "b@beta.io"
    )
    alpha_id = h.operator_id

    for path in AGGREGATES:
        own = await client.get(path, headers=h.world.operator_admin.headers)
        assert own.status_code == 200, (path, own.text)
        other = await client.get(path, headers=beta_admin.headers)
        assert other.status_code == 200, (path, other.text)
        assert not _has_money(other.json()), path
        assert other.json().get("items", []) == [] or path.endswith("attribution")
        named = await client.get(f"{path}?operatorId={alpha_id}", headers=beta_admin.headers)
        assert named.status_code == 404, path

    a = h.world.player.subject_id
    for path in (
        f"/api/v1/operator/players/{a}/detail",
        f"/api/v1/operator/transactions?playerId={a}",
        f"/api/v1/admin/rtp?playerId={a}",
        f"/api/v1/admin/games/{h.provider_game['id']}/performance",
    ):
        response = await client.get(path, headers=beta_admin.headers)
        assert response.status_code == 404 or not _has_money(response.json()), path
    detail = await client.get(f"/api/v1/operator/players/{a}/detail", headers=beta_admin.headers)
    assert detail.status_code == 404

    # A platform admin reads one operator, or all of them when they share a currency.
    admin = h.world.admin.headers
    one = (
        await client.get(f"/api/v1/admin/analytics/revenue?operatorId={alpha_id}", headers=admin)
    ).json()
    every = (await client.get("/api/v1/admin/analytics/revenue", headers=admin)).json()
    assert one["totals"]["handle"] == every["totals"]["handle"] == 700
    player = await factories.register_player(client, "alpha", "nosy")
    denied = await client.get("/api/v1/admin/analytics/overview", headers=player.headers)
    assert denied.status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-03-10T00:00:00Z&to=2026-03-01T00:00:00Z",
        "from=2026-03-01T00:00:00Z&to=2026-03-01T00:00:00Z",
        "from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
        "from=not-a-date",
        "bucket=month",
        "timezone=Mars/Olympus_Mons",
        "timezone=../../etc/passwd",
        "from=2026-01-01T00:00:00Z&to=2026-12-31T00:00:00Z&bucket=hour",
        "metric=vibes",
    ],
)
async def test_bad_windows_are_422(client: httpx.AsyncClient, query: str) -> None:
    admin = await factories.platform_admin(client)
    for name in ANALYTICS:
        if query.startswith("metric") and name != "attribution":
            continue
        response = await client.get(
            f"/api/v1/admin/analytics/{name}?{query}", headers=admin.headers
        )
        assert response.status_code == 422, (name, query, response.text)
