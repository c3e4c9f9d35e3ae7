"""Seed paths that name an operation differently from our canonical API.

Every alias lives here and points at the canonical handler, so the domain routers stay clean.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter

from croupier.auth import endpoints as auth_endpoints
from croupier.players import endpoints as player_endpoints

# (alias path, HTTP method, canonical handler, response model, status code)
_ALIASES: list[tuple[str, str, Callable[..., Any], Any, int]] = [
    ("/auth/user", "GET", auth_endpoints.me, auth_endpoints.MeOut, 200),
    (
        "/operator/player/{player_id}",
        "GET",
        player_endpoints.get_player,
        player_endpoints.PlayerSummary,
        200,
    ),
]


def alias_router() -> APIRouter:
    router = APIRouter(tags=["seed aliases"])
    for path, method, handler, model, status_code in _ALIASES:
        router.add_api_route(
            path,
            handler,
            methods=[method],
            response_model=model,
            status_code=status_code,
            summary=f"Alias of the canonical {handler.__name__} endpoint",
        )
    return router
