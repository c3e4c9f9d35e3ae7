"""The route table: every route is reachable whatever the routers' order.

``create_app`` orders the routers by traffic (FastAPI matches candidate by candidate), which is
only safe while no route can capture another's requests.
"""

from __future__ import annotations

import re

from fastapi.routing import APIRoute
from starlette.routing import compile_path

from croupier.app import API_PREFIX, api_routers, create_app
from croupier.providers.casino_endpoints import casino_router
from croupier.providers.jaqpot.endpoints import provider_router
from croupier.realtime import endpoints as realtime_endpoints
from croupier.web.fast_route import FastRoute


def _declared() -> list[tuple[str, set[str], object]]:
    """(full path, methods, endpoint) of every route the app includes."""
    groups = [("", casino_router), ("", realtime_endpoints.router), ("", provider_router)]
    groups += [(API_PREFIX, router) for router in api_routers()]
    return [
        (prefix + route.path, set(getattr(route, "methods", None) or {"WEBSOCKET"}), route.endpoint)
        for prefix, router in groups
        for route in router.routes
    ]


def test_no_route_captures_another_routes_requests() -> None:
    routes = _declared()
    patterns = [compile_path(path)[0] for path, _, _ in routes]
    captured = []
    for path, methods, endpoint in routes:
        sample = re.sub(r"\{[^}]+\}", "7", path)  # every parameter filled in
        for pattern, (other, other_methods, other_endpoint) in zip(patterns, routes, strict=True):
            if other_endpoint is endpoint or not methods & other_methods:
                continue
            if pattern.match(sample):
                captured.append(f"{sorted(methods & other_methods)} {path} by {other}")
    assert captured == []


def test_every_documented_operation_is_in_the_checked_table() -> None:
    app = create_app()
    documented = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    declared = {(method, path) for path, methods, _ in _declared() for method in methods}
    probes = {("GET", "/health"), ("GET", "/ready")}
    assert documented - probes <= declared
    assert len(documented - probes) > 100


def test_the_spin_and_its_aliases_are_served_by_the_fast_route() -> None:
    """The busiest route skips FastAPI's per-request resolution (web.fast_route), on every path
    that serves it."""
    spin_paths = {"/api/v1/game/spin", "/api/v1/bets", "/api/v1/bet/spin"}
    classes = {
        API_PREFIX + route.path: type(route)
        for router in api_routers()
        for route in router.routes
        if isinstance(route, APIRoute)
        and API_PREFIX + route.path in spin_paths
        and "POST" in route.methods
    }
    assert classes == dict.fromkeys(spin_paths, FastRoute)
