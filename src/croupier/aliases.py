"""Seed paths that name an operation differently from our canonical API.

Every alias lives here and points at the canonical handler, so the domain routers stay clean.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute

from croupier.analytics import backoffice_schemas
from croupier.analytics import endpoints as analytics_endpoints
from croupier.auth import endpoints as auth_endpoints
from croupier.bets import endpoints as bet_endpoints
from croupier.games import endpoints as game_endpoints
from croupier.vip import endpoints as vip_endpoints

# (alias path, HTTP method, canonical handler, response model, status code)
_ALIASES: list[tuple[str, str, Callable[..., Any], Any, int]] = [
    ("/auth/user", "GET", auth_endpoints.me, auth_endpoints.MeOut, 200),
    # Seeds 001 §4.5 (/vip/user) and 002 §5.6 (/vip/status) name the same status.
    ("/vip/user", "GET", vip_endpoints.vip_status, vip_endpoints.VipStatusOut, 200),
    # Seeds 001 §4.3 (POST /bets) and 000 (POST /bet/spin) name the spin differently.
    ("/bets", "POST", bet_endpoints.spin, bet_endpoints.BetOut, 200),
    ("/bet/spin", "POST", bet_endpoints.spin, bet_endpoints.BetOut, 200),
    # Seed 001 §4.2 names the admin game CRUD at /games; same admin-only handlers.
    ("/games", "POST", game_endpoints.create_game, game_endpoints.GameOut, 201),
    ("/games/{game_id}", "PUT", game_endpoints.update_game, game_endpoints.GameOut, 200),
    ("/games/{game_id}", "DELETE", game_endpoints.delete_game, None, 204),
    # Seed 002 §5.7's single-player view: wallets, history, VIP, bonuses, safety state.
    (
        "/operator/player/{player_id}",
        "GET",
        analytics_endpoints.player_detail,
        backoffice_schemas.PlayerDetailOut,
        200,
    ),
]


def alias_router(canonical: Iterable[APIRouter]) -> APIRouter:
    """The aliases, each documented and served as its canonical route in ``canonical`` is,
    including what that route documents beyond its signature (e.g. the headers the spin reads
    itself) and its route class."""
    canonical_routes = {
        route.endpoint: route
        for canonical_router in canonical
        for route in canonical_router.routes
        if isinstance(route, APIRoute)
    }
    router = APIRouter(tags=["seed aliases"])
    for path, method, handler, model, status_code in _ALIASES:
        served_as = canonical_routes[handler]
        router.add_api_route(
            path,
            handler,
            methods=[method],
            response_model=model,
            status_code=status_code,
            summary=f"Alias of the canonical {handler.__name__} endpoint",
            openapi_extra=served_as.openapi_extra,
            # Served as the canonical route is (e.g. the spin's web.fast_route).
            route_class_override=type(served_as),
        )
    return router
