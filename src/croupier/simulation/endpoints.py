"""Seed 001 §4.7's seeding routes, for the platform admin only."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, status

from croupier.simulation import service
from croupier.simulation.bots import create_bots
from croupier.simulation.simulator import SimulationConfig
from croupier.simulation.static_seed import seed_static
from croupier.web.deps import PlatformAdmin, SettingsDep, Uow

router = APIRouter(prefix="/seed", tags=["seeding"])

# argon2 makes each bot's password hash take ~0.3 s: a bigger batch belongs on the CLI.
MAX_BOTS_PER_REQUEST = 200


@router.post("/database")
async def seed_database(_: PlatformAdmin, uow: Uow, settings: SettingsDep) -> dict[str, Any]:
    """Load the static demo data (operators, staff, games, jackpots, VIP, bonuses, shops);
    running it again changes nothing."""
    logins = await seed_static(uow.conn, settings)
    return {
        "logins": [
            {"role": role, "operatorSlug": slug, "login": login, "password": password}
            for role, slug, login, password in logins
        ]
    }


@router.post("/bots", status_code=status.HTTP_201_CREATED)
async def seed_bots(
    _: PlatformAdmin,
    uow: Uow,
    settings: SettingsDep,
    count: Annotated[int, Query(ge=1, le=MAX_BOTS_PER_REQUEST)],
) -> dict[str, Any]:
    """Create ``count`` bot players spread over the operators (flagged ``isBot``); their
    passwords derive from the platform secret, for the simulator."""
    bots = await create_bots(uow.conn, settings, count)
    return {
        "created": len(bots),
        "bots": [
            {
                "playerId": bot.player_id,
                "username": bot.username,
                "operatorSlug": bot.operator_slug,
                "profile": bot.profile,
                "timezone": bot.timezone,
            }
            for bot in bots
        ],
    }


@router.post("/simulate", status_code=status.HTTP_202_ACCEPTED)
async def start_simulation(
    request: Request,
    _: PlatformAdmin,
    settings: SettingsDep,
    duration: Annotated[int, Query(ge=1, le=24 * 60, description="minutes")] = 10,
    intensity: Literal["low", "medium", "high"] = "medium",
    bots: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> dict[str, Any]:
    """Start the bots in the background of this server (one run at a time: 409 while one
    runs); follow it at GET /seed/simulate. The bots play through this server's own API."""
    config = SimulationConfig(
        base_url=str(request.base_url).rstrip("/"),
        duration=duration * 60.0,
        intensity=intensity,
        bots=bots,
    )
    return await service.start_simulation(request.app.state.pool, settings, config)


@router.get("/simulate")
async def simulation_status(_: PlatformAdmin, uow: Uow) -> dict[str, Any]:
    """The running (or last) simulation: state and what it has done so far."""
    return await service.simulation_status(uow.conn)
