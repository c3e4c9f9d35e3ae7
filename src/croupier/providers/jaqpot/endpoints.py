"""/provider/*: the demo provider's API (seed 003), signed by the casino (x-provider-signature)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from croupier.db.pool import unit_of_work
from croupier.providers.http import provider_http_client
from croupier.providers.jaqpot import service
from croupier.providers.jaqpot.client import CasinoClient
from croupier.providers.jaqpot.schemas import LaunchIn, SimulateIn, parse
from croupier.providers.wire import SeedRoute, documented_body, json_response, stringify
from croupier.web.deps import Uow

provider_router = APIRouter(route_class=SeedRoute, tags=["provider: Jaqpot Games (seed 003)"])


@provider_router.post("/provider/launch", openapi_extra=documented_body(LaunchIn))
async def launch(request: Request, uow: Uow) -> Response:
    """Create the provider session and player mapping for a casino launch."""
    casino, payload = await service.verified_casino(
        uow.conn,
        request.app.state.settings,
        await request.body(),
        request.headers.get("x-provider-signature"),
    )
    reply = await service.launch(uow.conn, casino, parse(LaunchIn, payload))
    return json_response(200, stringify(reply))


@provider_router.post("/provider/simulate", openapi_extra=documented_body(SimulateIn))
async def simulate(request: Request) -> Response:
    """Play seed 003's scripted round against the casino's callbacks; returns every step."""
    pool = request.app.state.pool
    async with unit_of_work(pool) as uow:
        casino, payload = await service.verified_casino(
            uow.conn,
            request.app.state.settings,
            await request.body(),
            request.headers.get("x-provider-signature"),
        )
        plan = await service.start_round(uow.conn, casino, parse(SimulateIn, payload))
    async with provider_http_client(request.app, request.scope.get("server")) as http:
        client = CasinoClient(
            http=http,
            secret=casino.casino_secret,
            base_url=casino.callback_base_url,
            provider_code=casino.provider_code,
        )
        report = await service.play_round(pool, client, plan)
    return json_response(200, stringify(report))
