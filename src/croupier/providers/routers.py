"""Mounting the provider integration's routers on an app, once."""

from __future__ import annotations

from fastapi import FastAPI

from croupier.providers.admin_endpoints import admin_router
from croupier.providers.casino_endpoints import casino_router
from croupier.providers.jaqpot.endpoints import provider_router


def mount(app: FastAPI) -> FastAPI:
    """/casino/* and /provider/* at the root (seed 003's wire paths), the admin views under
    /api/v1. Does nothing for routers the app already has, so it is safe on any app."""
    paths = {getattr(route, "path", None) for route in app.routes}
    if "/casino/debit" not in paths:
        app.include_router(casino_router)
    if "/provider/launch" not in paths:
        app.include_router(provider_router)
    if "/api/v1/operator/providers/rounds" not in paths:
        app.include_router(admin_router, prefix="/api/v1")
    return app
